"""Responses: drafts, pages, submission and amendments."""

from survey.responses.views import bp

__all__ = ["bp"]
