"""A user from what the identity provider said: created at the first sign-in, their name,
administrator capability and roles per team brought up to date at every one after.

A user is found by the provider's issuer and subject, never by user name or e-mail (a local
account with the same name is not taken over). A sign-in whose privileges no longer include
this system gives no access: the user is disabled, their open logins end, and the audit says
why. A user an administrator disabled stays disabled until an administrator enables them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from survey import audit
from survey.auth.services import (
    access_details,
    memberships_of,
    revoke_all_sessions,
    set_memberships,
)
from survey.models import UNUSABLE_PASSWORD, Role, SignInMethod, Team, User
from survey.sso.mapping import Mapping, MappingError

USERNAME_MAX = 64
NAME_MAX = 200


class SignInRefused(Exception):
    """The identity provider vouched for the user, but survey gives them no access. `reason`:
    no_privilege (nothing in the mapping matched), disabled (an administrator disabled the
    account), malformed (the privilege list could not be read)."""

    def __init__(self, reason: str, user: User | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user


@dataclass(frozen=True)
class Identity:
    method: SignInMethod
    issuer: str
    subject: str
    attributes: MappingType[str, tuple[str, ...]] = field(default_factory=dict)


def sign_in(db: Session, identity: Identity, mapping: Mapping) -> User:
    """The user `identity` is, created or brought up to date; raises SignInRefused. Audited in
    the caller's transaction; the caller commits (also after a refusal: a disabling is kept)."""
    user = db.execute(
        select(User).where(
            col(User.sso_issuer) == identity.issuer, col(User.sso_subject) == identity.subject
        )
    ).scalar_one_or_none()
    try:
        grant = mapping.grant(identity.attributes)
    except MappingError:
        raise SignInRefused("malformed", user) from None
    known: dict[str, int] = dict(
        db.execute(
            select(col(Team.name), col(Team.id)).where(col(Team.name).in_(sorted(grant.teams)))
        ).all()
    )
    memberships = {known[name]: role for name, role in grant.teams.items() if name in known}
    unknown_teams = sorted(set(grant.teams) - set(known))
    details = {
        "via": identity.method.value,
        "matched": list(grant.matched),
        "unmapped": [*grant.unmapped, *(f"team={name}" for name in unknown_teams)],
    }
    if not grant.admin and not memberships:
        if user is not None and user.is_active:
            user.is_active = False
            revoke_all_sessions(db, user)
            audit.record(
                "user.disable",
                user=user,
                target=f"user:{user.username}",
                details={"reason": "no_privilege", **details},
                session=db,
            )
        raise SignInRefused("no_privilege", user)
    if user is not None and not user.is_active:
        raise SignInRefused("disabled", user)
    full_name = _clean(mapping.first(identity.attributes, mapping.name_attributes), NAME_MAX)
    if user is None:
        username = _free_username(
            db, mapping.first(identity.attributes, mapping.username_attributes), identity
        )
        user = User(
            username=username,
            full_name=full_name or username,
            password_hash=UNUSABLE_PASSWORD,
            is_admin=grant.admin,
            sso_issuer=identity.issuer,
            sso_subject=identity.subject,
        )
        db.add(user)
        db.flush()
        set_memberships(db, user, memberships)
        audit.record(
            "user.provisioned",
            user=user,
            target=f"user:{username}",
            details={**access_details(grant.admin, memberships), **details},
            session=db,
        )
        return user
    assert user.id is not None
    before: tuple[bool, dict[int, Role], str] = (
        user.is_admin,
        memberships_of(db, user.id),
        user.full_name,
    )
    if full_name:
        user.full_name = full_name
    user.is_admin = grant.admin
    if before[1] != memberships:
        set_memberships(db, user, memberships)
    if before != (user.is_admin, memberships, user.full_name):
        audit.record(
            "user.sign_in_update",
            user=user,
            target=f"user:{user.username}",
            details={**access_details(grant.admin, memberships), **details},
            session=db,
        )
    return user


def _clean(text: str, limit: int) -> str:
    """Printable characters only, at most `limit` of them."""
    kept = "".join(c for c in text if unicodedata.category(c)[0] != "C").strip()
    return kept[:limit]


def _free_username(db: Session, wanted: str, identity: Identity) -> str:
    """The provider's user name (e-mail, UPN) in lower case, or one made from the subject; a
    number is added when another account has it (a local account is never taken over)."""
    base = _clean(wanted.lower(), USERNAME_MAX)
    if not base:
        digest = hashlib.sha256(f"{identity.issuer}\n{identity.subject}".encode()).hexdigest()
        base = f"sso-{digest[:12]}"
    candidate, number = base, 1
    while db.execute(select(col(User.id)).where(col(User.username) == candidate)).first():
        number += 1
        suffix = f"-{number}"
        candidate = base[: USERNAME_MAX - len(suffix)] + suffix
    return candidate
