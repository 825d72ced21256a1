"""Filling the forms as a consultant: start, page by page with autosave, review, submit, view,
amend. The citizen's own tablet is in survey/kiosk and shares the page handling here."""

from __future__ import annotations

from datetime import date
from typing import cast

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from survey import audit, clock
from survey.access import can_edit_answers, can_view_citizen, staff_required
from survey.citizens.services import NotVisible, get_visible
from survey.db import get_session
from survey.extensions import login_manager
from survey.forms import build_form, field_name
from survey.forms.base import add_error, choices
from survey.instruments import UnknownInstrument
from survey.instruments.asking import Page, pages, visible
from survey.instruments.schema import InstrumentVersion
from survey.kiosk import handover
from survey.kiosk.services import can_hand_over
from survey.models import Citizen, Mode, Response, ResponseStatus, User
from survey.responses import pages as page_input
from survey.responses import services
from survey.responses.flow import (
    handle_page_post,
    locale,
    read_post,
    registry,
    render_page,
    switch_language,
)
from survey.responses.forms import AmendForm, StartForm
from survey.schedule import MAX_POINT

bp = Blueprint("responses", __name__)


def _load(response_id: int, *, edit: bool) -> tuple[Response, Citizen, InstrumentVersion]:
    db = get_session()
    response = db.get(Response, response_id)
    if response is None:
        abort(404)
    citizen = db.get(Citizen, response.citizen_id)
    if citizen is None or not can_view_citizen(current_user, citizen):
        abort(404)
    if edit and not can_edit_answers(current_user, citizen):
        abort(403)
    return response, citizen, services.definition_of(registry(), response)


def _page_or_404(definition: InstrumentVersion, point: int, number: int) -> tuple[Page, list[Page]]:
    every = pages(definition, point)
    if not 1 <= number <= len(every):
        abort(404)
    return every[number - 1], every


@bp.route("/citizens/<int:citizen_id>/points/<int:point>/<form_id>", methods=["GET", "POST"])
@staff_required
def start(citizen_id: int, point: int, form_id: str) -> ResponseReturnValue:
    """Open a form for a citizen and measurement point: resume the draft, show the submitted
    response, or start a new one (consultant entry or the citizen's tablet)."""
    db = get_session()
    try:
        citizen = get_visible(db, current_user, citizen_id)
        definition = registry().latest(form_id)
    except (NotVisible, UnknownInstrument):
        abort(404)
    if not 1 <= point <= MAX_POINT:
        abort(404)
    assert citizen.id is not None
    existing = services.find(db, citizen.id, point, form_id)
    if existing is not None:
        if existing.status == ResponseStatus.DRAFT and can_edit_answers(current_user, citizen):
            return redirect(url_for("responses.page", response_id=existing.id, number=1))
        return redirect(url_for("responses.view", response_id=existing.id))
    if not can_edit_answers(current_user, citizen):
        abort(403)
    form = StartForm()
    if definition.respondent == "citizen":
        form.how.choices = choices(
            [
                ("assisted", _("I read the questions aloud and enter the answers")),
                ("self", _("Hand the tablet to the citizen, who answers alone")),
            ]
        )
    else:
        form.how.choices = choices([("staff", _("I fill in my own assessment"))])
    if request.method == "GET":
        form.administered_on.data = clock.today()
        form.how.data = form.how.choices[0].value
        audit.record("citizen.view", citizen_id=citizen.id, details={"page": "start"})
        db.commit()
    if form.validate_on_submit():
        try:
            response = services.start(
                db,
                citizen=citizen,
                point=point,
                definition=definition,
                mode=Mode(form.how.data),
                administered_on=cast(date, form.administered_on.data),  # InputRequired
                entered_by=current_user.user,
                today=clock.today(),
            )
        except services.ResponseError as exc:
            db.rollback()
            add_error(getattr(form, exc.field or "how"), str(exc))
        else:
            db.commit()
            if response.mode == Mode.SELF:
                return handover.begin(response)
            return redirect(url_for("responses.page", response_id=response.id, number=1))
    return render_template(
        "responses/start.html", form=form, citizen=citizen, point=point, definition=definition
    ), 422 if form.errors else 200


@bp.route("/responses/<int:response_id>/page/<int:number>", methods=["GET", "POST"])
def page(response_id: int, number: int) -> ResponseReturnValue:
    """One section of the form. Every page change saves the draft on the server; showing it,
    with its stored answers, is audited."""
    db = get_session()
    if not current_user.is_authenticated:
        return _save_after_expiry(response_id, number)
    if not current_user.is_staff:
        abort(403)
    response, citizen, definition = _load(response_id, edit=True)
    if response.status == ResponseStatus.SUBMITTED:
        return redirect(url_for("responses.view", response_id=response.id))
    current, every = _page_or_404(definition, response.point, number)
    if request.method == "POST":
        given = handle_page_post(response, definition, current, current_user.user)
        action = request.form.get("action", "next")
        if switch_language(action):  # the valid answers are saved; the page comes back
            return redirect(url_for("responses.page", response_id=response.id, number=number))
        if given.has_errors:
            return render_page(
                response, citizen, definition, current, every, given.form, kiosk=False, status=422
            )
        if action == "previous" and number > 1:
            return redirect(url_for("responses.page", response_id=response.id, number=number - 1))
        if action == "close":
            flash(_("The draft is saved. You can continue it later from any device."), "success")
            return redirect(url_for("citizens.view", citizen_id=citizen.id))
        if number < len(every):
            return redirect(url_for("responses.page", response_id=response.id, number=number + 1))
        return redirect(url_for("responses.review", response_id=response.id))
    _viewed(response, "page", number=number)
    answers = services.stored_answers(db, response, definition)
    form = page_input.blank(current, locale(), answers)
    return render_page(response, citizen, definition, current, every, form, kiosk=False)


def _save_after_expiry(response_id: int, number: int) -> ResponseReturnValue:
    """The login ran out while the page was open: save what was typed if the page's draft key
    proves it came from that draft's page, then ask for the password."""
    db = get_session()
    response = db.get(Response, response_id)
    if (
        request.method == "POST"
        and response is not None
        and response.status == ResponseStatus.DRAFT
        and services.check_draft_key(response, request.form.get("draft_key"))
    ):
        definition = services.definition_of(registry(), response)
        every = pages(definition, response.point)
        if 1 <= number <= len(every):
            handle_page_post(response, definition, every[number - 1], actor=None)
            flash(_("Your answers are saved. Log in again to continue."), "info")
            target = url_for("responses.page", response_id=response_id, number=number)
            return redirect(url_for("auth.login", next=target))
    return login_manager.unauthorized()


@bp.post("/responses/<int:response_id>/autosave")
def autosave(response_id: int) -> ResponseReturnValue:
    """Saves the answers on the page every few seconds and when the page is left (JavaScript)."""
    if not current_user.is_authenticated:
        return jsonify(saved=False, reason="login"), 401
    if not current_user.is_staff:
        abort(403)
    response, _citizen, definition = _load(response_id, edit=True)
    if response.status != ResponseStatus.DRAFT:
        return jsonify(saved=False, reason="submitted"), 409
    current, _every = _page_or_404(definition, response.point, request.form.get("page", 0, int))
    given = handle_page_post(response, definition, current, current_user.user)
    return jsonify(saved=True, errors=sorted(given.form.errors))


@bp.post("/responses/<int:response_id>/tablet")
@staff_required
def to_tablet(response_id: int) -> ResponseReturnValue:
    """Give a tablet draft back to the citizen in this browser, at the page they left; the
    consultant's login in this browser ends, their other logins go on."""
    response, _citizen, _definition = _load(response_id, edit=True)
    if not can_hand_over(response):
        abort(409, description=_("Only a draft the citizen answers alone can go to the tablet."))
    return handover.begin(response)


@bp.get("/responses/<int:response_id>/review")
@staff_required
def review(response_id: int) -> ResponseReturnValue:
    """Every answer before submitting, each a click from its page. Audited."""
    response, citizen, definition = _load(response_id, edit=True)
    if response.status == ResponseStatus.SUBMITTED:
        return redirect(url_for("responses.view", response_id=response.id))
    _viewed(response, "review")
    return _render_answers("responses/review.html", response, citizen, definition)


def _viewed(response: Response, page: str, **details: object) -> None:
    """Audit a page that shows a response's answers, committed before the page is drawn as on
    the citizen's page."""
    audit.record(
        "response.view",
        citizen_id=response.citizen_id,
        response_id=response.id,
        details={"page": page, **details},
    )
    get_session().commit()


def _render_answers(
    template: str,
    response: Response,
    citizen: Citizen,
    definition: InstrumentVersion,
    **extra: object,
) -> ResponseReturnValue:
    db = get_session()
    answers = services.stored_answers(db, response, definition)
    entered_by = db.get(User, response.entered_by_id) if response.entered_by_id else None
    return render_template(
        template,
        response=response,
        citizen=citizen,
        definition=definition,
        pages=pages(definition, response.point),
        answers=answers,
        shown=visible(definition, answers, response.point),
        locale=locale(),
        missing=services.missing_required(definition, answers, response.point),
        unanswered=services.unanswered(definition, answers, response.point),
        asked=len(visible(definition, answers, response.point)),
        entered_by=entered_by,
        **extra,
    )


@bp.post("/responses/<int:response_id>/submit")
@staff_required
def submit(response_id: int) -> ResponseReturnValue:
    """Submit the draft. A double tap or a retry after a dropped connection stores one response."""
    db = get_session()
    response, _citizen, definition = _load(response_id, edit=True)
    try:
        submitted_now = services.submit(db, response, definition, actor=current_user.user)
    except services.ResponseError as exc:
        if exc.code == "response.required":
            flash(str(exc), "error")
            return redirect(url_for("responses.review", response_id=response.id))
        flash(str(exc), "info")
        return redirect(url_for("citizens.view", citizen_id=response.citizen_id))
    db.commit()
    if submitted_now:
        flash(_("The form is submitted."), "success")
    else:
        flash(_("The form was already submitted; it is kept as it was submitted."), "info")
    return redirect(url_for("responses.view", response_id=response.id))


@bp.get("/responses/<int:response_id>")
@staff_required
def view(response_id: int) -> ResponseReturnValue:
    """A response with its answers, version, mode and corrections. Audited."""
    db = get_session()
    response, citizen, definition = _load(response_id, edit=False)
    _viewed(response, "response")
    return _render_answers(
        "responses/view.html",
        response,
        citizen,
        definition,
        changes=services.history(db, response),
        can_amend=can_edit_answers(current_user, citizen)
        and response.status == ResponseStatus.SUBMITTED,
    )


@bp.route("/responses/<int:response_id>/amend/<code>", methods=["GET", "POST"])
@staff_required
def amend(response_id: int, code: str) -> ResponseReturnValue:
    """Correct one submitted answer; the original value, who and why are kept. Showing the
    form is audited as a view of the response."""
    db = get_session()
    response, citizen, definition = _load(response_id, edit=True)
    if response.status != ResponseStatus.SUBMITTED or not definition.has_item(code):
        abort(404)
    item = definition.item(code)

    class CorrectionForm(build_form([item], locale()), AmendForm):  # type: ignore[misc]  # a base made at run time
        pass

    answers = services.stored_answers(db, response, definition)
    name = field_name(code)
    stored = answers.get(code)
    form = CorrectionForm(data={name: list(stored) if isinstance(stored, tuple) else stored})
    if request.method == "GET":
        _viewed(response, "amend", item=code)
    if form.validate_on_submit():
        value = read_post(
            Page(0, definition.sections[0], (item,)), definition, extra=frozenset({"reason"})
        ).values.get(code)
        try:
            services.amend(
                db,
                response,
                definition,
                item_code=code,
                value=value,
                reason=cast(str, form.reason.data),  # InputRequired: never None here
                actor=current_user.user,
            )
        except services.ResponseError as exc:
            db.rollback()
            add_error(form.reason, str(exc))
        else:
            db.commit()
            flash(_("The answer is corrected; the original is kept in the history."), "success")
            return redirect(url_for("responses.view", response_id=response.id))
    return render_template(
        "responses/amend.html",
        form=form,
        item=item,
        field=form[name],
        response=response,
        citizen=citizen,
        definition=definition,
        locale=locale(),
    ), 422 if form.errors else 200
