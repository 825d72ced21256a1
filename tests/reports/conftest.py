"""A small cohort built by hand, row by row, so every figure of every table can be checked.

Team Nord: c1, c2 active; c3 ended as planned (employment); c4 ended unplanned (too complex);
c5 active, enrolled later, never had a staff form; c6 active with only a draft.
Team Syd: c7 active. Citizen form version 2 (written into a temporary instruments folder) is
used by c1 at point 2, c2 at point 3 and c4 at point 1.

WHO-5 raw sums x 4:   point 1   point 2   point 3
  c1                    40        60        80      (assisted at point 3)
  c2 (assisted at 1)    20         -         8
  c3                    52     (who5.5 unanswered)  68
  c4 (assisted)          4         -         -
  c5                   100         -        92
  c7 (Syd)             100         -         -
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from flask import Flask
from sqlmodel import Session

from survey.config import PROJECT_ROOT
from survey.db import get_engine
from survey.models import Answer, Citizen, Response, Team, User

Answers = dict[str, int | list[int] | str]


def who5(*values: int) -> Answers:
    return {f"who5.{i}": v for i, v in enumerate(values, start=1)}


@dataclass
class Cohort:
    app: Flask
    ids: dict[str, int] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)

    @property
    def registry(self):
        return self.app.extensions["survey.instruments"]

    def session(self) -> Session:
        return Session(get_engine(self.app), expire_on_commit=False)


def write_citizen_v2(folder: Path) -> None:
    """Citizen form version 2: version 1 without the substance-use section, with a free-text
    and a date item."""
    data = yaml.safe_load((folder / "citizen" / "1.yaml").read_text(encoding="utf-8"))
    data["version"] = 2
    data["sections"] = [s for s in data["sections"] if s.get("id") != "substance_use"]
    data["sections"].append(
        {
            "id": "notes",
            "title": {"da": "Noter", "en": "Notes"},
            "items": [
                {
                    "code": "notes.comment",
                    "type": "text",
                    "text": {"da": "Kommentar", "en": "Comment"},
                },
                {
                    "code": "notes.next_meeting",
                    "type": "date",
                    "text": {"da": "Næste møde", "en": "Next meeting"},
                },
            ],
        }
    )
    (folder / "citizen" / "2.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


@pytest.fixture
def instruments_v2(tmp_path: Path) -> Path:
    folder = tmp_path / "instruments"
    shutil.copytree(PROJECT_ROOT / "instruments", folder)
    write_citizen_v2(folder)
    return folder


def add_response(
    session: Session,
    citizen: Citizen,
    point: int,
    form: str,
    answers: Answers,
    *,
    mode: str | None = None,
    version: int = 1,
    status: str = "submitted",
) -> Response:
    response = Response(
        citizen_id=citizen.id,
        point=point,
        form_id=form,
        form_version=version,
        administered_on=date(2026, 1, 10),
        mode=mode or ("staff" if form == "staff" else "self"),
        status=status,
        submitted_at=datetime(2026, 2, 1, tzinfo=UTC) if status == "submitted" else None,
    )
    session.add(response)
    session.flush()
    for code, value in answers.items():
        values = value if isinstance(value, list) else [value]
        for position, v in enumerate(values):
            session.add(
                Answer(response_id=response.id, item_code=code, position=position, value=str(v))
            )
    return response


def build_cohort(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    nord, syd = Team(name="Nord"), Team(name="Syd")
    session.add_all([nord, syd])
    session.flush()
    anne = User(username="anne", full_name="Anne", password_hash="!")
    bo = User(username="bo", full_name="Bo", password_hash="!")
    session.add_all([anne, bo])
    session.flush()

    def citizen(ref: str, team: Team, consultant: User, **fields) -> Citizen:
        c = Citizen(
            reference=ref,
            team_id=team.id,
            consultant_id=consultant.id,
            enrolled_on=fields.pop("enrolled_on", date(2026, 1, 10)),
            **fields,
        )
        session.add(c)
        session.flush()
        return c

    ended = {"ended_on": date(2026, 6, 1)}
    c1 = citizen("c1", nord, anne)
    c2 = citizen("c2", nord, anne)
    c3 = citizen("c3", nord, bo, status="ended_planned", status_reason="employment", **ended)
    c4 = citizen("c4", nord, bo, status="ended_unplanned", status_reason="too_complex", **ended)
    c5 = citizen("c5", nord, bo, enrolled_on=date(2026, 3, 1))
    c6 = citizen("c6", nord, anne)
    c7 = citizen("c7", syd, anne)

    add = add_response
    # c1
    add(
        session,
        c1,
        1,
        "citizen",
        {"health.mental": 4, "health.physical": 3, **who5(2, 2, 2, 2, 2), "bip_c.1": 9},
    )
    add(session, c1, 2, "citizen", {"health.mental": 3, **who5(3, 3, 3, 3, 3)}, version=2)
    add(session, c1, 3, "citizen", {"health.mental": 2, **who5(4, 4, 4, 4, 4)}, mode="assisted")
    add(
        session,
        c1,
        1,
        "staff",
        {
            "person.gender": 1,
            "person.age": 23,
            "staff.diagnosis_kinds": [1, 2],
            "staff.employment": 2,
            "staff.education": 2,
            "staff.internship": 1,
        },
    )
    add(session, c1, 3, "staff", {"staff.employment": 1, "staff.employment_hours": 12})
    # c2
    add(
        session,
        c2,
        1,
        "citizen",
        {"health.mental": 5, "health.physical": 5, **who5(1, 1, 1, 1, 1), "bip_c.1": 1},
        mode="assisted",
    )
    c2_notes = {"notes.comment": "Har det bedre", "notes.next_meeting": "2026-12-01"}
    add(
        session,
        c2,
        3,
        "citizen",
        {"health.mental": 5, **who5(0, 0, 1, 0, 1), **c2_notes},
        version=2,
    )
    add(
        session,
        c2,
        1,
        "staff",
        {
            "person.gender": 2,
            "person.age": 35,
            "staff.diagnosis_kinds": [2],
            "staff.employment": 2,
            "staff.education": 1,
            "staff.internship": 2,
        },
    )
    # c3 (ended as planned)
    add(
        session,
        c3,
        1,
        "citizen",
        {"health.mental": 4, "health.physical": 4, **who5(3, 3, 3, 2, 2), "bip_c.1": 3},
    )
    add(
        session,
        c3,
        2,
        "citizen",
        {"health.mental": 4, "who5.1": 3, "who5.2": 3, "who5.3": 3, "who5.4": 3},
    )
    add(session, c3, 3, "citizen", {"health.mental": 3, **who5(4, 4, 3, 3, 3)})
    add(
        session,
        c3,
        1,
        "staff",
        {
            "person.gender": 1,
            "person.age": 62,
            "staff.employment": 1,
            "staff.education": 2,
            "staff.internship": 2,
        },
    )
    # c4 (ended unplanned), citizen form version 2, assisted
    add(
        session,
        c4,
        1,
        "citizen",
        {"health.mental": 5, "health.physical": 4, **who5(0, 0, 1, 0, 0), "bip_c.1": 9},
        mode="assisted",
        version=2,
    )
    add(
        session,
        c4,
        1,
        "staff",
        {
            "person.gender": 2,
            "person.age": 17,
            "staff.employment": 2,
            "staff.education": 2,
            "staff.internship": 2,
        },
    )
    # c5: health.mental unanswered at point 1, no staff form
    add(session, c5, 1, "citizen", {"health.physical": 2, **who5(5, 5, 5, 5, 5), "bip_c.1": 5})
    add(session, c5, 3, "citizen", {"health.mental": 1, **who5(5, 5, 4, 5, 4)})
    # c6: only a draft
    add(session, c6, 1, "citizen", {"health.mental": 1, **who5(5, 5, 5, 5, 5)}, status="draft")
    # c7 (team Syd)
    add(
        session,
        c7,
        1,
        "citizen",
        {"health.mental": 1, "health.physical": 1, **who5(5, 5, 5, 5, 5), "bip_c.1": 2},
    )
    add(session, c7, 1, "staff", {"person.gender": 2, "staff.employment": 1})
    session.commit()
    ids = {c.reference: c.id for c in (c1, c2, c3, c4, c5, c6, c7)}
    ids.update(anne=anne.id, bo=bo.id)
    return ids, {"Nord": nord.id, "Syd": syd.id}


@pytest.fixture
def make_cohort(make_app, instruments_v2: Path) -> Callable[[str | None], Cohort]:
    def factory(database_url: str | None = None) -> Cohort:
        app = make_app(database_url, INSTRUMENTS_DIR=str(instruments_v2))
        cohort = Cohort(app)
        with cohort.session() as session:
            cohort.ids, cohort.teams = build_cohort(session)
        return cohort

    return factory


@pytest.fixture
def cohort(make_cohort, database_url: str) -> Cohort:
    """The cohort on SQLite and on PostgreSQL."""
    return make_cohort(database_url)


@pytest.fixture
def sqlite_cohort(make_cohort) -> Cohort:
    return make_cohort(None)
