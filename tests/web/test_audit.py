"""The audit trail: every action writes one entry, entries never change, no answer is logged."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from survey.db import get_engine
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    Mode,
    Response,
    ResponseStatus,
    Team,
    User,
)
from tests.conftest import login

MARKER = "HEMMELIGT-SVAR-7f3a"  # a free-text answer that must never reach a log


def entries(app, after: int = 0) -> list[tuple]:
    with Session(get_engine(app)) as db:
        rows = db.execute(
            select(AuditEvent.username, AuditEvent.action, Citizen.reference, AuditEvent.target)
            .outerjoin(Citizen, Citizen.id == AuditEvent.citizen_id)
            .where(AuditEvent.id > after)
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(row) for row in rows]


def last_id(app) -> int:
    with Session(get_engine(app)) as db:
        return (
            db.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalars().first() or 0
        )


def test_a_session_of_actions_is_audited_entry_by_entry(demo_app, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with Session(get_engine(demo_app), expire_on_commit=False) as db:
        anne = db.execute(select(User).where(User.username == "anne")).scalar_one()
        mads = db.execute(select(User).where(User.username == "mads")).scalar_one()
        nord = db.execute(select(Team).where(Team.name == "Team Nord")).scalar_one()
        citizen = (
            db.execute(
                select(Citizen).where(Citizen.consultant_id == anne.id, Citizen.status == "active")
            )
            .scalars()
            .first()
        )
        response = Response(
            citizen_id=citizen.id,
            point=9,
            form_id="staff",
            form_version=1,
            administered_on=date(2026, 11, 20),
            mode=Mode.STAFF,
            status=ResponseStatus.SUBMITTED,
            submitted_at=datetime(2026, 11, 20, tzinfo=UTC),
        )
        response.answers = [Answer(item_code="staff.note", value=MARKER)]
        db.add(response)
        db.commit()
        reference, citizen_id = citizen.reference, citizen.id
    start = last_id(demo_app)

    client = demo_app.test_client()
    client.post("/login", data={"username": "anne", "password": "not it"})
    login(client, "anne")
    client.get(f"/citizens/{citizen_id}")
    client.post(
        "/citizens/new",
        data={
            "reference": "NORD-AUDIT-1",
            "enrolled_on": "2026-11-20",
            "team": nord.id,
            "consultant": anne.id,
        },
    )
    client.post(
        f"/citizens/{citizen_id}/end",
        data={"reason": "ended_planned:employment", "ended_on": "2026-11-21"},
    )
    client.post(f"/citizens/{citizen_id}/reopen", data={"on": "2026-11-22"})
    client.post(
        f"/citizens/{citizen_id}/transfer", data={"consultant": mads.id, "on": "2026-11-22"}
    )
    new = "violet otter harbour 17"
    client.post("/account/password", data={"current": "demo-anne-2026", "new": new, "repeat": new})
    client.post("/logout")

    admin = demo_app.test_client()
    login(admin, "admin")
    admin.post(
        "/admin/users/new",
        data={
            "username": "ny",
            "full_name": "Ny Konsulent",
            "consultant_in": [nord.id],
        },
    )
    with Session(get_engine(demo_app)) as db:
        new_id = db.execute(select(User.id).where(User.username == "ny")).scalar_one()
    admin.post(
        f"/admin/users/{new_id}",
        data={"full_name": "Ny K.", "consultant_in": [nord.id]},
    )
    admin.post(f"/admin/users/{new_id}/reset-password")
    admin.post(f"/admin/users/{new_id}/active", data={"active": "0"})
    admin.post(f"/admin/users/{new_id}/active", data={"active": "1"})
    admin.post(
        "/admin/teams/new",
        data={"name": "Team Vest", "measurement_interval_months": 3, "window_days": 14},
    )
    admin.post(
        f"/admin/teams/{nord.id}",
        data={"name": "Team Nord", "measurement_interval_months": 3, "window_days": 28},
    )
    admin.get("/admin/audit?action=citizen.view")
    export = admin.get("/admin/audit.csv")

    assert entries(demo_app, start) == [
        ("anne", "login.failure", None, None),
        ("anne", "login.success", None, None),
        ("anne", "citizen.view", reference, None),
        ("anne", "citizen.enrol", "NORD-AUDIT-1", None),
        ("anne", "citizen.end", reference, None),
        ("anne", "citizen.reopen", reference, None),
        ("anne", "citizen.transfer", reference, None),
        ("anne", "password.change", None, "user:anne"),
        ("anne", "logout", None, None),
        ("admin", "login.success", None, None),
        ("admin", "user.create", None, "user:ny"),
        ("admin", "user.update", None, "user:ny"),
        ("admin", "user.reset_password", None, "user:ny"),
        ("admin", "user.disable", None, "user:ny"),
        ("admin", "user.enable", None, "user:ny"),
        ("admin", "team.create", None, f"team:{nord.id + 2}"),
        ("admin", "team.update", None, f"team:{nord.id}"),
        ("admin", "audit.view", None, None),
        ("admin", "audit.export", None, None),
    ]
    csv = export.get_data(as_text=True)
    assert "citizen.transfer" in csv
    assert reference in csv

    # No answer value in the audit trail, its export, or any application log.
    with Session(get_engine(demo_app)) as db:
        dumped = " ".join(str(row) for row in db.execute(select(AuditEvent)).scalars())
    assert MARKER not in dumped
    assert MARKER not in csv
    assert MARKER not in caplog.text
    assert "demo-anne-2026" not in caplog.text + dumped  # nor a password


def test_the_audit_trail_is_append_only(make_app, database_url: str) -> None:
    app = make_app(database_url)
    with Session(get_engine(app)) as db:
        db.add(AuditEvent(action="login.success", username="x"))
        db.commit()
    for statement in ("UPDATE audit_event SET username = 'y'", "DELETE FROM audit_event"):
        with Session(get_engine(app)) as db, pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement))
    with Session(get_engine(app)) as db:
        assert db.execute(select(AuditEvent.username)).scalars().all() == ["x"]


def test_unknown_actions_are_refused(app) -> None:
    from survey import audit

    with app.test_request_context(), pytest.raises(ValueError, match="unknown audit action"):
        audit.record("citizen.peek")
