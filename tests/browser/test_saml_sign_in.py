"""SAML sign-in in Chromium: the login page's button, the test identity provider's page where
the tester picks a user, back logged in with the mapped roles in two teams, and single logout
through the identity provider."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Route, expect
from werkzeug.serving import make_server

from survey.app import create_app
from survey.db import get_engine
from tests.browser.conftest import CHROMIUM, query
from tests.conftest import DEMO_TODAY, missing_system_package
from tests.log_leaks import sensitive
from tests.sso.conftest import saml_settings
from tests.sso.saml_idp import IdpUser, TestIdentityProvider, privilege


class _Later:
    """A WSGI app filled in after its server is bound (the app's settings need the port)."""

    app: Any = None

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self.app(environ, start_response)


def _serve(later: _Later) -> Iterator[tuple[str, Any]]:
    server = make_server("127.0.0.1", 0, later, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def saml_world(
    tmp_path: Path, demo_database: Path
) -> Iterator[tuple[str, str, TestIdentityProvider, Flask]]:
    """The demo served with SAML sign-in, and the test identity provider served beside it."""
    binary = shutil.which("xmlsec1")
    if binary is None:
        missing_system_package("xmlsec1", "apt-get install -y xmlsec1")
    idp_wsgi, sp_wsgi = _Later(), _Later()
    idp_serving, sp_serving = _serve(idp_wsgi), _serve(sp_wsgi)
    idp_url, _ = next(idp_serving)
    sp_url, _ = next(sp_serving)
    folder = tmp_path / "idp"
    folder.mkdir()
    idp = TestIdentityProvider(folder, idp_url, binary)
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_database, copy)
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "browser-saml",
            "DATABASE_URL": f"sqlite:///{copy}",
            "FIXED_TODAY": DEMO_TODAY,
            "RATELIMIT_ENABLED": False,
            **saml_settings(tmp_path / "sp", idp, sp_url),
        },
        environ={},
        instance_path=str(tmp_path / "instance"),
    )
    idp.trust(app.test_client().get("/saml/metadata").get_data(as_text=True))
    idp_wsgi.app, sp_wsgi.app = idp.web_app(), app
    try:
        yield sp_url, idp_url, idp, app
    finally:
        for serving in (idp_serving, sp_serving):
            next(serving, None)
        get_engine(app).dispose()


@pytest.fixture
def page_for(browser: Browser) -> Iterator[Callable[[str, str], Page]]:
    """A tablet-sized page whose requests may go to the app and the identity provider only."""
    contexts = []
    outside: list[str] = []

    def open_page(*origins: str) -> Page:
        allowed = {urlsplit(origin).netloc for origin in origins}
        context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="da-DK")
        contexts.append(context)

        def guard(route: Route) -> None:
            if urlsplit(route.request.url).netloc in allowed:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort("blockedbyclient")

        context.route("**/*", guard)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not outside, f"requests outside the app and the identity provider: {outside}"


def test_sign_in_with_kombit_roles_per_team_and_single_logout(
    saml_world, page_for, screenshot
) -> None:
    if not CHROMIUM.exists():
        missing_system_package("Chromium", "apt-get install -y chromium")
    sp_url, idp_url, idp, app = saml_world
    mette = idp.add_user(
        IdpUser(
            name_id="urn:uuid:browser-mette",
            full_name="Mette Testesen",
            email="mette@kommune.example",
            privileges=(
                privilege("consultant", "unit-nord"),
                privilege("project-leader", "unit-syd"),
            ),
        )
    )
    sensitive(mette.full_name, mette.email, mette.name_id)
    page = page_for(sp_url, idp_url)

    page.goto(f"{sp_url}/login")
    screenshot(page, "saml-01-login")
    page.get_by_role("link", name="Log ind med KOMBIT Context Handler").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    assert page.url.startswith(f"{idp_url}/idp/sso?SAMLRequest=")
    screenshot(page, "saml-02-identity-provider")
    page.get_by_role("button", name="Mette Testesen").click()

    expect(page.get_by_role("button", name="Log ud")).to_be_visible()
    assert page.url.startswith(sp_url)
    screenshot(page, "saml-03-logged-in")
    rows = query(
        app,
        "SELECT t.name, m.role FROM team_membership m JOIN team t ON t.id = m.team_id "
        "JOIN user_account u ON u.id = m.user_id WHERE u.username = :name ORDER BY t.name",
        name=mette.email,
    )
    assert [tuple(r) for r in rows] == [("Team Nord", "consultant"), ("Team Syd", "project_leader")]
    # Her own (empty) caseload as a consultant, and Team Syd's rhythm as its project leader only
    main = page.locator("main")
    expect(main.get_by_role("heading", name="Overskredet")).to_be_visible()
    expect(main.get_by_role("heading", name="Team Syd")).to_be_visible()
    expect(main.get_by_role("heading", name="Team Nord")).to_have_count(0)

    page.get_by_role("button", name="Log ud").click()
    expect(page.get_by_role("heading", name="Du er logget ud")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Dit login hos identitetsudbyderen er også afsluttet."
    )
    screenshot(page, "saml-04-logged-out")
    assert idp.logged_out == [mette.name_id], "the identity provider got our LogoutRequest"
    page.goto(f"{sp_url}/")
    assert urlsplit(page.url).path == "/login"
