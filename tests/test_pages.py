"""The pages this issue brings: front page, instrument catalogue, language switch, health."""

import re

import pytest

from survey.config import PROJECT_ROOT
from tests.conftest import login


def test_front_page_asks_for_login_in_danish(app) -> None:
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="da">' in html
    assert "Brugernavn" in html
    assert "User name" not in html


@pytest.fixture
def client(demo_app):
    """These pages are for logged-in users: a consultant's client."""
    client = demo_app.test_client()
    login(client, "anne")
    return client


def test_language_switch_keeps_the_page(client) -> None:
    switched = client.post("/language", data={"locale": "en", "next": "/instruments"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/instruments"
    html = client.get("/instruments").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Instruments and forms" in html
    client.post("/language", data={"locale": "da"})
    assert "Instrumenter og skemaer" in client.get("/instruments").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client) -> None:
    for target in ("https://evil.example/", "//evil.example/x"):
        switched = client.post("/language", data={"locale": "en", "next": target})
        assert switched.headers["Location"] == "/"
    client.post("/language", data={"locale": "xx"})
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_instrument_catalogue_lists_every_version(client) -> None:
    html = client.get("/instruments").get_data(as_text=True)
    for instrument in ("who5", "bip", "citizen", "staff"):
        assert f'href="/instruments/{instrument}/1"' in html
    assert html.count("Offentliggjort") == 4


def test_instrument_page_shows_items_in_the_users_language(client) -> None:
    html = client.get("/instruments/staff/1").get_data(as_text=True)
    assert "Har borgeren efter din vurdering psykiske problemer" in html
    assert "Kun ved første måling" in html  # person.* are baseline items
    assert "Vises når staff.employment er 1" in html
    client.post("/language", data={"locale": "en"})
    html = client.get("/instruments/citizen/1").get_data(as_text=True)
    assert "I have felt cheerful and in good spirits" in html
    assert "who5 v1" in html  # its includes
    assert "Likely depression" in html


def test_unknown_instrument_is_404(client) -> None:
    assert client.get("/instruments/who5/99").status_code == 404
    assert client.get("/instruments/nope/1").status_code == 404


def test_admin_start_page_shows_counts_only(demo_app) -> None:
    admin = demo_app.test_client()
    login(admin, "admin")
    html = admin.get("/").get_data(as_text=True)
    assert "Indskrevne borgere" in html
    assert ">150<" in html
    assert "NORD-" not in html  # no citizen is named


def test_health_reports_schema_state(make_app) -> None:
    fresh = make_app(migrated=False).test_client()
    response = fresh.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}  # the schema only for an admin
    ready = make_app().test_client().get("/healthz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ok"


def test_security_headers_on_every_page(client) -> None:
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_post_without_csrf_token_is_refused(make_app) -> None:
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    assert client.post("/login", data={"username": "a", "password": "b"}).status_code == 400


def test_nothing_is_loaded_from_outside_the_server() -> None:
    external = re.compile(r"""(src|href)=["']?(https?:)?//""", re.IGNORECASE)
    for path in (PROJECT_ROOT / "survey").rglob("*"):
        if path.suffix in {".html", ".css", ".js"}:
            text = path.read_text(encoding="utf-8")
            assert not external.search(text), f"{path} loads something from outside"
            assert "@import" not in text or "url(" not in text, path
