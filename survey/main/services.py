"""What the front page and the health check report: counts only, never a person's data."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Select, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from survey.config import ConfigError
from survey.migrate import current_revision, head_revision
from survey.models import Citizen, Response, ResponseStatus, Team


@dataclass(frozen=True)
class Overview:
    teams: int
    citizens: int
    submitted_responses: int


def overview(session: Session) -> Overview:
    def count(statement: Select) -> int:
        return session.execute(statement).scalar_one()

    return Overview(
        teams=count(select(func.count()).select_from(Team)),
        citizens=count(select(func.count()).select_from(Citizen)),
        submitted_responses=count(
            select(func.count())
            .select_from(Response)
            .where(col(Response.status) == ResponseStatus.SUBMITTED)
        ),
    )


@dataclass(frozen=True)
class Health:
    database: bool
    revision: str | None
    head: str | None

    @property
    def ok(self) -> bool:
        return self.database and self.revision == self.head


def health(app: Flask) -> Health:
    head = head_revision(app)
    try:
        return Health(database=True, revision=current_revision(app), head=head)
    except (SQLAlchemyError, ConfigError):
        return Health(database=False, revision=None, head=head)
