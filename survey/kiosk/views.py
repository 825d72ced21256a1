"""The kiosk: a citizen answers their own form on a tablet; every other page is closed.

Each state (answering, paused, locked, submitted, ended) and what it allows: docs/kiosk.md.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_user

from survey import audit
from survey.auth import services as accounts
from survey.auth.principal import Principal
from survey.db import get_session
from survey.extensions import limiter
from survey.i18n import LOCALES
from survey.instruments.asking import Page, pages
from survey.instruments.schema import InstrumentVersion
from survey.kiosk import services
from survey.models import Citizen, KioskLock, KioskSession, Response, ResponseStatus
from survey.passwords import token_digest
from survey.redirects import local_target
from survey.responses import pages as page_input
from survey.responses import services as responses
from survey.responses.views import (
    handle_page_post,
    locale,
    registry,
    render_page,
    switch_language,
)

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

# Endpoints a kiosk browser may use besides the kiosk's own; every other URL shows the calm page.
ALLOWED = frozenset({"static"})


def guard() -> ResponseReturnValue | None:
    """Before every request. A tablet's cookie holds a kiosk credential and nothing else: an
    ended or unknown one clears the whole session (so a copied cookie is worth nothing), and a
    live one reaches only the kiosk's own pages."""
    token = session.get(services.SESSION_KEY)
    if not token:
        return None
    kiosk = services.find(get_session(), token)
    endpoint = request.endpoint or ""  # an unknown URL too: the calm page, not 404
    if kiosk is None or kiosk.ended_at is not None:
        _forget_kiosk()
        return None
    session.pop("_user_id", None)  # never a login beside the kiosk
    g.kiosk = kiosk
    if endpoint in ALLOWED or endpoint.startswith("kiosk."):
        return None
    return calm(403)


def _forget_kiosk() -> None:
    """Clear the whole session of an ended tablet; only its language stays, so the calm page
    is still in the citizen's language."""
    chosen = session.get("locale")
    session.clear()
    if chosen in LOCALES:
        session["locale"] = chosen
    g.kiosk = None


def calm(status: int = 200) -> ResponseReturnValue:
    """One calm message in the citizen's language, for every page that is not theirs now."""
    kiosk: KioskSession | None = g.get("kiosk")
    return render_template("kiosk/calm.html", live=kiosk is not None), status


def _kiosk() -> tuple[KioskSession, Response] | None:
    """This browser's live kiosk and its draft, or None (the caller shows the calm page)."""
    kiosk: KioskSession | None = g.get("kiosk")
    if kiosk is None:
        return None
    response = get_session().get(Response, kiosk.response_id)
    return (kiosk, response) if response is not None else None


def _answering(kiosk: KioskSession, response: Response) -> bool:
    return kiosk.submitted_at is None and response.status == ResponseStatus.DRAFT


@bp.get("")
def index() -> ResponseReturnValue:
    """Where the tablet belongs now: the page the citizen was on, the thank-you page or the
    lock screen."""
    found = _kiosk()
    if found is None:
        return calm(403)
    kiosk, response = found
    if services.is_locked(get_session(), kiosk):
        return redirect(url_for("kiosk.locked"))
    if not _answering(kiosk, response):
        return redirect(url_for("kiosk.thanks"))
    return redirect(url_for("kiosk.page", number=kiosk.page))


def _pages(definition: InstrumentVersion, response: Response) -> list[Page]:
    return pages(definition, response.point)


def answering(
    view: Callable[..., ResponseReturnValue],
) -> Callable[..., ResponseReturnValue]:
    """For the pages of a tablet whose citizen is answering: the calm page without a live
    kiosk, the lock screen when locked (nothing is read from the request, nothing written),
    and where the tablet belongs once the form is sent. The view gets the kiosk and its draft."""

    @wraps(view)
    def wrapper(*args: object, **kwargs: object) -> ResponseReturnValue:
        found = _kiosk()
        if found is None:
            return calm(403)
        kiosk, response = found
        if services.is_locked(get_session(), kiosk):
            return redirect(url_for("kiosk.locked"))
        if not _answering(kiosk, response):
            return redirect(url_for("kiosk.index"))
        return view(kiosk, response, *args, **kwargs)

    return wrapper


@bp.route("/page/<int:number>", methods=["GET", "POST"])
@answering
def page(kiosk: KioskSession, response: Response, number: int) -> ResponseReturnValue:
    """One section of the citizen form, large and calm, with nothing else on the screen.
    Locked, nothing posted is written; the lock and pause buttons save the page as they lock."""
    db = get_session()
    definition = responses.definition_of(registry(), response)
    every = _pages(definition, response)
    if not 1 <= number <= len(every):
        return redirect(url_for("kiosk.index"))
    current = every[number - 1]
    citizen = db.get(Citizen, response.citizen_id)
    if citizen is None:
        return calm(403)
    if not services.claim(db, kiosk, number):  # locked or sent this very moment
        return redirect(url_for("kiosk.index"))
    if request.method == "GET":
        db.commit()
        answers = responses.stored_answers(db, response, definition)
        form = page_input.blank(current, locale(), answers)
        return render_page(response, citizen, definition, current, every, form, kiosk=True)
    given = handle_page_post(response, definition, current, actor=None)
    action = request.form.get("action", "next")
    if action in ("lock", "pause"):  # the one save that travels with the lock
        services.lock(db, kiosk, KioskLock.PAUSE if action == "pause" else KioskLock.IDLE)
        db.commit()
        return redirect(url_for("kiosk.locked"))
    if switch_language(action):
        return redirect(url_for("kiosk.page", number=number))
    if given.has_errors:
        return render_page(
            response, citizen, definition, current, every, given.form, kiosk=True, status=422
        )
    if action == "previous" and number > 1:
        return redirect(url_for("kiosk.page", number=number - 1))
    if number < len(every):
        return redirect(url_for("kiosk.page", number=number + 1))
    return redirect(url_for("kiosk.summary"))


@bp.get("/summary")
@answering
def summary(kiosk: KioskSession, response: Response) -> ResponseReturnValue:
    """Before sending: the questions left unanswered, each a tap from its page."""
    db = get_session()
    definition = responses.definition_of(registry(), response)
    answers = responses.stored_answers(db, response, definition)
    every = _pages(definition, response)
    if not services.claim(db, kiosk, len(every)):
        return redirect(url_for("kiosk.index"))
    db.commit()
    return render_template(
        "kiosk/summary.html",
        definition=definition,
        locale=locale(),
        unanswered=responses.unanswered(definition, answers, response.point),
        required=set(responses.missing_required(definition, answers, response.point)),
        last_page=len(every),
        kiosk_state="answering",
    )


@bp.post("/submit")
@answering
def submit(kiosk: KioskSession, response: Response) -> ResponseReturnValue:
    """Send the answers; a double tap stores one response."""
    db = get_session()
    definition = responses.definition_of(registry(), response)
    if not services.claim(db, kiosk, kiosk.page):
        return redirect(url_for("kiosk.index"))
    try:
        responses.submit(db, response, definition, actor=None)
    except responses.ResponseError as exc:
        db.rollback()
        if exc.code == "required":
            flash(_("Please answer the questions marked as required."), "error")
            return redirect(url_for("kiosk.summary"))
        return redirect(url_for("kiosk.index"))
    kiosk.submitted_at = response.submitted_at
    db.add(kiosk)
    db.commit()
    return redirect(url_for("kiosk.thanks"))


@bp.post("/autosave")
def autosave() -> ResponseReturnValue:
    """Saves each answer as it is given (JavaScript). A locked tablet writes nothing: 423."""
    db = get_session()
    found = _kiosk()
    if found is None:
        return jsonify(saved=False, reason="ended"), 403
    kiosk, response = found
    if not _answering(kiosk, response):
        return jsonify(saved=False, reason="submitted"), 409
    definition = responses.definition_of(registry(), response)
    every = _pages(definition, response)
    number = request.form.get("page", 0, int)
    if not 1 <= number <= len(every):
        return jsonify(saved=False, reason="page"), 404
    if not services.claim(db, kiosk, number):  # locked, idle or sent: nothing is written
        if services.is_locked(db, kiosk):
            return jsonify(saved=False, reason="locked"), 423
        return jsonify(saved=False, reason="submitted"), 409
    given = handle_page_post(response, definition, every[number - 1], actor=None)
    return jsonify(saved=True, errors=sorted(given.form.errors))


@bp.get("/thanks")
def thanks() -> ResponseReturnValue:
    """After submitting: thank you, then give the tablet back."""
    found = _kiosk()
    if found is None:
        return calm(403)
    kiosk, response = found
    if _answering(kiosk, response):
        return redirect(url_for("kiosk.index"))
    if services.is_locked(get_session(), kiosk):
        return redirect(url_for("kiosk.locked"))
    return render_template("kiosk/thanks.html")


@bp.post("/lock")
def lock() -> ResponseReturnValue:
    """Lock the tablet now: the citizen pauses or is done, or the inactivity timer ran out."""
    db = get_session()
    found = _kiosk()
    if found is None:
        return calm(403)
    kiosk, response = found
    if not _answering(kiosk, response):
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
    found = _kiosk()
    if found is None:
        return calm(403)
    kiosk, _response = found
    if not services.is_locked(get_session(), kiosk):
        return redirect(url_for("kiosk.index"))
    return _lock_screen(kiosk)


def _lock_screen(
    kiosk: KioskSession, problem: str | None = None, status: int = 200
) -> ResponseReturnValue:
    left = services.MAX_UNLOCK_ATTEMPTS - kiosk.unlock_attempts
    return render_template(
        "kiosk/locked.html", reason=kiosk.locked_reason, problem=problem, left=left
    ), status


def _unlock_key() -> str:
    """One tablet's unlock attempts, so one tablet's limit never slows another."""
    return "kiosk:" + token_digest(str(session.get(services.SESSION_KEY, "")))[:24]


@bp.post("/unlock")
@limiter.limit(lambda: current_app.config["KIOSK_UNLOCK_RATE"], key_func=_unlock_key)
def unlock() -> ResponseReturnValue:
    """The consultant takes the tablet back: the kiosk ends and a fresh login starts."""
    db = get_session()
    found = _kiosk()
    if found is None:
        return calm(403)
    kiosk, response = found
    if not services.is_locked(db, kiosk):
        services.lock(db, kiosk, KioskLock.PAUSE)
    try:
        consultant = services.unlock(db, kiosk, request.form.get("secret", ""))
    except services.KioskError as exc:
        db.commit()  # the attempt, its audit entry and an ended kiosk are kept
        if exc.code == "ended":
            _forget_kiosk()
            return calm(403)
        return _lock_screen(kiosk, problem=exc.code, status=422)
    consultant_locale = kiosk.consultant_locale
    token = accounts.open_session(db, consultant)  # a new login, never the one from before
    audit.record("login.success", user=consultant, session=db, details={"via": "kiosk_unlock"})
    db.commit()
    session.clear()
    login_user(Principal(user=consultant, token=token, team_ids=frozenset()))
    session.permanent = True
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
    if _kiosk() is None:
        return calm(403)
    chosen = request.form.get("locale")
    if chosen in LOCALES:
        session["locale"] = chosen
    fallback = url_for("kiosk.index")
    return redirect(local_target(request.form.get("next"), fallback, within="/kiosk"))
