"""The admin pages' team and user changes and the services under them: refusals land on the
field at fault, and an administrator cannot lock themselves out."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from survey.admin.cli import teams
from survey.admin.services import TeamError, TeamSettings, create_team, update_team
from survey.auth.services import AccountError, set_active, update_user
from survey.db import get_engine
from survey.models import AuditEvent, Role, Team, TeamMembership, User
from tests.conftest import login


def _admin(app):
    client = app.test_client()
    login(client, "admin")
    return client


def test_a_duplicate_team_name_is_refused_on_the_name_field(demo_app) -> None:
    admin = _admin(demo_app)
    response = admin.post(
        "/admin/teams/new",
        data={"name": " Team Nord ", "measurement_interval_months": 3, "window_days": 21},
    )
    assert response.status_code == 422
    assert "Der findes allerede et team med dette navn." in response.get_data(as_text=True)
    with Session(get_engine(demo_app)) as db:
        assert db.execute(select(Team.name).where(Team.name == "Team Nord")).all() == [
            ("Team Nord",)
        ]


def test_renaming_a_team_to_another_teams_name_is_refused(demo_app) -> None:
    with Session(get_engine(demo_app)) as db:
        syd = db.execute(select(Team).where(Team.name == "Team Syd")).scalar_one()
    response = _admin(demo_app).post(
        f"/admin/teams/{syd.id}",
        data={"name": "Team Nord", "measurement_interval_months": 3, "window_days": 21},
    )
    assert response.status_code == 422
    assert "Der findes allerede et team med dette navn." in response.get_data(as_text=True)
    assert "<h1>Team Syd</h1>" in response.get_data(as_text=True)


def test_the_team_service_validates_and_audits(session: Session) -> None:
    team = create_team(session, TeamSettings(" Team Øst ", 3, 21))
    assert (team.name, team.suppress_small_cells) == ("Team Øst", True)
    update_team(session, team, TeamSettings("Team Øst", 6, 14, suppress_small_cells=False))
    events = session.execute(
        select(AuditEvent.action, AuditEvent.target, AuditEvent.details).order_by(AuditEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        (
            "team.create",
            f"team:{team.id}",
            {"interval": 3, "window": 21, "suppress_small_cells": True},
        ),
        (
            "team.update",
            f"team:{team.id}",
            {"interval": 6, "window": 14, "suppress_small_cells": False},
        ),
    ]
    for settings, code, field in (
        (TeamSettings("Team Øst"), "team.taken", "name"),
        (TeamSettings("   "), "team.blank", "name"),
        (TeamSettings("x" * 101), "team.long", "name"),
        (
            TeamSettings("Ny", measurement_interval_months=0),
            "team.range.measurement_interval_months",
            "measurement_interval_months",
        ),
        (
            TeamSettings("Ny", measurement_interval_months=13),
            "team.range.measurement_interval_months",
            "measurement_interval_months",
        ),
        (TeamSettings("Ny", window_days=61), "team.range.window_days", "window_days"),
        (TeamSettings("Ny", window_days=-1), "team.range.window_days", "window_days"),
    ):
        with pytest.raises(TeamError) as refused:
            create_team(session, settings)
        assert (refused.value.code, refused.value.field) == (code, field)
    # Keeping its own name is no clash.
    update_team(session, team, TeamSettings("Team Øst", 6, 14))


def test_an_admin_cannot_take_away_their_own_admin_role(demo_app) -> None:
    with Session(get_engine(demo_app)) as db:
        me = db.execute(select(User).where(User.username == "admin")).scalar_one()
        nord = db.execute(select(Team.id).where(Team.name == "Team Nord")).scalar_one()
    response = _admin(demo_app).post(
        f"/admin/users/{me.id}", data={"full_name": "Admin", "consultant_in": str(nord)}
    )
    assert response.status_code == 422
    assert "Du kan ikke fjerne din egen administratorrolle." in response.get_data(as_text=True)
    with Session(get_engine(demo_app)) as db:
        assert db.get(User, me.id).is_admin
        assert not db.execute(select(AuditEvent).where(AuditEvent.action == "user.update")).first()


def test_an_admin_cannot_disable_themselves(demo_app) -> None:
    with Session(get_engine(demo_app)) as db:
        me = db.execute(select(User).where(User.username == "admin")).scalar_one()
    admin = _admin(demo_app)
    response = admin.post(f"/admin/users/{me.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert "Du kan ikke deaktivere din egen konto." in admin.get("/admin/users").get_data(
        as_text=True
    )
    with Session(get_engine(demo_app)) as db:
        assert db.get(User, me.id).is_active


def test_the_user_services_refuse_self_demotion_only_for_the_actor(
    session: Session, create_user, create_team
) -> None:
    me, other = create_user("me", is_admin=True), create_user("other", is_admin=True)
    team = create_team("Team Admin")
    with pytest.raises(AccountError) as refused:
        update_user(
            session,
            me,
            full_name="Me",
            memberships={team.id: Role.CONSULTANT},
            is_admin=False,
            actor=me,
        )
    assert (refused.value.code, refused.value.field) == ("account.own_role", "is_admin")
    with pytest.raises(AccountError) as refused:
        set_active(session, me, False, actor=me)
    assert refused.value.code == "account.own_account"
    update_user(session, me, full_name=" Me ", memberships={}, is_admin=True, actor=me)
    update_user(
        session,
        other,
        full_name="Other",
        memberships={team.id: Role.CONSULTANT},
        is_admin=False,
        actor=me,
    )
    set_active(session, other, False, actor=me)
    set_active(session, me, False)  # the command line has no actor
    assert (me.full_name, other.is_admin, other.is_active, me.is_active) == (
        "Me",
        False,
        False,
        False,
    )
    with pytest.raises(AccountError) as refused:
        update_user(
            session, other, full_name="Other", memberships={999: Role.CONSULTANT}, is_admin=True
        )
    assert (refused.value.code, refused.value.field) == ("account.team", "consultant_in")
    with pytest.raises(AccountError) as refused:
        update_user(session, other, full_name="Other", memberships={}, is_admin=False)
    assert (refused.value.code, refused.value.field) == ("account.no_access", "consultant_in")


def test_outcome_targets_are_typed_as_percents_and_stored_as_shares(demo_app) -> None:
    admin = _admin(demo_app)
    rhythm = {"name": "Team Vest", "measurement_interval_months": 3, "window_days": 21}
    response = admin.post(
        "/admin/teams/new", data={**rhythm, "target_employment": "25", "target_education": "12,5"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with Session(get_engine(demo_app)) as db:
        vest = db.execute(select(Team).where(Team.name == "Team Vest")).scalar_one()
        details = db.execute(
            select(AuditEvent.details).where(AuditEvent.target == f"team:{vest.id}")
        ).scalar_one()
    assert (vest.target_employment, vest.target_education) == (0.25, 0.125)
    assert details["target_employment"] == 0.25
    page = admin.get(f"/admin/teams/{vest.id}").get_data(as_text=True)
    assert 'name="target_employment" type="text" value="25"' in page
    assert 'value="12.5"' in page
    assert "Mål for beskæftigelse (procent)" in page
    # empty goes back to the programme's target; nothing else may be stored
    response = admin.post(f"/admin/teams/{vest.id}", data={**rhythm, "target_employment": ""})
    assert response.status_code == 302
    for bad in ("150", "-1", "mange", "nan"):
        response = admin.post(f"/admin/teams/{vest.id}", data={**rhythm, "target_education": bad})
        assert response.status_code == 422, bad
        page = response.get_data(as_text=True)
        assert "Skriv en procent fra 0 til 100, eller lad feltet stå tomt" in page
        assert f'value="{bad}"' in page  # what was typed stays in the field
    with Session(get_engine(demo_app)) as db:
        vest = db.get(Team, vest.id)
        assert (vest.target_employment, vest.target_education) == (None, None)


def test_the_team_service_refuses_a_target_outside_0_to_1(session: Session) -> None:
    for field in ("target_employment", "target_education"):
        for share in (1.01, -0.1, float("nan")):
            with pytest.raises(TeamError) as refused:
                create_team(session, TeamSettings("Ny", **{field: share}))
            assert (refused.value.code, refused.value.field) == (f"team.range.{field}", field)
    team = create_team(session, TeamSettings("Ny", target_employment=1, target_education=0))
    assert (team.target_employment, team.target_education) == (1, 0)


def test_survey_teams_sets_and_clears_targets(app) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(teams, ["create", "Team Øst", "--target-employment", "0.25"])
    assert created.exit_code == 0, created.output
    assert "targets: employment 25 %, education the programme's" in created.stdout
    updated = runner.invoke(
        teams,
        ["update", "Team Øst", "--target-education", "0.2", "--target-employment", "default"],
    )
    assert updated.exit_code == 0, updated.output
    assert "targets: employment the programme's, education 20 %" in updated.stdout
    with Session(get_engine(app)) as db:
        team = db.execute(select(Team).where(Team.name == "Team Øst")).scalar_one()
        assert (team.target_employment, team.target_education) == (None, 0.2)
    kept = runner.invoke(teams, ["update", "Team Øst", "--window", "14"])
    assert "education 20 %" in kept.stdout  # what is not given stays
    refused = runner.invoke(teams, ["update", "Team Øst", "--target-employment", "25"])
    assert refused.exit_code == 2
    assert "--target-employment is a share from 0 to 1" in refused.stderr
    typo = runner.invoke(teams, ["create", "Team Vest", "--target-education", "lots"])
    assert typo.exit_code == 2
    assert "is not a share such as 0.25" in typo.stderr


def test_a_number_of_hundreds_of_digits_in_the_team_form_is_refused(demo_app) -> None:
    """It overflowed WTForms' range check (OverflowError, a 500; found by the route fuzzing)."""
    admin = _admin(demo_app)
    for field in ("measurement_interval_months", "window_days"):
        rhythm = {"name": "Team Vest", "measurement_interval_months": 3, "window_days": 21}
        response = admin.post("/admin/teams/new", data={**rhythm, field: "9" * 400})
        assert response.status_code == 422, field
        assert "Ikke et helt tal." in response.get_data(as_text=True)
    with Session(get_engine(demo_app)) as db:
        assert db.execute(select(Team).where(Team.name == "Team Vest")).first() is None


def test_an_admin_gives_one_user_two_hats_but_one_role_per_team(demo_app) -> None:
    with Session(get_engine(demo_app)) as db:
        teams = {t.name: t.id for t in db.execute(select(Team)).scalars()}
    admin = _admin(demo_app)
    both = admin.post(
        "/admin/users/new",
        data={
            "username": "to.hatte",
            "full_name": "To Hatte",
            "consultant_in": [teams["Team Nord"]],
            "leader_in": [teams["Team Nord"], teams["Team Syd"]],
        },
    )
    assert both.status_code == 422
    assert "vælg ressourcekonsulent eller projektleder for Team Nord" in both.text
    made = admin.post(
        "/admin/users/new",
        data={
            "username": "to.hatte",
            "full_name": "To Hatte",
            "is_admin": "y",
            "consultant_in": [teams["Team Nord"]],
            "leader_in": [teams["Team Syd"]],
        },
    )
    assert made.status_code == 200
    listed = admin.get("/admin/users").text
    assert "Ressourcekonsulent i Team Nord; Projektleder i Team Syd" in listed
    with Session(get_engine(demo_app)) as db:
        user = db.execute(select(User).where(User.username == "to.hatte")).scalar_one()
        held = dict(
            db.execute(
                select(TeamMembership.team_id, TeamMembership.role).where(
                    TeamMembership.user_id == user.id
                )
            ).all()
        )
    assert user.is_admin
    assert held == {teams["Team Nord"]: Role.CONSULTANT, teams["Team Syd"]: Role.PROJECT_LEADER}
