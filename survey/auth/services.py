"""Logging in and out, server-side sessions, and the user account changes admins make."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from survey import audit
from survey.auth.password_policy import generate_password, password_problems
from survey.auth.pins import pin_problems
from survey.auth.principal import Principal
from survey.hashing import (
    hash_password,
    keyed_digest,
    needs_rehash,
    token_digest,
    verify_password,
)
from survey.models import (
    UNUSABLE_PASSWORD,
    Role,
    SignInMethod,
    Team,
    TeamMembership,
    User,
    UserSession,
    utcnow,
)
from survey.refusals import Refusal


@cache
def _dummy_hash() -> str:
    """Checking a password for unknown user names too keeps the timing from telling who exists."""
    return hash_password(secrets.token_hex(16))


TOUCH_EVERY = timedelta(seconds=60)


class AccountError(Refusal):
    """A refused account change: a code of survey.refusals and the form field it concerns."""


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None; every attempt is audited."""
    tried = username.strip().lower()
    user = session.execute(select(User).where(col(User.username) == tried)).scalar_one_or_none()
    if user is None:
        verify_password(_dummy_hash(), password)
        # Not the name itself: a password typed in the wrong field would be in the trail.
        name_hash = keyed_digest(current_app.config["SECRET_KEY"], tried)
        audit.record(
            "login.failure",
            username=None,
            details={"reason": "unknown_user", "name_hash": name_hash},
            session=session,
        )
        return None
    if user.sso_subject is not None:
        # Signs in through the municipality's identity provider; has no password here.
        verify_password(_dummy_hash(), password)
        audit.record(
            "login.failure", user=user, details={"reason": "single_sign_on"}, session=session
        )
        return None
    if not verify_password(user.password_hash, password):
        audit.record("login.failure", user=user, details={"reason": "password"}, session=session)
        return None
    if not user.is_active:
        audit.record("login.failure", user=user, details={"reason": "disabled"}, session=session)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def open_session(
    session: Session,
    user: User,
    method: SignInMethod = SignInMethod.PASSWORD,
    *,
    name_id: str | None = None,
    session_index: str | None = None,
) -> str:
    """A new server-side session; the returned token goes in the cookie, its digest in the db.
    `name_id` and `session_index` are what a SAML identity provider needs for single logout."""
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        UserSession(
            id=token_digest(token),
            user_id=user.id,
            method=method,
            sso_name_id=name_id,
            sso_session_index=session_index,
        )
    )
    return token


def memberships_of(session: Session, user_id: int) -> dict[int, Role]:
    """team id -> the role `user_id` has there."""
    return {
        team_id: Role(role)
        for team_id, role in session.execute(
            select(col(TeamMembership.team_id), col(TeamMembership.role)).where(
                col(TeamMembership.user_id) == user_id
            )
        )
    }


def close_session(session: Session, token: str) -> None:
    session.execute(
        update(UserSession)
        .where(col(UserSession.id) == token_digest(token))
        .values(revoked_at=utcnow())
    )


def revoke_all_sessions(session: Session, user: User, keep: str | None = None) -> None:
    """End every login of a user (password change, reset, disable), except `keep` if given."""
    statement = update(UserSession).where(
        col(UserSession.user_id) == user.id, col(UserSession.revoked_at).is_(None)
    )
    if keep:
        statement = statement.where(col(UserSession.id) != token_digest(keep))
    session.execute(statement.values(revoked_at=utcnow()))


@dataclass(frozen=True)
class Loaded:
    principal: Principal | None
    expired: bool = False


def load_principal(session: Session, token: str, idle: timedelta) -> Loaded:
    """The user behind a cookie's token, if that session is still open and not idle too long."""
    row = session.execute(
        select(UserSession, User)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(col(UserSession.id) == token_digest(token))
    ).first()
    if row is None:
        return Loaded(None)
    user_session, user = row
    now = utcnow()
    if user_session.revoked_at is not None or not user.is_active:
        return Loaded(None)
    if now - user_session.last_seen_at > idle:
        user_session.revoked_at = now
        audit.record("session.expired", user=user, session=session)
        session.commit()
        return Loaded(None, expired=True)
    if now - user_session.last_seen_at > TOUCH_EVERY:
        user_session.last_seen_at = now
        session.commit()
    assert user.id is not None
    return Loaded(Principal(user=user, token=token, memberships=memberships_of(session, user.id)))


def change_password(session: Session, user: User, current: str, new: str, keep_token: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError("account.current_password", "current")
    problems = password_problems(new, user_inputs=(user.username, *user.full_name.split()))
    if problems:
        raise AccountError("account.weak_password", "new", problems=" ".join(problems))
    user.password_hash = hash_password(new)
    revoke_all_sessions(session, user, keep=keep_token)
    audit.record("password.change", user=user, target=f"user:{user.username}", session=session)


PIN_SIGN_IN_MINUTES = 10
"""A user of single sign-on sets a PIN within this many minutes of signing in (no password)."""


def has_password(user: User) -> bool:
    """False for a user of single sign-on, whose hash is the unusable one."""
    return user.password_hash != UNUSABLE_PASSWORD


def login_opened_at(session: Session, token: str) -> datetime | None:
    login = session.get(UserSession, token_digest(token))
    return login.created_at if login is not None else None


def login_is_recent(opened: datetime | None) -> bool:
    return opened is not None and utcnow() - opened <= timedelta(minutes=PIN_SIGN_IN_MINUTES)


def set_kiosk_pin(
    session: Session,
    user: User,
    password: str | None,
    pin: str,
    *,
    login_opened_at: datetime | None = None,
) -> None:
    """Set the PIN that unlocks a tablet the user handed to a citizen; needs their password, or
    for a user of single sign-on (no password) a login opened in the last minutes.

    Raises AccountError for a wrong password, a login too old, or a PIN that pin_problems
    refuses."""
    if not has_password(user):
        if not login_is_recent(login_opened_at):
            raise AccountError("account.sign_in_again", "pin")
    elif password is None or not verify_password(user.password_hash, password):
        raise AccountError("account.password", "password")
    problems = pin_problems(pin)
    if problems:
        raise AccountError(f"pin.{problems[0]}", "pin")
    user.kiosk_pin_hash = hash_password(pin)
    audit.record(
        "password.change",
        user=user,
        target=f"user:{user.username}",
        details={"what": "kiosk_pin"},
        session=session,
    )


def normalise_username(username: str) -> str:
    cleaned = username.strip().lower()
    if not cleaned or len(cleaned) > 64 or not all(c.isalnum() or c in "._-" for c in cleaned):
        raise AccountError("account.username", "username")
    return cleaned


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    memberships: Mapping[int, Role],
    is_admin: bool = False,
    password: str | None = None,
) -> tuple[User, str]:
    """A new account with a role in each of `memberships` (team id -> role) and, if
    `is_admin`, the administrator capability; returns it with its first password (generated
    unless given)."""
    username = normalise_username(username)
    if session.execute(select(col(User.id)).where(col(User.username) == username)).first():
        raise AccountError("account.taken", "username")
    if password is None:
        password = generate_password()
    else:
        problems = password_problems(password, user_inputs=(username, *full_name.split()))
        if problems:
            raise AccountError("account.weak_password", "password", problems=" ".join(problems))
    _check_access(is_admin, memberships)
    user = User(
        username=username,
        full_name=full_name.strip(),
        is_admin=is_admin,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    set_memberships(session, user, memberships)
    audit.record(
        "user.create",
        target=f"user:{username}",
        details=access_details(is_admin, memberships),
        session=session,
    )
    return user, password


def access_details(is_admin: bool, memberships: Mapping[int, Role]) -> dict:
    """What the audit keeps of a user's access: the capability and each team's role."""
    return {
        "admin": is_admin,
        "teams": {str(team): str(role) for team, role in sorted(memberships.items())},
    }


def _check_access(is_admin: bool, memberships: Mapping[int, Role]) -> None:
    if not is_admin and not memberships:
        raise AccountError("account.no_access", "consultant_in")


def set_memberships(session: Session, user: User, memberships: Mapping[int, Role]) -> None:
    """Replace the user's teams and their role in each (team id -> role)."""
    assert user.id is not None
    wanted = {int(team): Role(role) for team, role in memberships.items()}
    known = set(session.execute(select(col(Team.id)).where(col(Team.id).in_(wanted))).scalars())
    if known != set(wanted):
        raise AccountError("account.team", "consultant_in")
    session.execute(delete(TeamMembership).where(col(TeamMembership.user_id) == user.id))
    for team_id, role in sorted(wanted.items()):
        session.add(TeamMembership(user_id=user.id, team_id=team_id, role=role))


def reset_password(session: Session, user: User) -> str:
    password = generate_password()
    user.password_hash = hash_password(password)
    user.kiosk_pin_hash = None  # a reset means the secrets may be known: the PIN goes too
    revoke_all_sessions(session, user)
    audit.record("user.reset_password", target=f"user:{user.username}", session=session)
    return password


def update_user(
    session: Session,
    user: User,
    *,
    full_name: str,
    memberships: Mapping[int, Role],
    is_admin: bool,
    actor: User | None = None,
) -> None:
    """Change a user's name, administrator capability and role per team; audited as
    user.update.

    Refuses (AccountError) an actor taking away their own administrator capability (nobody
    could give it back), an unknown team, and a user left with no access at all."""
    if _is_self(actor, user) and user.is_admin and not is_admin:
        raise AccountError("account.own_role", "is_admin")
    _check_access(is_admin, memberships)
    user.full_name, user.is_admin = full_name.strip(), is_admin
    set_memberships(session, user, memberships)
    audit.record(
        "user.update",
        target=f"user:{user.username}",
        details=access_details(is_admin, memberships),
        session=session,
    )


def _is_self(actor: User | None, user: User) -> bool:
    return actor is not None and actor.id == user.id


def set_active(session: Session, user: User, active: bool, actor: User | None = None) -> None:
    """Enable or disable an account. Refuses (AccountError) an actor who would
    disable themselves."""
    if _is_self(actor, user) and not active:
        raise AccountError("account.own_account")
    user.is_active = active
    if not active:
        revoke_all_sessions(session, user)
    audit.record(
        "user.enable" if active else "user.disable", target=f"user:{user.username}", session=session
    )
