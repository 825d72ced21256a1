"""The `survey` console script as a user runs it: real processes, real files."""

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlmodel import Session

from survey.config import PROJECT_ROOT
from survey.models import AuditEvent, Team

SURVEY = shutil.which("survey") or "survey-is-not-installed"  # pip install -e . puts it on PATH


@pytest.fixture(autouse=True)
def _installed() -> None:
    assert shutil.which("survey"), "the survey command is missing: run pip install -e ."


def run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SURVEY, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    return {**clean, "SURVEY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def test_db_upgrade_current_downgrade(env: dict[str, str]) -> None:
    assert "base (empty)" in run(["db", "current"], env).stdout
    upgraded = run(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "up to date" in run(["db", "current"], env).stdout
    down = run(["db", "downgrade", "base"], env)
    assert down.returncode == 0, down.stderr
    assert "Database at revision base" in down.stdout
    assert run(["db", "upgrade"], env).returncode == 0


def test_demo_then_refuse_then_reset(env: dict[str, str]) -> None:
    first = run(["demo", "--today", "2026-11-23"], env)
    assert first.returncode == 0, first.stderr
    assert "150 citizens" in first.stdout
    # It prints every demo account with its password.
    for username in (
        "admin",
        "leder.nord",
        "leder.syd",
        "anne",
        "mads",
        "sofie",
        "jonas",
        "maria",
        "peter",
    ):
        assert f"{username} " in first.stdout
        assert f"demo-{username}-2026" in first.stdout
    again = run(["demo"], env)
    assert again.returncode == 1
    assert "--reset" in again.stderr
    assert "Traceback" not in again.stderr
    reset = run(["demo", "--reset", "--today", "2026-11-23"], env)
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.splitlines()[0] == first.stdout.splitlines()[0]


def test_wrong_database_url_is_named_without_a_traceback(env: dict[str, str]) -> None:
    env["SURVEY_DATABASE_URL"] = "mysql://nobody@localhost/survey"
    result = run(["db", "current"], env)
    assert result.returncode != 0
    assert "SURVEY_DATABASE_URL names the database 'mysql'" in result.stderr
    assert "Traceback" not in result.stderr
    env["SURVEY_DATABASE_URL"] = "postgresql://nobody:secret@127.0.0.1:1/survey"
    result = run(["db", "upgrade"], env)
    assert result.returncode != 0
    assert "cannot connect to the database in SURVEY_DATABASE_URL" in result.stderr
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_instrument_stops_start_up_with_its_error(
    env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "instruments"
    shutil.copytree(PROJECT_ROOT / "instruments", broken)
    staff = broken / "staff" / "1.yaml"
    staff.write_text(
        staff.read_text(encoding="utf-8").replace(
            "item: staff.employment,", "item: staff.employmnt,", 1
        ),
        encoding="utf-8",
    )
    env["SURVEY_INSTRUMENTS_DIR"] = str(broken)
    for command in (["db", "current"], ["serve"], ["demo"]):
        result = run(command, env)
        assert result.returncode != 0
        assert "instruments/staff/1.yaml" in result.stderr
        assert "staff.employmnt" in result.stderr
        assert "Traceback" not in result.stderr


def test_serve_refuses_an_unmigrated_database(env: dict[str, str]) -> None:
    result = run(["serve"], env)
    assert result.returncode == 1
    assert "survey db upgrade" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_then_serve_gives_a_running_app(env: dict[str, str]) -> None:
    assert run(["demo", "--today", "2026-11-23"], env).returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [SURVEY, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        base = f"http://127.0.0.1:{port}"
        body = ""
        deadline = time.monotonic() + 60  # a loaded machine starts the server slowly
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with opener.open(f"{base}/", timeout=2) as page:
                    body = page.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert body, f"the server did not answer: {server.poll()=}"
        assert 'lang="da"' in body
        assert "Brugernavn" in body  # the front page asks for a login
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
        form = urllib.parse.urlencode(
            {"csrf_token": token, "username": "anne", "password": "demo-anne-2026"}
        ).encode()
        with opener.open(f"{base}/login", data=form, timeout=5) as page:
            home = page.read().decode()
        assert "Goddag, Anne" in home
        assert "Skal udfyldes denne og næste uge" in home
        with opener.open(f"{base}/healthz", timeout=2) as page:
            assert b'"status":"ok"' in page.read().replace(b" ", b"")
    finally:
        server.terminate()
        server.communicate(timeout=10)


def test_teams_create_list_update_are_audited_and_refusals_are_named(
    env: dict[str, str],
) -> None:
    assert run(["db", "upgrade"], env).returncode == 0
    created = run(["teams", "create", "Team Øst", "--interval", "3", "--window", "21"], env)
    assert created.returncode == 0, created.stderr
    listed = run(["teams", "list"], env)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^Team Øst +3 +21  hidden$", listed.stdout, re.MULTILINE), listed.stdout
    updated = run(["teams", "update", "Team Øst", "--window", "14", "--show-small-cells"], env)
    assert updated.returncode == 0, updated.stderr
    assert "window ±14 days, small counts shown" in updated.stdout

    for args, reason in (
        (["create", "Team Øst"], "a team with this name exists"),
        (["create", "Team Vest", "--interval", "13"], "--interval is 1 to 12 months"),
        (["update", "Team Øst", "--window", "61"], "--window is 0 to 60 days"),
        (["update", "Team Nope", "--window", "7"], "There is no team 'Team Nope'"),
    ):
        refused = run(["teams", *args], env)
        assert refused.returncode == 2, refused.stdout
        assert reason in refused.stderr
        assert "Traceback" not in refused.stderr
    assert run(["teams", "list"], env).stdout.count("Team ") == 1

    engine = create_engine(env["SURVEY_DATABASE_URL"])
    with Session(engine) as db:
        team_id = db.execute(select(Team.id).where(Team.name == "Team Øst")).scalar_one()
        trail = db.execute(
            select(AuditEvent.action, AuditEvent.username, AuditEvent.target, AuditEvent.details)
            .where(AuditEvent.action.in_(["team.create", "team.update"]))
            .order_by(AuditEvent.id)
        ).all()
    engine.dispose()
    assert [tuple(row) for row in trail] == [
        (
            "team.create",
            None,
            f"team:{team_id}",
            {"interval": 3, "window": 21, "suppress_small_cells": True},
        ),
        (
            "team.update",
            None,
            f"team:{team_id}",
            {"interval": 3, "window": 14, "suppress_small_cells": False},
        ),
    ]
