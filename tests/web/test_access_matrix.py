"""Every route × every role has an expected outcome, read from Flask's URL map.

A new route without a row here fails the test: decide who may use it before it ships.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from survey.db import get_engine
from survey.hashing import hash_password
from survey.models import (
    Answer,
    Citizen,
    CourseStatus,
    Job,
    Mode,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from tests.conftest import login

ROLES = (
    "anonymous",
    "consultant",
    "consultant_other_team",
    "project_leader",
    "project_leader_other_team",
    "admin",
    # Two hats (made by make_targets): project leader in Team Nord and consultant in Team Syd;
    # consultant in Team Nord (not Anne's citizens) and project leader in Team Syd; and an
    # administrator who also leads Team Nord.
    "leader_here_consultant_there",
    "consultant_here_leader_there",
    "admin_and_leader",
    "kiosk",  # a tablet the consultant handed to a citizen: only the kiosk's own pages
)
USERS = {
    "consultant": "anne",
    "consultant_other_team": "jonas",
    "project_leader": "leder.nord",
    "project_leader_other_team": "leder.syd",
    "admin": "admin",
    "leader_here_consultant_there": "hat.nord",
    "consultant_here_leader_there": "hat.syd",
    "admin_and_leader": "admin.nord",
}
TWO_HATS = {
    # user name -> (administrator, {team: role})
    "hat.nord": (False, {"Team Nord": Role.PROJECT_LEADER, "Team Syd": Role.CONSULTANT}),
    "hat.syd": (False, {"Team Nord": Role.CONSULTANT, "Team Syd": Role.PROJECT_LEADER}),
    "admin.nord": (True, {"Team Nord": Role.PROJECT_LEADER}),
}
ADMINS = ("admin", "admin_and_leader")
LEADERS = (
    "project_leader",
    "project_leader_other_team",
    "leader_here_consultant_there",
    "consultant_here_leader_there",
    "admin_and_leader",
)

LOGIN = 302  # anonymous users are sent to the login page
CLOSED = 403  # what a kiosk tablet gets for every page but its own
ANY_USER = {"anonymous": LOGIN, **dict.fromkeys(USERS, 200), "kiosk": CLOSED}
STAFF_ONLY = {"anonymous": LOGIN, **dict.fromkeys(USERS, 200), "admin": 403, "kiosk": CLOSED}
ADMIN_ONLY = {
    "anonymous": LOGIN,
    **dict.fromkeys(USERS, 403),
    **dict.fromkeys(ADMINS, 200),
    "kiosk": CLOSED,
}
PUBLIC = dict.fromkeys(ROLES, 200)
LEADERS_ONLY = {**dict.fromkeys(ROLES, 403), "anonymous": LOGIN, **dict.fromkeys(LEADERS, 200)}


def own_citizen(ok: int, leader: int | None = None) -> dict[str, int]:
    """A route about one of the consultant's citizens in Team Nord; `leader` when the team's
    project leader gets something else (they read answers but never change them). Whoever
    leads Team Nord gets the leader's answer whatever else they are; a consultant of Team Nord
    who is not the citizen's consultant gets nothing, though they lead another team."""
    as_leader = ok if leader is None else leader
    return {
        "anonymous": LOGIN,
        "consultant": ok,
        "consultant_other_team": 404,
        "project_leader": as_leader,
        "project_leader_other_team": 404,
        "admin": 403,
        "leader_here_consultant_there": as_leader,
        "consultant_here_leader_there": 404,
        "admin_and_leader": as_leader,
        "kiosk": CLOSED,
    }


def kiosk_only(kiosk: int) -> dict[str, int]:
    """A kiosk page: 403 for every browser that is not the tablet."""
    return {**dict.fromkeys(ROLES, 403), "kiosk": kiosk}


def replace(base: dict[str, int], **changes: int) -> dict[str, int]:
    return {**base, **changes}


EXPORTERS = replace(LEADERS_ONLY, admin=200)
STAFF_422 = ["consultant", "consultant_other_team", *LEADERS]

# (endpoint, method) → (url template, expected status per role[, form data]), tried in this order
EXPECTED: dict[tuple[str, str], tuple] = {
    ("static", "GET"): ("/static/survey.css", PUBLIC),
    ("main.healthz", "GET"): ("/healthz", replace(PUBLIC, kiosk=CLOSED)),
    ("main.language", "POST"): ("/language", replace(dict.fromkeys(ROLES, 302), kiosk=CLOSED)),
    ("main.instruments", "GET"): ("/instruments", ANY_USER),
    ("main.instrument", "GET"): ("/instruments/who5/1", ANY_USER),
    ("main.plotly_js", "GET"): ("/vendor/plotly.min.js", STAFF_ONLY),
    ("home.index", "GET"): ("/", ANY_USER),
    ("auth.login", "GET"): (
        "/login",
        replace(dict.fromkeys(ROLES, 302), anonymous=200, kiosk=CLOSED),
    ),
    ("auth.login", "POST"): (
        "/login",
        replace(dict.fromkeys(ROLES, 302), anonymous=200, kiosk=CLOSED),
    ),
    ("auth.logout", "POST"): ("/logout", replace(dict.fromkeys(ROLES, 302), kiosk=CLOSED)),
    ("auth.change_password", "GET"): ("/account/password", ANY_USER),
    ("auth.change_password", "POST"): ("/account/password", ANY_USER),
    ("auth.pin", "GET"): ("/account/pin", ANY_USER),
    ("auth.pin", "POST"): ("/account/pin", replace(ANY_USER, **dict.fromkeys(USERS, 422))),
    ("citizens.index", "GET"): ("/citizens", STAFF_ONLY),
    ("citizens.enrol", "GET"): ("/citizens/new", STAFF_ONLY),
    ("citizens.enrol", "POST"): (
        "/citizens/new",
        replace(STAFF_ONLY, **dict.fromkeys(STAFF_422, 422)),
    ),
    ("citizens.view", "GET"): ("/citizens/{citizen}", own_citizen(200)),
    ("citizens.transfer", "GET"): ("/citizens/{citizen}/transfer", own_citizen(200)),
    ("citizens.transfer", "POST"): ("/citizens/{citizen}/transfer", own_citizen(422)),
    ("citizens.end", "GET"): ("/citizens/{citizen}/end", own_citizen(200)),
    ("citizens.end", "POST"): ("/citizens/{citizen}/end", own_citizen(422)),
    ("citizens.reopen", "POST"): ("/citizens/{ended}/reopen", own_citizen(302)),
    ("trend.view", "GET"): ("/citizens/{citizen}/trend", own_citizen(200)),
    ("trend.print_view", "GET"): ("/citizens/{citizen}/trend/print", own_citizen(200)),
    ("responses.start", "GET"): ("/citizens/{citizen}/points/33/staff", own_citizen(200, 403)),
    ("responses.start", "POST"): ("/citizens/{citizen}/points/33/staff", own_citizen(422, 403)),
    ("responses.page", "GET"): ("/responses/{draft}/page/1", own_citizen(200, 403)),
    ("responses.page", "POST"): ("/responses/{draft}/page/1", own_citizen(302, 403)),
    ("responses.autosave", "POST"): (
        "/responses/{draft}/autosave",
        replace(own_citizen(200, 403), anonymous=401),
        {"page": "1"},
    ),
    # The draft is the staff form's: no tablet for it (409), and never for another's citizen.
    ("responses.to_tablet", "POST"): ("/responses/{draft}/tablet", own_citizen(409, 403)),
    ("responses.review", "GET"): ("/responses/{draft}/review", own_citizen(200, 403)),
    ("responses.submit", "POST"): ("/responses/{draft}/submit", own_citizen(302, 403)),
    ("responses.view", "GET"): ("/responses/{submitted}", own_citizen(200)),
    ("responses.amend", "GET"): (
        "/responses/{submitted}/amend/staff.diagnosis",
        own_citizen(200, 403),
    ),
    ("responses.amend", "POST"): (
        "/responses/{submitted}/amend/staff.diagnosis",
        own_citizen(422, 403),
    ),
    ("kiosk.index", "GET"): ("/kiosk", kiosk_only(302)),
    ("kiosk.page", "GET"): ("/kiosk/page/1", kiosk_only(200)),
    ("kiosk.page", "POST"): ("/kiosk/page/1", kiosk_only(302)),
    ("kiosk.autosave", "POST"): ("/kiosk/autosave", kiosk_only(200), {"page": "1"}),
    ("kiosk.thanks", "GET"): ("/kiosk/thanks", kiosk_only(302)),
    ("kiosk.language", "POST"): ("/kiosk/language", kiosk_only(302)),
    ("kiosk.lock", "POST"): ("/kiosk/lock", kiosk_only(302)),
    ("kiosk.locked", "GET"): ("/kiosk/locked", kiosk_only(200)),
    ("kiosk.unlock", "POST"): ("/kiosk/unlock", kiosk_only(422), {"secret": "wrong"}),
    ("kiosk.summary", "GET"): ("/kiosk/summary", kiosk_only(302)),  # locked by the unlock try
    ("kiosk.submit", "POST"): ("/kiosk/submit", kiosk_only(302)),
    ("admin.users", "GET"): ("/admin/users", ADMIN_ONLY),
    ("admin.create_user", "GET"): ("/admin/users/new", ADMIN_ONLY),
    ("admin.create_user", "POST"): (
        "/admin/users/new",
        replace(ADMIN_ONLY, **dict.fromkeys(ADMINS, 422)),
    ),
    ("admin.edit_user", "GET"): ("/admin/users/{user}", ADMIN_ONLY),
    ("admin.edit_user", "POST"): (
        "/admin/users/{user}",
        replace(ADMIN_ONLY, **dict.fromkeys(ADMINS, 422)),
    ),
    ("admin.reset_password", "POST"): ("/admin/users/{user}/reset-password", ADMIN_ONLY),
    ("admin.set_active", "POST"): (
        "/admin/users/{user}/active",
        replace(ADMIN_ONLY, **dict.fromkeys(ADMINS, 302)),
    ),
    ("admin.teams", "GET"): ("/admin/teams", ADMIN_ONLY),
    ("admin.team", "GET"): ("/admin/teams/{team}", ADMIN_ONLY),
    ("admin.team", "POST"): (
        "/admin/teams/{team}",
        replace(ADMIN_ONLY, **dict.fromkeys(ADMINS, 422)),
    ),
    ("admin.audit_log", "GET"): ("/admin/audit", ADMIN_ONLY),
    ("admin.audit_export", "GET"): ("/admin/audit.csv", ADMIN_ONLY),
    # Data in: administrators; data out: project leaders (their teams) and administrators.
    ("interop.upload", "GET"): ("/admin/import", ADMIN_ONLY),
    ("interop.upload", "POST"): (
        "/admin/import",
        replace(ADMIN_ONLY, **dict.fromkeys(ADMINS, 422)),
    ),
    # Another administrator's job is not shown (404): only the one who started it sees it.
    ("interop.import_job", "GET"): (
        "/admin/import/jobs/{job}",
        replace(ADMIN_ONLY, admin_and_leader=404),
    ),
    ("interop.exports", "GET"): ("/exports", EXPORTERS),
    ("interop.download", "POST"): ("/exports/download", EXPORTERS, {"dataset": "codebook-md"}),
    # Cohort reports: project leaders only, each for their own teams.
    ("reports.index", "GET"): ("/reports?table=status", LEADERS_ONLY),
    ("reports.table_csv", "GET"): ("/reports/table.csv?table=waves", LEADERS_ONLY),
    ("reports.table_xlsx", "GET"): ("/reports/table.xlsx?table=waves", LEADERS_ONLY),
    ("reports.set_xlsx", "GET"): ("/reports/set/evaluation.xlsx", LEADERS_ONLY),
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
    return make_targets(demo_app)


def make_targets(app) -> dict[str, int]:
    """Anne's citizens and responses to try every route on: a staff-form draft at point 31 and a
    submitted staff form at point 32 (points the demo never reaches)."""
    with Session(get_engine(app), expire_on_commit=False) as db:
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
        common = {
            "citizen_id": active.id,
            "form_id": "staff",
            "form_version": 1,
            "administered_on": date(2026, 11, 20),
            "mode": Mode.STAFF,
            "entered_by_id": anne.id,
        }
        draft = Response(point=31, **common)
        submitted = Response(
            point=32,
            status=ResponseStatus.SUBMITTED,
            submitted_at=datetime(2026, 11, 20, tzinfo=UTC),
            **common,
        )
        submitted.answers = [Answer(item_code="staff.diagnosis", value="2")]
        admin = db.execute(select(User).where(User.username == "admin")).scalar_one()
        job = Job(
            kind="import.citizens",
            created_by_id=admin.id,
            state="done",
            result={"ok": True, "summary": "", "messages": [], "problem_count": 0},
        )
        db.add_all([draft, submitted, job])
        teams = {t.name: t.id for t in db.execute(select(Team)).scalars()}
        for username, (is_admin, held) in TWO_HATS.items():
            db.add(
                hat := User(
                    username=username,
                    full_name=f"Hat {username}",
                    password_hash=hash_password(f"demo-{username}-2026"),
                    is_admin=is_admin,
                )
            )
            db.flush()
            for team_name, role in held.items():
                db.add(TeamMembership(user_id=hat.id, team_id=teams[team_name], role=role))
        db.commit()
        return {
            "citizen": active.id,
            "ended": ended.id,
            "user": user.id,
            "team": team.id,
            "draft": draft.id,
            "submitted": submitted.id,
            "job": job.id,
        }


def client_for(app, role: str, targets: dict[str, int]):
    client = app.test_client()
    if role == "kiosk":
        login(client, "anne")
        handed = client.post(
            f"/citizens/{targets['citizen']}/points/34/citizen",
            data={"administered_on": "2026-11-23", "how": "self"},
        )
        assert handed.headers["Location"] == "/kiosk"
    elif role != "anonymous":
        login(client, USERS[role])
    return client


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(demo_app, targets, role: str) -> None:
    client = client_for(demo_app, role, targets)
    failures = []
    # Logging out ends the session, so it goes last.
    for (endpoint, method), (template, expected, *data) in sorted(
        EXPECTED.items(), key=lambda entry: entry[0] == ("auth.logout", "POST")
    ):
        url = template.format(**targets)
        response = client.open(url, method=method, data=data[0] if data else {}, buffered=True)
        response.close()
        if response.status_code != expected[role]:
            failures.append(
                f"{method} {url} ({endpoint}): {response.status_code}, expected {expected[role]}"
            )
    assert not failures, "\n".join(failures)
