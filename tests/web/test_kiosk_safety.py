"""The tablet holds no login, locked means locked, and the unlock cannot be guessed.

Each attack is made the way it was found: replay the copied cookie, race the two requests, guess
the PIN. The races run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey.auth.pins import pin_problems
from survey.db import get_engine
from survey.hashing import hash_password
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    KioskSession,
    Response,
    Role,
    Team,
    TeamMembership,
    User,
    UserSession,
    utcnow,
)
from tests.conftest import login

PASSWORD = "a long test passphrase 42"
PIN = "472913"
CALM = "Tabletten er låst – giv den tilbage til din kontaktperson"


class World:
    """One consultant with a PIN, one citizen, and a helper to hand a tablet over."""

    def __init__(self, app: Flask):
        self.app = app
        with Session(get_engine(app), expire_on_commit=False) as db:
            team = Team(name="Team Kiosk")
            db.add(team)
            db.flush()
            consultant = User(
                username="kirsten",
                full_name="Kirsten Kiosk",
                password_hash=hash_password(PASSWORD),
                kiosk_pin_hash=hash_password(PIN),
            )
            db.add(consultant)
            db.flush()
            db.add(TeamMembership(user_id=consultant.id, team_id=team.id, role=Role.CONSULTANT))
            citizen = Citizen(
                reference="K-0001",
                team_id=team.id,
                consultant_id=consultant.id,
                enrolled_on=date(2026, 1, 15),
            )
            db.add(citizen)
            db.commit()
            self.citizen_id = citizen.id
            self.consultant_id = consultant.id

    def db(self) -> Session:
        return Session(get_engine(self.app), expire_on_commit=False)

    def consultant(self) -> FlaskClient:
        client = self.app.test_client()
        login(client, "kirsten", PASSWORD)
        return client

    def start_url(self, point: int = 2) -> str:
        return f"/citizens/{self.citizen_id}/points/{point}/citizen"

    def tablet(self, point: int = 2) -> tuple[FlaskClient, int]:
        """A browser the consultant logged into and handed over; the draft's id."""
        client = self.consultant()
        handed = client.post(
            self.start_url(point), data={"administered_on": "2026-02-01", "how": "self"}
        )
        assert handed.headers["Location"] == "/kiosk"
        return client, self.draft_id(point)

    def draft_id(self, point: int = 2) -> int:
        with self.db() as db:
            return db.execute(
                select(Response.id).where(
                    Response.citizen_id == self.citizen_id, Response.point == point
                )
            ).scalar_one()

    def active_kiosks(self, response_id: int) -> int:
        with self.db() as db:
            return db.execute(
                select(func.count())
                .select_from(KioskSession)
                .where(KioskSession.response_id == response_id, KioskSession.ended_at.is_(None))
            ).scalar_one()

    def answers(self, response_id: int) -> dict[str, str]:
        with self.db() as db:
            return dict(
                db.execute(
                    select(Answer.item_code, Answer.value).where(Answer.response_id == response_id)
                ).all()
            )

    def actions(self, action: str) -> int:
        with self.db() as db:
            return db.execute(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            ).scalar_one()


@pytest.fixture
def world(make_app: Callable[..., Flask], database_url: str) -> World:
    return World(make_app(database_url))


def copy_of(app: Flask, browser: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `browser`'s session cookie, as an attacker would."""
    cookie = browser.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


# --- the tablet holds no login ----------------------------------------------------------------


def test_hand_over_ends_the_login_in_that_browser_only(world: World) -> None:
    elsewhere = world.consultant()  # the consultant's own PC
    tablet, _rid = world.tablet()
    with tablet.session_transaction() as cookie:
        assert "_user_id" not in cookie
        assert set(cookie) <= {"kiosk", "locale", "_fresh", "csrf_token", "_flashes"}
    with world.db() as db:
        open_logins = db.execute(
            select(func.count())
            .select_from(UserSession)
            .where(
                UserSession.user_id == world.consultant_id,
                UserSession.revoked_at.is_(None),
            )
        ).scalar_one()
    assert open_logins == 1  # the PC's
    assert elsewhere.get("/citizens").status_code == 200


def test_a_copied_tablet_cookie_is_worth_nothing_after_unlock(world: World) -> None:
    tablet, rid = world.tablet()
    tablet.post("/kiosk/page/1", data={"health__mental": "2", "action": "pause"})
    thief = copy_of(world.app, tablet)
    unlocked = tablet.post("/kiosk/unlock", data={"secret": PIN})
    assert unlocked.headers["Location"] == f"/citizens/{world.citizen_id}"
    assert tablet.get(f"/citizens/{world.citizen_id}").status_code == 200  # a fresh login

    for url in ("/citizens", f"/citizens/{world.citizen_id}/trend", f"/responses/{rid}/page/1"):
        replayed = thief.get(url)
        assert replayed.status_code == 302, url
        assert replayed.headers["Location"].startswith("/login"), url
    kiosk = thief.get("/kiosk/page/1")
    assert kiosk.status_code == 403
    assert CALM in kiosk.get_data(as_text=True)
    with thief.session_transaction() as cookie:
        assert "kiosk" not in cookie  # cleared, not just refused
        assert "_user_id" not in cookie


def test_the_login_before_the_hand_over_is_not_the_one_after_the_unlock(world: World) -> None:
    browser = world.consultant()
    before = copy_of(world.app, browser)  # the consultant's login cookie, copied before
    browser.post(world.start_url(), data={"administered_on": "2026-02-01", "how": "self"})
    assert before.get("/citizens").headers["Location"].startswith("/login")
    browser.post("/kiosk/lock")
    browser.post("/kiosk/unlock", data={"secret": PASSWORD})
    assert browser.get("/citizens").status_code == 200
    assert before.get("/citizens").headers["Location"].startswith("/login")
    with browser.session_transaction() as after, before.session_transaction() as old:
        assert after["_user_id"] != old["_user_id"]


def test_the_second_tap_of_a_hand_over_lands_on_the_same_tablet(world: World) -> None:
    """A double tap whose second request the server reads after the first ended the login (the
    race the browser test hit under load): it used to get the login page, and its cookie (the
    old login's, with a flash) replaced the tablet's, so the tablet showed "log in". It now
    finds the tablet the first tap made, in this browser."""
    browser = world.consultant()
    second_tap = copy_of(world.app, browser)  # the same cookie, sent with the second request
    data = {"administered_on": "2026-02-01", "how": "self"}
    first = browser.post(world.start_url(), data=data)
    assert first.headers["Location"] == "/kiosk"
    second = second_tap.post(world.start_url(), data=data)
    assert second.headers["Location"] == "/kiosk"
    with browser.session_transaction() as one, second_tap.session_transaction() as other:
        assert one["kiosk"] == other["kiosk"]
        assert "_user_id" not in other
    assert second_tap.get("/kiosk").headers["Location"].startswith("/kiosk/page/")
    assert world.active_kiosks(world.draft_id()) == 1
    # Not a way back in: the old login reaches nothing else, and the window closes.
    assert copy_of(world.app, second_tap).get("/citizens").status_code == 403  # a tablet now
    late = world.consultant()
    late_copy = copy_of(world.app, late)
    late.post(world.start_url(point=3), data=data)
    with world.db() as db:
        db.execute(
            update(UserSession)
            .where(UserSession.user_id == world.consultant_id)
            .where(UserSession.revoked_at.is_not(None))
            .values(revoked_at=utcnow() - timedelta(minutes=2))
        )
        db.commit()
    assert (
        late_copy.post(world.start_url(point=3), data=data).headers["Location"].startswith("/login")
    )


def test_two_hand_overs_at_once_give_one_kiosk(world: World) -> None:
    browser = world.consultant()
    # The draft exists (a first tap); the double tap then races two hand-overs of it.
    browser.post(world.start_url(), data={"administered_on": "2026-02-01", "how": "assisted"})
    rid = world.draft_id()
    with world.db() as db:
        db.execute(update(Response).where(Response.id == rid).values(mode="self"))
        db.commit()
    taps = [copy_of(world.app, browser) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def tap(client: FlaskClient) -> None:
        barrier.wait()
        reply = client.post(f"/responses/{rid}/tablet")
        results.append(reply.headers.get("Location", str(reply.status_code)))

    threads = [threading.Thread(target=tap, args=(client,)) for client in taps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert world.active_kiosks(rid) == 1
    handed = [client for client, where in zip(taps, results, strict=True) if where == "/kiosk"]
    assert handed, results
    tokens = set()
    for client in handed:
        with client.session_transaction() as cookie:
            tokens.add(cookie["kiosk"])
        assert client.get("/kiosk/page/1").status_code == 200
    assert len(tokens) == 1  # both taps carry the same tablet


def test_the_database_allows_one_active_kiosk_per_draft(world: World) -> None:
    _tablet, rid = world.tablet()
    with world.db() as db:
        consultant = db.get(User, world.consultant_id)
        db.add(KioskSession(id="x" * 64, response_id=rid, consultant_id=consultant.id))
        with pytest.raises(IntegrityError):
            db.commit()


# --- locked means locked ----------------------------------------------------------------------


def test_a_locked_tablet_writes_nothing(world: World) -> None:
    tablet, rid = world.tablet()
    tablet.post("/kiosk/page/1", data={"health__mental": "2", "action": "next"})
    assert tablet.post("/kiosk/lock").headers["Location"] == "/kiosk/locked"
    before = world.answers(rid)
    assert before == {"health.mental": "2"}

    saved = tablet.post("/kiosk/autosave", data={"page": "1", "health__mental": "5"})
    assert saved.status_code == 423
    assert saved.get_json()["saved"] is False
    for action in ("next", "previous", "lock", "pause", "language:en"):
        posted = tablet.post("/kiosk/page/1", data={"health__mental": "4", "action": action})
        assert posted.headers["Location"] == "/kiosk/locked", action
    erased = tablet.post("/kiosk/page/1", data={"action": "next"})  # an empty page
    assert erased.headers["Location"] == "/kiosk/locked"
    assert tablet.post("/kiosk/submit").headers["Location"] == "/kiosk/locked"
    assert world.answers(rid) == before
    with world.db() as db:
        assert db.get(Response, rid).status == "draft"


def test_the_pause_saves_the_page_it_locks(world: World) -> None:
    tablet, rid = world.tablet()
    paused = tablet.post("/kiosk/page/1", data={"health__mental": "3", "action": "pause"})
    assert paused.headers["Location"] == "/kiosk/locked"
    assert world.answers(rid) == {"health.mental": "3"}
    page = tablet.get("/kiosk/locked").get_data(as_text=True)
    assert "Du holder pause" in page
    # ... and after that, nothing.
    tablet.post("/kiosk/page/1", data={"health__mental": "1", "action": "pause"})
    assert world.answers(rid) == {"health.mental": "3"}


def test_an_idle_tablet_is_locked_by_the_server_and_then_writes_nothing(world: World) -> None:
    tablet, rid = world.tablet()
    with world.db() as db:
        db.execute(update(KioskSession).values(last_activity_at=utcnow() - timedelta(hours=1)))
        db.commit()
    # A page whose script was stopped posts late: the lock comes first, the answer is not written.
    saved = tablet.post("/kiosk/autosave", data={"page": "1", "health__mental": "5"})
    assert saved.status_code == 423
    late = tablet.post("/kiosk/page/1", data={"health__mental": "5", "action": "lock"})
    assert late.headers["Location"] == "/kiosk/locked"
    assert world.answers(rid) == {}
    with world.db() as db:
        kiosk = db.execute(select(KioskSession)).scalar_one()
    assert kiosk.locked_reason == "idle"


# --- the unlock cannot be guessed -------------------------------------------------------------


def test_five_wrong_unlocks_end_the_kiosk_with_five_audit_entries(world: World) -> None:
    tablet, rid = world.tablet()
    tablet.post("/kiosk/page/1", data={"health__mental": "2", "action": "pause"})
    for attempt in range(1, 5):
        wrong = tablet.post("/kiosk/unlock", data={"secret": f"00000{attempt}"})
        assert wrong.status_code == 422
        assert f"{5 - attempt} forsøg mere" in wrong.get_data(as_text=True)
    last = tablet.post("/kiosk/unlock", data={"secret": "999999"})
    assert last.status_code == 403
    assert CALM in last.get_data(as_text=True)
    assert world.actions("kiosk.unlock_failure") == 5
    assert world.actions("kiosk.end") == 1
    assert world.active_kiosks(rid) == 0
    # The right PIN no longer helps on that tablet; the consultant's full login does.
    assert tablet.post("/kiosk/unlock", data={"secret": PIN}).status_code == 403
    assert tablet.get("/citizens").headers["Location"].startswith("/login")
    consultant = world.consultant()
    assert consultant.get(f"/responses/{rid}/page/1").status_code == 200
    assert world.answers(rid) == {"health.mental": "2"}
    with world.db() as db:
        details = [
            e.details
            for e in db.execute(
                select(AuditEvent).where(AuditEvent.action == "kiosk.unlock_failure")
            ).scalars()
        ]
    assert all(PIN not in str(d) and "999999" not in str(d) for d in details)


def test_parallel_wrong_unlocks_never_pass_five(world: World) -> None:
    tablet, rid = world.tablet()
    tablet.post("/kiosk/lock", data={"reason": "pause"})
    guessers = [copy_of(world.app, tablet) for _ in range(8)]
    barrier = threading.Barrier(len(guessers))
    codes: list[int] = []

    def guess(client: FlaskClient, n: int) -> None:
        barrier.wait()
        codes.append(client.post("/kiosk/unlock", data={"secret": f"31{n:04d}"}).status_code)

    threads = [threading.Thread(target=guess, args=(c, n)) for n, c in enumerate(guessers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert world.actions("kiosk.unlock_failure") == 5
    assert sorted(codes) == [403, 403, 403, 403, 422, 422, 422, 422]
    assert world.active_kiosks(rid) == 0


def test_a_limit_on_one_tablet_never_blocks_another(make_app, database_url: str) -> None:
    """With the real rate limits on: two tablets behind one address (a municipality's NAT)."""
    world = World(make_app(database_url, RATELIMIT_ENABLED=True))
    first, _ = world.tablet(point=2)
    second, _ = world.tablet(point=3)
    for tablet in (first, second):
        tablet.post("/kiosk/lock", data={"reason": "pause"})
    for n in range(5):
        first.post("/kiosk/unlock", data={"secret": f"80{n:04d}"})
    opened = second.post("/kiosk/unlock", data={"secret": PIN})
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/citizens/{world.citizen_id}"


def test_a_consultants_tablets_refuse_after_ten_failures_in_an_hour(world: World) -> None:
    tablets = [world.tablet(point=p)[0] for p in (2, 3, 4)]
    for tablet in tablets:
        tablet.post("/kiosk/lock", data={"reason": "pause"})
    for n in range(5):
        tablets[0].post("/kiosk/unlock", data={"secret": f"70{n:04d}"})
    for n in range(5):
        tablets[1].post("/kiosk/unlock", data={"secret": f"71{n:04d}"})
    refused = tablets[2].post("/kiosk/unlock", data={"secret": PIN})
    assert refused.status_code == 422
    assert "For mange forkerte forsøg" in refused.get_data(as_text=True)
    assert world.actions("kiosk.unlock_failure") == 10  # the refusal checked no secret


@pytest.mark.parametrize(
    ("pin", "problem"),
    [
        ("0000", "length"),
        ("2468", "length"),
        ("000000", "trivial"),
        ("123456", "trivial"),
        ("654321", "trivial"),
        ("890123", "trivial"),
        ("121212", "trivial"),
        ("123123", "trivial"),
        ("123321", "trivial"),
        ("112233", "trivial"),
        ("12a456", "digits"),
        ("1212121", "trivial"),
        ("0101010", "trivial"),
        ("223344", "trivial"),
        ("998877", "trivial"),
        ("222333", "trivial"),
        ("987789", "trivial"),
        ("1234567890123", "length"),
    ],
)
def test_trivial_and_short_pins_are_refused(pin: str, problem: str) -> None:
    assert pin_problems(pin) == [problem]


@pytest.mark.parametrize("pin", ["472913", "2468013", "135790"])
def test_ordinary_pins_are_accepted(pin: str) -> None:
    assert pin_problems(pin) == []


def test_the_pin_page_refuses_a_trivial_pin_with_its_reason(world: World) -> None:
    client = world.consultant()
    refused = client.post("/account/pin", data={"password": PASSWORD, "pin": "123456"})
    assert refused.status_code == 422
    assert "for let at gætte" in refused.get_data(as_text=True)
    short = client.post("/account/pin", data={"password": PASSWORD, "pin": "0000"})
    assert "Brug 6 til 12 cifre" in short.get_data(as_text=True)
    accepted = client.post("/account/pin", data={"password": PASSWORD, "pin": "583920"})
    assert accepted.status_code == 302


# --- language, pause and hand back ------------------------------------------------------------


def test_unlock_gives_the_consultant_their_language_back(world: World) -> None:
    browser = world.consultant()
    browser.post("/language", data={"locale": "en"})
    browser.post(world.start_url(), data={"administered_on": "2026-02-01", "how": "self"})
    browser.post("/kiosk/page/1", data={"action": "language:da"})  # the citizen reads Danish
    assert 'lang="da"' in browser.get("/kiosk/page/1").get_data(as_text=True)
    browser.post("/kiosk/page/1", data={"health__mental": "2", "action": "pause"})
    browser.post("/kiosk/unlock", data={"secret": PIN})
    with browser.session_transaction() as cookie:
        assert cookie["locale"] == "en"
    page = browser.get(f"/citizens/{world.citizen_id}").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Give the tablet back to the citizen" in page


def test_pause_unlock_and_hand_back_resume_the_same_draft_at_the_same_page(world: World) -> None:
    tablet, rid = world.tablet()
    tablet.post("/kiosk/page/1", data={"health__mental": "2", "action": "next"})
    assert tablet.get("/kiosk/page/2").status_code == 200
    tablet.post("/kiosk/page/2", data={"action": "pause"})
    tablet.post("/kiosk/unlock", data={"secret": PIN})
    back = tablet.post(f"/responses/{rid}/tablet")
    assert back.headers["Location"] == "/kiosk"
    assert tablet.get("/kiosk").headers["Location"] == "/kiosk/page/2"
    assert world.draft_id() == rid
    assert world.active_kiosks(rid) == 1


def test_an_abandoned_tablet_draft_can_go_to_another_tablet(world: World) -> None:
    abandoned, rid = world.tablet()
    abandoned.post("/kiosk/page/1", data={"health__mental": "2", "action": "next"})
    abandoned.get("/kiosk/page/3")
    other = world.consultant()
    citizen_page = other.get(f"/citizens/{world.citizen_id}").get_data(as_text=True)
    assert f'action="/responses/{rid}/tablet"' in citizen_page
    assert other.post(f"/responses/{rid}/tablet").headers["Location"] == "/kiosk"
    assert other.get("/kiosk").headers["Location"] == "/kiosk/page/3"
    assert world.active_kiosks(rid) == 1
    # The abandoned tablet's credential ended: it shows the calm page and holds nothing.
    left = abandoned.get("/kiosk/page/1")
    assert left.status_code == 403
    assert CALM in left.get_data(as_text=True)


# --- before sending, and calm pages -----------------------------------------------------------


def test_the_summary_lists_unanswered_questions_and_still_sends(world: World) -> None:
    tablet, rid = world.tablet()
    tablet.post("/kiosk/page/1", data={"health__mental": "2", "action": "next"})
    summary = tablet.get("/kiosk/summary").get_data(as_text=True)
    assert "Du har ikke svaret på" in summary
    assert 'href="/kiosk/page/1#health__physical"' in summary
    sent = tablet.post("/kiosk/submit")
    assert sent.headers["Location"] == "/kiosk/thanks"
    with world.db() as db:
        assert db.get(Response, rid).status == "submitted"
    # Back, or any other URL: the calm page, never "no access".
    for url in ("/kiosk/page/1", "/kiosk/summary"):
        assert tablet.get(url, follow_redirects=True).status_code == 200
        assert "adgang" not in tablet.get(url, follow_redirects=True).get_data(as_text=True)
    tablet.post("/kiosk/lock")
    calm = tablet.get("/kiosk/page/1", follow_redirects=True).get_data(as_text=True)
    assert CALM in calm


def test_the_consultants_review_counts_the_unanswered(world: World) -> None:
    client = world.consultant()
    client.post(world.start_url(), data={"administered_on": "2026-02-01", "how": "assisted"})
    rid = world.draft_id()
    client.post(f"/responses/{rid}/page/1", data={"health__mental": "2", "action": "next"})
    review = client.get(f"/responses/{rid}/review").get_data(as_text=True)
    assert "spørgsmål er ikke besvaret" in review
    assert f'href="/responses/{rid}/page/1#health__physical"' in review


# --- found by an attacker's probe: races, logs, redirects --------------------------------------


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment, each in its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def audit_ids(world: World, action: str) -> list[int]:
    with world.db() as db:
        return list(
            db.execute(
                select(AuditEvent.id).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).scalars()
        )


def test_two_saves_of_one_page_at_once_never_fail(world: World) -> None:
    tablet, rid = world.tablet()
    copies = [copy_of(world.app, tablet) for _ in range(2)]
    for trial in range(8):
        values = (str(1 + trial % 5), str(1 + (trial + 2) % 5))
        codes = race(
            *(
                lambda c=client, v=value: (
                    c.post(
                        "/kiosk/page/1", data={"health__mental": v, "action": "next"}
                    ).status_code
                )
                for client, value in zip(copies, values, strict=True)
            )
        )
        assert codes == [302, 302], (trial, codes)
        assert world.answers(rid)["health.mental"] in values


def test_a_failed_statement_never_puts_its_values_in_the_error(world: World) -> None:
    _tablet, rid = world.tablet()
    secret_value = "4"
    with world.db() as db:
        db.add(Answer(response_id=rid, item_code="health.mental", position=0, value=secret_value))
        db.commit()
        db.add(Answer(response_id=rid, item_code="health.mental", position=0, value=secret_value))
        with pytest.raises(IntegrityError) as raised:
            db.commit()
    message = str(raised.value)
    assert "hidden due to hide_parameters" in message
    assert "'health.mental'" not in message


def test_a_save_racing_the_lock_never_lands_after_it(world: World) -> None:
    tablet, rid = world.tablet()
    for trial in range(6):
        locker, *savers = (copy_of(world.app, tablet) for _ in range(4))
        race(
            lambda locker=locker: locker.post("/kiosk/lock", data={"reason": "pause"}),
            *(
                lambda s=saver, n=n: s.post(
                    "/kiosk/page/1", data={"health__mental": str(1 + n), "action": "next"}
                )
                for n, saver in enumerate(savers)
            ),
        )
        locks = audit_ids(world, "kiosk.lock")
        assert locks, trial
        assert all(update_id < locks[-1] for update_id in audit_ids(world, "response.update"))
        # Unlock and give it back for the next trial.
        tablet.post("/kiosk/unlock", data={"secret": PIN})
        assert tablet.post(f"/responses/{rid}/tablet").headers["Location"] == "/kiosk"


def test_a_tablet_save_racing_the_consultants_submit_never_changes_the_submitted_form(
    world: World,
) -> None:
    consultant = world.consultant()
    tablet, rid = world.tablet()
    savers = [copy_of(world.app, tablet) for _ in range(3)]
    race(
        lambda: consultant.post(f"/responses/{rid}/submit"),
        *(
            lambda s=saver, n=n: s.post(
                "/kiosk/autosave", data={"page": "1", "health__mental": str(1 + n)}
            )
            for n, saver in enumerate(savers)
        ),
    )
    submits = audit_ids(world, "response.submit")
    assert len(submits) == 1
    assert all(update_id < submits[0] for update_id in audit_ids(world, "response.update"))


def test_a_consultants_limit_holds_when_their_tablets_guess_at_once(world: World) -> None:
    tablets = [world.tablet(point=p)[0] for p in (2, 3, 4)]
    for tablet in tablets:
        tablet.post("/kiosk/lock", data={"reason": "pause"})
    guessers = [copy_of(world.app, tablet) for tablet in tablets for _ in range(5)]
    race(
        *(
            lambda g=guesser, n=n: g.post("/kiosk/unlock", data={"secret": f"64{n:04d}"})
            for n, guesser in enumerate(guessers)
        )
    )
    assert world.actions("kiosk.unlock_failure") == 10  # never more secrets checked
    assert world.actions("kiosk.unlock_refused") == 5  # and each refusal is audited


@pytest.mark.parametrize(
    ("url", "field"),
    [("/kiosk/language", "next"), ("/language", "next")],
)
def test_a_redirect_target_with_a_line_break_goes_home_instead(
    world: World, url: str, field: str
) -> None:
    browser = world.tablet()[0] if url.startswith("/kiosk") else world.consultant()
    reply = browser.post(url, data={"locale": "en", field: "/kiosk\r\nX-Evil: 1"})
    assert reply.status_code == 302
    assert "X-Evil" not in reply.headers
    assert "\n" not in reply.headers["Location"]


def test_a_login_with_a_line_break_in_next_goes_home(world: World) -> None:
    client = world.app.test_client()
    reply = client.post(
        "/login?next=/x%0d%0aX-Evil:%201", data={"username": "kirsten", "password": PASSWORD}
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"


def test_the_tablet_guard_comes_before_the_csrf_check(make_app, database_url: str) -> None:
    world = World(make_app(database_url, WTF_CSRF_ENABLED=True))
    browser = world.app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    browser.post("/login", data={"username": "kirsten", "password": PASSWORD, "csrf_token": token})
    start = browser.get(world.start_url()).get_data(as_text=True)
    token = start.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    handed = browser.post(
        world.start_url(),
        data={"administered_on": "2026-02-01", "how": "self", "csrf_token": token},
    )
    assert handed.headers["Location"] == "/kiosk"
    assert handed.headers["Clear-Site-Data"] == '"cache", "storage"'
    for url in ("/logout", "/login", "/language"):
        reply = browser.post(url)  # no token: the calm page all the same, not a CSRF error
        assert reply.status_code == 403, url
        assert CALM in reply.get_data(as_text=True), url


def test_a_password_reset_clears_the_tablet_pin(world: World) -> None:
    from survey.auth.services import reset_password

    tablet, _rid = world.tablet()
    tablet.post("/kiosk/lock", data={"reason": "pause"})
    with world.db() as db:
        user = db.get(User, world.consultant_id)
        reset_password(db, user)
        db.commit()
    refused = tablet.post("/kiosk/unlock", data={"secret": PIN})
    assert refused.status_code == 422
    with world.db() as db:
        assert db.get(User, world.consultant_id).kiosk_pin_hash is None
