"""Who may see and change what. Every view asks here; nothing else decides access.

- consultant: the citizens they are responsible for;
- project_leader: every citizen of the teams they belong to; reads answers, never changes them;
- admin: users, teams and the audit trail; data import and export (all teams), but no citizen
  pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, false
from sqlmodel import col

from survey.auth.principal import Principal
from survey.models import Citizen, Role


def citizen_scope(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause that keeps only the citizens `principal` may see."""
    if principal.role is Role.CONSULTANT:
        return col(Citizen.consultant_id) == principal.id
    if principal.role is Role.PROJECT_LEADER:
        return col(Citizen.team_id).in_(principal.team_ids) if principal.team_ids else false()
    return false()


def can_view_citizen(principal: Principal, citizen: Citizen) -> bool:
    if principal.role is Role.CONSULTANT:
        return citizen.consultant_id == principal.id
    if principal.role is Role.PROJECT_LEADER:
        return citizen.team_id in principal.team_ids
    return False


def can_manage_citizen(principal: Principal, citizen: Citizen) -> bool:
    """Enrolment details, transfers, course ends: the consultant and the team's leaders."""
    return can_view_citizen(principal, citizen)


def can_edit_answers(principal: Principal, citizen: Citizen) -> bool:
    """Filling, submitting and amending forms: the citizen's own consultant only. Project
    leaders read answers but never change them."""
    return principal.role is Role.CONSULTANT and citizen.consultant_id == principal.id


def can_enrol_in(principal: Principal, team_id: int) -> bool:
    return principal.role in (Role.CONSULTANT, Role.PROJECT_LEADER) and (
        team_id in principal.team_ids
    )


def roles_required(*roles: Role) -> Callable:
    """Logged in and one of `roles`, or 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


STAFF_ROLES = (Role.CONSULTANT, Role.PROJECT_LEADER)
