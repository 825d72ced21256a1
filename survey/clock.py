"""Today's date where the users are (Copenhagen); tests and demos may fix it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

ZONE = ZoneInfo("Europe/Copenhagen")


def today() -> date:
    if has_app_context() and current_app.config.get("FIXED_TODAY"):
        return date.fromisoformat(str(current_app.config["FIXED_TODAY"]))
    return datetime.now(ZONE).date()
