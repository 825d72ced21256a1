"""Background jobs: starting one, running it, its progress, and what a dead worker left.

A job is a row in `job` with its file in `job_chunk`. `start` stores both and commits, then
hands the job's id to the queue (survey.jobs.queue). Whoever runs it first claims it
(queued -> running, one UPDATE, so two workers never run one job). The job's work and its
final state are committed in one transaction: an import's rows and "done" land together, or
neither does. Its file is deleted when it ends, whatever the outcome. Progress is written in
short transactions of its own, at most once a second, so any app server can show it.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import IO, Any

from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from survey.db import get_engine, rowcount
from survey.jobs.progress import Progress
from survey.models import Job, JobChunk, JobState, User, utcnow
from survey.refusals import speaking

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
PROGRESS_SECONDS = 1.0


# What a job of each kind does: given the session (whose writes the job commits with its
# state), the job, its file as a binary stream, the asker and a progress callback, it returns
# the result to keep (JSON). Registered by the packages that own the work (survey.interop).
Runner = Callable[[Session, Job, IO[bytes], User | None, Progress], dict[str, Any]]
RUNNERS: dict[str, Runner] = {}


def register(kind: str, runner: Runner) -> None:
    RUNNERS[kind] = runner


def start(
    session: Session,
    kind: str,
    stream: IO[bytes],
    *,
    actor: User | None,
    language: str,
    options: dict[str, Any] | None = None,
) -> Job:
    """Store the job and its file, commit, and queue it. The file is copied in chunks, never
    held whole in memory."""
    if kind not in RUNNERS:
        raise ValueError(f"no job kind {kind!r}")
    job = Job(
        kind=kind,
        created_by_id=actor.id if actor else None,
        language=language,
        options=options or {},
    )
    session.add(job)
    session.flush()
    assert job.id is not None
    size = 0
    seq = 0
    while chunk := stream.read(CHUNK_BYTES):
        session.execute(insert(JobChunk).values(job_id=job.id, seq=seq, data=chunk))
        size += len(chunk)
        seq += 1
    job.size = size
    session.commit()
    current_app.extensions["survey.jobs"].enqueue(job.id)
    return job


def run(job_id: int) -> None:
    """Run one job in the current app context; a job already claimed or ended is left alone."""
    engine = get_engine()
    with Session(engine, expire_on_commit=False) as session:
        claimed = session.execute(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.state) == JobState.QUEUED)
            .values(state=JobState.RUNNING, updated_at=utcnow(), phase="reading")
        )
        session.commit()
        if rowcount(claimed) != 1:
            return
        job = session.get(Job, job_id)
        assert job is not None
        runner = RUNNERS[job.kind]
        actor = session.get(User, job.created_by_id) if job.created_by_id else None
        progress = _Reporter(engine, job_id)
        try:
            with speaking(job.language):
                stream = io.BufferedReader(_ChunkReader(engine, job, progress), CHUNK_BYTES)
                result = runner(session, job, stream, actor, progress)
            ended = session.execute(
                update(Job)
                .where(col(Job.id) == job_id, col(Job.state) == JobState.RUNNING)
                .values(
                    state=JobState.DONE,
                    result=result,
                    phase=None,
                    finished_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
            if rowcount(ended) != 1:
                # Declared interrupted meanwhile (see `recover`): its work must not land either.
                session.rollback()
                return
            session.execute(delete(JobChunk).where(col(JobChunk.job_id) == job_id))
            session.commit()
        except Exception as exc:
            session.rollback()
            # The type only: a message may quote a value of the file.
            log.error("job %s (%s) failed: %s", job_id, job.kind, type(exc).__name__)
            _fail(session, job_id, "failed")


def _fail(session: Session, job_id: int, error: str) -> None:
    session.execute(
        update(Job)
        .where(col(Job.id) == job_id, col(Job.state).in_((JobState.QUEUED, JobState.RUNNING)))
        .values(state=JobState.FAILED, error=error, finished_at=utcnow(), updated_at=utcnow())
    )
    session.execute(delete(JobChunk).where(col(JobChunk.job_id) == job_id))
    session.commit()


def recover(session: Session, stale_minutes: int) -> list[int]:
    """What dead workers left: a running job that has not moved for `stale_minutes` is failed
    as interrupted (its work was never committed) and its file deleted. Returns the queued jobs
    for the caller to queue again: a queue in a process that died is gone with it, and a job
    queued twice is still run once (`run` claims it)."""
    cutoff = utcnow() - timedelta(minutes=stale_minutes)
    stale = session.execute(
        select(col(Job.id)).where(col(Job.state) == JobState.RUNNING, col(Job.updated_at) < cutoff)
    ).scalars()
    for job_id in list(stale):
        assert job_id is not None
        _fail(session, job_id, "interrupted")
    queued = session.execute(
        select(col(Job.id)).where(col(Job.state) == JobState.QUEUED).order_by(col(Job.id))
    ).scalars()
    return [job_id for job_id in queued if job_id is not None]


def recent(session: Session, user: User, limit: int = 10) -> list[Job]:
    """The user's own latest jobs, newest first."""
    return list(
        session.execute(
            select(Job)
            .where(col(Job.created_by_id) == user.id)
            .order_by(col(Job.id).desc())
            .limit(limit)
        ).scalars()
    )


def own(session: Session, user: User, job_id: int) -> Job | None:
    """The job if `user` started it: a job's result is its asker's alone."""
    job = session.get(Job, job_id)
    return job if job is not None and job.created_by_id == user.id else None


class _Reporter:
    """Writes a job's progress in a transaction of its own, at most once a second (a change of
    phase at once). A database too busy to take it (SQLite while the job writes) skips one."""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self.engine, self.job_id = engine, job_id
        self.phase: str | None = None
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if phase == self.phase and now - self.last < PROGRESS_SECONDS:
            return
        self.phase, self.last = phase, now
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    update(Job)
                    .where(col(Job.id) == self.job_id, col(Job.state) == JobState.RUNNING)
                    .values(phase=phase, done=done, total=total, updated_at=utcnow())
                )
        except OperationalError:
            log.info("job %s: progress not written (database busy)", self.job_id)


class _ChunkReader(io.RawIOBase):
    """The job's file, read back chunk by chunk (one in memory at a time); reports how much of
    it has been read as the "reading" phase."""

    def __init__(self, engine: Engine, job: Job, progress: Progress) -> None:
        assert job.id is not None
        self.engine, self.job_id, self.size, self.progress = engine, job.id, job.size, progress
        self.seq = 0
        self.buffer = b""
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if not self.buffer:
            with self.engine.connect() as connection:
                data = connection.execute(
                    select(col(JobChunk.data)).where(
                        col(JobChunk.job_id) == self.job_id, col(JobChunk.seq) == self.seq
                    )
                ).scalar_one_or_none()
            if data is None:
                return 0
            self.buffer = bytes(data)
            self.seq += 1
        n = min(len(target), len(self.buffer))
        target[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        self.read_bytes += n
        self.progress("reading", self.read_bytes, self.size)
        return n
