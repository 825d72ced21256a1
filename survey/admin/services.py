"""Creating and changing teams, audited, for the admin page and `survey teams` alike."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from survey import audit
from survey.models import Team
from survey.refusals import Refusal

NAME_MAX = 100  # the column's length
# The allowed values, lowest and highest: months between measurements, days before and after
# the due date.
RANGES = {"measurement_interval_months": (1, 12), "window_days": (0, 60)}
# Outcome targets are shares of the team's citizens (0.25 = 25 %); None keeps the programme's.
TARGETS = ("target_employment", "target_education")


class TeamError(Refusal):
    """A refused team change (a code of survey.refusals); `field` is the Team attribute at fault,
    the form's field of the same name. The caller rolls back."""


@dataclass(frozen=True)
class TeamSettings:
    """Everything an admin sets on a team."""

    name: str
    measurement_interval_months: int = 3
    window_days: int = 21
    suppress_small_cells: bool = True
    target_employment: float | None = None
    target_education: float | None = None

    @classmethod
    def of(cls, team: Team) -> TeamSettings:
        return cls(
            team.name,
            team.measurement_interval_months,
            team.window_days,
            team.suppress_small_cells,
            team.target_employment,
            team.target_education,
        )


def create_team(session: Session, settings: TeamSettings) -> Team:
    """A new team, flushed (so it has its id) and audited as team.create."""
    return _save(session, None, settings)


def update_team(session: Session, team: Team, settings: TeamSettings) -> Team:
    """Change a team's name, rhythm, suppression and targets; audited as team.update."""
    return _save(session, team, settings)


def _save(session: Session, existing: Team | None, settings: TeamSettings) -> Team:
    name = settings.name.strip()
    if not name:
        raise TeamError("team.blank", "name")
    if len(name) > NAME_MAX:
        raise TeamError("team.long", "name", max=NAME_MAX)
    for field, (low, high) in RANGES.items():
        if not low <= getattr(settings, field) <= high:
            raise TeamError(f"team.range.{field}", field, min=low, max=high)
    for field in TARGETS:
        share = getattr(settings, field)
        if share is not None and not (isinstance(share, int | float) and 0 <= share <= 1):
            raise TeamError(f"team.range.{field}", field)
    same_name = select(col(Team.id)).where(col(Team.name) == name)
    if existing is not None:
        same_name = same_name.where(col(Team.id) != existing.id)
    if session.execute(same_name).first():
        raise TeamError("team.taken", "name")
    team = existing or Team(name=name)
    team.name = name
    team.measurement_interval_months = settings.measurement_interval_months
    team.window_days = settings.window_days
    team.suppress_small_cells = settings.suppress_small_cells
    team.target_employment = settings.target_employment
    team.target_education = settings.target_education
    session.add(team)
    try:
        session.flush()
    except IntegrityError:  # the same name saved by someone else a moment ago
        raise TeamError("team.taken", "name") from None
    audit.record(
        "team.update" if existing else "team.create",
        target=f"team:{team.id}",
        details={
            "interval": team.measurement_interval_months,
            "window": team.window_days,
            "suppress_small_cells": team.suppress_small_cells,
            # a target is named only when the team has its own (none: the programme's)
            **{
                field: getattr(team, field) for field in TARGETS if getattr(team, field) is not None
            },
        },
        session=session,
    )
    return team
