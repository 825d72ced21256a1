"""`survey import ...` and `survey export ...`: the CSV imports and the evaluators' exports, on
the same services as the pages. Attach with `cli.add_command(import_)` and
`cli.add_command(export)`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlmodel import Session

from survey.app import INSTRUMENTS
from survey.cli_support import fail
from survey.db import session_scope
from survey.interop import exporting, importing
from survey.interop.pseudonyms import Pseudonyms

_F = TypeVar("_F", bound=Callable[..., object])


@click.group("import", cls=AppGroup)
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


@click.group("export", cls=AppGroup)
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
        fail(f"Unknown format {fmt!r}; choose one of {', '.join(allowed)} with --format.")
    if fmt == "xlsx" and output is None:
        fail("XLSX is written to a file: give -o FILE.xlsx.")
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
