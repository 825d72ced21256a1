"""Every page that shows a citizen's data writes one audit entry, read from Flask's URL map.

A new page about a citizen or a response, or a new page in the citizens', responses', tablet's
or trend's blueprints, fails here until it is audited (AUDITED) or shown to show no citizen's
data (NO_CITIZEN_DATA).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

import pytest
from sqlalchemy import select
from sqlmodel import Session

from survey.db import get_engine
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    CourseStatus,
    Mode,
    Response,
    ResponseStatus,
    User,
)
from tests.conftest import login

BLUEPRINTS = ("citizens", "responses", "kiosk", "trend", "home")
ID_ARGUMENTS = {"citizen_id", "response_id"}


class Audited(NamedTuple):
    """A page's URL, who looks, the action written, and the targets' keys it must name."""

    url: str
    who: str
    action: str
    citizen: str | None = "citizen"
    response: str | None = None
    page: str | None = None  # the details' "page", where the action serves several pages


AUDITED: dict[str, Audited] = {
    "home.index": Audited("/", "anne", "caseload.view", None, page="home"),
    "citizens.index": Audited("/citizens", "anne", "caseload.view", None, page="citizens"),
    "citizens.view": Audited("/citizens/{citizen}", "anne", "citizen.view", page="citizen"),
    "citizens.transfer": Audited(
        "/citizens/{citizen}/transfer", "anne", "citizen.view", page="transfer"
    ),
    "citizens.end": Audited("/citizens/{citizen}/end", "anne", "citizen.view", page="end"),
    "trend.view": Audited("/citizens/{citizen}/trend", "leder.nord", "citizen.trend"),
    "trend.print_view": Audited("/citizens/{citizen}/trend/print", "anne", "citizen.trend"),
    "responses.start": Audited(
        "/citizens/{citizen}/points/33/staff", "anne", "citizen.view", page="start"
    ),
    "responses.page": Audited(
        "/responses/{draft}/page/1", "anne", "response.view", response="draft", page="page"
    ),
    "responses.review": Audited(
        "/responses/{draft}/review", "anne", "response.view", response="draft", page="review"
    ),
    "responses.view": Audited(
        "/responses/{submitted}",
        "leder.nord",
        "response.view",
        response="submitted",
        page="response",
    ),
    "responses.amend": Audited(
        "/responses/{submitted}/amend/staff.diagnosis",
        "anne",
        "response.view",
        response="submitted",
        page="amend",
    ),
    "kiosk.page": Audited(
        "/kiosk/page/1", "kiosk", "response.view", response="tablet", page="tablet.page"
    ),
    "kiosk.summary": Audited(
        "/kiosk/summary", "kiosk", "response.view", response="tablet", page="tablet.summary"
    ),
}

# GET pages in those blueprints that show nothing of any citizen, and why.
NO_CITIZEN_DATA = {
    "citizens.enrol": "an empty enrolment form",
    "kiosk.index": "only sends the tablet to where it belongs",
    "kiosk.thanks": "a thank-you text",
    "kiosk.locked": "the lock screen",
}


def pages_to_audit(app) -> set[str]:
    """Every GET page in the citizens' blueprints, and every GET page anywhere that takes a
    citizen or a response."""
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint.split(".")[0] in BLUEPRINTS or rule.arguments & ID_ARGUMENTS:
            found.add(rule.endpoint)
    return found


def test_every_page_about_citizens_is_audited_or_allowed(demo_app) -> None:
    pages = pages_to_audit(demo_app)
    missing = pages - set(AUDITED) - set(NO_CITIZEN_DATA)
    assert not missing, f"audit these pages (or say why they show no citizen): {sorted(missing)}"
    stale = (set(AUDITED) | set(NO_CITIZEN_DATA)) - pages
    assert not stale, f"these pages are gone; remove them here: {sorted(stale)}"
    assert not set(AUDITED) & set(NO_CITIZEN_DATA)


@pytest.fixture
def targets(demo_app) -> dict[str, int]:
    """One of Anne's active citizens with a staff-form draft (point 31) and a submitted staff
    form (point 32), points the demo never reaches."""
    with Session(get_engine(demo_app), expire_on_commit=False) as db:
        anne = db.execute(select(User).where(User.username == "anne")).scalar_one()
        citizen = (
            db.execute(
                select(Citizen)
                .where(Citizen.consultant_id == anne.id, Citizen.status == CourseStatus.ACTIVE)
                .order_by(Citizen.id)
            )
            .scalars()
            .first()
        )
        common = {
            "citizen_id": citizen.id,
            "form_id": "staff",
            "form_version": 1,
            "administered_on": date(2026, 11, 20),
            "mode": Mode.STAFF,
            "entered_by_id": anne.id,
        }
        draft = Response(point=31, **common)
        draft.answers = [Answer(item_code="staff.diagnosis", value="1")]
        submitted = Response(
            point=32,
            status=ResponseStatus.SUBMITTED,
            submitted_at=datetime(2026, 11, 20, tzinfo=UTC),
            **common,
        )
        submitted.answers = [Answer(item_code="staff.diagnosis", value="2")]
        db.add_all([draft, submitted])
        db.commit()
        return {"citizen": citizen.id, "draft": draft.id, "submitted": submitted.id}


def tablet_for(app, citizen_id: int) -> tuple[object, int]:
    """A tablet Anne handed to the citizen with the citizen form at point 34, and its draft."""
    client = app.test_client()
    login(client, "anne")
    handed = client.post(
        f"/citizens/{citizen_id}/points/34/citizen",
        data={"administered_on": "2026-11-23", "how": "self"},
    )
    assert handed.headers["Location"] == "/kiosk"
    with Session(get_engine(app)) as db:
        response_id = db.execute(
            select(Response.id).where(Response.citizen_id == citizen_id, Response.point == 34)
        ).scalar_one()
    return client, response_id


def entries_after(app, after: int) -> list[AuditEvent]:
    with Session(get_engine(app)) as db:
        return list(
            db.execute(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id))
            .scalars()
            .all()
        )


def last_id(app) -> int:
    with Session(get_engine(app)) as db:
        found = db.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalars().first()
    return found or 0


def test_each_page_view_writes_one_entry_for_its_citizen(demo_app, targets) -> None:
    tablet, tablet_response = tablet_for(demo_app, targets["citizen"])
    ids = {**targets, "tablet": tablet_response}
    clients = {"kiosk": tablet}
    failures = []
    for endpoint, audited in AUDITED.items():
        if audited.who not in clients:
            clients[audited.who] = demo_app.test_client()
            login(clients[audited.who], audited.who)
        start = last_id(demo_app)
        url = audited.url.format(**targets)
        shown = clients[audited.who].get(url)
        if shown.status_code != 200:
            failures.append(f"{endpoint} {url}: {shown.status_code}, not the page")
            continue
        written = [
            (e.action, e.citizen_id, e.response_id, (e.details or {}).get("page"))
            for e in entries_after(demo_app, start)
        ]
        expected = [
            (
                audited.action,
                ids[audited.citizen] if audited.citizen else None,
                ids[audited.response] if audited.response else None,
                audited.page,
            )
        ]
        if written != expected:
            failures.append(f"{endpoint} {url}: wrote {written}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_the_caseload_entry_counts_citizens_and_never_keeps_the_search(demo_app) -> None:
    client = demo_app.test_client()
    login(client, "anne")
    with Session(get_engine(demo_app)) as db:
        anne = db.execute(select(User).where(User.username == "anne")).scalar_one()
        references = (
            db.execute(select(Citizen.reference).where(Citizen.consultant_id == anne.id))
            .scalars()
            .all()
        )
        active = len(
            db.execute(
                select(Citizen.id).where(
                    Citizen.consultant_id == anne.id, Citizen.status == CourseStatus.ACTIVE
                )
            ).all()
        )
    term = references[0]
    start = last_id(demo_app)
    client.get("/citizens?status=active")
    client.get(f"/citizens?q={term}")
    client.get("/citizens?status=%27%3B--")
    details = [e.details for e in entries_after(demo_app, start)]
    assert details[0] == {
        "page": "citizens",
        "citizens": active,
        "search": False,
        "status": "active",
    }
    matching = sum(1 for r in references if term.lower() in r.lower())
    assert details[1] == {"page": "citizens", "citizens": matching, "search": True, "status": None}
    assert details[2]["status"] is None  # an unknown filter is not written down either
    assert term not in str(details)


def test_the_leaders_home_names_no_citizen_and_writes_nothing(demo_app, targets) -> None:
    client = demo_app.test_client()
    login(client, "leder.nord")
    with Session(get_engine(demo_app)) as db:
        references = db.execute(select(Citizen.reference)).scalars().all()
    start = last_id(demo_app)
    html = client.get("/").get_data(as_text=True)
    assert not [r for r in references if r in html]
    assert entries_after(demo_app, start) == []
