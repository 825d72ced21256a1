"""Forms over HTTPS in production, posted by a browser that keeps to the page's Referrer-Policy.

Flask-WTF refuses a POST over HTTPS without a Referer from the same site (its strict check
against cross-site posts). With `Referrer-Policy: no-referrer` browsers send none, so in
production every login and every form was refused with 400 "The referrer header is missing."
(found by benchmarks/load.py, which runs the app as production does, behind TLS)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask
from sqlmodel import Session

from survey.auth import services as accounts
from survey.db import get_engine
from survey.models import Role, Team

SITE = "https://survey.example"


def browser_referer(policy: str, page: str, target: str) -> str | None:
    """The Referer a browser sends from `page` to `target` under `policy` (W3C Referrer
    Policy, for an HTTPS page; the last known token of a list wins)."""
    known = {
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
    tokens = [t.strip().lower() for t in policy.split(",") if t.strip().lower() in known]
    chosen = tokens[-1] if tokens else "strict-origin-when-cross-origin"
    here, there = urlsplit(page), urlsplit(target)
    same = (here.scheme, here.netloc) == (there.scheme, there.netloc)
    origin = f"{here.scheme}://{here.netloc}/"
    if chosen == "no-referrer" or (chosen == "same-origin" and not same):
        return None
    if chosen in ("origin", "strict-origin") or (not same and chosen.endswith("cross-origin")):
        return origin
    return page


def test_a_browser_logs_in_over_https_in_production(make_app: Callable[..., Flask]) -> None:
    app = make_app(ENV="production", WTF_CSRF_ENABLED=True)
    with app.app_context(), Session(get_engine(app)) as db:
        team = Team(name="Team HTTPS")
        db.add(team)
        db.flush()
        assert team.id is not None
        _user, password = accounts.create_user(
            db,
            username="kirsten",
            full_name="Kirsten Bo",
            memberships={team.id: Role.CONSULTANT},
        )
        db.commit()
    client = app.test_client()
    page = client.get("/login", base_url=SITE)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token, "the login page has its CSRF token"
    policy = page.headers.get("Referrer-Policy", "")
    headers = {"Origin": SITE}
    referer = browser_referer(policy, f"{SITE}/login", f"{SITE}/login")
    if referer:
        headers["Referer"] = referer
    reply = client.post(
        "/login",
        base_url=SITE,
        data={"csrf_token": token.group(1), "username": "kirsten", "password": password},
        headers=headers,
    )
    assert reply.status_code == 302, reply.text[-400:]
    assert reply.headers["Location"] == "/"


def test_no_address_of_ours_leaves_the_site_in_a_referer(make_app: Callable[..., Flask]) -> None:
    """A page's URL may hold a citizen's reference (a search): a link to another site gets
    nothing of it."""
    policy = make_app(ENV="production").test_client().get("/login").headers["Referrer-Policy"]
    page = f"{SITE}/citizens?q=N-2026-001"
    assert browser_referer(policy, page, "https://other.example/") is None
    assert browser_referer(policy, page, "http://survey.example/") is None
