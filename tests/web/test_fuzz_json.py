"""The endpoints the pages' script posts to (survey/static/form.js: each answer to the autosave
URL, the page itself with X-Survey-Fetch), fuzzed with what no script of ours sends: JSON
bodies of any shape, bytes that are no UTF-8, bodies that do not match their content type,
forms of garbage, as every kind of user. Never a 500, never an answer its item does not allow.

Which endpoints these are is read from the code: every POST view that answers with jsonify, and
every URL the questionnaire page names for its script."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from tests.web.fuzzing import (
    ANY_TEXT,
    TOKEN_KINDS,
    VALUES,
    Kit,
    Pair,
    World,
    all_names,
    answer_problems,
    budget,
    item_alternatives,
    iter_post_rules,
    page_answers,
    send,
    tampered,
    with_token,
)
from tests.web.test_access_matrix import ROLES

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

# Examples per endpoint and kind of user: more for those whose own endpoint it is.
DEEP, SHALLOW = 15, 2
OWNERS = {
    "responses.autosave": {"consultant"},
    "responses.page": {"consultant", "anonymous"},  # anonymous: the page saved after expiry
    "kiosk.autosave": {"kiosk"},
    "kiosk.page": {"kiosk"},
}
PAGE_TEMPLATE = Path(__file__).resolve().parents[2] / "survey/templates/responses/page.html"

FORM = "application/x-www-form-urlencoded"
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-16",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=latin-1",
        "multipart/form-data",
        "multipart/form-data; boundary=nothing-like-it",
        "application/octet-stream",
        "text/html; charset=no-such-charset",
        "",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | ANY_TEXT | VALUES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
# Percent escapes that decode to nothing valid, and bytes that are no UTF-8.
BROKEN = st.sampled_from(["%", "%Z", "%C3", "%FF%FE", "%00", "%E2%82", "+", "&&", "=&="])


def script_endpoints(app: Flask) -> set[str]:
    """POST endpoints that answer a script: their view calls jsonify, or the questionnaire page
    hands their URL to form.js (the autosave URL and the page's own action)."""
    template = PAGE_TEMPLATE.read_text(encoding="utf-8")
    questionnaire = template[template.index('id="questionnaire"') :].split(">", 1)[0]
    found = set(re.findall(r"url_for\('([\w.]+)'", questionnaire))
    for endpoint, _rule in iter_post_rules(app):
        source = inspect.getsource(inspect.unwrap(app.view_functions[endpoint]))
        if "jsonify(" in source:
            found.add(endpoint)
    return {e for e, _rule in iter_post_rules(app) if e in found}


@pytest.fixture
def world(fuzz_world: World) -> World:
    return fuzz_world  # tests/web/conftest.py: one world for the session


def test_the_script_endpoints_are_found(world: World) -> None:
    assert script_endpoints(world.app) == set(OWNERS)


def url_of(world: World, endpoint: str, response: int) -> str:
    return {
        "responses.autosave": f"/responses/{response}/autosave",
        "responses.page": f"/responses/{response}/page/1",
        "kiosk.autosave": "/kiosk/autosave",
        "kiosk.page": "/kiosk/page/1",
    }[endpoint]


@st.composite
def bodies(draw: st.DrawFn, world: World, endpoint: str, role: str, kit: Kit) -> dict:
    """The request's keyword arguments for the test client: a body and a content type that
    may or may not match it, and the headers form.js sends, or others."""
    kiosk = endpoint.startswith("kiosk.")
    response = world.ids[draw(st.sampled_from(["hand_self" if kiosk else "hand_draft", "draft"]))]
    page: list[Pair] = [
        *page_answers(world, response, 1),
        ("page", "1"),
        ("draft_key", world.draft_keys[response]),
    ]
    kind = draw(st.sampled_from(["form", "json", "bytes", "broken"]))
    if kind == "form":
        pairs = with_token(world, role, draw(tampered(page, kit)), draw(TOKEN_KINDS))
        body = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in pairs)
        data: str | bytes = body
    elif kind == "json":
        data = json.dumps(draw(JSON))
    elif kind == "bytes":
        data = draw(st.binary(max_size=300))
    else:
        parts = [f"{k}={v}" for k, v in page]
        data = "&".join(parts) + draw(BROKEN) + draw(st.binary(max_size=20)).decode("latin-1")
    token = {
        "valid": world.tokens[role],
        "missing": None,
        "other": world.tokens["admin" if role != "admin" else "consultant"],
        "garbage": world.tokens[role][::-1],
        "twice": world.tokens[role][::-1],
    }[draw(TOKEN_KINDS)]
    headers = {"Accept": draw(st.sampled_from(["application/json", "*/*", "text/html"]))}
    if token:
        headers["X-CSRFToken"] = token
    if draw(st.booleans()):
        headers["X-Survey-Fetch"] = "1"
    return {
        "url": url_of(world, endpoint, response),
        "data": data,
        "content_type": draw(
            st.one_of(st.just("application/x-www-form-urlencoded"), CONTENT_TYPES)
        ),
        "headers": headers,
    }


CASES = [(endpoint, role) for endpoint in sorted(OWNERS) for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CASES, ids=[f"{e}-{r}" for e, r in CASES])
def test_script_endpoints_take_any_body_without_failing(
    world: World, endpoint: str, role: str
) -> None:
    kit = Kit(all_names(world.registry), item_alternatives(world.registry))

    @budget(DEEP if role in OWNERS[endpoint] else SHALLOW)
    @given(request=bodies(world, endpoint, role, kit))
    def post(request: dict) -> None:
        world.reset(role)
        options = dict(request)
        url = options.pop("url")
        failure = send(world.client(role), "POST", url, None, **options)
        assert not failure, f"POST {url} as {role}: {failure}"
        problems = answer_problems(world.app)
        assert not problems, f"POST {url} as {role} stored answers:\n" + "\n".join(problems)

    post()
