"""The tablet's own pages besides the form: where it belongs, the thank-you page, the lock
screen and its unlock, the language. The form's pages on the tablet are in
survey.responses.tablet; each state and what it allows: docs/kiosk.md."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from survey.auth import signin
from survey.db import get_session
from survey.extensions import limiter
from survey.hashing import token_digest
from survey.i18n import LOCALES
from survey.kiosk import bp, services
from survey.kiosk.guard import calm, current, forget_kiosk, is_answering
from survey.models import KioskLock, KioskSession, ResponseStatus, SignInMethod
from survey.redirects import local_target


@bp.get("")
def index() -> ResponseReturnValue:
    """Where the tablet belongs now: the page the citizen was on, the thank-you page or the
    lock screen."""
    found = current()
    if found is None:
        return calm(403)
    kiosk, response = found
    if services.is_locked(get_session(), kiosk):
        return redirect(url_for("kiosk.locked"))
    if not is_answering(kiosk, response):
        return redirect(url_for("kiosk.thanks"))
    return redirect(url_for("kiosk.page", number=kiosk.page))


@bp.get("/thanks")
def thanks() -> ResponseReturnValue:
    """After submitting: thank you, then give the tablet back."""
    found = current()
    if found is None:
        return calm(403)
    kiosk, response = found
    if is_answering(kiosk, response):
        return redirect(url_for("kiosk.index"))
    if services.is_locked(get_session(), kiosk):
        return redirect(url_for("kiosk.locked"))
    return render_template("kiosk/thanks.html")


@bp.post("/lock")
def lock() -> ResponseReturnValue:
    """Lock the tablet now: the citizen pauses or is done, or the inactivity timer ran out."""
    db = get_session()
    found = current()
    if found is None:
        return calm(403)
    kiosk, response = found
    if not is_answering(kiosk, response):
        reason = KioskLock.DONE
    elif request.form.get("reason") == "pause":
        reason = KioskLock.PAUSE
    else:
        reason = KioskLock.IDLE
    services.lock(db, kiosk, reason)
    db.commit()
    return redirect(url_for("kiosk.locked"))


@bp.get("/locked")
def locked() -> ResponseReturnValue:
    """The lock screen: only the consultant's password or PIN opens it."""
    found = current()
    if found is None:
        return calm(403)
    kiosk, _response = found
    if not services.is_locked(get_session(), kiosk):
        return redirect(url_for("kiosk.index"))
    return _lock_screen(kiosk)


def _lock_screen(
    kiosk: KioskSession, problem: str | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template("kiosk/locked.html", reason=kiosk.locked_reason, problem=problem), status


def _unlock_key() -> str:
    """One tablet's unlock attempts, so one tablet's limit never slows another."""
    return "kiosk:" + token_digest(str(session.get(services.SESSION_KEY, "")))[:24]


@bp.post("/unlock")
@limiter.limit(lambda: current_app.config["KIOSK_UNLOCK_RATE"], key_func=_unlock_key)
def unlock() -> ResponseReturnValue:
    """The consultant takes the tablet back: the kiosk ends and a fresh login starts."""
    db = get_session()
    found = current()
    if found is None:
        return calm(403)
    kiosk, response = found
    if not services.is_locked(db, kiosk):
        services.lock(db, kiosk, KioskLock.PAUSE)
    try:
        consultant = services.unlock(db, kiosk, request.form.get("secret", ""))
    except services.KioskError as exc:
        db.commit()  # the attempt, its audit entry and an ended kiosk are kept
        if exc.code == "kiosk.ended":
            forget_kiosk()
            return calm(403)
        return _lock_screen(kiosk, problem=str(exc), status=422)
    consultant_locale = kiosk.consultant_locale
    signin.open_login(consultant, SignInMethod.KIOSK)  # a new login, never the one from before
    db.commit()
    if consultant_locale in LOCALES:
        session["locale"] = consultant_locale
    if response.status == ResponseStatus.SUBMITTED:
        target = url_for("responses.view", response_id=response.id)
    else:
        flash(
            _(
                "The tablet is unlocked. The citizen's draft is kept; you can give the tablet "
                "back to the citizen from here."
            ),
            "info",
        )
        target = url_for("citizens.view", citizen_id=response.citizen_id)
    reply = redirect(target)
    reply.headers["Clear-Site-Data"] = '"cache", "storage"'  # nothing of the citizen's stays
    return reply


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch language on the tablet's pages without a questionnaire; the same page comes back."""
    if current() is None:
        return calm(403)
    chosen = request.form.get("locale")
    if chosen in LOCALES:
        session["locale"] = chosen
    fallback = url_for("kiosk.index")
    return redirect(local_target(request.form.get("next"), fallback, within="/kiosk"))
