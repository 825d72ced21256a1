"""Administration: users, teams and the audit trail. The administrator capability alone sees no
answers; an administrator who also has a role in a team sees what that role allows there."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlmodel import col

from survey import audit
from survey.access import admin_required
from survey.admin import services as teams_service
from survey.admin.forms import AuditFilterForm, TeamForm, UserEditForm, UserForm
from survey.audit.services import ACTIONS, AuditFilter, query, to_csv
from survey.auth import services as accounts
from survey.db import get_session
from survey.forms.base import add_error, choices
from survey.models import Team, TeamMembership, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _teams() -> list[Team]:
    return list(get_session().execute(select(Team).order_by(col(Team.name))).scalars())


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@admin_required
def users() -> ResponseReturnValue:
    """Every account, with role, teams and whether it is active."""
    db = get_session()
    people = list(db.execute(select(User).order_by(col(User.username))).scalars())
    teams = {t.id: t.name for t in _teams()}
    memberships: dict[int, list[tuple[str, str]]] = {}
    for user_id, team_id, role in db.execute(
        select(col(TeamMembership.user_id), col(TeamMembership.team_id), col(TeamMembership.role))
    ):
        memberships.setdefault(user_id, []).append((teams[team_id], role))
    for held in memberships.values():
        held.sort()
    return render_template("admin/users.html", people=people, memberships=memberships)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def create_user() -> ResponseReturnValue:
    """Create an account; its first password is shown once."""
    form = UserForm()
    form.set_team_choices(choices((t.id, t.name) for t in _teams()))
    if form.validate_on_submit():
        db = get_session()
        try:
            user, password = accounts.create_user(
                db,
                username=cast(str, form.username.data),  # InputRequired: never None here
                full_name=cast(str, form.full_name.data),
                memberships=form.memberships(),
                is_admin=bool(form.is_admin.data),
            )
        except accounts.AccountError as exc:
            db.rollback()
            add_error(getattr(form, exc.field or "username"), str(exc))
        else:
            db.commit()
            return _show_password_once(user, password)
    return render_template("admin/user_form.html", form=form, user=None), (
        422 if form.errors else 200
    )


def _show_password_once(user: User, password: str) -> ResponseReturnValue:
    response = Response(render_template("admin/password_once.html", user=user, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int) -> ResponseReturnValue:
    """Change a user's name, role and teams."""
    db = get_session()
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    form.set_team_choices(choices((t.id, t.name) for t in _teams()))
    if request.method == "GET":
        assert user.id is not None
        form.show_memberships(accounts.memberships_of(db, user.id))
    if form.validate_on_submit():
        try:
            accounts.update_user(
                db,
                user,
                full_name=cast(str, form.full_name.data),  # InputRequired: never None here
                memberships=form.memberships(),
                is_admin=bool(form.is_admin.data),
                actor=current_user.user,
            )
        except accounts.AccountError as exc:
            db.rollback()
            add_error(getattr(form, exc.field or "consultant_in"), str(exc))
        else:
            db.commit()
            flash(_("%(name)s is updated.", name=user.full_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), (
        422 if form.errors else 200
    )


@bp.post("/users/<int:user_id>/reset-password")
@admin_required
def reset_password(user_id: int) -> ResponseReturnValue:
    """Give a user a new password (shown once); their logins end."""
    db = get_session()
    user = _user_or_404(user_id)
    password = accounts.reset_password(db, user)
    db.commit()
    return _show_password_once(user, password)


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int) -> ResponseReturnValue:
    """Disable or enable an account; a disabled user cannot log in, their work keeps their name."""
    db = get_session()
    user = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(db, user, active, actor=current_user.user)
    except accounts.AccountError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(
            _("%(name)s is enabled.", name=user.full_name)
            if active
            else _("%(name)s is disabled.", name=user.full_name),
            "success",
        )
    return redirect(url_for("admin.users"))


@bp.get("/teams")
@admin_required
def teams() -> ResponseReturnValue:
    """Teams and their measurement rhythm."""
    return render_template("admin/teams.html", teams=_teams())


@bp.route("/teams/new", methods=["GET", "POST"])
@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@admin_required
def team(team_id: int | None = None) -> ResponseReturnValue:
    """Create a team or change its name, interval, window, suppression and targets."""
    db = get_session()
    existing = db.get(Team, team_id) if team_id else None
    if team_id and existing is None:
        abort(404)
    form = TeamForm(obj=existing)
    if form.validate_on_submit():
        settings = teams_service.TeamSettings(
            name=cast(str, form.name.data),  # InputRequired: never None here
            measurement_interval_months=cast(int, form.measurement_interval_months.data),
            window_days=cast(int, form.window_days.data),
            suppress_small_cells=bool(form.suppress_small_cells.data),
            target_employment=form.target_employment.data,
            target_education=form.target_education.data,
        )
        try:
            saved = (
                teams_service.update_team(db, existing, settings)
                if existing
                else teams_service.create_team(db, settings)
            )
        except teams_service.TeamError as exc:
            db.rollback()
            add_error(getattr(form, exc.field or "name"), str(exc))
        else:
            db.commit()
            flash(_("The team %(name)s is saved.", name=saved.name), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=existing), (
        422 if form.errors else 200
    )


def _audit_filter() -> tuple[AuditFilterForm, AuditFilter]:
    form = AuditFilterForm(request.args)
    form.action.choices = choices([("", _("All actions")), *((a, a) for a in ACTIONS)])
    form.validate()
    chosen = AuditFilter(
        username=form.username.data or None,
        action=form.action.data or None,
        citizen_reference=form.citizen.data or None,
        date_from=form.date_from.data if not form.date_from.errors else None,
        date_to=form.date_to.data if not form.date_to.errors else None,
    )
    return form, chosen


@bp.get("/audit")
@admin_required
def audit_log() -> ResponseReturnValue:
    """The audit trail, newest first, filtered by user, action, citizen and dates."""
    form, chosen = _audit_filter()
    db = get_session()
    rows = query(db, chosen)
    audit.record(
        "audit.view", details={"filter": {k: str(v) for k, v in vars(chosen).items() if v}}
    )
    db.commit()
    return render_template("admin/audit.html", form=form, rows=rows)


@bp.get("/audit.csv")
@admin_required
def audit_export() -> ResponseReturnValue:
    """The filtered audit trail as CSV; the export itself is audited."""
    _form, chosen = _audit_filter()
    db = get_session()
    rows = query(db, chosen, limit=None)
    audit.record("audit.export", details={"rows": len(rows)})
    db.commit()
    return Response(
        to_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit.csv"},
    )
