"""Two hats: a user who is project leader in one team and consultant in another gets exactly
each role's rights in each team — never the leader's view in the consultant's team, never the
consultant's pen in the leader's team. Checked through the pages, the reports and the export."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from survey.access import can_edit_answers, can_view_citizen, citizen_scope
from survey.auth.principal import Principal
from survey.db import get_engine
from survey.hashing import hash_password
from survey.models import Citizen, Role, Team, TeamMembership, User
from tests.conftest import login

HAT = "hat.nord"  # project leader in Team Nord, consultant in Team Syd


@pytest.fixture
def hats(demo_app) -> dict[str, int]:
    """`hat.nord` with one citizen of their own in Team Syd (S-HAT-1)."""
    with Session(get_engine(demo_app), expire_on_commit=False) as db:
        teams = {t.name: t for t in db.execute(select(Team)).scalars()}
        hat = User(
            username=HAT, full_name="Hanne Hat", password_hash=hash_password(f"demo-{HAT}-2026")
        )
        db.add(hat)
        db.flush()
        db.add(TeamMembership(user_id=hat.id, team_id=teams["Team Nord"].id, role="project_leader"))
        db.add(TeamMembership(user_id=hat.id, team_id=teams["Team Syd"].id, role="consultant"))
        own = Citizen(
            reference="S-HAT-1",
            team_id=teams["Team Syd"].id,
            consultant_id=hat.id,
            enrolled_on=date(2026, 9, 1),
        )
        db.add(own)
        db.commit()
        anne = db.execute(select(User).where(User.username == "anne")).scalar_one()
        annes = db.execute(
            select(Citizen.id).where(Citizen.consultant_id == anne.id).limit(1)
        ).scalar_one()
        syd_other = (
            db.execute(
                select(Citizen.id).where(
                    Citizen.team_id == teams["Team Syd"].id, Citizen.consultant_id != hat.id
                )
            )
            .scalars()
            .first()
        )
        return {
            "own": own.id,
            "annes": annes,
            "syd_other": syd_other,
            "nord": teams["Team Nord"].id,
            "syd": teams["Team Syd"].id,
        }


def test_the_rules_give_each_role_in_its_own_team_only(demo_app, hats) -> None:
    with Session(get_engine(demo_app)) as db:
        hat = db.execute(select(User).where(User.username == HAT)).scalar_one()
        principal = Principal(
            user=hat,
            token="t",
            memberships={hats["nord"]: Role.PROJECT_LEADER, hats["syd"]: Role.CONSULTANT},
        )
        own, annes, other = (db.get(Citizen, hats[k]) for k in ("own", "annes", "syd_other"))
        assert (can_view_citizen(principal, own), can_edit_answers(principal, own)) == (True, True)
        assert (can_view_citizen(principal, annes), can_edit_answers(principal, annes)) == (
            True,
            False,
        )
        assert (can_view_citizen(principal, other), can_edit_answers(principal, other)) == (
            False,
            False,
        )
        seen = set(
            db.execute(
                select(Citizen.team_id, Citizen.consultant_id).where(citizen_scope(principal))
            ).all()
        )
        nord = db.execute(select(Citizen.id).where(Citizen.team_id == hats["nord"])).all()
        in_scope = db.execute(select(Citizen.id).where(citizen_scope(principal))).all()
    assert len(in_scope) == len(nord) + 1
    assert {team for team, _ in seen} == {hats["nord"], hats["syd"]}
    assert {who for team, who in seen if team == hats["syd"]} == {hat.id}


def test_pages_give_the_leader_s_view_in_one_team_and_the_consultant_s_pen_in_the_other(
    demo_app, hats
) -> None:
    client = demo_app.test_client()
    login(client, HAT)
    # Their own citizen in Team Syd: they fill in forms.
    assert client.get(f"/citizens/{hats['own']}").status_code == 200
    assert client.get(f"/citizens/{hats['own']}/points/33/staff").status_code == 200
    # Anne's citizen in Team Nord, which they lead: they read, never write.
    assert client.get(f"/citizens/{hats['annes']}").status_code == 200
    assert client.get(f"/citizens/{hats['annes']}/points/33/staff").status_code == 403
    # Another consultant's citizen in Team Syd, where they are a consultant: nothing.
    assert client.get(f"/citizens/{hats['syd_other']}").status_code == 404
    listed = client.get("/citizens").get_data(as_text=True)
    assert "S-HAT-1" in listed
    assert "NORD-" in listed
    assert re.search(r"SYD-\d", listed) is None


def test_the_start_page_shows_both_hats(demo_app, hats) -> None:
    client = demo_app.test_client()
    login(client, HAT)
    page = client.get("/").get_data(as_text=True)
    assert "S-HAT-1" in page  # their caseload (the consultant's part)
    assert "Team Nord" in page  # the rhythm of the team they lead
    assert 'id="team-{}"'.format(hats["syd"]) not in page


def test_reports_and_exports_hold_only_the_team_they_lead(demo_app, hats) -> None:
    client = demo_app.test_client()
    login(client, HAT)
    assert client.get(f"/reports?table=status&team={hats['nord']}").status_code == 200
    assert client.get(f"/reports?table=status&team={hats['syd']}").status_code == 403
    download = client.post("/exports/download", data={"dataset": "citizens"}, buffered=True)
    text = download.get_data(as_text=True)
    download.close()
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    with Session(get_engine(demo_app)) as db:
        nord = db.execute(select(Citizen.id).where(Citizen.team_id == hats["nord"])).all()
    assert len(rows) == len(nord)
    assert {row["team"] for row in rows} == {"Team Nord"}
