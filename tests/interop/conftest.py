"""Fixtures for the import and export tests: a tiny published form with every item type, an app
on it (SQLite and PostgreSQL), teams and consultants, and helpers that write CSV text."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlmodel import Session

from survey.app import INSTRUMENTS
from survey.db import get_engine
from survey.instruments import publish
from survey.interop.csvio import RESPONSE_COLUMNS, to_text
from survey.interop.importing import ImportResult, import_citizens, import_responses
from survey.models import Answer, Citizen, CitizenEvent, Response, Role, Team, TeamMembership, User

TODAY = "2026-11-23"

# Every item type, "Ved ikke", a baseline item, a chain of two conditions and a score.
HAND_FORM = """\
instrument: hand
version: 1
kind: form
title: {da: "Håndskema", en: "Hand form"}
respondent: citizen
modes: [self, assisted]
source: "Written for the import tests"
terms: "Free to use"
sections:
  - id: main
    title: {da: "Afsnit", en: "Section"}
    items:
      - code: hand.first
        type: single_choice
        text: {da: "Første gang?", en: "First time?"}
        answers: [{code: 1, da: "Ja", en: "Yes"}, {code: 2, da: "Nej", en: "No"}]
        baseline: true
      - code: hand.single
        type: single_choice
        text: {da: "Et valg", en: "One choice"}
        answers:
          - {code: 1, da: "Lidt", en: "A little"}
          - {code: 2, da: "Meget", en: "Much"}
          - {code: 9, da: "Ved ikke", en: "Don't know", special: dont_know}
      - code: hand.multi
        type: multiple_choice
        text: {da: "Flere valg", en: "Several choices"}
        answers:
          - {code: 1, da: "A", en: "A"}
          - {code: 2, da: "B", en: "B"}
          - {code: 3, da: "C", en: "C"}
      - code: hand.count
        type: integer
        text: {da: "Antal", en: "Count"}
        min: 0
        max: 10
      - code: hand.when
        type: date
        text: {da: "Hvornår", en: "When"}
      - code: hand.note
        type: text
        text: {da: "Bemærkning", en: "Note"}
        max_length: 50
      - code: hand.gate
        type: single_choice
        text: {da: "Port", en: "Gate"}
        answers: [{code: 1, da: "Ja", en: "Yes"}, {code: 2, da: "Nej", en: "No"}]
      - code: hand.follow
        type: single_choice
        text: {da: "Følger", en: "Follows"}
        answers: [{code: 1, da: "Ja", en: "Yes"}, {code: 2, da: "Nej", en: "No"}]
        show_when: {item: hand.gate, in: [1]}
      - code: hand.deeper
        type: integer
        text: {da: "Dybere", en: "Deeper"}
        min: 0
        max: 5
        show_when: {item: hand.follow, in: [1]}
scores:
  - code: hand.score
    title: {da: "Håndscore", en: "Hand score"}
    method: sum
    items: [hand.single, hand.gate]
    require: all
    multiply: 2
"""


@pytest.fixture
def hand_instruments(tmp_path: Path) -> Path:
    """A folder with the hand form, published (imports refuse unpublished versions)."""
    folder = tmp_path / "hand-instruments"
    (folder / "hand").mkdir(parents=True)
    (folder / "hand" / "1.yaml").write_text(HAND_FORM, encoding="utf-8")
    publish(folder, "hand", 1)
    return folder


def _hand_app(make_app: Callable[..., Flask], database_url: str, instruments: Path) -> Flask:
    app = make_app(database_url, INSTRUMENTS_DIR=str(instruments), FIXED_TODAY=TODAY)
    with Session(get_engine(app)) as session:
        add_organisation(session, {"Team Nord": ["anne"], "Team Syd": ["jonas"]})
        team = session.execute(select(Team).where(Team.name == "Team Nord")).scalar_one()
        session.add(Citizen(reference="H-1", enrolled_on=date(2026, 1, 1), team_id=team.id))
        session.commit()
    return app


@pytest.fixture
def hand_app(make_app: Callable[..., Flask], database_url: str, hand_instruments: Path) -> Flask:
    """An app on the hand form with two teams, consultants anne (Nord) and jonas (Syd), and
    citizen H-1 (enrolled 2026-01-01), on SQLite and on PostgreSQL."""
    return _hand_app(make_app, database_url, hand_instruments)


@pytest.fixture
def hand_sqlite_app(
    make_app: Callable[..., Flask], tmp_path: Path, hand_instruments: Path
) -> Flask:
    """The same on SQLite only: for checks that never reach the database (the refusals), so
    the suite stays quick."""
    return _hand_app(make_app, f"sqlite:///{tmp_path / 'hand.db'}", hand_instruments)


def add_organisation(session: Session, teams: dict[str, list[str]]) -> None:
    """Teams with their consultants (by user name); a user in several teams is made once."""
    users: dict[str, User] = {}
    for name, usernames in teams.items():
        team = Team(name=name)
        session.add(team)
        session.flush()
        for username in usernames:
            if username not in users:
                users[username] = User(username=username, full_name=username, password_hash="!")
                session.add(users[username])
                session.flush()
            session.add(
                TeamMembership(user_id=users[username].id, team_id=team.id, role=Role.CONSULTANT)
            )
    session.flush()


def counts(app: Flask) -> dict[str, int]:
    """Rows per table that an import writes: equal before and after a refused import."""
    with Session(get_engine(app)) as session:
        return {
            model.__tablename__: session.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in (Citizen, CitizenEvent, Response, Answer)
        }


def responses_csv(rows: list[list[object]], delimiter: str = ",") -> str:
    return to_text([RESPONSE_COLUMNS, *rows], delimiter)


def answer(
    item: str,
    value: object,
    *,
    citizen: str = "H-1",
    point: int = 1,
    day: str = "2026-02-01",
    form: str = "hand",
    version: object = 1,
    mode: str = "self",
) -> list[object]:
    """One row of a responses file."""
    return [citizen, point, day, form, version, mode, item, value]


def stream(text: str) -> io.StringIO:
    return io.StringIO(text, newline="")


def import_text(app: Flask, text: str, kind: str = "responses", **options) -> ImportResult:
    """Run an import and commit, as the command does: a refused import must write nothing even
    when its session is committed."""
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as session:
        if kind == "responses":
            result = import_responses(session, app.extensions[INSTRUMENTS], stream(text), **options)
        else:
            result = import_citizens(session, stream(text), **options)
        session.commit()
    return result


# A hand-made responses file in the form the long export writes (every item asked, in order).
HAND_FILE = [
    # Point 1: every item type, "Ved ikke", two codes, an empty (unanswered) date-free item.
    answer("hand.first", 1),
    answer("hand.single", 9),
    answer("hand.multi", "1;3"),
    answer("hand.count", 0),
    answer("hand.when", "2026-01-15"),
    answer("hand.note", "Tekst, med komma; semikolon og «citat»"),
    answer("hand.gate", 1),
    answer("hand.follow", 1),
    answer("hand.deeper", ""),
    # Point 2: baseline item gone, the condition does not hold, several empties.
    *[
        answer(item, value, point=2, day="2026-05-03", mode="assisted")
        for item, value in [
            ("hand.single", ""),
            ("hand.multi", "2"),
            ("hand.count", 10),
            ("hand.when", ""),
            ("hand.note", ""),
            ("hand.gate", 2),
        ]
    ],
    # Point 3: a response with nothing answered.
    *[
        answer(item, "", point=3, day="2026-08-01")
        for item in ("hand.single", "hand.multi", "hand.count", "hand.when", "hand.note")
    ],
    answer("hand.gate", "", point=3, day="2026-08-01"),
]
