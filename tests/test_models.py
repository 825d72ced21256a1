"""The database itself refuses inconsistent data, on SQLite and PostgreSQL alike."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey.db import get_engine
from survey.models import (
    Answer,
    Citizen,
    CourseStatus,
    InvalidReference,
    Mode,
    Response,
    ResponseStatus,
    Team,
    check_reference,
)

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(make_app, database_url: str):
    app = make_app(database_url)
    with Session(get_engine(app), expire_on_commit=False) as session:
        team = Team(name="Team A")
        session.add(team)
        session.commit()
        session.info["team_id"] = team.id
        yield session


def add_citizen(db: Session, reference: str = "A-001", **fields) -> Citizen:
    citizen = Citizen(
        reference=reference, enrolled_on=date(2026, 1, 31), team_id=db.info["team_id"], **fields
    )
    db.add(citizen)
    db.commit()
    return citizen


def response(citizen: Citizen, status: ResponseStatus = ResponseStatus.SUBMITTED, **fields):
    values = {
        "citizen_id": citizen.id,
        "point": 1,
        "form_id": "citizen",
        "form_version": 1,
        "administered_on": date(2026, 2, 1),
        "mode": Mode.SELF,
        "status": status,
        "submitted_at": NOW if status is ResponseStatus.SUBMITTED else None,
    }
    return Response(**{**values, **fields})


def test_one_submitted_response_per_citizen_point_and_form(db: Session) -> None:
    citizen = add_citizen(db)
    db.add(response(citizen))
    db.commit()
    db.add(response(citizen, ResponseStatus.DRAFT))  # a draft beside it is allowed
    db.add(response(citizen, point=2))  # so is another point
    db.commit()
    db.add(response(citizen))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_one_draft_per_citizen_point_and_form(db: Session) -> None:
    """Two devices starting the same form at once resume one draft instead of making two."""
    citizen = add_citizen(db)
    db.add(response(citizen, ResponseStatus.DRAFT))
    db.commit()
    db.add(response(citizen, ResponseStatus.DRAFT))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_submitted_needs_a_time_and_drafts_have_none(db: Session) -> None:
    citizen = add_citizen(db)
    db.add(response(citizen, ResponseStatus.DRAFT, submitted_at=NOW))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


@pytest.mark.parametrize(
    "fields",
    [
        {"point": 0},
        {"mode": "kiosk"},
        {"form_version": 0},
    ],
)
def test_response_fields_are_checked(db: Session, fields: dict) -> None:
    citizen = add_citizen(db)
    db.add(response(citizen, **fields))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


@pytest.mark.parametrize(
    "fields",
    [
        {"status": CourseStatus.ENDED_PLANNED},  # no reason, no date
        {
            "status": CourseStatus.ENDED_PLANNED,
            "status_reason": "moved",
            "ended_on": date(2026, 6, 1),
        },  # an unplanned reason on a planned end
        {
            "status": CourseStatus.ENDED_UNPLANNED,
            "status_reason": "too_complex",
            "ended_on": date(2025, 12, 1),
        },  # ends before enrolment
        {"status": CourseStatus.ACTIVE, "status_reason": "other"},
        {"status": "paused"},
    ],
)
def test_course_status_is_consistent(db: Session, fields: dict) -> None:
    with pytest.raises(IntegrityError):
        add_citizen(db, **fields)
    db.rollback()


def test_an_ended_course_keeps_reason_and_date(db: Session) -> None:
    citizen = add_citizen(
        db, status=CourseStatus.ENDED_PLANNED, status_reason="employment", ended_on=date(2026, 5, 1)
    )
    stored = db.exec(select(Citizen).where(Citizen.id == citizen.id)).scalar_one()
    assert (stored.status, stored.status_reason) == ("ended_planned", "employment")


def test_duplicate_reference_is_refused(db: Session) -> None:
    add_citizen(db, "A-001")
    with pytest.raises(IntegrityError):
        add_citizen(db, "A-001")
    db.rollback()


def test_answers_go_with_their_response_and_positions_are_unique(db: Session) -> None:
    citizen = add_citizen(db)
    stored = response(citizen)
    stored.answers = [
        Answer(item_code="staff.diagnosis_kinds", position=0, value="1"),
        Answer(item_code="staff.diagnosis_kinds", position=1, value="7"),
    ]
    db.add(stored)
    db.commit()
    db.add(Answer(response_id=stored.id, item_code="staff.diagnosis_kinds", position=1, value="2"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    db.delete(stored)
    db.commit()
    assert db.exec(select(Answer)).all() == []


def test_times_come_back_as_aware_utc(db: Session) -> None:
    citizen = add_citizen(db)
    db.add(response(citizen))
    db.commit()
    db.expire_all()
    stored = db.exec(select(Response)).scalar_one()
    assert stored.submitted_at == NOW
    assert stored.submitted_at.tzinfo is not None


@pytest.mark.parametrize(
    "reference",
    ["010190-1234", "0101901234", "010190 1234", " 311299-9999 ", "NV-0101901234", "x3112991234"],
)
def test_references_that_look_like_cpr_numbers_are_refused(reference: str) -> None:
    with pytest.raises(InvalidReference, match="looks like a CPR number"):
        check_reference(reference)


@pytest.mark.parametrize("reference", ["NORD-2025-001", "PVA/17", "borger 12", "12345678901"])
def test_pseudonymous_references_are_accepted(reference: str) -> None:
    assert check_reference(f"  {reference} ") == reference


def test_the_model_refuses_a_cpr_reference_before_the_database_sees_it(db: Session) -> None:
    with pytest.raises(InvalidReference):
        Citizen(reference="010190-1234", enrolled_on=date(2026, 1, 1), team_id=1)


@pytest.mark.parametrize("reference", ["", "   ", "a" * 41, "semi;colon", "<b>"])
def test_other_bad_references_are_refused(reference: str) -> None:
    with pytest.raises(InvalidReference):
        check_reference(reference)
