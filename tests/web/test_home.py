"""Start pages: a consultant's day and a project leader's rhythm, on a small hand-made cohort."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from survey.db import get_engine
from survey.hashing import hash_password
from survey.models import (
    Citizen,
    Mode,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from tests.conftest import login

TODAY = "2026-06-10"


@pytest.fixture
def cohort(make_app):
    """Team A with consultant 'kim' and leader 'lea'; four citizens in known states."""
    app = make_app(FIXED_TODAY=TODAY)
    with Session(get_engine(app), expire_on_commit=False) as db:
        team = Team(name="Team A", measurement_interval_months=3, window_days=21)
        db.add(team)
        db.flush()
        people = {}
        for username, role in (("kim", Role.CONSULTANT), ("lea", Role.PROJECT_LEADER)):
            user = User(
                username=username,
                full_name=username.title() + " Test",
                password_hash=hash_password(f"demo-{username}-2026"),
            )
            db.add(user)
            db.flush()
            db.add(TeamMembership(user_id=user.id, team_id=team.id, role=role))
            people[username] = user
        kim = people["kim"]

        def citizen(reference: str, enrolled: date) -> Citizen:
            row = Citizen(
                reference=reference, enrolled_on=enrolled, team_id=team.id, consultant_id=kim.id
            )
            db.add(row)
            db.flush()
            return row

        def response(who: Citizen, point: int, form: str, on: date, submitted: bool = True):
            db.add(
                Response(
                    citizen_id=who.id,
                    point=point,
                    form_id=form,
                    form_version=1,
                    administered_on=on,
                    mode=Mode.STAFF if form == "staff" else Mode.SELF,
                    entered_by_id=kim.id,
                    status=ResponseStatus.SUBMITTED if submitted else ResponseStatus.DRAFT,
                    submitted_at=datetime.combine(on, datetime.min.time(), UTC)
                    if submitted
                    else None,
                )
            )

        # due now: enrolled today-ish, point 1 window open, nothing filled
        citizen("A-FRESH", date(2026, 6, 1))
        # overdue: point 2 due 2026-04-15, window closed 2026-05-06; point 1 done
        late = citizen("A-LATE", date(2026, 1, 15))
        response(late, 1, "citizen", date(2026, 1, 15))
        response(late, 1, "staff", date(2026, 1, 16))
        # due next week: point 2 due 2026-06-18; point 1 done; a citizen-form draft for point 2
        soon = citizen("A-SOON", date(2026, 3, 18))
        response(soon, 1, "citizen", date(2026, 3, 18))
        response(soon, 1, "staff", date(2026, 3, 18))
        response(soon, 2, "citizen", date(2026, 6, 9), submitted=False)
        # all done recently, point 2 filled late (outside the window)
        done = citizen("A-DONE", date(2026, 2, 1))
        response(done, 1, "citizen", date(2026, 2, 2))
        response(done, 1, "staff", date(2026, 2, 2))
        response(done, 2, "citizen", date(2026, 6, 1))
        response(done, 2, "staff", date(2026, 6, 1))
        db.commit()
    return app


def section(html: str, heading: str) -> str:
    match = re.search(rf">{heading} <span class=\"count\">(\d+)</span>(.*?)</section>", html, re.S)
    assert match, heading
    return match.group(2)


def test_consultant_home_lists_due_overdue_drafts_and_recent(cohort) -> None:
    client = cohort.test_client()
    login(client, "kim")
    html = client.get("/").get_data(as_text=True)
    overdue = section(html, "Overskredet")
    assert overdue.count("<tr>") == 3  # header + citizen form + staff form of A-LATE point 2
    assert "A-LATE" in overdue
    due = section(html, "Skal udfyldes denne og næste uge")
    assert due.count("A-FRESH") == 2  # both forms of point 1
    assert due.count("A-SOON") == 2  # both forms of point 2, due 18 June
    assert "Kladde" in due  # the citizen form of A-SOON has a draft
    assert "A-DONE" not in due
    drafts = section(html, "Påbegyndte skemaer")
    assert "A-SOON" in drafts
    recent = section(html, "Senest udfyldt")
    assert recent.count("A-DONE") == 2
    # Each row is one click from the citizen's measurement.
    assert re.search(r'href="/citizens/\d+#point-2">A-LATE', overdue)


def test_project_leader_sees_the_rhythm_per_point(cohort) -> None:
    client = cohort.test_client()
    login(client, "lea")
    html = client.get("/").get_data(as_text=True)
    assert "Team A" in html
    citizen_table = html.split("<caption>Borgerskema</caption>")[1].split("</table>")[0]
    rows = {
        int(point): [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', cells)]
        for point, cells in re.findall(r'<th scope="row">(\d+)</th>(.*?)</tr>', citizen_table, re.S)
    }
    # columns: due so far, done in window, done outside, missed, overdue, open now
    assert rows[1] == [4, 3, 0, 0, 0, 1]  # A-FRESH open
    assert rows[2] == [3, 0, 1, 0, 1, 1]  # A-DONE late, A-LATE overdue, A-SOON open


def test_admin_home_has_no_citizens(cohort) -> None:
    from survey.auth.services import create_user

    with Session(get_engine(cohort)) as db:
        create_user(
            db,
            username="root",
            full_name="Root",
            memberships={},
            is_admin=True,
            password="violet otter harbour 17",
        )
        db.commit()
    client = cohort.test_client()
    login(client, "root", "violet otter harbour 17")
    html = client.get("/").get_data(as_text=True)
    assert "A-LATE" not in html
    assert ">4<" in html  # four citizens, as a count
