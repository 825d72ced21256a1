"""The citizen's tablet (kiosk mode)."""

from survey.kiosk.views import bp, guard

__all__ = ["bp", "guard"]
