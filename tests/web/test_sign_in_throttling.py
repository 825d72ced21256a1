"""Sign-in throttling, tested as the attacks were made: wrong passwords for a known name, a
name hammered while its owner wants in, an office of 50 behind one address, a forged
X-Forwarded-For, two workers. Time is a fake clock, never a sleep."""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from types import SimpleNamespace

import limits.storage.memory
import limits.storage.redis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse_many
from limits.storage import MemoryStorage, storage_from_string
from sqlalchemy import select
from sqlmodel import Session

from survey.auth import throttle
from survey.auth.throttle import LoginThrottle, Rules
from survey.config import ConfigError, build_config
from survey.db import get_engine
from survey.hashing import hash_password
from survey.models import AuditEvent, User

MADS = "demo-mads-2026"
OFFICE = "192.0.2.10"  # one municipality office: every browser behind one address
ATTACKER = "198.51.100.66"


class FakeClock:
    """The time the throttle and its storage read; tests move it on instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """limits' memory and Redis storages stamp moving-window entries with time.time() in the
    client, as does survey.auth.throttle: all three read this clock."""
    fake = FakeClock()
    stand_in = SimpleNamespace(time=fake.time)
    for module in (limits.storage.memory, limits.storage.redis, throttle):
        monkeypatch.setattr(module, "time", stand_in)
    return fake


@pytest.fixture
def throttled(make_app, demo_database, tmp_path) -> Callable[..., Flask]:
    """The demo with throttling on (the suite's other tests have it off)."""
    copy = tmp_path / "throttled.db"
    shutil.copyfile(demo_database, copy)

    def factory(**overrides) -> Flask:
        return make_app(f"sqlite:///{copy}", migrated=False, RATELIMIT_ENABLED=True, **overrides)

    return factory


def browser(app: Flask, address: str = OFFICE) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client: FlaskClient, username: str, password: str, **headers: str):
    return client.post("/login", data={"username": username, "password": password}, headers=headers)


def page(response) -> str:
    return response.get_data(as_text=True)


# --- the schedule ---------------------------------------------------------------------------------


def test_the_delay_doubles_after_the_free_failures_up_to_the_longest() -> None:
    rules = Rules(free_failures=5, first_delay=30, max_delay=900, per_address=())
    assert [rules.delay(n) for n in range(12)] == [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]
    assert rules.delay(10_000) == 900


# --- a name's wrong passwords ---------------------------------------------------------------------


def test_six_wrong_passwords_then_the_right_one_after_the_delay_logs_in(throttled, clock) -> None:
    """The probe's finding: after 5 wrong passwords for mads, the right one was refused too."""
    client = browser(throttled())
    for _ in range(5):
        wrong = attempt(client, "mads", "wrong")
        assert wrong.status_code == 200
        assert "Forkert brugernavn eller adgangskode" in page(wrong)
    refused = attempt(client, "mads", MADS)  # inside the first delay: not even checked
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert "For mange mislykkede logins for dette brugernavn. Prøv igen om 30 sekunder" in page(
        refused
    )
    clock.advance(30)
    assert attempt(client, "mads", "wrong").status_code == 200  # the sixth wrong password
    refused = attempt(client, "mads", MADS)
    assert refused.status_code == 429
    assert "Prøv igen om 1 minut" in page(refused)  # the delay doubled
    clock.advance(59)
    assert attempt(client, "mads", MADS).status_code == 429
    clock.advance(1)
    assert attempt(client, "mads", MADS).status_code == 302  # the right one after the delay
    # A login forgets the failures: the next wrong password is free again.
    other = browser(client.application)
    assert attempt(other, "mads", "wrong").status_code == 200
    assert attempt(other, "mads", "wrong").status_code == 200


def test_refused_attempts_do_not_lengthen_the_delay(throttled, clock) -> None:
    client = browser(throttled())
    for _ in range(5):
        attempt(client, "mads", "wrong")
    for _ in range(50):  # hammering inside the delay changes nothing
        assert attempt(client, "mads", "wrong").status_code == 429
        clock.advance(0.5)
    clock.advance(5)
    assert attempt(client, "mads", MADS).status_code == 302


def test_the_wait_is_told_in_english_too(throttled, clock) -> None:
    client = browser(throttled())
    client.post("/language", data={"locale": "en"})
    for _ in range(5):
        attempt(client, "mads", "wrong")
    refused = attempt(client, "mads", MADS)
    assert "Too many failed logins for this user name. Try again in 30 seconds." in page(refused)


def test_a_hammered_name_never_keeps_its_owner_out(throttled, clock) -> None:
    """Someone who knows the name guesses all day, as fast as they are let; the owner's usual
    browser logs in at once every time, and a new browser waits at most the longest delay."""
    app = throttled()
    owner = browser(app)
    assert attempt(owner, "mads", MADS).status_code == 302  # the browser mads always uses
    owner.post("/logout")
    attacker = browser(app, ATTACKER)
    waits: list[int] = []
    for step in range(60 * 6):  # an hour, a guess every ten seconds
        answer = attempt(attacker, "mads", f"guess-{step}")
        if answer.status_code == 429:
            waits.append(int(answer.headers.get("Retry-After", -1)))
        if step % 60 == 0:  # every ten minutes
            assert attempt(owner, "mads", MADS).status_code == 302
            owner.post("/logout")
        clock.advance(10)
    assert 890 <= max(waits) <= 900  # SURVEY_LOGIN_MAX_DELAY_SECONDS, reached, never passed
    # A browser mads never used waits the schedule, no longer, then logs in.
    new = browser(app, "203.0.113.5")
    refused = attempt(new, "mads", MADS)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) <= 900
    clock.advance(int(refused.headers["Retry-After"]))
    assert attempt(new, "mads", MADS).status_code == 302


def test_attempts_at_once_after_the_delay_get_one_check_between_them(clock) -> None:
    rules = Rules(free_failures=2, first_delay=10, max_delay=60, per_address=())
    gate = LoginThrottle(MemoryStorage(), rules)
    for _ in range(2):
        assert gate.admit("mads", ATTACKER) is None
        gate.failed("mads", ATTACKER)
    clock.advance(10)
    results: list[object] = []
    barrier = threading.Barrier(20)

    def guess() -> None:
        barrier.wait()
        results.append(gate.admit("mads", ATTACKER))

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results.count(None) == 1


# --- one address, many people ---------------------------------------------------------------------


def test_fifty_staff_behind_one_address_all_log_in(make_app, clock) -> None:
    """The probe's finding: 10 of 50 staff logging in at once from one office were refused.
    Here each makes a typo first, as people do at 8 in the morning."""
    app = make_app(RATELIMIT_ENABLED=True)
    with Session(get_engine(app)) as db:
        for n in range(50):
            db.add(
                User(
                    username=f"staff{n}",
                    full_name=f"Staff {n}",
                    password_hash=hash_password(f"office-pass-{n}"),
                )
            )
        db.commit()
    codes = []
    for n in range(50):
        client = browser(app)
        codes.append(attempt(client, f"staff{n}", "typo").status_code)
        codes.append(attempt(client, f"staff{n}", f"office-pass-{n}").status_code)
    assert codes == [200, 302] * 50


def test_an_address_gets_a_budget_of_failed_logins(throttled, clock) -> None:
    """Password spraying from one address: many names, one guess each."""
    app = throttled(LOGIN_RATE_PER_ADDRESS="10 per minute")
    known = browser(app)
    assert attempt(known, "mads", MADS).status_code == 302  # before the spraying
    known.post("/logout")
    sprayer = browser(app)
    for n in range(10):
        assert attempt(sprayer, f"name{n}", "Sommer2026").status_code == 200
    refused = attempt(sprayer, "anne", "Sommer2026")
    assert refused.status_code == 429
    assert "For mange mislykkede logins fra dit netværk" in page(refused)
    # The rest of the world is not slowed, and neither is a browser that logged in as mads.
    assert attempt(browser(app, "203.0.113.9"), "anne", "demo-anne-2026").status_code == 302
    assert attempt(known, "mads", MADS).status_code == 302
    clock.advance(60)
    assert attempt(browser(app), "anne", "demo-anne-2026").status_code == 302


# --- behind the reverse proxy ---------------------------------------------------------------------

PROXY = "10.0.0.2"


def login_ips(app: Flask) -> list[str | None]:
    with Session(get_engine(app)) as db:
        return list(
            db.execute(
                select(AuditEvent.ip)
                .where(AuditEvent.action.in_(["login.success", "login.failure"]))
                .order_by(AuditEvent.id)
            ).scalars()
        )


def test_behind_a_trusted_proxy_the_audit_records_the_client(throttled, clock) -> None:
    app = throttled(TRUSTED_PROXIES=1)
    through_proxy = browser(app, PROXY)
    # The browser forged a header of its own; the proxy appends the address it saw.
    forwarded = {"X-Forwarded-For": "192.0.2.200, 203.0.113.7"}
    attempt(through_proxy, "mads", "wrong", **forwarded)
    attempt(through_proxy, "mads", MADS, **forwarded)
    assert login_ips(app) == ["203.0.113.7", "203.0.113.7"]


def test_without_trusted_proxies_a_forwarded_header_is_ignored(throttled, clock) -> None:
    app = throttled(LOGIN_RATE_PER_ADDRESS="5 per minute")
    sprayer = browser(app, ATTACKER)
    for n in range(5):
        spoofed = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert attempt(sprayer, f"name{n}", "x", **spoofed).status_code == 200
    # A new made-up address every time does not buy a new budget.
    assert attempt(sprayer, "anne", "x", **{"X-Forwarded-For": "203.0.113.99"}).status_code == 429
    assert set(login_ips(app)) == {ATTACKER}


def test_behind_one_trusted_proxy_each_client_has_its_own_budget(throttled, clock) -> None:
    app = throttled(TRUSTED_PROXIES=1, LOGIN_RATE_PER_ADDRESS="5 per minute")
    proxy = browser(app, PROXY)
    for n in range(5):
        attempt(proxy, f"name{n}", "x", **{"X-Forwarded-For": ATTACKER})
    assert attempt(proxy, "anne", "x", **{"X-Forwarded-For": ATTACKER}).status_code == 429
    colleague = {"X-Forwarded-For": OFFICE}
    assert attempt(proxy, "anne", "demo-anne-2026", **colleague).status_code == 302


# --- several workers ------------------------------------------------------------------------------


def test_two_workers_sharing_redis_see_each_others_counts(throttled, redis_url, clock) -> None:
    first = throttled(RATELIMIT_STORAGE_URI=redis_url)
    second = throttled(RATELIMIT_STORAGE_URI=redis_url)
    for _ in range(3):
        assert attempt(browser(first), "mads", "wrong").status_code == 200
    for _ in range(2):
        assert attempt(browser(second), "mads", "wrong").status_code == 200
    assert attempt(browser(first), "mads", MADS).status_code == 429  # five between them
    assert attempt(browser(second), "mads", MADS).status_code == 429
    clock.advance(30)
    assert attempt(browser(second), "mads", MADS).status_code == 302
    assert attempt(browser(first), "mads", "wrong").status_code == 200  # forgotten everywhere


def test_with_memory_storage_each_worker_counts_alone(throttled, clock) -> None:
    """Why production wants Redis: in memory, two workers give a guesser twice the attempts."""
    first, second = throttled(), throttled()
    for _ in range(5):
        attempt(browser(first), "mads", "wrong")
    assert attempt(browser(first), "mads", MADS).status_code == 429
    assert attempt(browser(second), "mads", MADS).status_code == 302


def test_attempts_at_once_on_redis_get_one_check_between_them(redis_url, clock) -> None:
    rules = Rules(free_failures=1, first_delay=10, max_delay=60, per_address=())
    gates = [LoginThrottle(storage_from_string(redis_url), rules) for _ in range(2)]
    assert gates[0].admit("mads", ATTACKER) is None
    gates[0].failed("mads", ATTACKER)
    clock.advance(10)
    results: list[object] = []
    barrier = threading.Barrier(12)

    def guess(gate: LoginThrottle) -> None:
        barrier.wait()
        results.append(gate.admit("mads", ATTACKER))

    threads = [threading.Thread(target=guess, args=(gates[n % 2],)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results.count(None) == 1


def test_an_unreachable_redis_throttles_in_the_worker(throttled, clock, caplog) -> None:
    """Redis down: logins go on, counted in this worker's memory, and the log says so."""
    app = throttled(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9")  # nothing listens on port 9
    with caplog.at_level(logging.WARNING, logger="survey.auth.throttle"):
        for _ in range(5):
            assert attempt(browser(app), "mads", "wrong").status_code == 200
        assert attempt(browser(app), "mads", MADS).status_code == 429
        clock.advance(30)
        assert attempt(browser(app), "mads", MADS).status_code == 302
    assert "throttling logins in this worker only" in caplog.text


# --- the settings ---------------------------------------------------------------------------------


def test_the_throttling_settings_come_from_the_environment(tmp_path) -> None:
    settings = build_config(
        tmp_path,
        {
            "SURVEY_ENV": "testing",
            "SURVEY_LOGIN_FREE_FAILURES": "3",
            "SURVEY_LOGIN_DELAY_SECONDS": "10",
            "SURVEY_LOGIN_MAX_DELAY_SECONDS": "600",
            "SURVEY_LOGIN_RATE_PER_ADDRESS": "100 per minute; 1000 per hour",
            "SURVEY_TRUSTED_PROXIES": "1",
        },
    )
    rules = Rules.from_config(settings)
    assert (rules.free_failures, rules.first_delay, rules.max_delay) == (3, 10, 600)
    assert rules.per_address == tuple(parse_many("100 per minute; 1000 per hour"))
    assert settings["TRUSTED_PROXIES"] == 1


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("SURVEY_LOGIN_RATE_PER_ADDRESS", "lots", "SURVEY_LOGIN_RATE_PER_ADDRESS"),
        ("SURVEY_LOGIN_FREE_FAILURES", "0", "SURVEY_LOGIN_FREE_FAILURES"),
        ("SURVEY_LOGIN_MAX_DELAY_SECONDS", "5", "SURVEY_LOGIN_MAX_DELAY_SECONDS"),
        ("SURVEY_TRUSTED_PROXIES", "one", "SURVEY_TRUSTED_PROXIES"),
    ],
)
def test_a_wrong_throttling_setting_names_itself(tmp_path, name, value, complaint) -> None:
    with pytest.raises(ConfigError, match=complaint):
        build_config(tmp_path, {"SURVEY_ENV": "testing", name: value})


def test_production_on_memory_storage_warns_at_start_up(make_app, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        make_app(ENV="production", migrated=False)
    assert "each worker counts failed logins on its own" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        make_app(ENV="production", migrated=False, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9")
    assert "each worker counts" not in caplog.text
