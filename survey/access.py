"""Who may see and change what. Every view asks here; nothing else decides access.

A user has a role in each of their teams, and may also be an administrator:

- consultant in a team: the citizens of that team they are responsible for; fills in and
  amends their forms;
- project leader in a team: every citizen of that team and its reports; reads answers, never
  changes them;
- administrator (a capability, combinable with team roles): users, teams and the audit trail;
  data import and export of every team. The capability alone opens no citizen page.

A user who is consultant in one team and project leader in another gets exactly each role's
rights in each team, never one role's rights in the other's team.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import col

from survey.auth.principal import Principal
from survey.models import Citizen


def own_citizens(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause that keeps the citizens `principal` is the consultant of (in a team where
    they are a consultant): their caseload."""
    if not principal.consultant_team_ids:
        return false()
    return and_(
        col(Citizen.consultant_id) == principal.id,
        col(Citizen.team_id).in_(sorted(principal.consultant_team_ids)),
    )


def citizen_scope(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause that keeps only the citizens `principal` may see."""
    conditions: list[ColumnElement[bool]] = []
    if principal.consultant_team_ids:
        conditions.append(own_citizens(principal))
    if principal.leader_team_ids:
        conditions.append(col(Citizen.team_id).in_(sorted(principal.leader_team_ids)))
    return or_(*conditions) if conditions else false()


def can_view_citizen(principal: Principal, citizen: Citizen) -> bool:
    return citizen.team_id in principal.leader_team_ids or _own(principal, citizen)


def _own(principal: Principal, citizen: Citizen) -> bool:
    """The citizen's consultant, in a team where they are a consultant."""
    return citizen.consultant_id == principal.id and (
        citizen.team_id in principal.consultant_team_ids
    )


def can_manage_citizen(principal: Principal, citizen: Citizen) -> bool:
    """Enrolment details, transfers, course ends: the consultant and the team's leaders."""
    return can_view_citizen(principal, citizen)


def can_edit_answers(principal: Principal, citizen: Citizen) -> bool:
    """Filling, submitting and amending forms: the citizen's own consultant only. Project
    leaders read answers but never change them."""
    return _own(principal, citizen)


def can_enrol_in(principal: Principal, team_id: int) -> bool:
    """Consultants and project leaders of the team enrol citizens in it."""
    return team_id in principal.team_ids


def may_export(principal: Principal) -> bool:
    """Evaluator exports: administrators (every team) and project leaders (their teams)."""
    return principal.is_admin or principal.is_leader


def export_scope(principal: Principal) -> ColumnElement[bool] | None:
    """The citizens an evaluator export may hold: None for every citizen (administrators), else
    the citizens of the teams the user leads (a consultant's own caseload is not an export)."""
    if principal.is_admin:
        return None
    return leader_scope(principal)


def leader_scope(principal: Principal) -> ColumnElement[bool]:
    """The citizens of the teams `principal` leads (reports and exports)."""
    if not principal.leader_team_ids:
        return false()
    return col(Citizen.team_id).in_(sorted(principal.leader_team_ids))


def _requiring(allowed: Callable[[Principal], bool]) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


admin_required = _requiring(lambda p: p.is_admin)
"""Logged in with the administrator capability, or 403."""
leader_required = _requiring(lambda p: p.is_leader)
"""Logged in and project leader in some team, or 403."""
staff_required = _requiring(lambda p: p.is_staff)
"""Logged in with a role in some team, or 403."""
exporter_required = _requiring(may_export)
"""Logged in as an administrator or a project leader, or 403."""
