"""The citizen's tablet: only the citizen form, locked afterwards, unlocked by the consultant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from survey.db import get_engine
from survey.instruments.asking import pages
from survey.models import Answer, AuditEvent, Citizen, KioskSession, Response, User, utcnow
from tests.conftest import login

POINT = 30


@pytest.fixture
def setup(demo_app):
    """Anne sets a PIN and hands the tablet over for her citizen's citizen form."""
    with Session(get_engine(demo_app)) as db:
        citizen = (
            db.execute(
                select(Citizen)
                .join(User, User.id == Citizen.consultant_id)
                .where(User.username == "anne", Citizen.status == "active")
                .order_by(Citizen.id)
            )
            .scalars()
            .first()
        )
    tablet = demo_app.test_client()
    login(tablet, "anne")
    pin = tablet.post("/account/pin", data={"password": "demo-anne-2026", "pin": "472913"})
    assert pin.status_code == 302
    handed = tablet.post(
        f"/citizens/{citizen.id}/points/{POINT}/citizen",
        data={"administered_on": "2026-11-23", "how": "self"},
    )
    assert handed.headers["Location"] == "/kiosk"
    with Session(get_engine(demo_app)) as db:
        response = db.execute(
            select(Response).where(Response.citizen_id == citizen.id, Response.point == POINT)
        ).scalar_one()
    return tablet, citizen.id, response.id


def audit_actions(db: Session, response_id: int) -> list[str]:
    return list(
        db.execute(
            select(AuditEvent.action)
            .where(AuditEvent.response_id == response_id)
            .order_by(AuditEvent.id)
        ).scalars()
    )


def test_the_tablet_shows_only_the_form(demo_app, setup) -> None:
    tablet, citizen_id, rid = setup
    assert tablet.get("/kiosk").headers["Location"] == "/kiosk/page/1"
    html = tablet.get("/kiosk/page/1").get_data(as_text=True)
    assert "Borgerskema" in html
    assert "Log ud" not in html  # no menu, no way out
    assert 'href="/' not in html.split("<main")[1]  # no links out of the form
    assert 'name="draft_key"' not in html
    calm = "Tabletten er låst – giv den tilbage til din kontaktperson"
    for url in (
        "/",
        "/nowhere",
        "/citizens",
        f"/citizens/{citizen_id}",
        f"/responses/{rid}",
        f"/responses/{rid}/page/1",
        "/admin/users",
        "/instruments",
        "/login",
        "/account/password",
        f"/citizens/{citizen_id}/points/1/citizen",
    ):
        page = tablet.get(url)
        assert page.status_code == 403, url
        assert calm in page.get_data(as_text=True), url
        assert "adgang" not in page.get_data(as_text=True), url
    for url in ("/logout", "/language", f"/responses/{rid}/submit"):
        assert tablet.post(url).status_code == 403, url


def test_a_citizen_completes_the_form_and_the_tablet_locks(demo_app, setup) -> None:
    tablet, _citizen_id, rid = setup
    definition = demo_app.extensions["survey.instruments"].get("citizen", 1)
    every = pages(definition, POINT)
    for page in every:
        data = {f"{item.code.replace('.', '__')}": str(item.codes[0]) for item in page.items}
        response = tablet.post(f"/kiosk/page/{page.number}", data={**data, "action": "next"})
        assert response.status_code == 302
    assert response.headers["Location"] == "/kiosk/summary"
    summary = tablet.get("/kiosk/summary").get_data(as_text=True)
    assert "Du har svaret på alle spørgsmål" in summary
    sent = tablet.post("/kiosk/submit")
    assert sent.headers["Location"] == "/kiosk/thanks"
    assert "Tak for dine svar" in tablet.get("/kiosk/thanks").get_data(as_text=True)
    with Session(get_engine(demo_app)) as db:
        stored = db.get(Response, rid)
        assert (stored.status, stored.mode) == ("submitted", "self")
        count = len(db.execute(select(Answer).where(Answer.response_id == rid)).all())
    assert count == len(definition.items_at(POINT))
    # The kiosk token cannot be used again to change the submitted form: back goes to the
    # thank-you page, never to the answers.
    assert tablet.get("/kiosk/page/1").headers["Location"] == "/kiosk"
    assert tablet.get("/kiosk").headers["Location"] == "/kiosk/thanks"
    assert tablet.post("/kiosk/page/1", data={"who5__1": "0"}).headers["Location"] == "/kiosk"
    assert tablet.post("/kiosk/autosave", data={"page": "1"}).status_code == 409
    # Give it back: lock, then the consultant's PIN.
    assert tablet.post("/kiosk/lock").headers["Location"] == "/kiosk/locked"
    assert tablet.post("/kiosk/unlock", data={"secret": "1111"}).status_code == 422
    back = tablet.post("/kiosk/unlock", data={"secret": "472913"})
    assert back.headers["Location"] == f"/responses/{rid}"
    assert tablet.get(f"/responses/{rid}").status_code == 200
    assert tablet.get("/kiosk").status_code == 403
    # A second wrong attempt was never made: one failure is one audit entry.
    with Session(get_engine(demo_app)) as db:
        assert audit_actions(db, rid).count("kiosk.unlock_failure") == 1


def test_inactivity_locks_the_tablet_and_keeps_the_draft(demo_app, setup) -> None:
    tablet, _citizen_id, rid = setup
    tablet.post("/kiosk/page/1", data={"health__mental": "2", "action": "next"})
    with Session(get_engine(demo_app)) as db:
        db.execute(update(KioskSession).values(last_activity_at=utcnow() - timedelta(minutes=11)))
        db.commit()
    response = tablet.get("/kiosk/page/2")
    assert response.headers["Location"] == "/kiosk/locked"
    assert tablet.get("/kiosk/page/1").headers["Location"] == "/kiosk/locked"
    page = tablet.get("/kiosk/locked").get_data(as_text=True)
    assert "Tabletten er låst" in page
    assert "health" not in page  # nothing of the answers on the lock screen
    with Session(get_engine(demo_app)) as db:
        assert (
            db.execute(
                select(Answer.value).where(
                    Answer.response_id == rid, Answer.item_code == "health.mental"
                )
            ).scalar_one()
            == "2"
        )
    # Unlocking with the password works too, and the draft can be continued by the consultant.
    back = tablet.post("/kiosk/unlock", data={"secret": "demo-anne-2026"})
    assert back.status_code == 302
    assert tablet.get(f"/responses/{rid}/page/1").status_code == 200


def test_the_idle_timer_posts_the_page_before_locking(demo_app, setup) -> None:
    tablet, _citizen_id, rid = setup
    locked = tablet.post("/kiosk/page/1", data={"health__mental": "4", "action": "lock"})
    assert locked.headers["Location"] == "/kiosk/locked"
    with Session(get_engine(demo_app)) as db:
        assert db.execute(select(Answer.value).where(Answer.response_id == rid)).scalar_one() == "4"


def test_unlocking_after_the_consultants_login_expired_logs_them_in_again(demo_app, setup) -> None:
    from survey.models import UserSession

    tablet, citizen_id, _rid = setup
    with Session(get_engine(demo_app)) as db:
        db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=2)))
        db.commit()
    tablet.post("/kiosk/lock")
    back = tablet.post("/kiosk/unlock", data={"secret": "472913"})
    assert back.headers["Location"] == f"/citizens/{citizen_id}"
    assert tablet.get(f"/citizens/{citizen_id}").status_code == 200


def test_language_can_be_switched_on_the_tablet_without_losing_answers(demo_app, setup) -> None:
    tablet, _citizen_id, rid = setup
    switched = tablet.post("/kiosk/page/1", data={"health__mental": "3", "action": "language:en"})
    assert switched.headers["Location"] == "/kiosk/page/1"
    html = tablet.get("/kiosk/page/1").get_data(as_text=True)
    assert "All in all, how would you describe your mental health?" in html
    assert 'checked id="health__mental-2" name="health__mental" type="radio" value="3"' in html
    with Session(get_engine(demo_app)) as db:
        assert db.execute(select(Answer.value).where(Answer.response_id == rid)).scalar_one() == "3"
