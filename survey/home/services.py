"""What each role's home page shows: a consultant's day, a project leader's rhythm per team."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from survey.access import own_citizens
from survey.auth.principal import Principal
from survey.citizens.services import schedules
from survey.clock import ZONE
from survey.models import Citizen, Response, ResponseStatus, Team
from survey.schedule import FormState, counts

RECENT_DAYS = 14


@dataclass(frozen=True)
class DueRow:
    citizen: Citizen
    point: int
    form_id: str
    due_on: date
    window_end: date
    state: FormState
    has_draft: bool


@dataclass(frozen=True)
class ResponseRow:
    citizen: Citizen
    response: Response


@dataclass(frozen=True)
class ConsultantHome:
    due_soon: list[DueRow]
    overdue: list[DueRow]
    drafts: list[ResponseRow]
    recent: list[ResponseRow]
    horizon: date


def end_of_next_week(today: date) -> date:
    return today + timedelta(days=13 - today.weekday())


def consultant_home(
    db: Session, principal: Principal, *, today: date, forms: Sequence[str]
) -> ConsultantHome:
    citizens = list(db.execute(select(Citizen).where(own_citizens(principal))).scalars())
    plans = schedules(db, citizens, today=today, forms=forms)
    horizon = end_of_next_week(today)
    due_soon, overdue = [], []
    for citizen in citizens:
        for point in plans[citizen.id]:
            for status in point.forms:
                row = DueRow(
                    citizen,
                    point.point,
                    status.form_id,
                    point.due_on,
                    point.window_end,
                    status.state,
                    status.has_draft,
                )
                if status.state is FormState.OVERDUE:
                    overdue.append(row)
                elif status.state is FormState.DUE or (
                    status.state is FormState.NOT_YET_DUE and point.due_on <= horizon
                ):
                    due_soon.append(row)
    by_citizen = {c.id: c for c in citizens}
    responses = db.execute(
        select(Response)
        .where(col(Response.citizen_id).in_(by_citizen))
        .where(
            (col(Response.status) == ResponseStatus.DRAFT)
            | (col(Response.submitted_at) >= _days_ago(today, RECENT_DAYS))
        )
    ).scalars()
    drafts: list[ResponseRow] = []
    recent: list[ResponseRow] = []
    for response in responses:
        entry = ResponseRow(by_citizen[response.citizen_id], response)
        (drafts if response.status == ResponseStatus.DRAFT else recent).append(entry)
    key = lambda r: (r.due_on, r.citizen.reference, r.point, r.form_id)  # noqa: E731
    return ConsultantHome(
        due_soon=sorted(due_soon, key=key),
        overdue=sorted(overdue, key=key),
        drafts=sorted(drafts, key=lambda r: r.response.updated_at, reverse=True),
        recent=sorted(recent, key=_submitted_at, reverse=True),
        horizon=horizon,
    )


def citizens_shown(home: ConsultantHome) -> int:
    """How many citizens the consultant's home page names, for its audit entry."""
    due = [row.citizen.id for row in (*home.due_soon, *home.overdue)]
    begun = [row.citizen.id for row in (*home.drafts, *home.recent)]
    return len({*due, *begun})


def _submitted_at(row: ResponseRow) -> datetime:
    # Only submitted responses are recent ones, and a submitted response has this set.
    assert row.response.submitted_at is not None
    return row.response.submitted_at


def _days_ago(today: date, days: int) -> datetime:
    return datetime.combine(today - timedelta(days=days), time.min, tzinfo=ZONE)


@dataclass(frozen=True)
class TeamRhythm:
    team: Team
    citizens: int
    active: int
    points: list[int]
    by_form: dict[str, dict[int, dict[str, int]]]


def leader_overview(
    db: Session, principal: Principal, *, today: date, forms: Sequence[str]
) -> list[TeamRhythm]:
    """Per team and measurement point: forms due so far, done in window, late, missed, open."""
    teams = db.execute(
        select(Team)
        .where(col(Team.id).in_(sorted(principal.leader_team_ids)))
        .order_by(col(Team.name))
    ).scalars()
    result = []
    for team in teams:
        citizens = list(
            db.execute(select(Citizen).where(col(Citizen.team_id) == team.id)).scalars()
        )
        plans = list(schedules(db, citizens, today=today, forms=forms).values())
        by_form = {form_id: counts(plans, form_id) for form_id in forms}
        points = sorted({p for table in by_form.values() for p in table})
        result.append(
            TeamRhythm(
                team, len(citizens), sum(c.status == "active" for c in citizens), points, by_form
            )
        )
    return result
