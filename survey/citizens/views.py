"""Caseload, enrolment, the citizen's page, transfers, ending and reopening a course."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar, cast

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from survey import audit, clock
from survey.access import can_edit_answers, can_manage_citizen, staff_required
from survey.citizens import services
from survey.citizens.forms import EndForm, EnrolForm, ReopenForm, TransferForm, reason_choices
from survey.db import get_session
from survey.forms.base import Form, SelectChoice, add_error, choices
from survey.kiosk import services as kiosk
from survey.models import Citizen, CourseStatus, Team, User

bp = Blueprint("citizens", __name__, url_prefix="/citizens")
T = TypeVar("T")


def _form_ids() -> list[str]:
    registry = current_app.extensions["survey.instruments"]
    return sorted({f.id for f in registry.forms()}, key=lambda i: (i != "citizen", i))


def _attempt(
    form: Form, change: Callable[[], T], field_for: dict[str, str] | None = None
) -> T | None:
    """Run a service change; commit it, or roll back and show its refusal on the form field."""
    db = get_session()
    try:
        result = change()
    except services.CitizenError as exc:
        db.rollback()
        field = exc.field or ""
        add_error(getattr(form, (field_for or {}).get(field, field)), str(exc))
        return None
    db.commit()
    return result


def _citizen_or_404(citizen_id: int) -> Citizen:
    try:
        return services.get_visible(get_session(), current_user, citizen_id)
    except services.NotVisible:
        abort(404)


@bp.get("")
@staff_required
def index() -> ResponseReturnValue:
    """The citizens this user follows (consultant) or whose team they lead (project leader).
    Audited: how many were shown and whether a search was made."""
    db = get_session()
    search, status = request.args.get("q", ""), request.args.get("status", "")
    citizens = services.visible_citizens(db, current_user, search=search, status=status)
    # Never the search term: it may be a citizen's reference.
    audit.record(
        "caseload.view",
        details={
            "page": "citizens",
            "citizens": len(citizens),
            "search": bool(search.strip()),
            "status": status if status in {s.value for s in CourseStatus} else None,
        },
    )
    db.commit()
    people = services.people(db, {c.consultant_id for c in citizens})
    plans = services.schedules(db, citizens, today=clock.today(), forms=_form_ids())
    return render_template(
        "citizens/index.html",
        citizens=citizens,
        people=people,
        plans=plans,
        search=search,
        status=status,
        forms=_form_ids(),
    )


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def enrol() -> ResponseReturnValue:
    """Enrol a citizen under a pseudonymous reference."""
    db = get_session()
    form = EnrolForm()
    teams = services.teams_for(db, current_user)
    form.team.choices = choices((t.id, t.name) for t in teams)
    consultant_choices: list[SelectChoice] = []
    for t in teams:
        assert t.id is not None
        consultant_choices += choices(
            ((u.id, u.full_name) for u in services.consultants_of(db, t.id)), optgroup=t.name
        )
    form.consultant.choices = consultant_choices
    if request.method == "GET":
        form.enrolled_on.data = clock.today()
        if current_user.is_consultant:
            form.consultant.data = current_user.id
    if form.validate_on_submit():
        citizen = _attempt(
            form,
            lambda: services.enrol(
                db,
                current_user,
                reference=cast(str, form.reference.data),  # InputRequired: never None here
                enrolled_on=cast(date, form.enrolled_on.data),
                team_id=form.team.data,
                consultant_id=form.consultant.data,
                today=clock.today(),
            ),
        )
        if citizen is not None:
            flash(_("%(reference)s is enrolled.", reference=citizen.reference), "success")
            return redirect(url_for("citizens.view", citizen_id=citizen.id))
    return render_template("citizens/enrol.html", form=form), 422 if form.errors else 200


@bp.get("/<int:citizen_id>")
@staff_required
def view(citizen_id: int) -> ResponseReturnValue:
    """A citizen's page: details, measurement schedule and course history. Audited."""
    db = get_session()
    citizen = _citizen_or_404(citizen_id)
    assert citizen.id is not None
    audit.record("citizen.view", citizen_id=citizen.id, details={"page": "citizen"})
    db.commit()
    plan = services.schedules(db, [citizen], today=clock.today(), forms=_form_ids())[citizen.id]
    consultant = db.get(User, citizen.consultant_id) if citizen.consultant_id else None
    reopen_form = ReopenForm(on=clock.today())
    return render_template(
        "citizens/view.html",
        citizen=citizen,
        plan=plan,
        consultant=consultant,
        history=services.history(db, citizen),
        team=citizen_team(citizen),
        can_manage=can_manage_citizen(current_user, citizen),
        reopen_form=reopen_form,
        forms=_form_ids(),
        tablet_drafts=kiosk.tablet_drafts(db, citizen.id)
        if can_edit_answers(current_user, citizen)
        else [],
    )


def _viewed(citizen: Citizen, page: str) -> None:
    """Audit a page that shows the citizen, in its own short transaction as the citizen's page."""
    audit.record("citizen.view", citizen_id=citizen.id, details={"page": page})
    get_session().commit()


def citizen_team(citizen: Citizen) -> Team | None:
    return get_session().get(Team, citizen.team_id)


@bp.route("/<int:citizen_id>/transfer", methods=["GET", "POST"])
@staff_required
def transfer(citizen_id: int) -> ResponseReturnValue:
    """Hand the citizen over to another consultant in the team; the history keeps both. The
    page is audited as a view of the citizen."""
    db = get_session()
    citizen = _citizen_or_404(citizen_id)
    form = TransferForm()
    form.consultant.choices = choices(
        (u.id, u.full_name)
        for u in services.consultants_of(db, citizen.team_id)
        if u.id != citizen.consultant_id
    )
    if request.method == "GET":
        form.on.data = clock.today()
        _viewed(citizen, "transfer")
    if form.validate_on_submit():
        done = _attempt(
            form,
            lambda: services.transfer(
                db,
                current_user,
                citizen,
                consultant_id=form.consultant.data,
                on=cast(date, form.on.data),  # InputRequired: never None here
                today=clock.today(),
            ),
        )
        if done:
            flash(_("The citizen is transferred."), "success")
            if not can_manage_citizen(current_user, citizen):
                return redirect(url_for("citizens.index"))
            return redirect(url_for("citizens.view", citizen_id=citizen.id))
    status = 422 if form.errors else 200
    return render_template("citizens/transfer.html", form=form, citizen=citizen), status


@bp.route("/<int:citizen_id>/end", methods=["GET", "POST"])
@staff_required
def end(citizen_id: int) -> ResponseReturnValue:
    """End the course, planned or unplanned, with a reason and a date. Monitoring stops. The
    page is audited as a view of the citizen."""
    db = get_session()
    citizen = _citizen_or_404(citizen_id)
    if citizen.status != CourseStatus.ACTIVE:
        flash(_("The course has already ended."), "info")
        return redirect(url_for("citizens.view", citizen_id=citizen.id))
    form = EndForm()
    form.reason.choices = reason_choices()
    if request.method == "GET":
        form.ended_on.data = clock.today()
        _viewed(citizen, "end")
    if form.validate_on_submit():
        status, _sep, reason = form.reason.data.partition(":")
        done = _attempt(
            form,
            lambda: services.end_course(
                db,
                current_user,
                citizen,
                status=status,
                reason=reason,
                ended_on=cast(date, form.ended_on.data),  # InputRequired: never None here
                today=clock.today(),
            ),
            field_for={"status": "reason"},
        )
        if done:
            flash(_("The course is ended."), "success")
            return redirect(url_for("citizens.view", citizen_id=citizen.id))
    return render_template("citizens/end.html", form=form, citizen=citizen), (
        422 if form.errors else 200
    )


@bp.post("/<int:citizen_id>/reopen")
@staff_required
def reopen(citizen_id: int) -> ResponseReturnValue:
    """Reopen an ended course; the schedule resumes from the reopening."""
    db = get_session()
    citizen = _citizen_or_404(citizen_id)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            on = cast(date, form.on.data)  # InputRequired: never None here
            services.reopen(db, current_user, citizen, on=on, today=clock.today())
        except services.CitizenError as exc:
            db.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash(_("The course is reopened."), "success")
    else:
        flash(_("Give the date the course was reopened."), "error")
    return redirect(url_for("citizens.view", citizen_id=citizen.id))
