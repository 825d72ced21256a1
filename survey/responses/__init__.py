"""Responses: drafts, pages, submission and amendments, by the consultant (views) and by the
citizen on the tablet (tablet, whose pages join the kiosk's blueprint)."""

from survey.responses import tablet
from survey.responses.views import bp

__all__ = ["bp", "tablet"]
