"""`survey users ...`: accounts from the command line, audited like the admin pages (with no
user: the command line has none). Attach with `cli.add_command(users)`."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlmodel import Session, col

from survey.auth.services import (
    AccountError,
    create_user,
    reset_password,
    set_active,
    update_user,
)
from survey.cli_support import fail
from survey.db import session_scope
from survey.models import Role, Team, User
from survey.refusals import refused


@click.group(cls=AppGroup)
def users() -> None:
    """Create, disable and reset user accounts (every change is audited)."""


def _user(session: Session, username: str) -> User:
    user = session.execute(
        select(User).where(col(User.username) == username.lower())
    ).scalar_one_or_none()
    if user is None:
        fail(f"There is no user {username!r}.", code=2)
    return user


def _memberships(
    session: Session, consultant: tuple[str, ...], leader: tuple[str, ...]
) -> dict[int, Role]:
    """--consultant and --leader team names -> team id -> role; an unknown team or one team
    named for both roles ends the command with a message naming it."""
    known = {t.name: t.id for t in session.execute(select(Team)).scalars()}
    missing = [t for t in (*consultant, *leader) if t not in known]
    if missing:
        fail(
            f"Unknown team {missing[0]!r}; known teams: {', '.join(sorted(known)) or 'none'}.",
            code=2,
        )
    both = sorted(set(consultant) & set(leader))
    if both:
        fail(f"A user has one role in a team; {both[0]!r} is named for both.", code=2)
    found: dict[int, Role] = {}
    for names, role in ((consultant, Role.CONSULTANT), (leader, Role.PROJECT_LEADER)):
        for name in names:
            team_id = known[name]
            assert team_id is not None
            found[team_id] = role
    return found


def _access_text(is_admin: bool, consultant: tuple[str, ...], leader: tuple[str, ...]) -> str:
    parts = ["administrator"] if is_admin else []
    parts += [f"consultant in {t}" for t in consultant]
    parts += [f"project leader in {t}" for t in leader]
    return ", ".join(parts)


def _team_options(command: Callable) -> Callable:
    """--consultant TEAM and --leader TEAM, each repeatable."""
    command = click.option(
        "--leader", multiple=True, metavar="TEAM", help="Project leader in TEAM (repeat)."
    )(command)
    return click.option(
        "--consultant", multiple=True, metavar="TEAM", help="Resource consultant in TEAM (repeat)."
    )(command)


@users.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="The person's full name.")
@click.option("--admin", "is_admin", is_flag=True, help="Give the administrator capability.")
@_team_options
@with_appcontext
def users_create(
    username: str,
    full_name: str,
    is_admin: bool,
    consultant: tuple[str, ...],
    leader: tuple[str, ...],
) -> None:
    """Create an account and print its first password (shown once). Give it a role per team
    (--consultant TEAM, --leader TEAM) and/or --admin."""
    with session_scope() as session:
        memberships = _memberships(session, consultant, leader)
        try:
            user, password = create_user(
                session,
                username=username,
                full_name=full_name,
                memberships=memberships,
                is_admin=is_admin,
            )
        except AccountError as exc:
            fail(refused(username, exc), code=2)
            return
    click.echo(
        f"Created {user.username} ({_access_text(is_admin, consultant, leader)}). "
        f"First password, shown once: {password}"
    )


@users.command("access")
@click.argument("username")
@click.option("--admin/--no-admin", "is_admin", default=None, help="Administrator or not.")
@_team_options
@with_appcontext
def users_access(
    username: str,
    is_admin: bool | None,
    consultant: tuple[str, ...],
    leader: tuple[str, ...],
) -> None:
    """Set a user's roles: the teams named replace the user's teams (--consultant TEAM,
    --leader TEAM); --admin/--no-admin sets the capability (unchanged when not given)."""
    with session_scope() as session:
        user = _user(session, username)
        memberships = _memberships(session, consultant, leader)
        admin = user.is_admin if is_admin is None else is_admin
        try:
            update_user(
                session, user, full_name=user.full_name, memberships=memberships, is_admin=admin
            )
        except AccountError as exc:
            fail(refused(username, exc), code=2)
            return
    click.echo(f"{username}: {_access_text(admin, consultant, leader) or 'no access'}.")


@users.command("disable")
@click.argument("username")
@with_appcontext
def users_disable(username: str) -> None:
    """Disable an account: it cannot log in and its sessions end; its past work keeps its name."""
    with session_scope() as session:
        set_active(session, _user(session, username), False)
    click.echo(f"Disabled {username}.")


@users.command("enable")
@click.argument("username")
@with_appcontext
def users_enable(username: str) -> None:
    """Enable a disabled account again."""
    with session_scope() as session:
        set_active(session, _user(session, username), True)
    click.echo(f"Enabled {username}.")


@users.command("reset-password")
@click.argument("username")
@with_appcontext
def users_reset_password(username: str) -> None:
    """Give an account a new random password (printed once); its sessions end."""
    with session_scope() as session:
        password = reset_password(session, _user(session, username))
    click.echo(f"New password for {username}, shown once: {password}")
