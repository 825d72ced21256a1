"""Browser tests: the demo served on 127.0.0.1, driven by Debian's Chromium through Playwright.

One live server and one browser per session; every context gets a fresh tablet-sized window whose
requests may only go to the live server ("nothing leaves the server").
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import BrowserContext, Page, Route, expect
from sqlalchemy import text
from werkzeug.serving import make_server

from survey.app import create_app
from survey.db import get_engine
from survey.logs import PathOnlyRequestHandler
from tests.conftest import DEMO_TODAY, missing_system_package

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives the browser: `-m "not browser"` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# --- the app, served for real -----------------------------------------------------------------


@pytest.fixture(scope="session")
def live_app(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app behind the live server: the demo on a copy of the session's demo database, CSRF on.

    Tests may read its database (`query`) or change a setting for a while (`kiosk_idle_seconds`);
    the live server reads `app.config` on every request."""
    folder = tmp_path_factory.mktemp("browser")
    copy = folder / "demo.db"
    shutil.copyfile(demo_database, copy)
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "browser",
            "DATABASE_URL": f"sqlite:///{copy}",
            "FIXED_TODAY": DEMO_TODAY,
            "RATELIMIT_ENABLED": False,
        },
        environ={},
        instance_path=str(folder / "instance"),
    )
    assert app.config.get("WTF_CSRF_ENABLED", True), "browser flows must pass real CSRF checks"
    try:
        yield app
    finally:
        get_engine(app).dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The live app served on 127.0.0.1 in a thread; yields the base URL."""
    # The access log as `survey serve` writes it: paths without their query (the log-grep test).
    server = make_server(
        "127.0.0.1", 0, live_app, threaded=True, request_handler=PathOnlyRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def query(app: Flask, sql: str, **params: Any) -> list[Any]:
    """Rows of a read-only SQL query on the live server's database."""
    with get_engine(app).connect() as connection:
        return list(connection.execute(text(sql), params))


@pytest.fixture(scope="session")
def anne_citizen(live_app: Flask) -> int:
    """One of consultant anne's active citizens (the demo has several), by id."""
    rows = query(
        live_app,
        "SELECT c.id FROM citizen c JOIN user_account u ON u.id = c.consultant_id "
        "WHERE u.username = 'anne' AND c.status = 'active' AND c.enrolled_on <= :today "
        "ORDER BY c.id",
        today=DEMO_TODAY,
    )
    assert rows, "the demo gives anne active citizens"
    return rows[0][0]


@pytest.fixture
def kiosk_idle_seconds(live_app: Flask) -> Iterator[Callable[[int], None]]:
    """`kiosk_idle_seconds(3)` shortens the tablet's inactivity lock for this test only."""
    before = live_app.config["KIOSK_IDLE_SECONDS"]

    def change(seconds: int) -> None:
        live_app.config["KIOSK_IDLE_SECONDS"] = seconds

    try:
        yield change
    finally:
        live_app.config["KIOSK_IDLE_SECONDS"] = before


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright hands this to every context, so `page.goto("/")` works too."""
    return live_server


# --- Chromium as a tablet ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        missing_system_package("Chromium", "apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 1024, "height": 768},
        "has_touch": True,
        "is_mobile": True,
        "device_scale_factor": 1,
        "locale": "da-DK",
    }


# --- nothing leaves the server ----------------------------------------------------------------


@pytest.fixture
def outside_requests() -> Iterator[list[str]]:
    """URLs the pages tried to reach elsewhere than the live server (all aborted)."""
    attempts: list[str] = []
    yield attempts
    assert not attempts, "the pages requested something outside the server:\n" + "\n".join(attempts)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext], live_server: str, outside_requests: list[str]
) -> Callable[..., BrowserContext]:
    """pytest-playwright's factory, with every request outside the live server aborted."""
    allowed = _origin(live_server)

    def guard(route: Route) -> None:
        url = route.request.url
        if _origin(url) == allowed:
            route.continue_()
        else:
            outside_requests.append(url)
            route.abort("blockedbyclient")

    def factory(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.route("**/*", guard)
        return context

    return factory


# --- helpers ----------------------------------------------------------------------------------


def log_in(page: Page, base_url: str, username: str, password: str | None = None) -> None:
    """Log in through the real form (CSRF token and all); demo passwords by default."""
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password or f"demo-{username}-2026")
    page.locator("main form button[type=submit]").click()
    if password is None:
        expect(page.get_by_role("button", name="Log ud")).to_be_visible()


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config) -> Path:
    folder = Path(pytestconfig.rootpath) / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[[Page, str], Path]:
    """`screenshot(page, "name")` keeps a full-page PNG under test-artifacts/screenshots/."""

    def take(page: Page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


_AXE = Axe()


def assert_accessible(page: Page, max_targets: int = 3) -> None:
    """No serious or critical WCAG 2.1 A/AA violation on the page as it is now."""
    results = _AXE.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    lines = []
    for violation in blocking:
        targets = [
            " ".join(map(str, node.get("target", [])))
            for node in violation.get("nodes", [])[:max_targets]
        ]
        more = len(violation.get("nodes", [])) - len(targets)
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation.get('help', '')}\n"
            f"    at {', '.join(targets)}" + (f" and {more} more" if more > 0 else "")
        )
    assert not blocking, f"axe found on {page.url}:\n" + "\n".join(lines)


_OVERFLOWING = """() => {
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) {
    found.push(`the page scrolls sideways: ${doc.scrollWidth}px > ${doc.clientWidth}px`);
  }
  for (const el of document.querySelectorAll("main table, main form, main dl, main .panel")) {
    const box = el.parentElement.getBoundingClientRect();
    const style = getComputedStyle(el.parentElement);
    const right = box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
    const overflow = el.getBoundingClientRect().right - right;
    if (overflow > 1) {
      const name = el.tagName.toLowerCase() + (el.className ? "." + el.className : "");
      found.push(`${name} sticks out of its container by ${Math.round(overflow)}px`);
    }
  }
  return found;
}"""


def assert_fits(page: Page) -> None:
    """Nothing on the page is wider than the tablet's screen or sticks out of its box."""
    problems = page.evaluate(_OVERFLOWING)
    assert not problems, f"layout on {page.url}:\n" + "\n".join(problems)
