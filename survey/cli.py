"""The `survey` command: the root group with the app it builds, the demo, the development
server and the translations. Each package's commands live beside it (survey/*/cli.py) and are
attached here."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext
from werkzeug.serving import run_simple

from survey import migrate
from survey.admin.cli import teams
from survey.app import create_app
from survey.auth.cli import users
from survey.backup.cli import backup, restore
from survey.cli_support import fail, run
from survey.config import PROJECT_ROOT, ConfigError
from survey.db import session_scope
from survey.demo import DemoRefused, build_demo
from survey.extensions import INSTRUMENTS
from survey.instruments import InstrumentError, InstrumentErrors
from survey.instruments.cli import instruments
from survey.interop.cli import export, import_
from survey.jobs.cli import worker
from survey.logs import PathOnlyRequestHandler
from survey.migrate_cli import db
from survey.refusals import COMMAND_LANGUAGES, set_command_language
from survey.reports.cli import report


def _create_app() -> Flask:
    """The app for a command; a wrong setting or instrument file becomes a one-line error."""
    try:
        return create_app()
    except (ConfigError, InstrumentError, InstrumentErrors) as exc:
        raise NoAppException(str(exc)) from None


cli = FlaskGroup(
    name="survey",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="Questionnaires and longitudinal monitoring. Settings come from SURVEY_* variables.",
    params=[
        click.Option(
            ["--lang"],
            type=click.Choice(COMMAND_LANGUAGES),
            default="en",
            show_default=True,
            is_eager=True,
            expose_value=False,
            callback=set_command_language,
            help="The language of refusals: English, or Danish (da).",
        )
    ],
)


for group in (db, instruments, users, teams, import_, export, report, backup, restore, worker):
    cli.add_command(group)


def main() -> None:
    """Console entry point: the CLI runs as a development installation unless told otherwise."""
    os.environ.setdefault("SURVEY_ENV", "development")
    cli.main(prog_name="survey")


# --- survey demo and serve -----------------------------------------------------------------


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete everything in the database first.")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Pretend today is this date.")
@with_appcontext
def demo(reset: bool, seed: int, today: datetime | None) -> None:
    """Load the demo: 2 teams, 6 consultants, 150 citizens with up to 6 measurement points."""
    if reset:  # the audit log is append-only, so start from an empty schema instead
        run(lambda: migrate.downgrade(current_app, "base"))
    run(lambda: migrate.upgrade(current_app))
    registry = current_app.extensions[INSTRUMENTS]
    try:
        with session_scope() as session:
            summary = build_demo(
                session, registry, seed=seed, today=today.date() if today else None
            )
    except DemoRefused as exc:
        fail(f"Refused: {exc}.")
        return
    click.echo(
        f"Demo loaded: {summary.teams} teams, {summary.citizens} citizens "
        f"({', '.join(f'{n} {s}' for s, n in sorted(summary.statuses.items()))}), "
        f"{summary.submitted} submitted forms, {summary.drafts} drafts, "
        f"{summary.answers} answers."
    )
    click.echo("\nDemo accounts (for a demo only; change them before real use):")
    for account in summary.accounts:
        teams = ", ".join(account.teams) or "-"
        click.echo(
            f"  {account.username:<12} {account.password:<24} {account.access:<15} "
            f"{account.full_name} ({teams})"
        )


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on code changes and show the debugger.")
@with_appcontext
def serve(host: str, port: int, debug: bool) -> None:
    """Run the development server (use a WSGI server with wsgi.py in production)."""
    # current_app is typed as the Flask app it stands for, not as the proxy it is.
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # see above
    current = run(lambda: migrate.current_revision(app))
    if current != migrate.head_revision(app):
        fail(
            "The database schema is not up to date: run `survey db upgrade` (or `survey demo` "
            "for demo data) first."
        )
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    # app.run() refuses to run inside a Flask CLI command; the server it wraps does not.
    run_simple(
        host,
        port,
        app,
        use_reloader=debug,
        use_debugger=debug,
        threaded=True,
        request_handler=PathOnlyRequestHandler,
    )


# --- survey translations ----------------------------------------------------------------------

BABEL = [sys.executable, "-m", "babel.messages.frontend"]
# What marks a UI message: gettext and _ (Babel's defaults), the lazy forms used in forms, and
# survey.refusals' `say` (and `_l` for its catalogue).
EXTRACT_OPTIONS = (
    "-F",
    "babel.cfg",
    "-k",
    "_l",
    "-k",
    "lazy_gettext",
    "-k",
    "lazy_ngettext:1,2",
    "-k",
    "say",
    "-k",
    "_ln:1,2",
    "--no-location",
)


@cli.group(cls=click.Group)
def translations() -> None:
    """Keep the UI translations (translations/) in step with the code."""


def _babel(*args: str) -> None:
    result = subprocess.run([*BABEL, *args], cwd=PROJECT_ROOT, check=False)  # noqa: S603
    if result.returncode:
        fail(f"pybabel {args[0]} failed", result.returncode)


@translations.command("update")
def translations_update() -> None:
    """Extract every UI message into messages.pot and merge it into the da and en catalogs."""
    _babel(
        "extract",
        *EXTRACT_OPTIONS,
        "--sort-output",
        "--project",
        "survey",
        "-o",
        "translations/messages.pot",
        ".",
    )
    _babel("update", "-i", "translations/messages.pot", "-d", "translations", "-w", "100")
    click.echo(
        "Now translate the new entries in translations/da/LC_MESSAGES/messages.po, then "
        "run survey translations compile."
    )


@translations.command("compile")
def translations_compile() -> None:
    """Compile the catalogs to the .mo files the app reads (they are committed)."""
    _babel("compile", "-d", "translations", "--statistics")
