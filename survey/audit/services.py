"""Writing and reading the audit trail. No answer value ever goes into it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select
from sqlmodel import Session, col

from survey.db import get_session
from survey.instruments.cells import guard
from survey.models import AuditEvent, Citizen, User, utcnow

# Every action the trail knows; a test checks each is written where it should be.
ACTIONS = (
    "login.success",
    "login.failure",
    "login.refused",
    "logout",
    "logout.refused",
    "session.expired",
    "password.change",
    "user.create",
    "user.update",
    "user.disable",
    "user.enable",
    "user.reset_password",
    "user.provisioned",
    "user.sign_in_update",
    "team.create",
    "team.update",
    "citizen.enrol",
    "caseload.view",
    "citizen.view",
    "citizen.transfer",
    "citizen.end",
    "citizen.reopen",
    "response.view",
    "response.create",
    "response.update",
    "response.submit",
    "response.amend",
    "kiosk.hand_over",
    "kiosk.lock",
    "kiosk.unlock_attempt",
    "kiosk.unlock",
    "kiosk.unlock_failure",
    "kiosk.unlock_refused",
    "kiosk.end",
    "citizen.trend",
    "audit.view",
    "audit.export",
    "export",
    "data.export",
    "data.import",
    "backup.create",
    "backup.restore",
)


def record(
    action: str,
    *,
    citizen_id: int | None = None,
    response_id: int | None = None,
    target: str | None = None,
    details: dict | None = None,
    user: User | None = None,
    username: str | None = None,
    session: Session | None = None,
) -> AuditEvent:
    """Append an entry in the caller's transaction, so the change and its record commit together."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user.user
    event = AuditEvent(
        action=action,
        user_id=user.id if user else None,
        username=user.username if user else username,
        citizen_id=citizen_id,
        response_id=response_id,
        target=target,
        details=details,
        ip=request.remote_addr if has_request_context() else None,
    )
    (session or get_session()).add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    username: str | None = None
    action: str | None = None
    citizen_reference: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def query(session: Session, chosen: AuditFilter, limit: int | None = 500) -> list[tuple]:
    """Entries newest first, with the citizen's reference; filtered as chosen."""
    statement = (
        select(AuditEvent, col(Citizen.reference))
        .outerjoin(Citizen, col(Citizen.id) == AuditEvent.citizen_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    )
    if chosen.username:
        statement = statement.where(col(AuditEvent.username) == chosen.username)
    if chosen.action:
        statement = statement.where(col(AuditEvent.action) == chosen.action)
    if chosen.citizen_reference:
        statement = statement.where(col(Citizen.reference) == chosen.citizen_reference)
    if chosen.date_from:
        statement = statement.where(col(AuditEvent.at) >= _start_of(chosen.date_from))
    if chosen.date_to and chosen.date_to < date.max:  # the last day of the calendar: no bound
        statement = statement.where(
            col(AuditEvent.at) < _start_of(chosen.date_to + timedelta(days=1))
        )
    if limit:
        statement = statement.limit(limit)
    return list(session.execute(statement).all())


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min).replace(tzinfo=utcnow().tzinfo)


CSV_COLUMNS = ("at", "username", "action", "citizen", "response_id", "target", "ip", "details")


def to_csv(rows: Iterable[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event, reference in rows:
        # Texts someone chose (a name, a reference, an address a proxy passed on) are guarded as
        # the exports guard them: no spreadsheet runs a cell starting with = + - @ as a formula.
        writer.writerow(
            [
                event.at.isoformat(),
                guard(event.username or ""),
                event.action,
                guard(reference or ""),
                event.response_id or "",
                guard(event.target or ""),
                guard(event.ip or ""),
                guard(str(event.details)) if event.details else "",
            ]
        )
    return out.getvalue()
