"""No log line carries what someone typed: the failed request's database message (PostgreSQL
quotes the row), the development server's access log (`?q=` is a citizen's reference), the
login throttle (the user name tried)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from survey.db import get_engine
from survey.models import Citizen, Team
from tests.log_leaks import sensitive

REFERENCE = "N-LEAK-0001"
PASSWORD = "Leaky password 4711"


@pytest.fixture
def failing_app(make_app, database_url: str) -> Flask:
    """The app as production runs it (errors become the 500 page and a log line), with one
    more route that fails as a duplicate row does, its value in the database's message."""
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)
    with Session(get_engine(app)) as db:
        team = Team(name="Team Log")
        db.add(team)
        db.flush()
        db.add(Citizen(reference=REFERENCE, team_id=team.id, enrolled_on=date(2026, 1, 15)))
        db.commit()
        team_id = team.id

    def duplicate() -> str:
        with Session(get_engine(app)) as db:
            db.add(Citizen(reference=REFERENCE, team_id=team_id, enrolled_on=date(2026, 1, 15)))
            db.commit()
        return "unreachable"

    app.add_url_rule("/probe/duplicate", view_func=duplicate)
    sensitive(REFERENCE)
    return app


def test_a_failed_request_is_logged_without_the_databases_message(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reply = failing_app.test_client().get("/probe/duplicate")
    assert reply.status_code == 500
    request_id = reply.headers["X-Request-ID"]
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failed) == 1
    text = caplog.text
    assert REFERENCE not in text  # PostgreSQL: DETAIL: Key (reference)=(N-LEAK-0001) exists
    assert failed[0].exc_info is None  # a handler's formatter would print the message
    line = failed[0].getMessage()
    assert f"request {request_id} failed: GET /probe/duplicate" in line
    assert "sqlalchemy.exc.IntegrityError (its message is not logged)" in line
    assert "in duplicate" in line  # the frames stay, to find the fault
    if failing_app.config["DATABASE_URL"].get_backend_name() == "postgresql":
        assert "sqlstate 23505, constraint uq_citizen_reference" in line


def test_a_proxys_request_id_is_kept_and_anything_else_is_replaced(failing_app: Flask) -> None:
    client = failing_app.test_client()
    given = client.get("/healthz", headers={"X-Request-ID": "abc123-proxy-id"})
    assert given.headers["X-Request-ID"] == "abc123-proxy-id"
    odd = client.get("/healthz", headers={"X-Request-ID": f"ref {REFERENCE}"})
    assert REFERENCE not in odd.headers["X-Request-ID"]


def test_the_login_throttle_logs_no_user_name(make_app, caplog) -> None:
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_FREE_FAILURES=1)
    caplog.set_level(logging.DEBUG)
    sensitive("throttled.person")
    client = app.test_client()
    codes = [
        client.post("/login", data={"username": "throttled.person", "password": PASSWORD})
        for _ in range(3)
    ]
    assert 429 in [reply.status_code for reply in codes]
    assert "throttled.person" not in caplog.text
    assert PASSWORD not in caplog.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_development_servers_access_log_has_no_query(tmp_path: Path) -> None:
    survey = shutil.which("survey")
    assert survey, "the survey command is missing: run pip install -e ."
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env["SURVEY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.db'}"
    env["SURVEY_ENV"] = "development"
    upgraded = subprocess.run([survey, "db", "upgrade"], env=env, capture_output=True, check=False)
    assert upgraded.returncode == 0, upgraded.stderr
    port = _free_port()
    server = subprocess.Popen(
        [survey, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/citizens?q=N-2026-001"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert '"GET /citizens HTTP/1.1" 302' in output, output
    assert "N-2026-001" not in output
