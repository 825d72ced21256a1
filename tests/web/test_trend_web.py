"""The trend page over HTTP: who may see it, that every view is audited, and that odd records
(nothing, only a baseline, only "Ved ikke", two form versions) render with a message where there
is nothing to draw."""

from __future__ import annotations

import html
import json
import re
import shutil
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from survey.config import PROJECT_ROOT
from survey.db import get_engine
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    CitizenEvent,
    CitizenEventKind,
    Mode,
    Response,
    ResponseStatus,
    Team,
    User,
)
from tests.conftest import login


def charts(page: str) -> dict[str, dict]:
    """The figures on the page, by chart id."""
    found = re.findall(r'id="chart-([a-z0-9]+)"[^>]*data-figure="([^"]*)"', page)
    return {name: json.loads(html.unescape(figure)) for name, figure in found}


def six_point_citizen(app) -> tuple[int, str]:
    """A demo citizen with submitted forms at six points, and their consultant's username."""
    with Session(get_engine(app)) as db:
        row = db.execute(
            select(Citizen.id, User.username)
            .join(User, User.id == Citizen.consultant_id)
            .join(Response, Response.citizen_id == Citizen.id)
            .where(Response.status == ResponseStatus.SUBMITTED)
            .group_by(Citizen.id, User.username)
            .having(func.count(func.distinct(Response.point)) == 6)
            .order_by(Citizen.id)
        ).first()
    assert row is not None, "the demo has a citizen with six measurements"
    return row[0], row[1]


def new_citizen(app, reference: str, consultant: str = "anne") -> int:
    with Session(get_engine(app)) as db:
        user = db.execute(select(User).where(User.username == consultant)).scalar_one()
        team = db.execute(select(Team).where(Team.name == "Team Nord")).scalar_one()
        citizen = Citizen(
            reference=reference,
            enrolled_on=date(2026, 1, 5),
            team_id=team.id,
            consultant_id=user.id,
        )
        db.add(citizen)
        db.flush()
        db.add(
            CitizenEvent(
                citizen_id=citizen.id,
                kind=CitizenEventKind.ENROLLED,
                occurred_on=citizen.enrolled_on,
                consultant_id=user.id,
            )
        )
        db.commit()
        return citizen.id


def add_response(
    app,
    citizen_id: int,
    point: int,
    form_id: str,
    answers: dict[str, object],
    *,
    version: int = 1,
    mode: str = "self",
    on: date | None = None,
) -> None:
    with Session(get_engine(app)) as db:
        response = Response(
            citizen_id=citizen_id,
            point=point,
            form_id=form_id,
            form_version=version,
            administered_on=on or date(2026, 1 + 3 * (point - 1), 5),
            mode=Mode(mode),
            status=ResponseStatus.SUBMITTED,
            submitted_at=datetime.now(UTC),
        )
        db.add(response)
        db.flush()
        for code, value in answers.items():
            values = value if isinstance(value, tuple) else (value,)
            for position, v in enumerate(values):
                db.add(
                    Answer(response_id=response.id, item_code=code, position=position, value=str(v))
                )
        db.commit()


def trend_views(app, citizen_id: int) -> list[tuple[str, dict]]:
    with Session(get_engine(app)) as db:
        return [
            (username, details)
            for username, details in db.execute(
                select(AuditEvent.username, AuditEvent.details)
                .where(AuditEvent.action == "citizen.trend", AuditEvent.citizen_id == citizen_id)
                .order_by(AuditEvent.id)
            )
        ]


def test_a_citizen_with_six_points_gets_every_chart_and_the_table(demo_app) -> None:
    citizen_id, consultant = six_point_citizen(demo_app)
    client = demo_app.test_client()
    login(client, consultant)
    response = client.get(f"/citizens/{citizen_id}/trend")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    found = charts(page)
    assert set(found) == {"who5", "bip", "radar", "health", "events"}
    who5 = found["who5"]["data"][0]
    assert len([y for y in who5["y"] if y is not None]) >= 5
    assert "/vendor/plotly.min.js" in page
    assert "<script>" not in page  # CSP: no inline scripts
    assert 'id="table-citizen"' in page
    assert 'id="table-staff"' in page
    assert page.count("Måling 6") >= 2  # a column in each form's table
    assert 'id="summary-who5"' in page
    assert "I ord" in page


def test_every_view_and_print_is_audited_and_no_answer_goes_into_the_trail(demo_app) -> None:
    citizen_id, consultant = six_point_citizen(demo_app)
    client = demo_app.test_client()
    login(client, consultant)
    assert client.get(f"/citizens/{citizen_id}/trend").status_code == 200
    assert client.get(f"/citizens/{citizen_id}/trend/print").status_code == 200
    leader = demo_app.test_client()
    login(leader, "leder.nord" if consultant in ("anne", "mads", "sofie") else "leder.syd")
    assert leader.get(f"/citizens/{citizen_id}/trend").status_code == 200
    views = trend_views(demo_app, citizen_id)
    assert [(u, d["print"]) for u, d in views] == [
        (consultant, False),
        (consultant, True),
        ("leder.nord" if consultant in ("anne", "mads", "sofie") else "leder.syd", False),
    ]
    assert all(set(d) == {"print"} for _, d in views)


def test_other_consultants_and_other_teams_see_nothing_and_nothing_is_audited(demo_app) -> None:
    citizen_id = new_citizen(demo_app, "NORD-TREND-ACCESS")
    add_response(demo_app, citizen_id, 1, "citizen", {"who5.1": 3})
    for username, status in (("mads", 404), ("jonas", 404), ("leder.syd", 404), ("admin", 403)):
        client = demo_app.test_client()
        login(client, username)
        assert client.get(f"/citizens/{citizen_id}/trend").status_code == status, username
        assert client.get(f"/citizens/{citizen_id}/trend/print").status_code == status, username
    assert trend_views(demo_app, citizen_id) == []


@pytest.fixture
def anne(demo_app):
    client = demo_app.test_client()
    login(client, "anne")
    return client


def test_a_citizen_with_no_answers_gets_messages_not_empty_charts(demo_app, anne) -> None:
    citizen_id = new_citizen(demo_app, "NORD-TREND-EMPTY")
    page = anne.get(f"/citizens/{citizen_id}/trend").get_data(as_text=True)
    found = charts(page)
    assert set(found) == {"events"}  # the enrolment is still an event
    assert "Der er endnu ikke indsendt noget skema for denne borger." in page
    assert "Der er endnu ikke indsendt noget borgerskema." in page
    assert "Der er endnu ikke svaret på nogen BIP-spørgsmål." in page
    assert "Der er endnu ikke svaret på nogen helbredsspørgsmål." in page


def test_only_a_baseline_draws_single_points_and_says_there_is_nothing_to_compare(
    demo_app, anne
) -> None:
    citizen_id = new_citizen(demo_app, "NORD-TREND-BASE")
    answers = {f"who5.{i}": 2 for i in range(1, 6)} | {f"bip_c.{i}": 3 for i in range(1, 7)}
    add_response(demo_app, citizen_id, 1, "citizen", answers | {"health.mental": 4})
    page = anne.get(f"/citizens/{citizen_id}/trend").get_data(as_text=True)
    found = charts(page)
    assert found["who5"]["data"][0]["y"] == [40]
    assert len(found["radar"]["data"]) == 1  # the first measurement only
    assert "Kun én måling har svar på skalaen" in page
    assert "beregnet ved 1 af 1 målinger" in page


def test_every_answer_dont_know_gives_no_radar_and_no_score(demo_app, anne) -> None:
    citizen_id = new_citizen(demo_app, "NORD-TREND-DK")
    add_response(demo_app, citizen_id, 1, "citizen", {f"bip_c.{i}": 9 for i in range(1, 7)})
    add_response(
        demo_app,
        citizen_id,
        1,
        "staff",
        {f"bip_s.{i}": 9 for i in range(1, 5)} | {"staff.mental_limits": 9},
        mode="staff",
    )
    page = anne.get(f"/citizens/{citizen_id}/trend").get_data(as_text=True)
    found = charts(page)
    assert "radar" not in found
    assert "Borgeren har ikke svaret på nogen BIP-spørgsmål på skalaen 1–5" in page
    # The BIP panels show "Ved ikke" on its own row, never as a value on the scale.
    specials = [t for t in found["bip"]["data"] if t["mode"] == "markers"]
    assert len(specials) == 10
    assert all(t["y"] == [0] for t in specials)
    lines = [t for t in found["bip"]["data"] if t["mode"] != "markers"]
    assert all(y is None for t in lines for y in t["y"])
    assert "kunne ikke beregnes ved nogen måling" in page


def test_two_form_versions_show_a_boundary_in_the_table(make_app, tmp_path, demo_database) -> None:
    folder = tmp_path / "instruments"
    shutil.copytree(PROJECT_ROOT / "instruments", folder)
    source = (folder / "citizen" / "1.yaml").read_text(encoding="utf-8")
    cut = source.index("      - code: network.family")
    (folder / "citizen" / "2.yaml").write_text(
        source[:cut].replace("version: 1\n", "version: 2\n", 1), encoding="utf-8"
    )
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_database, copy)
    app = make_app(f"sqlite:///{copy}", migrated=False, INSTRUMENTS_DIR=str(folder))
    citizen_id = new_citizen(app, "NORD-TREND-V2")
    who5 = {f"who5.{i}": 3 for i in range(1, 6)}
    add_response(app, citizen_id, 1, "citizen", who5 | {"network.family": 2})
    add_response(app, citizen_id, 2, "citizen", who5 | {"network.family": 1})
    add_response(app, citizen_id, 3, "citizen", who5, version=2, mode="assisted")
    client = app.test_client()
    login(client, "anne")
    page = client.get(f"/citizens/{citizen_id}/trend").get_data(as_text=True)
    table = page[page.index('id="table-citizen"') :]
    assert table.count('class="version-boundary"') == 4  # the header and three meta cells
    assert "ny version" in table
    assert "ikke i denne version" in table
    assert "Skemaet skiftede version" in table
    who5 = charts(page)["who5"]
    assert who5["data"][0]["y"] == [60, 60, 60]
    assert "Borgerskema version 2" in [a["text"] for a in who5["layout"]["annotations"]]


def test_the_page_follows_the_users_language(demo_app) -> None:
    citizen_id, consultant = six_point_citizen(demo_app)
    client = demo_app.test_client()
    login(client, consultant)
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get(f"/citizens/{citizen_id}/trend").get_data(as_text=True)
    assert f"Trend for {html.escape(six_point_reference(demo_app, citizen_id))}" in page
    who5 = charts(page)["who5"]
    assert "≤ 28: Likely depression" in [a["text"] for a in who5["layout"]["annotations"]]
    assert "Employability (BIP): the citizen&#39;s and the consultant&#39;s view" in page
    assert "All in all, how would you describe your mental health?" in page  # the table


def six_point_reference(app, citizen_id: int) -> str:
    with Session(get_engine(app)) as db:
        return db.get(Citizen, citizen_id).reference


def test_a_transferred_citizen_with_only_a_staff_form(demo_app) -> None:
    citizen_id = new_citizen(demo_app, "NORD-TREND-STAFF", consultant="mads")
    with Session(get_engine(demo_app)) as db:
        users = dict(db.execute(select(User.username, User.id)).all())
        citizen = db.get(Citizen, citizen_id)
        citizen.consultant_id = users["anne"]
        db.add(
            CitizenEvent(
                citizen_id=citizen_id,
                kind=CitizenEventKind.TRANSFERRED,
                occurred_on=date(2026, 2, 1),
                consultant_id=users["anne"],
                previous_consultant_id=users["mads"],
            )
        )
        db.commit()
    add_response(
        demo_app,
        citizen_id,
        1,
        "staff",
        {
            "staff.diagnosis": 1,
            "staff.diagnosis_kinds": (1, 7),
            "staff.employment": 1,
            "staff.employment_hours": 12,
            "staff.mental_limits": 2,
        },
        mode="staff",
    )
    client = demo_app.test_client()
    login(client, "anne")
    page = client.get(f"/citizens/{citizen_id}/trend").get_data(as_text=True)
    found = charts(page)
    assert "who5" not in found
    assert "Der er endnu ikke indsendt noget borgerskema." in page
    assert set(found) == {"health", "events"}  # the consultant's assessment and events
    assert "Der er endnu ikke svaret på nogen BIP-spørgsmål." in page
    assert "Angst; ADHD" in page  # multiple choice in the table
    assert "Overdraget fra Mads" in page
    assert "Beskæftigelse, 12 timer om ugen (måling 1)" in page
    assert 'id="table-citizen"' not in page
    assert 'id="table-staff"' in page
