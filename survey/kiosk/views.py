"""The kiosk: a citizen answers their own form on a tablet; every other page is closed."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user

from survey import audit
from survey.auth import services as accounts
from survey.auth.principal import Principal
from survey.db import get_session
from survey.extensions import limiter
from survey.forms import Page, pages
from survey.i18n import LOCALES
from survey.instruments.schema import InstrumentVersion
from survey.kiosk import services
from survey.models import Citizen, KioskSession, Response, ResponseStatus, utcnow
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

# Endpoints a kiosk browser may use; everything else answers 403 while it is a kiosk.
ALLOWED = frozenset({"static"})


def guard() -> None:
    """Before every request: a kiosk browser reaches only the kiosk's own pages."""
    endpoint = request.endpoint or ""  # an unknown URL too: 403, not 404
    if session.get(services.SESSION_KEY) and not (
        endpoint in ALLOWED or endpoint.startswith("kiosk.")
    ):
        abort(403)


def _kiosk(*, for_answers: bool) -> tuple[KioskSession, Response]:
    """The kiosk of this browser; 403 when there is none or it has ended or been used."""
    db = get_session()
    kiosk = services.current(db)
    if kiosk is None or kiosk.ended_at is not None:
        session.pop(services.SESSION_KEY, None)
        abort(403)
    response = db.get(Response, kiosk.response_id)
    if response is None:
        abort(403)
    if for_answers and (kiosk.submitted_at is not None or response.status != ResponseStatus.DRAFT):
        abort(403, description=_("This form is already submitted; the tablet session is over."))
    return kiosk, response


@bp.get("")
def index() -> ResponseReturnValue:
    """Where the tablet belongs now: the form, the thank-you page or the lock screen."""
    db = get_session()
    kiosk, _response = _kiosk(for_answers=False)
    if kiosk.locked_at or services.lock_if_idle(db, kiosk):
        return redirect(url_for("kiosk.locked"))
    if kiosk.submitted_at:
        return redirect(url_for("kiosk.thanks"))
    return redirect(url_for("kiosk.page", number=1))


@bp.route("/page/<int:number>", methods=["GET", "POST"])
def page(number: int) -> ResponseReturnValue:
    """One section of the citizen form, large and calm, with nothing else on the screen."""
    db = get_session()
    kiosk, response = _kiosk(for_answers=True)
    definition = responses.definition_of(registry(), response)
    every = _pages(definition, response)
    if not 1 <= number <= len(every):
        abort(404)
    if kiosk.locked_at is not None or services.lock_if_idle(db, kiosk):
        if request.method == "POST":  # what was typed before the lock is kept
            handle_page_post(response, definition, every[number - 1], actor=None)
        return redirect(url_for("kiosk.locked"))
    current = every[number - 1]
    citizen = db.get(Citizen, response.citizen_id)
    services.touch(db, kiosk)
    db.commit()
    if request.method == "POST":
        given = handle_page_post(response, definition, current, actor=None)
        action = request.form.get("action", "next")
        if action == "lock":  # the inactivity timer: the page is saved, then the screen locks
            kiosk.locked_at = utcnow()
            db.add(kiosk)
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
        return _submit(kiosk, response, definition)
    answers = responses.stored_answers(db, response, definition)
    form = page_input.blank(current, locale(), answers)
    return render_page(response, citizen, definition, current, every, form, kiosk=True)


def _pages(definition: InstrumentVersion, response: Response) -> list[Page]:
    return pages(definition, response.point)


def _submit(
    kiosk: KioskSession, response: Response, definition: InstrumentVersion
) -> ResponseReturnValue:
    db = get_session()
    try:
        responses.submit(db, response, definition, actor=None)
    except responses.ResponseError as exc:
        if exc.code == "required":
            flash(_("Please answer the questions marked as required."), "error")
            return redirect(url_for("kiosk.page", number=1))
        abort(403, description=_("This form is already submitted; the tablet session is over."))
    kiosk.submitted_at = response.submitted_at
    db.add(kiosk)
    db.commit()
    return redirect(url_for("kiosk.thanks"))


@bp.post("/autosave")
def autosave() -> ResponseReturnValue:
    """Saves the answers on the screen every few seconds (JavaScript)."""
    db = get_session()
    kiosk, response = _kiosk(for_answers=True)
    locked = kiosk.locked_at is not None or services.lock_if_idle(db, kiosk)
    definition = responses.definition_of(registry(), response)
    every = _pages(definition, response)
    number = request.form.get("page", 0, int)
    if not 1 <= number <= len(every):
        abort(404)
    if not locked:
        services.touch(db, kiosk)
    given = handle_page_post(response, definition, every[number - 1], actor=None)
    if locked:  # saved all the same; the screen must go to the lock
        return jsonify(saved=True, reason="locked"), 423
    return jsonify(saved=True, errors=sorted(given.form.errors))


@bp.get("/thanks")
def thanks() -> ResponseReturnValue:
    """After submitting: thank you, then give the tablet back."""
    kiosk, _response = _kiosk(for_answers=False)
    if kiosk.submitted_at is None:
        return redirect(url_for("kiosk.index"))
    return render_template("kiosk/thanks.html")


@bp.post("/lock")
def lock() -> ResponseReturnValue:
    """Lock the tablet now (the citizen is done, or the inactivity timer ran out)."""
    db = get_session()
    kiosk, _response = _kiosk(for_answers=False)
    if kiosk.locked_at is None:
        kiosk.locked_at = utcnow()
        db.add(kiosk)
        db.commit()
    return redirect(url_for("kiosk.locked"))


@bp.get("/locked")
def locked() -> ResponseReturnValue:
    """The lock screen: only the consultant's password or PIN opens it."""
    db = get_session()
    kiosk, _response = _kiosk(for_answers=False)
    if kiosk.locked_at is None and not services.lock_if_idle(db, kiosk):
        return redirect(url_for("kiosk.index"))
    return render_template("kiosk/locked.html", failed=False)


@bp.post("/unlock")
@limiter.limit("5 per minute")
def unlock() -> ResponseReturnValue:
    """The consultant takes the tablet back: the kiosk ends and their own pages open again."""
    db = get_session()
    kiosk, response = _kiosk(for_answers=False)
    consultant = services.unlock(db, kiosk, request.form.get("secret", ""))
    if consultant is None:
        db.rollback()
        return render_template("kiosk/locked.html", failed=True), 422
    session.pop(services.SESSION_KEY, None)
    if not (current_user.is_authenticated and current_user.id == consultant.id):
        token = accounts.open_session(db, consultant)
        audit.record("login.success", user=consultant, session=db, details={"via": "kiosk_unlock"})
        login_user(Principal(user=consultant, token=token, team_ids=frozenset()))
    db.commit()
    if response.status == ResponseStatus.SUBMITTED:
        return redirect(url_for("responses.view", response_id=response.id))
    flash(_("The tablet is unlocked. The citizen's draft is kept."), "info")
    return redirect(url_for("citizens.view", citizen_id=response.citizen_id))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch language mid-form; the answers on the screen are saved first (JavaScript
    posts them through autosave), and the same page comes back."""
    _kiosk(for_answers=False)
    chosen = request.form.get("locale")
    if chosen in LOCALES:
        session["locale"] = chosen
    target = request.form.get("next") or url_for("kiosk.index")
    if not target.startswith("/kiosk"):
        target = url_for("kiosk.index")
    return redirect(target)
