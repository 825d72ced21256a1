"""The logged-in user as Flask-Login sees them: a user, the server-side session they hold, and
their role in each of their teams."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_login import UserMixin

from survey.models import Role, User


@dataclass(frozen=True)
class Principal(UserMixin):
    user: User
    token: str
    memberships: Mapping[int, Role] = field(default_factory=dict)
    """team id -> the role this user has in that team."""

    def get_id(self) -> str:
        """Flask-Login keeps this in the cookie: the session token, never the user id, so that
        revoking the session on the server logs the cookie out."""
        return self.token

    @property
    def is_active(self) -> bool:
        return self.user.is_active

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return bool(self.user.is_admin)

    def teams_as(self, role: Role) -> frozenset[int]:
        return frozenset(team for team, held in self.memberships.items() if held is role)

    @property
    def consultant_team_ids(self) -> frozenset[int]:
        return self.teams_as(Role.CONSULTANT)

    @property
    def leader_team_ids(self) -> frozenset[int]:
        return self.teams_as(Role.PROJECT_LEADER)

    @property
    def team_ids(self) -> frozenset[int]:
        return frozenset(self.memberships)

    @property
    def is_consultant(self) -> bool:
        return bool(self.consultant_team_ids)

    @property
    def is_leader(self) -> bool:
        return bool(self.leader_team_ids)

    @property
    def is_staff(self) -> bool:
        """Has a role in some team (sees citizens)."""
        return bool(self.memberships)
