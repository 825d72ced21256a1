"""`survey import ...` and `survey export ...`: the CSV imports and the evaluators' exports, on
the same services as the pages. Attach with `cli.add_command(import_)` and
`cli.add_command(export)`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from survey.cli_support import fail
from survey.db import session_scope
from survey.extensions import INSTRUMENTS
from survey.interop import importing
from survey.interop.exports import BINARY, EXPORTS, Export, FileExport, FolderExport, Options
from survey.interop.pseudonyms import Pseudonyms


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


_Decorator = Callable[[Callable[..., None]], Callable[..., None]]
_output_option: _Decorator = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: standard output; XLSX needs a file).",
)
_real_option: _Decorator = click.option(
    "--real-references",
    is_flag=True,
    help="Write the citizens' real references instead of per-export pseudonyms.",
)
_semicolon_option: _Decorator = click.option(
    "--semicolon", is_flag=True, help="Separate fields with ; (for Danish Excel)."
)


def _options(real_references: bool, semicolon: bool) -> Options:
    return Options(pseudonyms=Pseudonyms(real=real_references), delimiter=";" if semicolon else ",")


def _format(output: Path | None, chosen: str | None, allowed: tuple[str, ...]) -> str:
    fmt = chosen or (output.suffix.lstrip(".").lower() if output else "") or allowed[0]
    if fmt not in allowed:
        fail(f"Unknown format {fmt!r}; choose one of {', '.join(allowed)} with --format.")
    if fmt == "xlsx" and output is None:
        fail("XLSX is written to a file: give -o FILE.xlsx.")
    return fmt


def _write_file(export: FileExport, output: Path | None, fmt: str, options: Options) -> None:
    """Write to the file or stdout (a binary format only to a file), and commit the audit."""
    registry = current_app.extensions[INSTRUMENTS]
    if fmt in BINARY:
        assert output is not None  # _format refuses otherwise
        with session_scope() as session, output.open("wb") as stream:
            result = export.write(session, registry, stream, fmt, options)
    else:
        with session_scope() as session:
            if output is None:
                result = export.write(session, registry, sys.stdout, fmt, options)
            else:
                output.parent.mkdir(parents=True, exist_ok=True)
                with output.open("w", encoding="utf-8", newline="") as stream:
                    result = export.write(session, registry, stream, fmt, options)
    if output is not None:
        click.echo(f"Wrote {result.rows} rows ({result.format}) to {output}.", err=True)


def _file_command(export: FileExport) -> Callable[..., None]:
    def command(
        output: Path | None,
        fmt: str | None = None,
        real_references: bool = False,
        semicolon: bool = False,
    ) -> None:
        chosen = _format(output, fmt, export.formats) if len(export.formats) > 1 else None
        _write_file(
            export, output, chosen or export.formats[0], _options(real_references, semicolon)
        )

    decorators = [_output_option]
    if len(export.formats) > 1:
        decorators.append(
            click.option(
                "--format", "fmt", type=click.Choice(export.formats), help="Default: from -o."
            )
        )
    return _decorate(command, decorators, export)


def _folder_command(export: FolderExport) -> Callable[..., None]:
    def command(directory: Path, real_references: bool = False, semicolon: bool = False) -> None:
        with session_scope() as session:
            written = export.write(
                session,
                current_app.extensions[INSTRUMENTS],
                directory,
                _options(real_references, semicolon),
            )
        for path in written:
            click.echo(str(path))

    directory = click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    return _decorate(command, [directory], export)


def _decorate(
    command: Callable[..., None], decorators: list[_Decorator], export: Export
) -> Callable[..., None]:
    """The parameters in the order given, then --real-references and --semicolon if it has them."""
    if export.real_references_option:
        decorators.append(_real_option)
    if export.semicolon_option:
        decorators.append(_semicolon_option)
    command = with_appcontext(command)
    for decorate in reversed(decorators):
        command = decorate(command)
    return command


for _export in EXPORTS:
    export.command(_export.name, help=_export.help)(
        _file_command(_export) if isinstance(_export, FileExport) else _folder_command(_export)
    )
