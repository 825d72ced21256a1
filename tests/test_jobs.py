"""Background jobs: an import runs outside the request, once, with its progress in the database;
its rows and its "done" land together; a dead worker's job is declared interrupted and its file
deleted; a Redis queue is run by workers. The probe's finding: a 60 MB import held the request
(and a gunicorn worker) for 227 s."""

from __future__ import annotations

import io
import logging
import re
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlmodel import Session

from survey import hashing
from survey.db import get_engine
from survey.jobs import services as jobs
from survey.jobs.queue import queue_of
from survey.models import Citizen, Job, JobChunk, Role, Team, TeamMembership, User, utcnow
from tests.conftest import DEMO_TODAY, login

HEADER = b"citizen;enrolled_on;team;consultant;status;status_reason;ended_on\r\n"
CITIZENS = (
    HEADER
    + b"JOB-001;2026-02-02;Team Nord;anne;active;;\r\nJOB-002;2026-03-02;Team Nord;;active;;\r\n"
)
BAD = HEADER + b"JOB-9;2026-13-40;X;;;;\r\n"


def _people(app: Flask) -> int:
    """Team Nord, its consultant anne and an administrator; the administrator's id."""
    with Session(get_engine(app)) as db:
        team = Team(name="Team Nord")
        anne = User(username="anne", full_name="Anne", password_hash="!")
        chef = User(
            username="chef",
            full_name="Chef",
            password_hash=hashing.hash_password("a long enough test password"),
            is_admin=True,
        )
        db.add_all([team, anne, chef])
        db.flush()
        assert team.id
        assert anne.id
        db.add(TeamMembership(team_id=team.id, user_id=anne.id, role=Role.CONSULTANT))
        db.commit()
        assert chef.id is not None
        return chef.id


def _start(
    app: Flask, admin_id: int, content: bytes, kind: str = "citizens", language: str = "da"
) -> int:
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as db:
        admin = db.get(User, admin_id)
        job = jobs.start(
            db,
            f"import.{kind}",
            io.BytesIO(content),
            actor=admin,
            language=language,
            options={"dry_run": False},
        )
        assert job.id is not None
        return job.id


def _job(app: Flask, job_id: int) -> Job:
    with Session(get_engine(app), expire_on_commit=False) as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job


def _count(app: Flask, model: type) -> int:
    with Session(get_engine(app)) as db:
        return db.execute(select(func.count()).select_from(model)).scalar_one()


def test_an_import_job_runs_once_and_keeps_its_result_in_the_askers_language(
    make_app, database_url: str
) -> None:
    app = make_app(database_url, FIXED_TODAY=DEMO_TODAY)
    admin_id = _people(app)
    job_id = _start(app, admin_id, CITIZENS, language="en")  # immediate: run inside start
    job = _job(app, job_id)
    assert job.state == "done"
    assert job.size == len(CITIZENS)
    assert job.result is not None
    assert job.result["ok"]
    assert job.result["created"] == 2
    assert job.result["summary"].startswith("Imported 2 rows")
    assert _count(app, Citizen) == 2
    assert _count(app, JobChunk) == 0, "the file is deleted when the job ends"
    with app.app_context():
        jobs.run(job_id)  # a second run (a job queued twice) does nothing
    assert _count(app, Citizen) == 2


def test_a_file_of_many_chunks_is_read_back_in_order(make_app, monkeypatch) -> None:
    app = make_app(FIXED_TODAY=DEMO_TODAY)
    admin_id = _people(app)
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 7)  # a chunk boundary inside every line
    job_id = _start(app, admin_id, CITIZENS)
    job = _job(app, job_id)
    assert job.result is not None
    assert job.result["created"] == 2, job.result


def test_a_refused_file_is_kept_as_its_problems_and_writes_nothing(make_app) -> None:
    app = make_app(FIXED_TODAY=DEMO_TODAY)
    admin_id = _people(app)
    job = _job(app, _start(app, admin_id, BAD))
    assert job.state == "done"
    assert job.result is not None
    assert not job.result["ok"]
    assert any(m.startswith("Linje 2: ") for m in job.result["messages"]), job.result
    assert _count(app, Citizen) == 0


def test_progress_is_written_where_any_server_can_read_it(make_app, monkeypatch) -> None:
    app = make_app(FIXED_TODAY=DEMO_TODAY)
    admin_id = _people(app)
    seen: list[tuple[str | None, int, int | None]] = []
    real = jobs._Reporter.__call__

    def watched(self, phase, done, total):  # type: ignore[no-untyped-def]
        real(self, phase, done, total)
        with Session(get_engine(app)) as db:  # another connection: committed, not pending
            job = db.get(Job, self.job_id)
            assert job is not None
            seen.append((job.phase, job.done, job.total))

    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(jobs._Reporter, "__call__", watched)
    _start(app, admin_id, CITIZENS)
    assert ("reading", len(CITIZENS), len(CITIZENS)) in seen
    assert ("writing", 0, 2) in seen


def test_the_rows_and_done_land_together(make_app, monkeypatch) -> None:
    """A job declared interrupted while it ran (its worker looked dead) writes nothing."""
    app = make_app(FIXED_TODAY=DEMO_TODAY)
    admin_id = _people(app)
    runner = jobs.RUNNERS["import.citizens"]

    def interrupted_meanwhile(session, job, stream, actor, progress):  # type: ignore[no-untyped-def]
        result = runner(session, job, stream, actor, progress)
        with get_engine(app).begin() as other:
            other.execute(update(Job).where(Job.id == job.id).values(state="failed"))
        return result

    monkeypatch.setitem(jobs.RUNNERS, "import.citizens", interrupted_meanwhile)
    job = _job(app, _start(app, admin_id, CITIZENS))
    assert job.state == "failed"
    assert _count(app, Citizen) == 0


def test_a_failing_job_is_failed_without_its_values_in_the_log(
    make_app, monkeypatch, caplog
) -> None:
    app = make_app(FIXED_TODAY=DEMO_TODAY)
    admin_id = _people(app)

    def broken(session, job, stream, actor, progress):  # type: ignore[no-untyped-def]
        session.add(Citizen(reference="JOB-777", team_id=1, enrolled_on=utcnow().date()))
        session.flush()
        raise RuntimeError(f"a message quoting the file: {stream.read().decode()}")

    monkeypatch.setitem(jobs.RUNNERS, "import.citizens", broken)
    with caplog.at_level(logging.INFO):
        job = _job(app, _start(app, admin_id, CITIZENS))
    assert job.state == "failed"
    assert job.error == "failed"
    assert _count(app, Citizen) == 0
    assert _count(app, JobChunk) == 0
    assert "JOB-001" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_a_dead_workers_job_is_interrupted_and_its_file_deleted(make_app) -> None:
    app = make_app(FIXED_TODAY=DEMO_TODAY, JOBS="thread")
    admin_id = _people(app)
    with Session(get_engine(app)) as db:
        old = utcnow() - timedelta(minutes=31)
        stale = Job(kind="import.citizens", created_by_id=admin_id, state="running", updated_at=old)
        busy = Job(kind="import.citizens", created_by_id=admin_id, state="running")
        waiting = Job(kind="import.citizens", created_by_id=admin_id, state="queued")
        db.add_all([stale, busy, waiting])
        db.flush()
        assert stale.id
        assert busy.id
        assert waiting.id
        db.add(JobChunk(job_id=stale.id, seq=0, data=CITIZENS))
        db.commit()
        ids = (stale.id, busy.id, waiting.id)
    assert queue_of(app).waiting() == [ids[2]]
    assert _job(app, ids[0]).state == "failed"
    assert _job(app, ids[0]).error == "interrupted"
    assert _job(app, ids[1]).state == "running", "a job that moves lately is left alone"
    assert _count(app, JobChunk) == 0


def _wait_done(app: Flask, job_id: int, seconds: float = 30) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = _job(app, job_id)
        if job.state in ("done", "failed"):
            return job
        time.sleep(0.05)
    pytest.fail(f"job {job_id} did not end within {seconds} s")


def test_the_upload_returns_at_once_and_the_page_follows_the_job(
    make_app, demo_database: Path, tmp_path: Path, monkeypatch
) -> None:
    """In the default mode the upload's request only stores and queues; a worker thread of the
    process runs the import while the page shows how far it has come."""
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_database, copy)
    app = make_app(f"sqlite:///{copy}", migrated=False, FIXED_TODAY=DEMO_TODAY, JOBS="thread")
    release = threading.Event()
    runner = jobs.RUNNERS["import.citizens"]

    def held(session, job, stream, actor, progress):  # type: ignore[no-untyped-def]
        assert release.wait(30)
        return runner(session, job, stream, actor, progress)

    monkeypatch.setitem(jobs.RUNNERS, "import.citizens", held)
    admin = app.test_client()
    login(admin, "admin")
    citizens = CITIZENS.replace(b"Team Nord;anne", b"Team Nord;anne")
    response = admin.post(
        "/admin/import",
        data={"kind": "citizens", "file": (io.BytesIO(citizens), "c.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    job_id = int(re.search(r"/admin/import/jobs/(\d+)$", response.headers["Location"])[1])  # type: ignore[index]
    running = admin.get(f"/admin/import/jobs/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in running
    assert "<progress" in running
    release.set()
    job = _wait_done(app, job_id)
    assert job.state == "done"
    assert job.result is not None
    assert job.result["created"] == 2
    done = admin.get(f"/admin/import/jobs/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done
    assert job.result["summary"] in done
    listed = admin.get("/admin/import").get_data(as_text=True)
    assert f"/admin/import/jobs/{job_id}" in listed


def test_another_administrators_job_is_not_found(make_app, demo_database, tmp_path) -> None:
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_database, copy)
    app = make_app(f"sqlite:///{copy}", migrated=False, FIXED_TODAY=DEMO_TODAY)
    with Session(get_engine(app)) as db:
        other = User(username="other.admin", full_name="O", password_hash="!", is_admin=True)
        db.add(other)
        db.flush()
        job = Job(kind="import.citizens", created_by_id=other.id, state="done", result={})
        db.add(job)
        db.commit()
        job_id = job.id
    admin = app.test_client()
    login(admin, "admin")
    assert admin.get(f"/admin/import/jobs/{job_id}").status_code == 404


def test_a_redis_queue_is_run_by_a_worker(make_app, redis_url: str, tmp_path: Path) -> None:
    """SURVEY_JOBS=redis://...: the app only queues; `survey worker` (here its consumer, in a
    thread) takes the job from Redis and runs it."""
    app = make_app(FIXED_TODAY=DEMO_TODAY, JOBS=redis_url)
    admin_id = _people(app)
    job_id = _start(app, admin_id, CITIZENS)
    assert _job(app, job_id).state == "queued"
    consumer = queue_of(app).consumer(workers=1)
    consumer._set_signal_handlers = lambda: None  # type: ignore[method-assign]
    consumer.start()
    try:
        job = _wait_done(app, job_id)
    finally:
        consumer.stop(graceful=True)
    assert job.state == "done"
    assert _count(app, Citizen) == 2


def test_the_progress_reads_in_danish(make_app) -> None:
    from survey.labels import job_phase_text

    app = make_app()
    job = Job(kind="import.responses", state="running", phase="reading", done=45, total=100)
    with app.test_request_context(headers={"Accept-Language": "da"}):
        assert job_phase_text(job) == "Filen læses: 45\xa0%"
        job.phase, job.done, job.total = "checking", 1200, 5000
        assert job_phase_text(job) == "Filen kontrolleres borger for borger: 1.200 af 5.000"


def test_a_worker_without_a_shared_queue_says_what_to_set(make_app) -> None:
    from survey.cli import cli

    app = make_app(JOBS="thread")
    result = app.test_cli_runner().invoke(cli, ["worker"])
    assert result.exit_code == 1
    assert "SURVEY_JOBS=redis://" in result.output


def test_a_wrong_jobs_setting_is_named(make_app) -> None:
    from survey.config import ConfigError

    with pytest.raises(ConfigError, match="SURVEY_JOBS is 'rabbit://x'"):
        make_app(JOBS="rabbit://x")
