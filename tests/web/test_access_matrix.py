"""Every route × every role has an expected outcome, read from Flask's URL map.

A new route without a row here fails the test: decide who may use it before it ships.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from survey.db import get_engine
from survey.models import Citizen, CourseStatus, Team, User
from tests.conftest import login

ROLES = (
    "anonymous",
    "consultant",
    "consultant_other_team",
    "project_leader",
    "project_leader_other_team",
    "admin",
)
USERS = {
    "consultant": "anne",
    "consultant_other_team": "jonas",
    "project_leader": "leder.nord",
    "project_leader_other_team": "leder.syd",
    "admin": "admin",
}

LOGIN = 302  # anonymous users are sent to the login page
ANY_USER = {"anonymous": LOGIN, **dict.fromkeys(USERS, 200)}
STAFF_ONLY = {"anonymous": LOGIN, **dict.fromkeys(USERS, 200), "admin": 403}
ADMIN_ONLY = {"anonymous": LOGIN, **dict.fromkeys(USERS, 403), "admin": 200}
PUBLIC = dict.fromkeys(ROLES, 200)


def own_citizen(ok: int) -> dict[str, int]:
    """A route about one of the consultant's citizens in Team Nord."""
    return {
        "anonymous": LOGIN,
        "consultant": ok,
        "consultant_other_team": 404,
        "project_leader": ok,
        "project_leader_other_team": 404,
        "admin": 403,
    }


def replace(base: dict[str, int], **changes: int) -> dict[str, int]:
    return {**base, **changes}


# (endpoint, method) → (url template, expected status per role)
EXPECTED: dict[tuple[str, str], tuple[str, dict[str, int]]] = {
    ("static", "GET"): ("/static/survey.css", PUBLIC),
    ("main.healthz", "GET"): ("/healthz", PUBLIC),
    ("main.language", "POST"): ("/language", dict.fromkeys(ROLES, 302)),
    ("main.instruments", "GET"): ("/instruments", ANY_USER),
    ("main.instrument", "GET"): ("/instruments/who5/1", ANY_USER),
    ("home.index", "GET"): ("/", ANY_USER),
    ("auth.login", "GET"): ("/login", replace(dict.fromkeys(ROLES, 302), anonymous=200)),
    ("auth.login", "POST"): ("/login", replace(dict.fromkeys(ROLES, 302), anonymous=200)),
    ("auth.logout", "POST"): ("/logout", dict.fromkeys(ROLES, 302)),
    ("auth.change_password", "GET"): ("/account/password", ANY_USER),
    ("auth.change_password", "POST"): ("/account/password", ANY_USER),
    ("citizens.index", "GET"): ("/citizens", STAFF_ONLY),
    ("citizens.enrol", "GET"): ("/citizens/new", STAFF_ONLY),
    ("citizens.enrol", "POST"): (
        "/citizens/new",
        replace(
            STAFF_ONLY,
            **dict.fromkeys(
                [
                    "consultant",
                    "consultant_other_team",
                    "project_leader",
                    "project_leader_other_team",
                ],
                422,
            ),
        ),
    ),
    ("citizens.view", "GET"): ("/citizens/{citizen}", own_citizen(200)),
    ("citizens.transfer", "GET"): ("/citizens/{citizen}/transfer", own_citizen(200)),
    ("citizens.transfer", "POST"): ("/citizens/{citizen}/transfer", own_citizen(422)),
    ("citizens.end", "GET"): ("/citizens/{citizen}/end", own_citizen(200)),
    ("citizens.end", "POST"): ("/citizens/{citizen}/end", own_citizen(422)),
    ("citizens.reopen", "POST"): ("/citizens/{ended}/reopen", own_citizen(302)),
    ("admin.users", "GET"): ("/admin/users", ADMIN_ONLY),
    ("admin.create_user", "GET"): ("/admin/users/new", ADMIN_ONLY),
    ("admin.create_user", "POST"): ("/admin/users/new", replace(ADMIN_ONLY, admin=422)),
    ("admin.edit_user", "GET"): ("/admin/users/{user}", ADMIN_ONLY),
    ("admin.edit_user", "POST"): ("/admin/users/{user}", replace(ADMIN_ONLY, admin=422)),
    ("admin.reset_password", "POST"): ("/admin/users/{user}/reset-password", ADMIN_ONLY),
    ("admin.set_active", "POST"): ("/admin/users/{user}/active", replace(ADMIN_ONLY, admin=302)),
    ("admin.teams", "GET"): ("/admin/teams", ADMIN_ONLY),
    ("admin.team", "GET"): ("/admin/teams/{team}", ADMIN_ONLY),
    ("admin.team", "POST"): ("/admin/teams/{team}", replace(ADMIN_ONLY, admin=422)),
    ("admin.audit_log", "GET"): ("/admin/audit", ADMIN_ONLY),
    ("admin.audit_export", "GET"): ("/admin/audit.csv", ADMIN_ONLY),
}


def routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return found


def test_every_route_has_expectations(demo_app) -> None:
    missing = routes(demo_app) - set(EXPECTED)
    assert not missing, f"add these routes to the access matrix: {sorted(missing)}"
    stale = set(EXPECTED) - routes(demo_app)
    assert not stale, f"these routes are gone; remove them from the matrix: {sorted(stale)}"


@pytest.fixture
def targets(demo_app) -> dict[str, int]:
    with Session(get_engine(demo_app)) as db:
        anne = db.execute(select(User).where(User.username == "anne")).scalar_one()
        citizens = (
            db.execute(select(Citizen).where(Citizen.consultant_id == anne.id).order_by(Citizen.id))
            .scalars()
            .all()
        )
        active = next(c for c in citizens if c.status == CourseStatus.ACTIVE)
        ended = next(c for c in citizens if c.status != CourseStatus.ACTIVE)
        user = db.execute(select(User).where(User.username == "peter")).scalar_one()
        team = db.execute(select(Team).where(Team.name == "Team Nord")).scalar_one()
        return {"citizen": active.id, "ended": ended.id, "user": user.id, "team": team.id}


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(demo_app, targets, role: str) -> None:
    client = demo_app.test_client()
    if role != "anonymous":
        login(client, USERS[role])
    failures = []
    # Logging out ends the session, so it goes last.
    for (endpoint, method), (template, expected) in sorted(
        EXPECTED.items(), key=lambda entry: entry[0] == ("auth.logout", "POST")
    ):
        url = template.format(**targets)
        response = client.open(url, method=method, data={})
        response.close()
        if response.status_code != expected[role]:
            failures.append(
                f"{method} {url} ({endpoint}): {response.status_code}, expected {expected[role]}"
            )
    assert not failures, "\n".join(failures)
