"""`survey users ...`: accounts from the command line, audited like the admin pages."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlmodel import Session

from survey.cli import cli
from survey.db import get_engine
from survey.models import AuditEvent, Role, Team, TeamMembership, User
from tests.conftest import login


def run(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def test_create_reset_disable_enable(demo_app) -> None:
    created = run(
        demo_app,
        "users",
        "create",
        "Bo",
        "--name",
        "Bo Ek",
        "--consultant",
        "Team Nord",
    )
    assert created.exit_code == 0, created.output
    password = re.search(r"shown once: (\S+)", created.output).group(1)
    login(demo_app.test_client(), "bo", password)

    reset = run(demo_app, "users", "reset-password", "bo")
    new_password = re.search(r"shown once: (\S+)", reset.output).group(1)
    assert new_password != password
    assert (
        demo_app.test_client()
        .post("/login", data={"username": "bo", "password": password})
        .status_code
        == 200
    )
    login(demo_app.test_client(), "bo", new_password)

    assert run(demo_app, "users", "disable", "bo").exit_code == 0
    assert (
        demo_app.test_client()
        .post("/login", data={"username": "bo", "password": new_password})
        .status_code
        == 200
    )
    assert run(demo_app, "users", "enable", "bo").exit_code == 0
    login(demo_app.test_client(), "bo", new_password)

    with Session(get_engine(demo_app)) as db:
        assert db.execute(select(User.full_name).where(User.username == "bo")).scalar_one() == (
            "Bo Ek"
        )
        actions = (
            db.execute(
                select(AuditEvent.action)
                .where(AuditEvent.target == "user:bo")
                .order_by(AuditEvent.id)
            )
            .scalars()
            .all()
        )
    assert actions == ["user.create", "user.reset_password", "user.disable", "user.enable"]


def test_refusals(demo_app) -> None:
    taken = run(demo_app, "users", "create", "anne", "--name", "A", "--consultant", "Team Nord")
    assert taken.exit_code == 2
    assert "that user name is taken" in taken.output
    team = run(demo_app, "users", "create", "x", "--name", "X", "--admin", "--leader", "Nope")
    assert team.exit_code == 2
    assert "Unknown team 'Nope'" in team.output
    missing = run(demo_app, "users", "disable", "nobody")
    assert missing.exit_code == 2
    assert "There is no user 'nobody'" in missing.output


def test_roles_per_team_from_the_command_line(demo_app) -> None:
    """One user, two hats: consultant in one team, project leader in the other, and then an
    administrator too; every change audited with the access it gave."""
    created = run(
        demo_app,
        "users",
        "create",
        "ida",
        "--name",
        "Ida Hat",
        "--consultant",
        "Team Nord",
        "--leader",
        "Team Syd",
    )
    assert created.exit_code == 0, created.output
    assert "(consultant in Team Nord, project leader in Team Syd)" in created.output
    changed = run(demo_app, "users", "access", "ida", "--admin", "--leader", "Team Syd")
    assert changed.exit_code == 0, changed.output
    assert "ida: administrator, project leader in Team Syd." in changed.output
    both = run(
        demo_app, "users", "access", "ida", "--consultant", "Team Syd", "--leader", "Team Syd"
    )
    assert both.exit_code == 2
    assert "'Team Syd' is named for both" in both.output
    nothing = run(demo_app, "users", "access", "ida", "--no-admin")
    assert nothing.exit_code == 2
    assert "no role in any team and not an administrator" in nothing.output
    with Session(get_engine(demo_app)) as db:
        ida = db.execute(select(User).where(User.username == "ida")).scalar_one()
        held = dict(
            db.execute(
                select(Team.name, TeamMembership.role)
                .join(TeamMembership, TeamMembership.team_id == Team.id)
                .where(TeamMembership.user_id == ida.id)
            ).all()
        )
        details = db.execute(
            select(AuditEvent.details).where(
                AuditEvent.target == "user:ida", AuditEvent.action == "user.update"
            )
        ).scalar_one()
    assert ida.is_admin
    assert held == {"Team Syd": Role.PROJECT_LEADER}
    assert details["admin"] is True
    assert list(details["teams"].values()) == ["project_leader"]
