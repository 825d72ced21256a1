"""Filling forms as a consultant: drafts, pages, errors, tampering, submit once, amendments."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from survey.db import get_engine
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    Response,
    ResponseChange,
    ResponseStatus,
    User,
    UserSession,
    utcnow,
)
from tests.conftest import login

POINT = 30  # a point the demo never fills


@pytest.fixture
def anne(demo_app):
    client = demo_app.test_client()
    login(client, "anne")
    return client


@pytest.fixture
def citizen_id(demo_app) -> int:
    with Session(get_engine(demo_app)) as db:
        return (
            db.execute(
                select(Citizen.id)
                .join(User, User.id == Citizen.consultant_id)
                .where(User.username == "anne", Citizen.status == "active")
                .order_by(Citizen.id)
            )
            .scalars()
            .first()
        )


def start(
    client, citizen_id: int, form: str = "staff", how: str = "staff", point: int = POINT
) -> int:
    response = client.post(
        f"/citizens/{citizen_id}/points/{point}/{form}",
        data={"administered_on": "2026-11-20", "how": how},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].split("/")[2])


def answers(app, response_id: int) -> dict[str, list[str]]:
    with Session(get_engine(app)) as db:
        rows = db.execute(
            select(Answer.item_code, Answer.value)
            .where(Answer.response_id == response_id)
            .order_by(Answer.item_code, Answer.position)
        ).all()
    found: dict[str, list[str]] = {}
    for code, value in rows:
        found.setdefault(code, []).append(value)
    return found


def responses_for(app, citizen_id: int, point: int = POINT) -> list[Response]:
    with Session(get_engine(app)) as db:
        return list(
            db.execute(
                select(Response).where(Response.citizen_id == citizen_id, Response.point == point)
            ).scalars()
        )


def test_starting_twice_gives_one_draft_and_resumes_it(demo_app, anne, citizen_id) -> None:
    first = start(anne, citizen_id)
    again = anne.get(f"/citizens/{citizen_id}/points/{POINT}/staff")
    assert again.headers["Location"] == f"/responses/{first}/page/1"
    assert (
        anne.post(
            f"/citizens/{citizen_id}/points/{POINT}/staff",
            data={"administered_on": "2026-11-20", "how": "staff"},
        ).status_code
        == 302
    )
    assert len(responses_for(demo_app, citizen_id)) == 1


def test_pages_save_the_draft_and_another_device_resumes_it(demo_app, anne, citizen_id) -> None:
    rid = start(anne, citizen_id)
    saved = anne.post(
        f"/responses/{rid}/page/1",
        data={
            "staff__mental_limits": "2",
            "staff__diagnosis": "1",
            "staff__diagnosis_kinds": ["2", "1"],
            "action": "next",
        },
    )
    assert saved.headers["Location"] == f"/responses/{rid}/page/2"
    assert answers(demo_app, rid) == {
        "staff.diagnosis": ["1"],
        "staff.diagnosis_kinds": ["1", "2"],
        "staff.mental_limits": ["2"],
    }
    tablet = demo_app.test_client()
    login(tablet, "anne")
    page = tablet.get(f"/responses/{rid}/page/1").get_data(as_text=True)
    assert 'checked id="staff__mental_limits-1" name="staff__mental_limits"' in page
    assert 'checked id="staff__diagnosis_kinds-0"' in page
    assert 'checked id="staff__diagnosis_kinds-1"' in page
    assert 'checked id="staff__diagnosis_kinds-2"' not in page


def test_a_validation_error_keeps_what_was_typed_and_stores_the_rest(
    demo_app, anne, citizen_id
) -> None:
    rid = start(anne, citizen_id)
    employment = _page_number(anne, rid, "Beskæftigelse")
    page = anne.post(
        f"/responses/{rid}/page/{employment}",
        data={
            "staff__employment": "1",
            "staff__employment_hours": "50",
            "staff__education": "2",
            "action": "next",
        },
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert 'href="#staff__employment_hours"' in html
    assert "Tallet skal være mellem 1 og 37" in html
    assert 'value="50"' in html  # what was typed is still there
    assert answers(demo_app, rid) == {"staff.education": ["2"], "staff.employment": ["1"]}


def _page_number(client, rid: int, title: str) -> int:
    for number in range(1, 10):
        if f"<h2>{title}" in client.get(f"/responses/{rid}/page/{number}").get_data(as_text=True):
            return number
    raise AssertionError(title)


def test_a_hidden_items_stale_answer_is_dropped(demo_app, anne, citizen_id) -> None:
    rid = start(anne, citizen_id)
    employment = _page_number(anne, rid, "Beskæftigelse")
    anne.post(
        f"/responses/{rid}/page/{employment}",
        data={"staff__employment": "1", "staff__employment_hours": "20", "staff__job_search": "2"},
    )
    assert answers(demo_app, rid)["staff.employment_hours"] == ["20"]
    anne.post(
        f"/responses/{rid}/page/{employment}",
        data={"staff__employment": "2", "staff__employment_hours": "20"},
    )
    assert answers(demo_app, rid) == {"staff.employment": ["2"]}


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"staff__mental_limits": "7"}, 422, "Ikke et gyldigt valg"),
        ({"staff__diagnosis_kinds": ["1", "99"]}, 422, "'99' er ikke et gyldigt valg"),
        ({"who5__1": "3"}, 400, "'who5.1' is not an item of staff v1"),
        ({"staff__employment": "1"}, 400, "item staff.employment is not on page 1"),
    ],
)
def test_tampered_posts_store_nothing_invalid(
    demo_app, anne, citizen_id, data, status, message
) -> None:
    rid = start(anne, citizen_id)
    response = anne.post(f"/responses/{rid}/page/1", data=data)
    assert response.status_code == status
    assert message in html.unescape(response.get_data(as_text=True))
    assert answers(demo_app, rid) == {}


def test_another_consultants_response_is_not_found(demo_app, citizen_id) -> None:
    anne = demo_app.test_client()
    login(anne, "anne")
    rid = start(anne, citizen_id)
    mads = demo_app.test_client()
    login(mads, "mads")
    assert mads.get(f"/responses/{rid}/page/1").status_code == 404
    assert mads.post(f"/responses/{rid}/page/1", data={"staff__diagnosis": "1"}).status_code == 404
    assert mads.post(f"/responses/{rid}/submit").status_code == 404
    assert answers(demo_app, rid) == {}


def test_a_double_submit_stores_one_response(demo_app, anne, citizen_id) -> None:
    rid = start(anne, citizen_id)
    anne.post(f"/responses/{rid}/page/1", data={"staff__diagnosis": "2"})
    first = anne.post(f"/responses/{rid}/submit")
    second = anne.post(f"/responses/{rid}/submit")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == f"/responses/{rid}"
    stored = responses_for(demo_app, citizen_id)
    assert [(r.status, r.id) for r in stored] == [(ResponseStatus.SUBMITTED, rid)]
    with Session(get_engine(demo_app)) as db:
        submits = db.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "response.submit", AuditEvent.response_id == rid)
        ).scalar_one()
    assert submits == 1
    # A submitted response is read-only.
    assert anne.post(f"/responses/{rid}/page/1", data={"staff__diagnosis": "1"}).status_code == 302
    assert answers(demo_app, rid) == {"staff.diagnosis": ["2"]}


def test_an_amendment_keeps_the_original_who_and_why(demo_app, anne, citizen_id) -> None:
    rid = start(anne, citizen_id)
    anne.post(f"/responses/{rid}/page/1", data={"staff__diagnosis": "2"})
    anne.post(f"/responses/{rid}/submit")
    no_reason = anne.post(
        f"/responses/{rid}/amend/staff.diagnosis", data={"staff__diagnosis": "1", "reason": ""}
    )
    assert no_reason.status_code == 422
    done = anne.post(
        f"/responses/{rid}/amend/staff.diagnosis",
        data={"staff__diagnosis": "1", "reason": "Tastefejl"},
    )
    assert done.status_code == 302
    assert answers(demo_app, rid) == {"staff.diagnosis": ["1"]}
    with Session(get_engine(demo_app)) as db:
        change = db.execute(select(ResponseChange)).scalar_one()
    assert (change.old_value, change.new_value, change.reason) == (["2"], ["1"], "Tastefejl")
    page = anne.get(f"/responses/{rid}").get_data(as_text=True)
    assert "Rettelser" in page
    assert "Tastefejl" in page
    leader = demo_app.test_client()
    login(leader, "leder.nord")
    assert leader.get(f"/responses/{rid}").status_code == 200  # reads
    assert (
        leader.post(
            f"/responses/{rid}/amend/staff.diagnosis", data={"staff__diagnosis": "2", "reason": "x"}
        ).status_code
        == 403
    )


def _submitted_with_diagnosis(anne, citizen_id) -> int:
    """A submitted staff form whose diagnosis is 1, so that its kinds (asked only then) are
    answered."""
    rid = start(anne, citizen_id)
    anne.post(
        f"/responses/{rid}/page/1",
        data={"staff__diagnosis": "1", "staff__diagnosis_kinds": ["1", "3"]},
    )
    assert anne.post(f"/responses/{rid}/submit").status_code == 302
    return rid


def test_a_correction_that_hides_a_question_removes_its_answer_into_the_history(
    demo_app, anne, citizen_id
) -> None:
    """A correction of a condition left the answers of the questions it no longer asks stored
    (found by tests/web/test_fuzz_routes.py); the pages drop them, so does the correction, and
    the history keeps each."""
    rid = _submitted_with_diagnosis(anne, citizen_id)
    assert answers(demo_app, rid) == {
        "staff.diagnosis": ["1"],
        "staff.diagnosis_kinds": ["1", "3"],
    }
    done = anne.post(
        f"/responses/{rid}/amend/staff.diagnosis",
        data={"staff__diagnosis": "2", "reason": "Forkert diagnose"},
    )
    assert done.status_code == 302
    assert answers(demo_app, rid) == {"staff.diagnosis": ["2"]}
    with Session(get_engine(demo_app)) as db:
        changes = db.execute(select(ResponseChange).order_by(ResponseChange.item_code)).scalars()
        kept = [(c.item_code, c.old_value, c.new_value, c.reason) for c in changes]
        details = db.execute(
            select(AuditEvent.details).where(AuditEvent.action == "response.amend")
        ).scalar_one()
    assert kept == [
        ("staff.diagnosis", ["1"], ["2"], "Forkert diagnose"),
        ("staff.diagnosis_kinds", ["1", "3"], [], "Forkert diagnose"),
    ]
    assert details == {"items": ["staff.diagnosis", "staff.diagnosis_kinds"]}


@pytest.mark.parametrize(
    ("code", "data"),
    [
        ("staff.diagnosis_kinds", {"staff__diagnosis_kinds": "2"}),  # its condition: diagnosis 1
        ("person.gender", {"person__gender": "1"}),  # asked at point 1 only
    ],
)
def test_a_correction_cannot_answer_a_question_that_is_not_asked(
    demo_app, anne, citizen_id, code: str, data: dict[str, str]
) -> None:
    rid = start(anne, citizen_id)
    anne.post(f"/responses/{rid}/page/1", data={"staff__diagnosis": "2"})
    anne.post(f"/responses/{rid}/submit")
    refused = anne.post(f"/responses/{rid}/amend/{code}", data={**data, "reason": "Tastefejl"})
    assert refused.status_code == 422
    assert "Spørgsmålet stilles ikke ved denne måling" in html.unescape(refused.text)
    assert answers(demo_app, rid) == {"staff.diagnosis": ["2"]}
    with Session(get_engine(demo_app)) as db:
        assert db.execute(select(func.count()).select_from(ResponseChange)).scalar_one() == 0


def test_a_correction_sent_with_a_field_it_does_not_have_is_refused(
    demo_app, anne, citizen_id
) -> None:
    """The correction read its post without catching TamperedPost (a 500; found by
    tests/web/test_fuzz_routes.py); the pages answer it with a 400, so does the correction."""
    rid = start(anne, citizen_id)
    anne.post(f"/responses/{rid}/page/1", data={"staff__diagnosis": "2"})
    anne.post(f"/responses/{rid}/submit")
    refused = anne.post(
        f"/responses/{rid}/amend/staff.diagnosis",
        data={"staff__diagnosis": "1", "reason": "Tastefejl", "staff__medication": "1"},
    )
    assert refused.status_code == 400
    assert "Intet fra den blev gemt." in html.unescape(refused.text)
    assert answers(demo_app, rid) == {"staff.diagnosis": ["2"]}


def test_an_expired_login_saves_the_page_before_asking_for_the_password(
    demo_app, anne, citizen_id
) -> None:
    rid = start(anne, citizen_id)
    page = anne.get(f"/responses/{rid}/page/1").get_data(as_text=True)
    key = page.split('name="draft_key" value="')[1].split('"')[0]
    with Session(get_engine(demo_app)) as db:
        db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
        db.commit()
    response = anne.post(
        f"/responses/{rid}/page/1",
        data={"staff__diagnosis": "1", "draft_key": key, "action": "next"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/responses/")
    assert answers(demo_app, rid) == {"staff.diagnosis": ["1"]}
    # Without the page's key nothing is saved.
    thief = demo_app.test_client()
    thief.post(f"/responses/{rid}/page/1", data={"staff__diagnosis": "2", "draft_key": "x"})
    assert answers(demo_app, rid) == {"staff.diagnosis": ["1"]}


def test_switching_language_mid_form_keeps_the_answers(demo_app, anne, citizen_id) -> None:
    rid = start(anne, citizen_id)
    switched = anne.post(
        f"/responses/{rid}/page/1", data={"staff__diagnosis": "1", "action": "language:en"}
    )
    assert switched.headers["Location"] == f"/responses/{rid}/page/1"
    html = anne.get(f"/responses/{rid}/page/1").get_data(as_text=True)
    assert "Does the citizen have a psychiatric diagnosis?" in html
    assert answers(demo_app, rid) == {"staff.diagnosis": ["1"]}


def test_autosave_saves_valid_answers_quietly(demo_app, anne, citizen_id) -> None:
    rid = start(anne, citizen_id)
    saved = anne.post(
        f"/responses/{rid}/autosave",
        data={"page": "1", "staff__diagnosis": "9", "staff__mental_limits": "x"},
    )
    assert saved.get_json() == {"saved": True, "errors": ["staff__mental_limits"]}
    assert answers(demo_app, rid) == {"staff.diagnosis": ["9"]}


def test_the_citizen_form_in_assisted_mode_records_mode_and_date(
    demo_app, anne, citizen_id
) -> None:
    rid = start(anne, citizen_id, form="citizen", how="assisted")
    (stored,) = responses_for(demo_app, citizen_id)
    assert (stored.id, stored.mode, stored.form_version, str(stored.administered_on)) == (
        rid,
        "assisted",
        1,
        "2026-11-20",
    )
    wrong = anne.post(
        f"/citizens/{citizen_id}/points/{POINT + 1}/citizen",
        data={"administered_on": "2026-11-20", "how": "staff"},
    )
    assert wrong.status_code == 422
    future = anne.post(
        f"/citizens/{citizen_id}/points/{POINT + 1}/staff",
        data={"administered_on": "2027-01-01", "how": "staff"},
    )
    assert future.status_code == 422


def test_switching_language_with_an_error_on_the_page_keeps_the_valid_answers(
    demo_app, anne, citizen_id
) -> None:
    rid = start(anne, citizen_id)
    employment = _page_number(anne, rid, "Beskæftigelse")
    switched = anne.post(
        f"/responses/{rid}/page/{employment}",
        data={"staff__employment": "1", "staff__employment_hours": "50", "action": "language:en"},
    )
    assert switched.status_code == 302
    assert "Does the citizen have" in anne.get(switched.headers["Location"]).get_data(as_text=True)
    assert answers(demo_app, rid) == {"staff.employment": ["1"]}
