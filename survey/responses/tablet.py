"""The citizen form on the tablet: its pages, the summary before sending, sending, and the
per-answer saves. They live beside the consultant's pages and share their page flow
(survey.responses.flow); the kiosk's guard decides when they may run."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from survey import audit
from survey.db import get_session
from survey.instruments.asking import Page, pages
from survey.instruments.schema import InstrumentVersion
from survey.kiosk import bp, services
from survey.kiosk.guard import answering, calm, current, is_answering
from survey.models import Citizen, KioskLock, KioskSession, Response
from survey.responses import pages as page_input
from survey.responses import services as responses
from survey.responses.flow import handle_page_post, locale, registry, render_page, switch_language


def _viewed(response: Response, page: str, **details: object) -> None:
    """Audit a tablet page that shows the draft, in the claim's transaction (one insert more per
    page). No one is logged in on the tablet: the entry names no user, the citizen is the reader."""
    audit.record(
        "response.view",
        citizen_id=response.citizen_id,
        response_id=response.id,
        details={"page": page, **details},
    )


def _pages(definition: InstrumentVersion, response: Response) -> list[Page]:
    return pages(definition, response.point)


@bp.route("/page/<int:number>", methods=["GET", "POST"])
@answering
def page(kiosk: KioskSession, response: Response, number: int) -> ResponseReturnValue:
    """One section of the citizen form, large and calm, with nothing else on the screen.
    Locked, nothing posted is written; the lock and pause buttons save the page as they lock.
    Showing it, with its stored answers, is audited."""
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
        _viewed(response, "tablet.page", number=number)
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
    """Before sending: the questions left unanswered, each a tap from its page. Audited."""
    db = get_session()
    definition = responses.definition_of(registry(), response)
    answers = responses.stored_answers(db, response, definition)
    every = _pages(definition, response)
    if not services.claim(db, kiosk, len(every)):
        return redirect(url_for("kiosk.index"))
    _viewed(response, "tablet.summary")
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
        if exc.code == "response.required":
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
    found = current()
    if found is None:
        return jsonify(saved=False, reason="ended"), 403
    kiosk, response = found
    if not is_answering(kiosk, response):
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
