"""The logged-in user as Flask-Login sees them: a user plus the server-side session they hold."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import UserMixin

from survey.models import Role, User


@dataclass(frozen=True)
class Principal(UserMixin):
    user: User
    token: str
    team_ids: frozenset[int]

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
    def role(self) -> Role:
        return Role(self.user.role)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles
