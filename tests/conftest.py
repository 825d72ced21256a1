"""Fixtures: the app on SQLite (and PostgreSQL where marked), clients, runners, factories."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import redis
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from survey import hashing, migrate
from survey.app import create_app
from survey.db import get_engine
from survey.demo import build_demo
from survey.models import Citizen, Role, Team, TeamMembership, User

# The log-grep test: its hooks, here so that they run for the whole session (a conftest that
# imports the plugin cannot also list it in pytest_plugins).
from tests.log_leaks import (  # noqa: F401
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    sensitive,
)

REQUIRE_SYSTEM = os.environ.get("SURVEY_REQUIRE_SYSTEM_TESTS") == "1"

# The app hashes with argon2-cffi's recommended parameters (about 0.2 s a hash here, on purpose).
# The suite logs in and unlocks tablets some thousand times, so tests hash with the cheapest
# parameters instead; the code that hashes and verifies is the same, and hashes made with other
# parameters still verify (argon2 keeps them in the hash).
hashing._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def missing_system_package(what: str, install: str) -> None:
    """Skip on a newcomer's machine; fail in CI, where the package must be there."""
    message = f"{what} is not installed: {install}"
    if REQUIRE_SYSTEM:
        pytest.fail(f"SURVEY_REQUIRE_SYSTEM_TESTS=1 but {message}")
    pytest.skip(message)


# --- PostgreSQL: a throwaway server on 127.0.0.1 for the whole session ------------------------


def _postgres_bin() -> Path | None:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start PostgreSQL in a temp dir (as the postgres user when we are root); yield its URL."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        missing_system_package("PostgreSQL", "apt-get install -y postgresql")
    base = Path(tempfile.mkdtemp(prefix="survey-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = base / "data"

    def run(*args: str) -> None:
        subprocess.run([*as_postgres, *args], check=True, capture_output=True)

    run(
        str(bin_dir / "initdb"),
        "-D",
        str(data),
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(base / "pg.log"),
        "-w",
        "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off",
        "start",
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'survey.db'}"
    return request.getfixturevalue("postgres_url")


# --- Redis: a throwaway server on 127.0.0.1 for the whole session, for shared throttling ------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start Debian's redis-server without persistence; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_system_package("Redis", "apt-get install -y redis-server")
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis.from_url(url, socket_timeout=0.5) as client:
                    client.ping()
                break
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return redis_server


# --- the app ----------------------------------------------------------------------------------


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    """Build an app for tests; `migrated=True` brings its database to the newest schema."""
    apps: list[Flask] = []

    def factory(database_url: str | None = None, migrated: bool = True, **overrides) -> Flask:
        settings = {
            "ENV": "testing",
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'app.db'}",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            **overrides,
        }
        app = create_app(settings, environ={}, instance_path=str(tmp_path / "instance"))
        if migrated:
            migrate.upgrade(app)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        get_engine(app).dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with Session(get_engine(app), expire_on_commit=False) as db_session:
        yield db_session


# --- factories (each returns a callable, as in Indico's fixtures) -----------------------------


@pytest.fixture
def create_team(session: Session) -> Callable[..., Team]:
    def factory(name: str = "Team Test", **fields) -> Team:
        team = Team(name=name, **fields)
        session.add(team)
        session.commit()
        return team

    return factory


@pytest.fixture
def create_user(session: Session) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def factory(
        username: str | None = None,
        memberships: dict[Team, Role] | None = None,
        **fields,
    ) -> User:
        """A user with a role in each team of `memberships`; is_admin=True for the capability."""
        user = User(
            username=username or f"user{next(counter)}",
            full_name="Test Person",
            password_hash="!",
            **fields,
        )
        session.add(user)
        session.flush()
        for team, role in (memberships or {}).items():
            session.add(TeamMembership(user_id=user.id, team_id=team.id, role=role))
        session.commit()
        return user

    return factory


@pytest.fixture
def create_citizen(session: Session, create_team) -> Callable[..., Citizen]:
    counter = iter(range(1, 10_000))

    def factory(reference: str | None = None, team: Team | None = None, **fields) -> Citizen:
        team = team or create_team(name=f"Team {uuid.uuid4().hex[:6]}")
        citizen = Citizen(
            reference=reference or f"T-{next(counter):04d}",
            team_id=team.id,
            enrolled_on=fields.pop("enrolled_on", date(2026, 1, 15)),
            **fields,
        )
        session.add(citizen)
        session.commit()
        return citizen

    return factory


# --- the demo, built once per session and copied for each test that needs it -----------------

DEMO_TODAY = "2026-11-23"


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo (real password hashes), made once; tests get copies."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.db"
    app = create_app(
        {"ENV": "testing", "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{path}"},
        environ={},
        instance_path=str(folder / "instance"),
    )
    migrate.upgrade(app)
    with Session(get_engine(app)) as session:
        summary = build_demo(
            session, app.extensions["survey.instruments"], today=date.fromisoformat(DEMO_TODAY)
        )
        session.commit()
        # The demo's references and passwords may never be in a log line.
        sensitive(*session.scalars(select(Citizen.reference)))
        sensitive(*(account.password for account in summary.accounts))
        sensitive(*(account.username for account in summary.accounts))
    get_engine(app).dispose()
    return path


@pytest.fixture
def demo_app(make_app, demo_database: Path, tmp_path: Path) -> Flask:
    copy = tmp_path / "demo-copy.db"
    shutil.copyfile(demo_database, copy)
    return make_app(f"sqlite:///{copy}", migrated=False, FIXED_TODAY=DEMO_TODAY)


def login(client, username: str, password: str | None = None):
    """Log a test client in as a demo user; returns the response of the login POST."""
    response = client.post(
        "/login", data={"username": username, "password": password or f"demo-{username}-2026"}
    )
    assert response.status_code == 302, f"login as {username} failed"
    return response
