"""Citizens: enrolment, transfers, course ends, and their measurement schedules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from survey import audit
from survey.access import can_enrol_in, can_view_citizen, citizen_scope
from survey.auth.principal import Principal
from survey.models import (
    STATUS_REASONS,
    Citizen,
    CitizenEvent,
    CitizenEventKind,
    CourseStatus,
    InvalidReference,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
    check_reference,
)
from survey.refusals import Refusal
from survey.schedule import PointSchedule, build_schedule


class CitizenError(Refusal):
    """A refused change of a citizen or a course (a code of survey.refusals); `field` names the
    form field it concerns."""


class NotVisible(LookupError):
    """No such citizen, or not one this user may see (both answer the same, 404 or 403)."""

    def __init__(self, exists: bool):
        self.exists = exists


def get_visible(db: Session, principal: Principal, citizen_id: int) -> Citizen:
    citizen = db.get(Citizen, citizen_id)
    if citizen is None:
        raise NotVisible(exists=False)
    if not can_view_citizen(principal, citizen):
        raise NotVisible(exists=True)
    return citizen


def visible_citizens(
    db: Session, principal: Principal, *, search: str | None = None, status: str | None = None
) -> list[Citizen]:
    statement = select(Citizen).where(citizen_scope(principal)).order_by(col(Citizen.reference))
    if search:
        # A `%`, `_` or backslash typed in the search matches itself, not any text.
        statement = statement.where(
            col(Citizen.reference).icontains(search.strip(), autoescape=True)
        )
    if status in {s.value for s in CourseStatus}:
        statement = statement.where(col(Citizen.status) == status)
    return list(db.execute(statement).scalars())


def people(db: Session, user_ids: Iterable[int | None]) -> dict[int, User]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.execute(select(User).where(col(User.id).in_(ids))).scalars()}


def consultants_of(db: Session, team_id: int, *, active_only: bool = True) -> list[User]:
    statement = (
        select(User)
        .join(TeamMembership, col(TeamMembership.user_id) == col(User.id))
        .where(
            col(TeamMembership.team_id) == team_id,
            col(TeamMembership.role) == Role.CONSULTANT,
        )
        .order_by(col(User.full_name))
    )
    if active_only:
        statement = statement.where(col(User.is_active).is_(True))
    return list(db.execute(statement).scalars())


def teams_for(db: Session, principal: Principal) -> list[Team]:
    if not principal.team_ids:
        return []
    return list(
        db.execute(
            select(Team).where(col(Team.id).in_(principal.team_ids)).order_by(col(Team.name))
        ).scalars()
    )


def _check_consultant(db: Session, consultant_id: int | None, team_id: int) -> User:
    user = db.get(User, consultant_id) if consultant_id else None
    if user is None:
        raise CitizenError("citizen.no_consultant", "consultant")
    if not user.is_active:
        raise CitizenError("citizen.consultant_disabled", "consultant", name=user.full_name)
    if user.id not in {c.id for c in consultants_of(db, team_id)}:
        raise CitizenError("citizen.consultant_elsewhere", "consultant", name=user.full_name)
    return user


def enrol(
    db: Session,
    principal: Principal,
    *,
    reference: str,
    enrolled_on: date,
    team_id: int,
    consultant_id: int | None,
    today: date,
) -> Citizen:
    try:
        reference = check_reference(reference)
    except InvalidReference as exc:
        raise CitizenError(f"citizen.reference.{exc.kind}", "reference") from None
    if db.execute(select(col(Citizen.id)).where(col(Citizen.reference) == reference)).first():
        raise CitizenError("citizen.reference_taken", "reference")
    if not can_enrol_in(principal, team_id):
        raise CitizenError("citizen.other_team", "team")
    if enrolled_on > today:
        raise CitizenError("citizen.enrolled_in_future", "enrolled_on")
    consultant = _check_consultant(db, consultant_id, team_id)
    citizen = Citizen(
        reference=reference, enrolled_on=enrolled_on, team_id=team_id, consultant_id=consultant.id
    )
    return write_enrolment(db, citizen, recorded_by_id=principal.id)


def write_enrolment(
    db: Session,
    citizen: Citizen,
    *,
    recorded_by_id: int | None,
    actor: User | None = None,
    details: dict | None = None,
    audited: bool = True,
) -> Citizen:
    """The rows of an enrolment whose checks have passed: the citizen, its enrolment event and
    the audit entry. The importer and the demo, which check whole files, write through it too,
    so every citizen's history reads the same."""
    db.add(citizen)
    db.flush()
    assert citizen.id is not None
    db.add(
        CitizenEvent(
            citizen_id=citizen.id,
            kind=CitizenEventKind.ENROLLED,
            occurred_on=citizen.enrolled_on,
            recorded_by_id=recorded_by_id,
            consultant_id=citizen.consultant_id,
        )
    )
    if audited:
        audit.record(
            "citizen.enrol", citizen_id=citizen.id, user=actor, session=db, details=details
        )
    return citizen


def transfer(
    db: Session,
    principal: Principal,
    citizen: Citizen,
    *,
    consultant_id: int | None,
    on: date,
    today: date,
) -> Citizen:
    if consultant_id == citizen.consultant_id:
        raise CitizenError("citizen.same_consultant", "consultant")
    if on > today or on < citizen.enrolled_on:
        raise CitizenError("citizen.transfer_date", "on")
    consultant = _check_consultant(db, consultant_id, citizen.team_id)
    assert citizen.id is not None
    db.add(
        CitizenEvent(
            citizen_id=citizen.id,
            kind=CitizenEventKind.TRANSFERRED,
            occurred_on=on,
            recorded_by_id=principal.id,
            consultant_id=consultant.id,
            previous_consultant_id=citizen.consultant_id,
        )
    )
    audit.record(
        "citizen.transfer",
        citizen_id=citizen.id,
        session=db,
        details={"from": citizen.consultant_id, "to": consultant.id},
    )
    citizen.consultant_id = consultant.id
    return citizen


def end_course(
    db: Session,
    principal: Principal,
    citizen: Citizen,
    *,
    status: str,
    reason: str,
    ended_on: date,
    today: date,
) -> Citizen:
    if citizen.status != CourseStatus.ACTIVE:
        raise CitizenError("citizen.already_ended", "status")
    if status not in (CourseStatus.ENDED_PLANNED, CourseStatus.ENDED_UNPLANNED):
        raise CitizenError("citizen.end_kind", "status")
    if reason not in STATUS_REASONS[CourseStatus(status)]:
        raise CitizenError("citizen.end_reason", "reason")
    if ended_on < citizen.enrolled_on:
        raise CitizenError(
            "citizen.ended_before_enrolment", "ended_on", day=citizen.enrolled_on.isoformat()
        )
    if ended_on > today:
        raise CitizenError("citizen.ended_in_future", "ended_on")
    citizen.status, citizen.status_reason, citizen.ended_on = CourseStatus(status), reason, ended_on
    write_end(db, citizen, recorded_by_id=principal.id)
    return citizen


def write_end(
    db: Session,
    citizen: Citizen,
    *,
    recorded_by_id: int | None,
    actor: User | None = None,
    details: dict | None = None,
    audited: bool = True,
) -> None:
    """The rows of a course's end once the citizen carries it: the event and the audit entry."""
    assert citizen.id is not None
    assert citizen.ended_on is not None
    status = CourseStatus(citizen.status).value
    db.add(
        CitizenEvent(
            citizen_id=citizen.id,
            kind=CitizenEventKind.ENDED,
            occurred_on=citizen.ended_on,
            recorded_by_id=recorded_by_id,
            status=status,
            reason=citizen.status_reason,
        )
    )
    if not audited:
        return
    audit.record(
        "citizen.end",
        citizen_id=citizen.id,
        user=actor,
        session=db,
        details={"status": status, "reason": citizen.status_reason, **(details or {})},
    )


def reopen(db: Session, principal: Principal, citizen: Citizen, *, on: date, today: date) -> None:
    if citizen.status == CourseStatus.ACTIVE:
        raise CitizenError("citizen.not_ended", "on")
    if (citizen.ended_on and on < citizen.ended_on) or on > today:
        raise CitizenError("citizen.reopen_date", "on")
    citizen.status, citizen.status_reason, citizen.ended_on = CourseStatus.ACTIVE, None, None
    assert citizen.id is not None
    db.add(
        CitizenEvent(
            citizen_id=citizen.id,
            kind=CitizenEventKind.REOPENED,
            occurred_on=on,
            recorded_by_id=principal.id,
        )
    )
    audit.record("citizen.reopen", citizen_id=citizen.id, session=db)


@dataclass(frozen=True)
class HistoryEntry:
    event: CitizenEvent
    recorded_by: str | None
    consultant: str | None
    previous_consultant: str | None


def history(db: Session, citizen: Citizen) -> list[HistoryEntry]:
    by, new, old = aliased(User), aliased(User), aliased(User)
    rows = db.execute(
        select(CitizenEvent, col(by.full_name), col(new.full_name), col(old.full_name))
        .outerjoin(by, col(by.id) == col(CitizenEvent.recorded_by_id))
        .outerjoin(new, col(new.id) == col(CitizenEvent.consultant_id))
        .outerjoin(old, col(old.id) == col(CitizenEvent.previous_consultant_id))
        .where(col(CitizenEvent.citizen_id) == citizen.id)
        .order_by(col(CitizenEvent.occurred_on), col(CitizenEvent.id))
    ).all()
    return [HistoryEntry(*row) for row in rows]


def inactive_periods(events: Iterable[CitizenEvent]) -> list[tuple[date, date | None]]:
    """The stretches a course was ended: (ended_on, reopened_on or None)."""
    periods: list[tuple[date, date | None]] = []
    for event in sorted(events, key=lambda e: (e.occurred_on, e.id or 0)):
        if event.kind == CitizenEventKind.ENDED:
            periods.append((event.occurred_on, None))
        elif event.kind == CitizenEventKind.REOPENED and periods and periods[-1][1] is None:
            periods[-1] = (periods[-1][0], event.occurred_on)
    return periods


def schedules(
    db: Session, citizens: Sequence[Citizen], *, today: date, forms: Sequence[str]
) -> dict[int, list[PointSchedule]]:
    """Every citizen's measurement schedule, from three queries whatever the number of citizens."""
    ids = [c.id for c in citizens]
    if not ids:
        return {}
    teams = {t.id: t for t in db.execute(select(Team)).scalars()}
    done: dict[int, dict[tuple[int, str], date]] = defaultdict(dict)
    drafts: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for citizen_id, point, form_id, status, administered_on in db.execute(
        select(
            col(Response.citizen_id),
            col(Response.point),
            col(Response.form_id),
            col(Response.status),
            col(Response.administered_on),
        ).where(col(Response.citizen_id).in_(ids))
    ):
        if status == ResponseStatus.SUBMITTED:
            done[citizen_id][(point, form_id)] = administered_on
        else:
            drafts[citizen_id].add((point, form_id))
    events: dict[int, list[CitizenEvent]] = defaultdict(list)
    for event in db.execute(
        select(CitizenEvent).where(
            col(CitizenEvent.citizen_id).in_(ids),
            or_(
                col(CitizenEvent.kind) == CitizenEventKind.ENDED,
                col(CitizenEvent.kind) == CitizenEventKind.REOPENED,
            ),
        )
    ).scalars():
        events[event.citizen_id].append(event)
    result: dict[int, list[PointSchedule]] = {}
    for citizen in citizens:
        assert citizen.id is not None
        team = teams[citizen.team_id]
        periods = inactive_periods(events[citizen.id])
        if citizen.status != CourseStatus.ACTIVE and (not periods or periods[-1][1] is not None):
            periods.append((citizen.ended_on or today, None))  # ended without an event (imports)
        result[citizen.id] = build_schedule(
            enrolled_on=citizen.enrolled_on,
            today=today,
            interval_months=team.measurement_interval_months,
            window_days=team.window_days,
            inactive=periods,
            done=done[citizen.id],
            drafts=drafts[citizen.id],
            forms=forms,
        )
    return result
