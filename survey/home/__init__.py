"""The start page of each role."""

from survey.home.views import bp

__all__ = ["bp"]
