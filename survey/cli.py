"""The `survey` command: database, instruments, demo data and the development server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn, TextIO, TypeVar

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext
from sqlalchemy import select
from sqlmodel import Session, col
from werkzeug.serving import run_simple

from survey import migrate
from survey.app import INSTRUMENTS, create_app
from survey.auth.services import AccountError, create_user, reset_password, set_active
from survey.config import DEFAULTS, PROJECT_ROOT, ConfigError, from_environment
from survey.db import session_scope
from survey.demo import DemoRefused, build_demo
from survey.instruments import (
    InstrumentError,
    InstrumentErrors,
    InstrumentRegistry,
    UnknownInstrument,
    load_registry,
    publish,
)
from survey.instruments.schema import InstrumentVersion, Text
from survey.interop import exporting, importing
from survey.interop.pseudonyms import Pseudonyms
from survey.models import Role, Team, User
from survey.reports.cli import report

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., object])


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
)


cli.add_command(report)


def main() -> None:
    """Console entry point: the CLI runs as a development installation unless told otherwise."""
    os.environ.setdefault("SURVEY_ENV", "development")
    cli.main(prog_name="survey")


def _registry_dir() -> Path:
    settings = {**DEFAULTS, **from_environment(os.environ)}
    return Path(settings["INSTRUMENTS_DIR"])


def _fail(message: str, code: int = 1) -> NoReturn:
    click.secho(message, err=True, fg="red")
    sys.exit(code)


# --- survey db ---------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Create and migrate the database schema (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    _run(lambda: migrate.upgrade(current_app, revision))
    click.echo(f"Database at revision {migrate.current_revision(current_app)}.")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table; '-1' one step)."""
    _run(lambda: migrate.downgrade(current_app, revision))
    click.echo(f"Database at revision {migrate.current_revision(current_app) or 'base'}.")


@db.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's revision and whether it is the newest."""
    current = _run(lambda: migrate.current_revision(current_app))
    head = migrate.head_revision(current_app)
    state = "up to date" if current == head else f"behind; newest is {head}: run survey db upgrade"
    click.echo(f"{current or 'base (empty)'} ({state})")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--autogenerate/--empty", default=True, help="Compare the models with the database.")
@with_appcontext
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration in migrations/versions (review it before committing)."""
    command.revision(
        migrate.alembic_config(current_app),
        message=message,
        autogenerate=autogenerate,
        rev_id=date.today().strftime("%Y%m%d_%H%M%S"),
    )


def _run(action: Callable[[], _T]) -> _T:
    try:
        return action()
    except ConfigError as exc:
        _fail(str(exc))


# --- survey instruments ----------------------------------------------------------------------


@cli.group(cls=click.Group)  # plain click: these commands must run even when the app cannot start
def instruments() -> None:
    """Inspect, check and publish the instrument files in instruments/."""


def _load(check_lock: bool = True) -> InstrumentRegistry:
    try:
        return load_registry(_registry_dir(), check_lock=check_lock)
    except (InstrumentError, InstrumentErrors) as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


@instruments.command("list")
def instruments_list() -> None:
    """Every instrument version: kind, number of items and whether it is published."""
    registry = _load()
    click.echo(f"{'id':<12} {'version':>7}  {'kind':<10} {'items':>5}  {'status':<9} title")
    for v in registry:
        status = "published" if v.published else "draft"
        click.echo(
            f"{v.id:<12} {'v' + str(v.version):>7}  {v.kind.value:<10} "
            f"{len(v.item_codes):>5}  {status:<9} {v.title.en}"
        )


@instruments.command("check")
def instruments_check() -> None:
    """Load every file and check it against published.lock; exit 1 on any problem."""
    registry = _load()
    drafts = [v.key for v in registry if not v.published]
    click.echo(
        f"OK: {len(registry)} instrument versions load and every published one is unchanged."
    )
    if drafts:
        click.echo(f"Not yet published: {', '.join(drafts)} (survey instruments publish ID N).")


@instruments.command("show")
@click.argument("instrument_id")
@click.option("--version", "version", type=int, help="Default: the newest version.")
@click.option("--lang", type=click.Choice(["da", "en", "both"]), default="both")
def instruments_show(instrument_id: str, version: int | None, lang: str) -> None:
    """The content of one version, includes expanded."""
    registry = _load(check_lock=False)
    try:
        definition = (
            registry.get(instrument_id, version)
            if version
            else registry.latest(instrument_id, published_only=False)
        )
    except UnknownInstrument as exc:
        _fail(f"{exc}. Known: {', '.join(registry.ids())}", code=2)
        return
    click.echo(_describe(definition, lang))


def _describe(v: InstrumentVersion, lang: str) -> str:
    langs = ("da", "en") if lang == "both" else (lang,)

    def text(t: Text) -> str:
        return " / ".join(getattr(t, code) for code in langs)

    lines = [
        f"{v.id} v{v.version} ({v.kind.value}, {'published' if v.published else 'draft'}): "
        f"{text(v.title)}",
        f"  file: {v.path}",
        f"  source: {v.source}",
        f"  terms: {v.terms}",
    ]
    if v.includes:
        lines.append("  includes: " + ", ".join(f"{i} v{n}" for i, n in v.includes))
    for section in v.sections:
        lines.append(f"\n[{section.id}] {text(section.title)}")
        if section.stem:
            lines.append(f"  {text(section.stem)}")
        for item in section.items:
            flags = [item.type.value]
            if item.baseline:
                flags.append("baseline")
            if item.show_when:
                flags.append(f"when {item.show_when.item} in {list(item.show_when.values)}")
            if item.type.value == "integer":
                flags.append(f"{item.min}–{item.max}")
            lines.append(f"  {item.code} ({', '.join(flags)}): {text(item.text)}")
            for option in item.answers:
                special = f" [{option.special.value}]" if option.special else ""
                lines.append(f"      {option.code:>2} {text(option.label)}{special}")
    for rule in v.scores:
        bands = ", ".join(f"≤{b.max:g} {b.code}" for b in rule.bands)
        lines.append(
            f"\nscore {rule.code}: {rule.method} of {', '.join(rule.items)} "
            f"× {rule.multiply:g}, require {rule.require}; bands {bands}"
        )
    return "\n".join(lines)


@instruments.command("publish")
@click.argument("instrument_id")
@click.argument("version", type=int)
def instruments_publish(instrument_id: str, version: int) -> None:
    """Freeze a version: record its digest in published.lock. It can never change after this."""
    directory = _registry_dir()
    try:
        digest = publish(directory, instrument_id, version)
    except (InstrumentError, InstrumentErrors, UnknownInstrument) as exc:
        _fail(str(exc))
        return
    click.echo(
        f"Published {instrument_id} v{version} ({digest[:19]}…) in {directory.name}/"
        "published.lock; commit that file with the instrument."
    )


# --- survey users ------------------------------------------------------------------------------


@cli.group()
def users() -> None:
    """Create, disable and reset user accounts (every change is audited)."""


def _user(session: Session, username: str) -> User:
    user = session.execute(
        select(User).where(col(User.username) == username.lower())
    ).scalar_one_or_none()
    if user is None:
        _fail(f"There is no user {username!r}.", code=2)
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
            _fail(
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
            reason = {
                "taken": "that user name is taken",
                "username": "a user name has 1 to 64 letters, digits and . _ -",
                "team": "unknown team",
            }.get(str(exc), str(exc))
            _fail(f"Refused {username!r}: {reason}.", code=2)
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


# --- survey import and export ------------------------------------------------------------------


@cli.group("import")
def import_() -> None:
    """Import citizens and answers from CSV (docs/data-formats.md); all or nothing."""


def _report_import(result: importing.ImportResult) -> None:
    """Problems to stderr and exit 1; else the counts. The import commands commit in every case:
    a refused import or a dry run has rolled back its own writes, so only its audit entry
    commits."""
    if not result.ok:
        click.echo(
            f"Refused: {result.problem_count} problem(s); no data was written (the attempt is "
            "in the audit trail).",
            err=True,
        )
        for line in result.messages():
            click.echo(line, err=True)
        sys.exit(1)
    click.echo(result.summary())


@import_.command("citizens")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file, write nothing.")
@with_appcontext
def import_citizens(file: Path, dry_run: bool) -> None:
    """Enrol the citizens in FILE (citizen,enrolled_on,team,consultant,status,...)."""
    with session_scope() as session:
        result = importing.import_citizens(session, file, dry_run=dry_run)
    _report_import(result)


@import_.command("responses")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file, write nothing.")
@with_appcontext
def import_responses(file: Path, dry_run: bool) -> None:
    """Add the submitted responses in FILE (one row per answer: citizen,point,...,item,value)."""
    with session_scope() as session:
        result = importing.import_responses(
            session, current_app.extensions[INSTRUMENTS], file, dry_run=dry_run
        )
    _report_import(result)


@cli.group("export")
def export() -> None:
    """Export data for evaluators (pseudonymised unless --real-references); every export is
    audited."""


def _output_option(func: _F) -> _F:
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The file to write (default: standard output; XLSX needs a file).",
    )(func)


_real_option = click.option(
    "--real-references",
    is_flag=True,
    help="Write the citizens' real references instead of per-export pseudonyms.",
)
_semicolon_option = click.option(
    "--semicolon", is_flag=True, help="Separate fields with ; (for Danish Excel)."
)


def _export_csv(
    output: Path | None, write: Callable[[Session, TextIO], exporting.ExportResult]
) -> exporting.ExportResult:
    """Write through `write(session, stream)` to the file or stdout, and commit the audit."""
    with session_scope() as session:
        if output is None:
            return write(session, sys.stdout)
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8", newline="") as stream:
            return write(session, stream)


def _done(result: exporting.ExportResult, output: Path | None) -> None:
    if output is not None:
        click.echo(f"Wrote {result.rows} rows ({result.format}) to {output}.", err=True)


@export.command("citizens")
@_output_option
@_real_option
@_semicolon_option
@with_appcontext
def export_citizens(output: Path | None, real_references: bool, semicolon: bool) -> None:
    """The citizens file, in the import format."""
    result = _export_csv(
        output,
        lambda session, stream: exporting.export_citizens(
            session,
            stream,
            pseudonyms=Pseudonyms(real=real_references),
            delimiter=";" if semicolon else ",",
        ),
    )
    _done(result, output)


@export.command("long")
@_output_option
@_real_option
@_semicolon_option
@with_appcontext
def export_long(output: Path | None, real_references: bool, semicolon: bool) -> None:
    """Every submitted answer, one row each, in the import format."""
    registry = current_app.extensions[INSTRUMENTS]
    result = _export_csv(
        output,
        lambda session, stream: exporting.export_long(
            session,
            registry,
            stream,
            pseudonyms=Pseudonyms(real=real_references),
            delimiter=";" if semicolon else ",",
        ),
    )
    _done(result, output)


def _format(output: Path | None, chosen: str | None, allowed: tuple[str, ...]) -> str:
    fmt = chosen or (output.suffix.lstrip(".").lower() if output else "") or allowed[0]
    if fmt not in allowed:
        _fail(f"Unknown format {fmt!r}; choose one of {', '.join(allowed)} with --format.")
    if fmt == "xlsx" and output is None:
        _fail("XLSX is written to a file: give -o FILE.xlsx.")
    return fmt


@export.command("wide")
@_output_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from -o.")
@_real_option
@_semicolon_option
@with_appcontext
def export_wide(
    output: Path | None, fmt: str | None, real_references: bool, semicolon: bool
) -> None:
    """One row per citizen and point: items, scores, form versions, modes, dates and status."""
    fmt = _format(output, fmt, ("csv", "xlsx"))
    registry = current_app.extensions[INSTRUMENTS]
    pseudonyms = Pseudonyms(real=real_references)
    delimiter = ";" if semicolon else ","
    if fmt == "xlsx":
        with session_scope() as session, output.open("wb") as stream:  # type: ignore[union-attr]
            result = exporting.export_wide(
                session, registry, stream, fmt="xlsx", pseudonyms=pseudonyms
            )
    else:
        result = _export_csv(
            output,
            lambda session, stream: exporting.export_wide(
                session, registry, stream, pseudonyms=pseudonyms, delimiter=delimiter
            ),
        )
    _done(result, output)


@export.command("codebook")
@_output_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "md"]), help="Default: from -o.")
@with_appcontext
def export_codebook(output: Path | None, fmt: str | None) -> None:
    """What every column of the wide export means: codes, labels, missing values, scoring."""
    fmt = _format(output, fmt, ("csv", "xlsx", "md"))
    registry = current_app.extensions[INSTRUMENTS]
    if fmt == "xlsx":
        with session_scope() as session, output.open("wb") as stream:  # type: ignore[union-attr]
            result = exporting.export_codebook(session, registry, stream, fmt="xlsx")
    else:
        result = _export_csv(
            output,
            lambda session, stream: exporting.export_codebook(
                session, registry, stream, fmt="md" if fmt == "md" else "csv"
            ),
        )
    _done(result, output)


@export.command("fhir")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_real_option
@with_appcontext
def export_fhir(directory: Path, real_references: bool) -> None:
    """A FHIR R4 Bundle per form version (Questionnaire and QuestionnaireResponses) in DIRECTORY."""
    with session_scope() as session:
        written = exporting.export_fhir(
            session,
            current_app.extensions[INSTRUMENTS],
            directory,
            pseudonyms=Pseudonyms(real=real_references),
        )
    for path in written:
        click.echo(str(path))


@export.command("package")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_real_option
@_semicolon_option
@with_appcontext
def export_package(directory: Path, real_references: bool, semicolon: bool) -> None:
    """The evaluator's package in DIRECTORY: citizens, long and wide answers (CSV and XLSX) and
    the codebook (CSV, Markdown, XLSX), with ids that join across the files."""
    with session_scope() as session:
        written = exporting.export_package(
            session,
            current_app.extensions[INSTRUMENTS],
            directory,
            pseudonyms=Pseudonyms(real=real_references),
            delimiter=";" if semicolon else ",",
        )
    for path in written:
        click.echo(str(path))


# --- survey demo and serve -----------------------------------------------------------------


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete everything in the database first.")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Pretend today is this date.")
@with_appcontext
def demo(reset: bool, seed: int, today: datetime | None) -> None:
    """Load the demo: 2 teams, 6 consultants, 150 citizens with up to 6 measurement points."""
    if reset:  # the audit log is append-only, so start from an empty schema instead
        _run(lambda: migrate.downgrade(current_app, "base"))
    _run(lambda: migrate.upgrade(current_app))
    registry = current_app.extensions[INSTRUMENTS]
    try:
        with session_scope() as session:
            summary = build_demo(
                session, registry, seed=seed, today=today.date() if today else None
            )
    except DemoRefused as exc:
        _fail(f"Refused: {exc}.")
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
            f"  {account.username:<12} {account.password:<24} {account.role.value:<15} "
            f"{account.full_name} ({teams})"
        )


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on code changes and show the debugger.")
@with_appcontext
def serve(host: str, port: int, debug: bool) -> None:
    """Run the development server (use a WSGI server with wsgi.py in production)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    current = _run(lambda: migrate.current_revision(app))
    if current != migrate.head_revision(app):
        _fail(
            "The database schema is not up to date: run `survey db upgrade` (or `survey demo` "
            "for demo data) first."
        )
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    # app.run() refuses to run inside a Flask CLI command; the server it wraps does not.
    run_simple(host, port, app, use_reloader=debug, use_debugger=debug, threaded=True)


# --- survey translations ----------------------------------------------------------------------

BABEL = [sys.executable, "-m", "babel.messages.frontend"]
# What marks a UI message: gettext and _ (Babel's defaults) and the lazy forms used in forms.
EXTRACT_OPTIONS = (
    "-F",
    "babel.cfg",
    "-k",
    "_l",
    "-k",
    "lazy_gettext",
    "-k",
    "lazy_ngettext:1,2",
    "--no-location",
)


@cli.group(cls=click.Group)
def translations() -> None:
    """Keep the UI translations (translations/) in step with the code."""


def _babel(*args: str) -> None:
    result = subprocess.run([*BABEL, *args], cwd=PROJECT_ROOT, check=False)  # noqa: S603
    if result.returncode:
        _fail(f"pybabel {args[0]} failed", result.returncode)


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
