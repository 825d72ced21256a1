"""While the database is down: a calm 503 page in the user's language, never a bare "Internal
Server Error", made without the database.

The outage is made as the probe made it: the app's database stops answering (here: its engine
now points at a PostgreSQL port nobody listens on, or an SQLite file that cannot be opened),
after the users have logged in and opened their pages.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import make_url
from sqlalchemy.exc import PendingRollbackError

from survey.db import EXTENSION, get_engine, make_engine
from tests.web.test_kiosk_safety import World

CALM = "Vi kan ikke nå databasen lige nu. Det, du har gemt, er gemt — prøv igen om lidt"
CALM_EN = "We cannot reach the database right now. What you have saved is saved"


def dead_url(database_url: str, tmp_path: Path) -> str:
    """A database of the same kind that cannot be reached."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'gone' / 'survey.db'}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: connections are refused
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/survey"


@pytest.fixture
def world(make_app: Callable[..., Flask], database_url: str) -> World:
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)  # 500 pages as in production

    @app.get("/test/pending-rollback")
    def pending_rollback() -> str:
        raise PendingRollbackError("a session still holding the failed transaction", None, None)

    @app.get("/test/broken")
    def broken() -> str:
        raise RuntimeError("a bug, while the database is down too")

    return World(app)


class Outage:
    """Stops the app's database, and brings it back."""

    def __init__(self, app: Flask, dead: str):
        self.app = app
        self.working = get_engine(app)
        self.dead = make_engine(make_url(dead))

    def __call__(self) -> None:
        self.app.extensions[EXTENSION] = self.dead

    def end(self) -> None:
        self.app.extensions[EXTENSION] = self.working


@pytest.fixture
def outage(world: World, database_url: str, tmp_path: Path) -> Iterator[Outage]:
    """Call it to stop the database; it comes back at the end of the test."""
    stopped = Outage(world.app, dead_url(database_url, tmp_path))
    yield stopped
    stopped.end()
    stopped.dead.dispose()


def assert_calm(reply, text: str = CALM) -> None:
    page = reply.get_data(as_text=True)
    assert reply.status_code == 503, page[:300]
    assert reply.headers["Retry-After"].isdigit()
    assert text in page
    assert "Internal Server Error" not in page
    assert "Traceback" not in page


def test_every_kind_of_page_is_calm_while_the_database_is_down(world: World, outage) -> None:
    consultant = world.consultant()
    consultant.post(world.start_url(), data={"administered_on": "2026-02-01", "how": "assisted"})
    rid = world.draft_id()
    tablet, _tablet_rid = world.tablet(point=3)
    anonymous = world.app.test_client()
    outage()

    assert_calm(consultant.get("/citizens"))
    assert_calm(consultant.get(f"/responses/{rid}/page/1"))
    saved = consultant.post(
        f"/responses/{rid}/page/1", data={"health__mental": "2", "action": "next"}
    )
    assert_calm(saved)
    assert "Log ud" not in saved.get_data(as_text=True)  # no layout that needs the login
    assert_calm(consultant.post(f"/responses/{rid}/submit"))
    assert_calm(tablet.get("/kiosk/page/1"))
    assert_calm(tablet.post("/kiosk/page/1", data={"health__mental": "2", "action": "next"}))
    assert_calm(anonymous.post("/login", data={"username": "kirsten", "password": "x"}))
    assert_calm(consultant.get("/test/pending-rollback"))
    assert_calm(consultant.get("/test/broken"))  # a 500 whose page would ask the database


def test_the_scripts_autosave_is_told_in_json(world: World, outage) -> None:
    consultant = world.consultant()
    consultant.post(world.start_url(), data={"administered_on": "2026-02-01", "how": "assisted"})
    rid = world.draft_id()
    outage()
    autosave = consultant.post(
        f"/responses/{rid}/autosave",
        data={"page": "1", "health__mental": "2"},
        headers={"Accept": "application/json"},
    )
    assert autosave.status_code == 503
    assert autosave.get_json() == {"saved": False, "reason": "database"}


def test_the_page_is_in_the_users_language(world: World, outage) -> None:
    consultant = world.consultant()
    consultant.post("/language", data={"locale": "en", "next": "/"})
    outage()
    assert_calm(consultant.get("/citizens"), CALM_EN)


def test_the_database_is_back_and_so_is_everything(world: World, outage: Outage) -> None:
    consultant = world.consultant()
    consultant.post(world.start_url(), data={"administered_on": "2026-02-01", "how": "assisted"})
    rid = world.draft_id()
    outage()
    assert_calm(
        consultant.post(f"/responses/{rid}/page/1", data={"health__mental": "4", "action": "next"})
    )
    outage.end()
    again = consultant.post(
        f"/responses/{rid}/page/1", data={"health__mental": "4", "action": "next"}
    )
    assert again.headers["Location"] == f"/responses/{rid}/page/2"
    assert world.answers(rid) == {"health.mental": "4"}


def test_the_form_script_gets_its_redirect_as_json(world: World) -> None:
    consultant = world.consultant()
    consultant.post(world.start_url(), data={"administered_on": "2026-02-01", "how": "assisted"})
    rid = world.draft_id()
    reply = consultant.post(
        f"/responses/{rid}/page/1",
        data={"health__mental": "3", "action": "next"},
        headers={"X-Survey-Fetch": "1"},
    )
    assert reply.status_code == 200
    assert reply.get_json() == {"location": f"/responses/{rid}/page/2"}
    assert "Location" not in reply.headers
    assert world.answers(rid) == {"health.mental": "3"}
