"""`survey backup FILE` and `survey restore FILE`, on survey.backup.services. Attach with
`cli.add_command(backup)` and `cli.add_command(restore)`."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.backup import services
from survey.cli_support import fail, run


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@with_appcontext
def backup(file: Path) -> None:
    """Write the whole database to FILE, a new file, while the app goes on working; with - to
    standard output, to pipe it into an encryption program (never to a terminal).

    FILE holds every citizen's answers: keep it encrypted, off the app server, readable only
    by those who may restore it (README, "Backups")."""
    to_stdout = str(file) == "-"
    try:
        manifest = _to_stdout() if to_stdout else run(lambda: services.backup(current_app, file))
    except services.BackupError as exc:
        fail(str(exc), code=2)
    click.echo(
        f"Backed up to {'standard output' if to_stdout else file} "
        f"(schema revision {manifest.revision}): {services.describe(manifest.counts)}.",
        err=to_stdout,
    )


def _to_stdout() -> services.Manifest:
    """The backup made in a private temporary folder (TMPDIR), copied out, then deleted."""
    if sys.stdout.isatty():
        raise services.BackupError("backup.terminal")
    with tempfile.TemporaryDirectory(prefix="survey-backup-") as work:
        made = Path(work) / "survey.backup"
        manifest = run(lambda: services.backup(current_app, made))
        with made.open("rb") as source:
            shutil.copyfileobj(source, click.get_binary_stream("stdout"))
    return manifest


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore(file: Path, force: bool) -> None:
    """Replace the database with the backup in FILE, all or nothing. Stop the app first.

    Refused for a file that is not a whole backup, a backup of another schema revision, and
    a database that holds citizens, users or responses unless --force."""
    try:
        manifest = run(lambda: services.restore(current_app, file, force=force))
    except services.BackupError as exc:
        fail(str(exc), code=2)
    click.echo(
        f"Restored {file} (made {manifest.created_at}, schema revision {manifest.revision}): "
        f"{services.describe(manifest.counts)}."
    )
