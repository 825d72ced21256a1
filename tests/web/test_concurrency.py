"""Two requests at once on one draft, made the way the attacker's probe made them: two threads
posting at the same instant, repeated, on SQLite and on a real PostgreSQL.

Each save is stored whole or refused plainly; never a 500, never a page stored half from one
post and half from the other, never an answer lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from survey.db import get_engine
from survey.hashing import hash_password
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from tests.conftest import login
from tests.web.test_kiosk_safety import World as KioskWorld
from tests.web.test_kiosk_safety import copy_of

PASSWORD = "a long test passphrase 42"
POINT = 2
TRIALS = 10

# Two versions of the staff form's first page at point 2: different answers, and a
# multiple-choice answer with a different number of positions, so a mix of the two shows.
VERSIONS: tuple[dict[str, str | list[str]], ...] = (
    {
        "staff__mental_limits": "1",
        "staff__physical_limits": "2",
        "staff__diagnosis": "1",
        "staff__diagnosis_kinds": ["1", "2", "7"],
        "staff__medication": "1",
    },
    {
        "staff__mental_limits": "3",
        "staff__physical_limits": "4",
        "staff__diagnosis": "1",
        "staff__diagnosis_kinds": ["3"],
        "staff__medication": "2",
    },
)


def stored_form(posted: dict[str, str | list[str]]) -> dict[str, list[str]]:
    """The answer rows a posted page becomes, by item code, values in position order."""
    return {
        name.replace("__", "."): sorted(value) if isinstance(value, list) else [value]
        for name, value in posted.items()
    }


class World:
    """One consultant, one citizen, and the consultant's draft of the staff form."""

    def __init__(self, app: Flask):
        self.app = app
        with self.db() as db:
            team = Team(name="Team Race")
            db.add(team)
            db.flush()
            user = User(
                username="rasmus",
                full_name="Rasmus Race",
                password_hash=hash_password(PASSWORD),
            )
            db.add(user)
            db.flush()
            db.add(TeamMembership(user_id=user.id, team_id=team.id, role=Role.CONSULTANT))
            citizen = Citizen(
                reference="R-0001",
                team_id=team.id,
                consultant_id=user.id,
                enrolled_on=date(2026, 1, 15),
            )
            db.add(citizen)
            db.commit()
            self.citizen_id = citizen.id

    def db(self) -> Session:
        return Session(get_engine(self.app), expire_on_commit=False)

    def device(self) -> FlaskClient:
        """The consultant logged in on one more device."""
        client = self.app.test_client()
        login(client, "rasmus", PASSWORD)
        return client

    def draft(self, client: FlaskClient) -> int:
        started = client.post(
            f"/citizens/{self.citizen_id}/points/{POINT}/staff",
            data={"administered_on": "2026-02-01", "how": "staff"},
        )
        assert started.status_code == 302, started.get_data(as_text=True)[:300]
        return int(started.headers["Location"].split("/")[2])

    def answers(self, response_id: int) -> dict[str, list[str]]:
        with self.db() as db:
            rows = db.execute(
                select(Answer.item_code, Answer.value)
                .where(Answer.response_id == response_id)
                .order_by(Answer.item_code, Answer.position)
            ).all()
        found: dict[str, list[str]] = {}
        for code, value in rows:
            found.setdefault(code, []).append(value)
        return {code: sorted(values) for code, values in found.items()}

    def count(self, action: str) -> int:
        with self.db() as db:
            return db.execute(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            ).scalar_one()


@pytest.fixture
def world(make_app: Callable[..., Flask], database_url: str) -> World:
    return World(make_app(database_url))


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same instant, each in its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # a 500 in the test client: the assertion reports it
            results[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def post_page(client: FlaskClient, rid: int, data: dict[str, str | list[str]], action: str):
    def call() -> int:
        reply = client.post(f"/responses/{rid}/page/1", data={**data, "action": action})
        return reply.status_code

    return call


def autosave(client: FlaskClient, rid: int, data: dict[str, str | list[str]]):
    def call() -> int:
        return client.post(f"/responses/{rid}/autosave", data={**data, "page": "1"}).status_code

    return call


@pytest.mark.parametrize("kinds", [("next", "next"), ("next", "autosave")])
def test_two_saves_of_one_page_at_once_store_one_of_them_whole(
    world: World, kinds: tuple[str, str]
) -> None:
    first, second = world.device(), world.device()
    rid = world.draft(first)
    for trial in range(TRIALS):
        ordered = VERSIONS if trial % 2 else VERSIONS[::-1]
        calls = [
            post_page(client, rid, data, "next") if kind == "next" else autosave(client, rid, data)
            for client, data, kind in zip((first, second), ordered, kinds, strict=True)
        ]
        codes = race(*calls)
        assert all(isinstance(code, int) and 200 <= code < 400 for code in codes), (trial, codes)
        stored = world.answers(rid)
        assert stored in [stored_form(v) for v in VERSIONS], (trial, stored)


def test_a_save_racing_a_save_of_the_other_page_keeps_both(world: World) -> None:
    first, second = world.device(), world.device()
    rid = world.draft(first)
    for trial in range(TRIALS):
        page_one = VERSIONS[trial % 2]
        page_two = {"staff__abuse_alcohol": str(1 + trial % 4), "staff__abuse_hard": "4"}
        codes = race(
            post_page(first, rid, page_one, "next"),
            lambda data=page_two: (
                second.post(f"/responses/{rid}/page/2", data={**data, "action": "next"}).status_code
            ),
        )
        assert codes == [302, 302], (trial, codes)
        assert world.answers(rid) == stored_form(page_one) | stored_form(page_two), trial


def test_two_submits_at_once_submit_once_and_tell_the_other_plainly(world: World) -> None:
    first, second = world.device(), world.device()
    for point in range(2, 2 + TRIALS):
        started = first.post(
            f"/citizens/{world.citizen_id}/points/{point}/staff",
            data={"administered_on": "2026-02-01", "how": "staff"},
        )
        rid = int(started.headers["Location"].split("/")[2])
        before = world.count("response.submit")
        replies = race(
            lambda rid=rid: first.post(f"/responses/{rid}/submit"),
            lambda rid=rid: second.post(f"/responses/{rid}/submit"),
        )
        assert all(getattr(r, "status_code", 500) == 302 for r in replies), (point, replies)
        assert world.count("response.submit") == before + 1, point
        with world.db() as db:
            assert db.get(Response, rid).status == ResponseStatus.SUBMITTED
        told = []
        for client, reply in zip((first, second), replies, strict=True):
            page = client.get(reply.headers["Location"], follow_redirects=True)
            assert page.status_code == 200
            told.append(page.get_data(as_text=True))
        said_submitted = ["Skemaet er indsendt." in page for page in told]
        said_already = ["allerede indsendt" in page for page in told]
        assert sorted(said_submitted) == [False, True], point
        assert sorted(said_already) == [False, True], point


def test_two_sends_on_the_tablet_and_the_consultants_submit_at_once_submit_once(
    make_app: Callable[..., Flask], database_url: str
) -> None:
    world = KioskWorld(make_app(database_url))
    consultant = world.consultant()
    for point in range(2, 2 + TRIALS // 2):
        tablet, rid = world.tablet(point)
        tablet.post("/kiosk/page/1", data={"health__mental": "2", "action": "next"})
        taps = [copy_of(world.app, tablet) for _ in range(2)]
        replies = race(
            *(lambda t=tap: t.post("/kiosk/submit") for tap in taps),
            lambda rid=rid: consultant.post(f"/responses/{rid}/submit"),
        )
        assert all(getattr(r, "status_code", 500) == 302 for r in replies), (point, replies)
        with world.db() as db:
            submits = db.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "response.submit", AuditEvent.response_id == rid)
            ).scalar_one()
            assert db.get(Response, rid).status == ResponseStatus.SUBMITTED
        assert submits == 1, point
        for tap in taps:  # each tablet lands on the thank-you page, never an error
            landed = tap.get("/kiosk", follow_redirects=True)
            assert landed.status_code == 200, point
            assert "Tak for dine svar" in landed.get_data(as_text=True), point
