"""Injection, as the probe made it: markup and SQL in every text a user can put in or send, read
back on the pages that show it. Jinja escapes every value (autoescape), queries take
parameters, and the CSP has no `unsafe-inline`, so a payload is text wherever it lands."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from survey.db import get_engine
from survey.models import Citizen, Response, ResponseChange, ResponseStatus, Team, User
from tests.conftest import login

MARKUP = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
SQL = ("' OR '1'='1", "'; DROP TABLE citizen; --", '" OR ""="', "%", "_", "\\")


def _raw(page: str) -> bool:
    return "<script>alert(1)" in page or "<img src=x" in page


@pytest.fixture
def stored(demo_app) -> dict[str, int]:
    """The payload as anne's full name, Team Nord's name and the reason of an amendment of one
    of anne's submitted responses."""
    with Session(get_engine(demo_app)) as db:
        anne = db.execute(select(User).where(User.username == "anne")).scalar_one()
        anne.full_name = MARKUP
        team = db.execute(select(Team).where(Team.name == "Team Nord")).scalar_one()
        team.name = MARKUP
        response = db.execute(
            select(Response)
            .join(Citizen, Citizen.id == Response.citizen_id)  # type: ignore[arg-type]
            .where(Citizen.consultant_id == anne.id, Response.status == ResponseStatus.SUBMITTED)
            .limit(1)
        ).scalar_one()
        answer = response.answers[0]
        db.add(
            ResponseChange(
                response_id=response.id,
                item_code=answer.item_code,
                old_value=[answer.value],
                new_value=[answer.value],
                reason=MARKUP,
                changed_by_id=anne.id,
            )
        )
        db.commit()
        return {"citizen": response.citizen_id, "response": response.id, "user": anne.id}


def test_stored_markup_is_text_on_every_page_that_shows_it(demo_app, stored) -> None:
    consultant = demo_app.test_client()
    login(consultant, "anne")
    admin = demo_app.test_client()
    login(admin, "admin")
    leader = demo_app.test_client()
    login(leader, "leder.nord")
    pages = [
        (consultant, "/"),
        (consultant, "/citizens"),
        (consultant, f"/citizens/{stored['citizen']}"),
        (consultant, f"/responses/{stored['response']}"),
        (consultant, f"/citizens/{stored['citizen']}/trend"),
        (admin, "/admin/users"),
        (admin, f"/admin/users/{stored['user']}"),
        (admin, "/admin/teams"),
        (admin, "/admin/audit"),
        (leader, "/"),
        (leader, "/reports?table=status"),
    ]
    shown = 0
    for client, url in pages:
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert not _raw(page), f"{url} shows the payload as markup"
        shown += ESCAPED in page or "&#34;&gt;&lt;script&gt;" in page
    assert shown >= 6, "the payload is shown (escaped) on the pages that name it"


@pytest.mark.parametrize("where", ["/citizens?q={}", "/login?next={}", "/reports?table={}"])
def test_reflected_markup_is_text(demo_app, where: str) -> None:
    client = demo_app.test_client()
    login(client, "leder.nord" if "reports" in where else "anne")
    response = client.get(where.format(MARKUP))
    assert response.status_code in (200, 302, 422)
    assert not _raw(response.get_data(as_text=True))


@pytest.mark.parametrize("payload", SQL)
def test_sql_in_the_search_finds_only_what_it_says(demo_app, payload: str) -> None:
    """The search is a parameter, and `%`, `_` and `\\` in it match themselves: no payload
    lists a citizen whose reference does not hold it, let alone another team's."""
    client = demo_app.test_client()
    login(client, "anne")
    response = client.get("/citizens", query_string={"q": payload})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    with Session(get_engine(demo_app)) as db:
        references = db.execute(select(Citizen.reference)).scalars().all()
        assert db.execute(select(Citizen)).first() is not None, "the table is still there"
    listed = [reference for reference in references if reference in page]
    assert all(payload in reference for reference in listed), listed


@pytest.mark.parametrize("payload", SQL)
def test_sql_in_the_login_is_a_wrong_name(demo_app, payload: str) -> None:
    client = demo_app.test_client()
    response = client.post("/login", data={"username": payload, "password": payload})
    assert response.status_code in (200, 401, 422)
    assert "/logout" not in response.get_data(as_text=True)
