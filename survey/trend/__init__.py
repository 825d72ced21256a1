"""A citizen's trend: WHO-5, BIP and health across measurement points, with events."""

from survey.trend.views import bp

__all__ = ["bp"]
