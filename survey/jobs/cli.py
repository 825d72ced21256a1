"""`survey worker`: runs the jobs of a Redis queue (SURVEY_JOBS=redis://...)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.cli_support import fail
from survey.jobs.queue import queue_of


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
def worker(workers: int) -> None:
    """Run background jobs (imports) until stopped (Ctrl-C or SIGTERM ends them gracefully)."""
    queue = queue_of(current_app)
    if queue.setting in ("thread", "immediate"):
        fail(
            f"SURVEY_JOBS is {queue.setting}: the app runs its jobs itself. A worker needs a "
            "shared queue: set SURVEY_JOBS=redis://host:6379/0 here and on the app servers."
        )
    click.echo(f"survey worker: {workers} threads on the queue in SURVEY_JOBS")
    queue.consumer(workers).run()
