"""`survey db ...`: create and migrate the database schema. Attach with `cli.add_command(db)`."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from survey import migrate
from survey.cli_support import run


@click.group(cls=AppGroup)
def db() -> None:
    """Create and migrate the database schema (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    run(lambda: migrate.upgrade(current_app, revision))
    click.echo(f"Database at revision {migrate.current_revision(current_app)}.")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table; '-1' one step)."""
    run(lambda: migrate.downgrade(current_app, revision))
    click.echo(f"Database at revision {migrate.current_revision(current_app) or 'base'}.")


@db.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's revision and whether it is the newest."""
    current = run(lambda: migrate.current_revision(current_app))
    head = migrate.head_revision(current_app)
    state = "up to date" if current == head else f"behind; newest is {head}: run survey db upgrade"
    click.echo(f"{current or 'base (empty)'} ({state})")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--autogenerate/--empty", default=True, help="Compare the models with the database.")
@with_appcontext
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration in migrations/versions (review it before committing)."""
    from alembic import command  # here: the other commands need no Alembic at start

    command.revision(
        migrate.alembic_config(current_app),
        message=message,
        autogenerate=autogenerate,
        rev_id=date.today().strftime("%Y%m%d_%H%M%S"),
    )
