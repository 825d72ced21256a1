"""Enrolment, transfers, course ends and reopening, as consultants and project leaders do them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from survey.db import get_engine
from survey.models import Citizen, CitizenEvent, Team, User
from tests.conftest import login


def ids(app) -> dict[str, int]:
    with Session(get_engine(app)) as db:
        users = {u.username: u.id for u in db.execute(select(User)).scalars()}
        teams = {t.name: t.id for t in db.execute(select(Team)).scalars()}
    return {**users, **teams}


def citizen_count(app) -> int:
    with Session(get_engine(app)) as db:
        return db.execute(select(func.count()).select_from(Citizen)).scalar_one()


@pytest.fixture
def anne(demo_app):
    client = demo_app.test_client()
    login(client, "anne")
    return client


def enrol(client, app, **fields):
    known = ids(app)
    data = {
        "reference": "NORD-NEW-1",
        "enrolled_on": "2026-11-02",
        "team": known["Team Nord"],
        "consultant": known["anne"],
        **fields,
    }
    return client.post("/citizens/new", data=data)


def test_enrol_a_citizen(demo_app, anne) -> None:
    response = enrol(anne, demo_app)
    assert response.status_code == 302
    page = anne.get(response.headers["Location"]).get_data(as_text=True)
    assert "NORD-NEW-1 er indskrevet." in page
    assert "Indskrevet" in page
    assert "Anne Holm" in page
    # The first measurement is due at enrolment and its window is open.
    assert 'id="point-1"' in page
    assert "Skal udfyldes" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reference": "010190-1234"}, "Det ligner et CPR-nummer"),
        ({"reference": "0101901234"}, "Det ligner et CPR-nummer"),
        ({"reference": "NORD-2025-001"}, "allerede indskrevet"),
        ({"reference": "a;b"}, "Brug højst 40 bogstaver"),
        ({"enrolled_on": "2027-01-01"}, "kan ikke ligge i fremtiden"),
        ({"enrolled_on": "31-12-2026"}, "Ikke en gyldig dato"),
    ],
)
def test_enrolment_refusals_keep_the_input_and_store_nothing(
    demo_app, anne, fields, message
) -> None:
    before = citizen_count(demo_app)
    response = enrol(anne, demo_app, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="error-summary"' in html
    if "reference" in fields:
        assert f'value="{fields["reference"]}"' in html  # what the user typed stays
    assert citizen_count(demo_app) == before


def test_enrolling_into_another_team_or_with_a_disabled_consultant_is_refused(
    demo_app, anne
) -> None:
    known = ids(demo_app)
    response = enrol(anne, demo_app, team=known["Team Syd"], consultant=known["jonas"])
    assert response.status_code == 422
    admin = demo_app.test_client()
    login(admin, "admin")
    admin.post(f"/admin/users/{known['mads']}/active", data={"active": "0"})
    response = enrol(anne, demo_app, consultant=known["mads"])
    assert response.status_code == 422
    assert citizen_count(demo_app) == 150


def own_active_citizen(app, username: str = "anne") -> Citizen:
    with Session(get_engine(app)) as db:
        return (
            db.execute(
                select(Citizen)
                .join(User, User.id == Citizen.consultant_id)
                .where(User.username == username, Citizen.status == "active")
                .order_by(Citizen.id)
            )
            .scalars()
            .first()
        )


def test_transfer_keeps_history_and_moves_the_citizen(demo_app, anne) -> None:
    citizen = own_active_citizen(demo_app)
    known = ids(demo_app)
    response = anne.post(
        f"/citizens/{citizen.id}/transfer", data={"consultant": known["mads"], "on": "2026-11-20"}
    )
    assert response.status_code == 302
    # Anne no longer sees the citizen; Mads does, with the transfer in the history.
    assert anne.get(f"/citizens/{citizen.id}").status_code == 404
    mads = demo_app.test_client()
    login(mads, "mads")
    page = mads.get(f"/citizens/{citizen.id}").get_data(as_text=True)
    assert "fra Anne Holm til Mads Kjær" in page


def test_transfer_to_a_disabled_user_is_refused(demo_app, anne) -> None:
    citizen = own_active_citizen(demo_app)
    known = ids(demo_app)
    admin = demo_app.test_client()
    login(admin, "admin")
    admin.post(f"/admin/users/{known['sofie']}/active", data={"active": "0"})
    response = anne.post(
        f"/citizens/{citizen.id}/transfer", data={"consultant": known["sofie"], "on": "2026-11-20"}
    )
    assert response.status_code == 422
    with Session(get_engine(demo_app)) as db:
        assert db.get(Citizen, citizen.id).consultant_id == known["anne"]


def test_end_and_reopen_a_course(demo_app, anne) -> None:
    citizen = own_active_citizen(demo_app)
    before = anne.post(
        f"/citizens/{citizen.id}/end",
        data={"reason": "ended_unplanned:moved", "ended_on": "2000-01-01"},
    )
    assert before.status_code == 422
    assert "før indskrivningsdatoen" in before.get_data(as_text=True)
    wrong = anne.post(
        f"/citizens/{citizen.id}/end",
        data={"reason": "ended_planned:moved", "ended_on": "2026-11-20"},
    )
    assert wrong.status_code == 422
    done = anne.post(
        f"/citizens/{citizen.id}/end",
        data={"reason": "ended_unplanned:moved", "ended_on": "2026-11-20"},
    )
    assert done.status_code == 302
    page = anne.get(f"/citizens/{citizen.id}").get_data(as_text=True)
    assert "Uplanlagt afsluttet: Fraflyttet" in page
    assert "Genåbn forløbet" in page
    reopened = anne.post(f"/citizens/{citizen.id}/reopen", data={"on": "2026-11-22"})
    assert reopened.status_code == 302
    with Session(get_engine(demo_app)) as db:
        stored = db.get(Citizen, citizen.id)
        assert (stored.status, stored.status_reason, stored.ended_on) == ("active", None, None)
        kinds = (
            db.execute(
                select(CitizenEvent.kind)
                .where(CitizenEvent.citizen_id == citizen.id)
                .order_by(CitizenEvent.id)
            )
            .scalars()
            .all()
        )
    assert kinds[-2:] == ["ended", "reopened"]


def test_consultants_see_only_their_caseload(demo_app, anne) -> None:
    html = anne.get("/citizens").get_data(as_text=True)
    with Session(get_engine(demo_app)) as db:
        references = dict(
            db.execute(
                select(Citizen.reference, User.username).join(
                    User, User.id == Citizen.consultant_id
                )
            ).all()
        )
    mine = [r for r, u in references.items() if u == "anne"]
    others = [r for r, u in references.items() if u != "anne"]
    assert mine
    assert all(r in html for r in mine)
    assert not any(f">{r}<" in html for r in others)


def test_project_leader_sees_the_whole_team_only(demo_app) -> None:
    leader = demo_app.test_client()
    login(leader, "leder.nord")
    html = leader.get("/citizens").get_data(as_text=True)
    assert html.count(">NORD-") > 60
    assert ">SYD-" not in html


def test_enrol_form_defaults_to_today_and_self(demo_app, anne) -> None:
    html = anne.get("/citizens/new").get_data(as_text=True)
    assert 'value="2026-11-23"' in html
    assert f'<option selected value="{ids(demo_app)["anne"]}">' in html
    assert date(2026, 11, 23)  # FIXED_TODAY in the test app
