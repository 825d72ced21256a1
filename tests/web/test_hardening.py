"""The probe's smaller findings: HSTS in production, /healthz telling strangers nothing but
ok, formula cells in the audit CSV, and a failed login recording the name tried (or its keyed
hash when no such user exists)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from survey.audit.services import CSV_COLUMNS, to_csv
from survey.config import ConfigError, build_config
from survey.db import get_engine
from survey.models import AuditEvent, Team, User
from tests.conftest import login


def test_hsts_in_production_with_the_max_age_set(make_app) -> None:
    production = make_app(ENV="production", HSTS_SECONDS=600)
    header = production.test_client().get("/login").headers["Strict-Transport-Security"]
    assert header == "max-age=600"
    default = make_app(ENV="production").test_client().get("/login")
    assert default.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in make_app().test_client().get("/login").headers
    off = make_app(ENV="production", HSTS_SECONDS=0).test_client().get("/login")
    assert "Strict-Transport-Security" not in off.headers


def test_session_cookies_in_production_are_secure_httponly_and_samesite(make_app) -> None:
    """A stolen cookie: it never travels over plain HTTP, no script reads it, and another
    site's form post does not carry it."""
    production = make_app(ENV="production")
    response = production.test_client().get("/login")  # the CSRF token starts a session
    cookies = [value for name, value in response.headers.items() if name == "Set-Cookie"]
    session = next(c for c in cookies if c.startswith("session="))
    assert "Secure" in session
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session


def test_hsts_seconds_from_the_environment(tmp_path) -> None:
    settings = build_config(tmp_path, {"SURVEY_HSTS_SECONDS": "120", "SURVEY_ENV": "testing"})
    assert settings["HSTS_SECONDS"] == 120
    with pytest.raises(ConfigError, match="SURVEY_HSTS_SECONDS must be a whole number"):
        build_config(tmp_path, {"SURVEY_HSTS_SECONDS": "a year", "SURVEY_ENV": "testing"})


def test_health_tells_a_stranger_only_whether_it_is_up(demo_app) -> None:
    stranger = demo_app.test_client().get("/healthz")
    assert stranger.status_code == 200
    assert stranger.get_json() == {"status": "ok"}
    consultant = demo_app.test_client()
    login(consultant, "anne")
    assert consultant.get("/healthz").get_json() == {"status": "ok"}
    admin = demo_app.test_client()
    login(admin, "admin")
    full = admin.get("/healthz").get_json()
    assert full["status"] == "ok"
    assert full["schema"] == full["expected_schema"]


def test_health_says_unavailable_without_saying_why(make_app) -> None:
    reply = make_app(migrated=False).test_client().get("/healthz")
    assert reply.status_code == 503
    assert reply.get_json() == {"status": "unavailable"}


FORMULAS = ["=1+1", "+1+1", "-2-3", "@SUM(A1)", "\t=1", "\r=1"]


def test_the_audit_csv_guards_every_formula_cell() -> None:
    rows = [
        (
            AuditEvent(
                at=datetime(2026, 11, 23, tzinfo=UTC),
                action="login.failure",
                username=formula,
                target=formula,
                ip=formula,
                details=None,
                response_id=None,
            ),
            formula,
        )
        for formula in FORMULAS
    ]
    cells = list(csv.DictReader(io.StringIO(to_csv(rows))))
    for formula, row in zip(FORMULAS, cells, strict=True):
        for column in ("username", "citizen", "target", "ip"):
            assert row[column] == "'" + formula, column
    assert set(cells[0]) == set(CSV_COLUMNS)


def test_a_reference_that_reads_as_a_formula_is_text_in_the_audit_csv(demo_app) -> None:
    anne = demo_app.test_client()
    login(anne, "anne")
    with Session(get_engine(demo_app)) as db:
        team = db.scalars(select(Team).where(Team.name == "Team Nord")).one()
        me = db.scalars(select(User).where(User.username == "anne")).one()
    enrolled = anne.post(
        "/citizens/new",
        data={
            "reference": "-2-3/4",
            "enrolled_on": "2026-11-02",
            "team": team.id,
            "consultant": me.id,
        },
    )
    assert enrolled.status_code == 302
    admin = demo_app.test_client()
    login(admin, "admin")
    exported = admin.get("/admin/audit.csv?action=citizen.enrol").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["citizen"] for r in rows if r["action"] == "citizen.enrol"] == ["'-2-3/4"]


def failures(app) -> list[tuple[str | None, dict]]:
    with Session(get_engine(app)) as db:
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "login.failure").order_by(AuditEvent.id)
        )
        return [(e.username, e.details or {}) for e in events]


def test_a_failed_login_records_the_name_or_its_keyed_hash(demo_app) -> None:
    client = demo_app.test_client()
    client.post("/login", data={"username": "anne", "password": "wrong one"})
    client.post("/login", data={"username": " Nobody.Here ", "password": "wrong one"})
    known, unknown = failures(demo_app)[-2:]
    assert known == ("anne", {"reason": "password"})
    expected = hmac.new(b"test-secret", b"nobody.here", hashlib.sha256).hexdigest()[:16]
    assert unknown == (None, {"reason": "unknown_user", "name_hash": expected})
    # The same name tried again gives the same hash, so attempts on one name can be counted.
    client.post("/login", data={"username": "nobody.here", "password": "x"})
    assert failures(demo_app)[-1][1]["name_hash"] == expected
