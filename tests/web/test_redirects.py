"""A `next` given by the browser sends it to a page of ours, whatever the attacker wrote: the
probe's `/login?next=/%09/evil.example/` and its variants land on our own start page."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from survey.redirects import local_target
from tests.conftest import login

# As they stand in a URL's query (so percent escapes are the attacker's).
HOSTILE_NEXT = [
    "/%09/evil.example/",  # the probe's: a tab the browser strips, leaving //evil.example/
    "/%2509/evil.example/",  # the same, encoded once more for a later hop to decode
    "/%5Cevil.example",  # /\evil.example: a backslash browsers read as a slash
    "/%5C%5Cevil.example",
    "/%0d/evil",
    "/%0a/evil",
    "/%250d%250a/evil",
    "https:evil",
    "https://evil.example/",
    "//evil",
    "%2F%2Fevil",
    "/%2F/evil",
    "/%252F%252Fevil",
    "///evil",
    "/%20//evil",
    " //evil",
    "javascript:alert(1)",
    "/kiosk/../citizens",
    "/%2e%2e/citizens",
]


def test_a_path_of_ours_is_kept() -> None:
    for target in ("/", "/citizens", "/citizens?q=N-0001&status=active", "/responses/5/page/2"):
        assert local_target(target, "/home") == target
    assert local_target("/citizens?q=50%25", "/home") == "/citizens?q=50%25"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_hostile_next_is_no_target(target: str) -> None:
    for given in (target, unquote(target)):  # as the query gives it, and decoded once more
        assert local_target(given, "/home") == "/home", given


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_with_a_hostile_next_lands_on_our_start_page(demo_app, target: str) -> None:
    client = demo_app.test_client()
    reply = client.post(
        f"/login?next={target}", data={"username": "anne", "password": "demo-anne-2026"}
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"
    landed = client.get(reply.headers["Location"])
    assert landed.status_code == 200


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_language_switch_with_a_hostile_next_goes_home(demo_app, target: str) -> None:
    client = demo_app.test_client()
    login(client, "anne")
    for given in (target, unquote(target)):
        reply = client.post("/language", data={"locale": "en", "next": given})
        assert reply.status_code == 302
        assert reply.headers["Location"] == "/", given


def test_the_login_still_returns_to_the_page_that_asked_for_it(demo_app) -> None:
    client = demo_app.test_client()
    asked = client.get("/citizens?q=N-0001")
    assert asked.status_code == 302
    reply = client.post(
        asked.headers["Location"], data={"username": "anne", "password": "demo-anne-2026"}
    )
    assert reply.headers["Location"] == "/citizens?q=N-0001"
