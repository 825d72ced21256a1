"""Imports as background jobs: the admin page stores the file and queues it; a worker runs the
same import services the command line calls, and the job keeps what the page shows after."""

from __future__ import annotations

import io
from typing import IO, Any

from flask import current_app
from sqlmodel import Session

from survey import clock
from survey.interop import importing
from survey.interop.results import ImportResult
from survey.jobs import services as jobs
from survey.jobs.progress import Progress
from survey.models import Job, User

KINDS = {"citizens": "import.citizens", "responses": "import.responses"}


def start(
    session: Session, kind: str, stream: IO[bytes], *, actor: User, language: str, dry_run: bool
) -> Job:
    """Queue the import of the uploaded `stream` (citizens or responses)."""
    return jobs.start(
        session, KINDS[kind], stream, actor=actor, language=language, options={"dry_run": dry_run}
    )


def kept(result: ImportResult) -> dict[str, Any]:
    """What the job keeps of an import: counts and its messages, already in the asker's words."""
    return {
        "kind": result.kind,
        "ok": result.ok,
        "dry_run": result.dry_run,
        "rows": result.rows,
        "created": result.created,
        "present": result.present,
        "problem_count": result.problem_count,
        "summary": result.summary() if result.ok else None,
        "messages": result.messages(),
    }


def _run(
    session: Session, job: Job, stream: IO[bytes], actor: User | None, progress: Progress
) -> dict[str, Any]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    dry_run = bool((job.options or {}).get("dry_run"))
    if job.kind == KINDS["citizens"]:
        result = importing.import_citizens(
            session, text, actor=actor, today=clock.today(), dry_run=dry_run, progress=progress
        )
    else:
        result = importing.import_responses(
            session,
            current_app.extensions["survey.instruments"],
            text,
            actor=actor,
            today=clock.today(),
            dry_run=dry_run,
            progress=progress,
        )
    return kept(result)


for _kind in KINDS.values():
    jobs.register(_kind, _run)
