"""Turning a consultant's browser into a tablet for one draft: their login there ends first.

Shared by starting a tablet form (responses.start) and giving a draft back to the tablet."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user, logout_user

from survey.db import get_session
from survey.kiosk import services
from survey.models import Response

# The requests that hand a draft over (a tap on "hand over", or starting a form the citizen
# fills alone): only their second tap may find the tablet the first one made.
HAND_OVER_ENDPOINTS = frozenset({"responses.start", "responses.to_tablet"})


def second_tap() -> ResponseReturnValue | None:
    """For a hand-over request whose login the first tap has just ended: this browser is that
    tablet, so it gets the tablet's cookie and goes there, as the first tap did. None for any
    other request without a login."""
    login_token = session.get("_user_id")
    if request.method != "POST" or request.endpoint not in HAND_OVER_ENDPOINTS or not login_token:
        return None
    handed = services.handed_from(get_session(), str(login_token))
    if handed is None:
        return None
    return _become_tablet(handed.token, handed.kiosk.consultant_locale or str(get_locale()))


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
    return _become_tablet(handed.token, locale)


def _become_tablet(token: str, locale: str) -> ResponseReturnValue:
    session.clear()  # nothing of the consultant's login stays in the tablet's cookie
    session[services.SESSION_KEY] = token
    session["locale"] = locale
    reply = redirect(url_for("kiosk.index"))
    reply.headers["Clear-Site-Data"] = '"cache", "storage"'  # nothing of the consultant's
    return reply
