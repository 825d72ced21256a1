"""`survey users ...`: accounts from the command line, audited like the admin pages (with no
user: the command line has none). Attach with `cli.add_command(users)`."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlmodel import Session, col

from survey.auth.services import AccountError, create_user, reset_password, set_active
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


@users.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--team", "teams", multiple=True, help="A team name; give it once per team.")
@with_appcontext
def users_create(username: str, full_name: str, role: str, teams: tuple[str, ...]) -> None:
    """Create an account and print its first password (shown once)."""
    with session_scope() as session:
        known = {t.name: t.id for t in session.execute(select(Team)).scalars()}
        missing = [t for t in teams if t not in known]
        if missing:
            fail(
                f"Unknown team {missing[0]!r}; known teams: {', '.join(sorted(known)) or 'none'}.",
                code=2,
            )
        try:
            user, password = create_user(
                session,
                username=username,
                full_name=full_name,
                role=Role(role),
                team_ids=[known[t] for t in teams],
            )
        except AccountError as exc:
            fail(refused(username, exc), code=2)
            return
    click.echo(f"Created {user.username} ({role}). First password, shown once: {password}")


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
