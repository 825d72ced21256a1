"""A database administrator (or whoever gets a copy of the database or a backup) finds no
secret to use: no password, PIN, login token or tablet token is stored as itself, only as a
hash or digest. The answers are there, and so is their audit trail, which they cannot rewrite
(tests/web/test_audit.py::test_the_audit_trail_is_append_only)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, text
from sqlmodel import Session, SQLModel

from survey.db import get_engine
from survey.models import Citizen, User
from tests.conftest import login

PASSWORD = "demo-anne-2026"
PIN = "472913"


def _session_values(app: Flask, client) -> list[str]:
    """Every text in the client's signed session cookie: the login's and the tablet's tokens."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    return [value for value in data.values() if isinstance(value, str) and len(value) >= 16]


def _everything_stored(app: Flask) -> str:
    """Every value of every row of every table, as text."""
    out = []
    with get_engine(app).connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')):
                out.extend(str(value) for value in row)
    return "\n".join(out)


def test_the_database_holds_no_password_pin_or_token(demo_app: Flask) -> None:
    consultant = demo_app.test_client()
    login(consultant, "anne")
    tokens = _session_values(demo_app, consultant)
    assert tokens, "the login's token is in the cookie"
    assert (
        consultant.post("/account/pin", data={"password": PASSWORD, "pin": PIN}).status_code == 302
    )
    with Session(get_engine(demo_app)) as db:
        citizen = (
            db.execute(
                select(Citizen)
                .join(User, User.id == Citizen.consultant_id)  # type: ignore[arg-type]
                .where(User.username == "anne", Citizen.status == "active")
                .order_by(Citizen.id)
            )
            .scalars()
            .first()
        )
        assert citizen is not None
    handed = consultant.post(
        f"/citizens/{citizen.id}/points/35/citizen",
        data={"administered_on": "2026-11-23", "how": "self"},
    )
    assert handed.headers["Location"] == "/kiosk"
    tablet_tokens = _session_values(demo_app, consultant)
    assert set(tablet_tokens) - set(tokens), "the tablet has a token of its own"
    stored = _everything_stored(demo_app)
    for secret in [PASSWORD, PIN, *tokens, *tablet_tokens]:
        assert secret not in stored
    assert "$argon2" in stored, "the password and the PIN are stored as argon2 hashes"
