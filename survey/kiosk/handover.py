"""Turning a consultant's browser into a tablet for one draft: their login there ends first.

Shared by starting a tablet form (responses.start) and giving a draft back to the tablet."""

from __future__ import annotations

from flask import flash, redirect, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user, logout_user

from survey.db import get_session
from survey.kiosk import services
from survey.models import Response


def begin(response: Response, *, page: int | None = None) -> ResponseReturnValue:
    """Hand `response` to the citizen in this browser; the browser keeps no login."""
    db = get_session()
    locale = str(get_locale())
    try:
        handed = services.hand_over(
            db,
            response,
            current_user.user,
            login_token=current_user.token,
            locale=locale,
            page=page,
        )
    except services.KioskError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("citizens.view", citizen_id=response.citizen_id))
    db.commit()
    logout_user()
    session.clear()  # nothing of the consultant's login stays in the tablet's cookie
    session[services.SESSION_KEY] = handed.token
    session["locale"] = locale
    reply = redirect(url_for("kiosk.index"))
    reply.headers["Clear-Site-Data"] = '"cache", "storage"'  # nothing of the consultant's
    return reply
