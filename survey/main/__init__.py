"""The front page, the instrument catalogue, the language switch and the health check."""

from survey.main.views import bp

__all__ = ["bp"]
