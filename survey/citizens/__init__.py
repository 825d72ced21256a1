"""Citizens and their courses: enrolment, caseloads, transfers, ends, schedules."""

from survey.citizens.views import bp

__all__ = ["bp"]
