"""The database stops while a page is being filled in, on the consultant's form and on the
tablet: pressing Next shows the calm message on the page, every answer stays as it was typed,
and when the database is back the same press saves the page and moves on.

The database is stopped for real: the live app's engine points at a file that cannot be opened,
so the server answers with its own 503. A dropped connection (the server not reachable at all)
is made by aborting the request.

Each test starts its form at a point of its own (32–34) for one of anne's citizens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import make_url

from survey.db import EXTENSION, get_engine, make_engine
from tests.browser.conftest import log_in, query
from tests.browser.test_forms import next_button, option, response_id, start_form
from tests.browser.test_kiosk_tablet import hand_over

CALM = "Vi kan ikke nå databasen lige nu. Det, du har gemt, er gemt — prøv igen om lidt"
UNREACHABLE = "Vi kan ikke nå serveren lige nu"


class Database:
    """The live app's database, stopped and started by the test."""

    def __init__(self, app: Flask, gone: Path):
        self.app = app
        self.working = get_engine(app)
        self.dead = make_engine(make_url(f"sqlite:///{gone / 'missing' / 'survey.db'}"))

    def stop(self) -> None:
        self.app.extensions[EXTENSION] = self.dead

    def start(self) -> None:
        self.app.extensions[EXTENSION] = self.working


@pytest.fixture
def database(live_app: Flask, tmp_path: Path) -> Iterator[Database]:
    switch = Database(live_app, tmp_path)
    try:
        yield switch
    finally:
        switch.start()
        switch.dead.dispose()


def answers_of(live_app: Flask, rid: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for code, value in query(
        live_app,
        "SELECT item_code, value FROM answer WHERE response_id = :r ORDER BY item_code, position",
        r=rid,
    ):
        found.setdefault(code, []).append(value)
    return found


def assert_nothing_new_stored(page: Page) -> None:
    """The answers are kept in the page itself. (The autosave's one pending copy of this page,
    in this tab's sessionStorage until the server has it, is older than this change.)"""
    stored = page.evaluate("() => [Object.keys(sessionStorage), localStorage.length]")
    assert stored[1] == 0
    assert all(key.startswith("survey-pending:") for key in stored[0]), stored
    assert len(stored[0]) <= 1, stored


def expect_checked(page: Page, chosen: dict[str, list[str]]) -> None:
    for name, labels in chosen.items():
        for label in labels:
            expect(option(page, name, label).locator("input")).to_be_checked()


def test_the_consultants_page_is_kept_while_the_database_is_down(
    page: Page, live_app: Flask, base_url: str, anne_citizen: int, database: Database, screenshot
) -> None:
    log_in(page, base_url, "anne")
    start_form(page, base_url, anne_citizen, 32, "staff", "Jeg udfylder min egen vurdering")
    page.get_by_role("button", name="Start", exact=True).tap()
    expect(page).to_have_url(re.compile(r"/responses/\d+/page/1$"))
    rid = response_id(page)
    here = page.url

    database.stop()
    chosen = {
        "staff__mental_limits": ["I nogen grad"],
        "staff__diagnosis": ["Ja"],
        "staff__diagnosis_kinds": ["Angst", "ADHD"],
    }
    for name, labels in chosen.items():
        for label in labels:
            option(page, name, label).tap()
    with page.expect_response(f"{base_url}/responses/{rid}/page/1") as posted:
        next_button(page).tap()
    assert posted.value.status == 503
    problem = page.locator(".save-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text(CALM)
    expect(problem).to_contain_text("Dine svar på denne side står her stadig")
    expect(page).to_have_url(here)
    expect(page.locator("body")).not_to_contain_text("Internal Server Error")
    expect_checked(page, chosen)
    assert_nothing_new_stored(page)
    screenshot(page, "outage-consultant")

    # The server cannot be reached at all: the same, with its own words.
    page.route(f"{base_url}/responses/{rid}/page/1", lambda route: route.abort("failed"))
    next_button(page).tap()
    expect(problem).to_contain_text(UNREACHABLE)
    expect_checked(page, chosen)
    page.unroute(f"{base_url}/responses/{rid}/page/1")

    database.start()
    next_button(page).tap()
    expect(page).to_have_url(f"{base_url}/responses/{rid}/page/2")
    assert answers_of(live_app, rid) == {
        "staff.diagnosis": ["1"],
        "staff.diagnosis_kinds": ["1", "7"],
        "staff.mental_limits": ["2"],
    }


def test_the_tablets_page_is_kept_while_the_database_is_down(
    page: Page, live_app: Flask, base_url: str, anne_citizen: int, database: Database, screenshot
) -> None:
    rid = hand_over(page, live_app, base_url, anne_citizen, 33)
    database.stop()
    chosen = {"health__mental": ["Godt"], "health__physical": ["Mindre godt"]}
    for name, labels in chosen.items():
        option(page, name, labels[0]).tap()
    with page.expect_response(f"{base_url}/kiosk/page/1") as posted:
        next_button(page).tap()
    assert posted.value.status == 503
    problem = page.locator(".save-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text(CALM)
    expect(page).to_have_url(f"{base_url}/kiosk/page/1")
    expect(page.locator(".kiosk-bar")).to_be_visible()  # still the tablet's own page
    expect_checked(page, chosen)
    assert_nothing_new_stored(page)
    screenshot(page, "outage-tablet")

    database.start()
    next_button(page).tap()
    expect(page).to_have_url(f"{base_url}/kiosk/page/2")
    stored = answers_of(live_app, rid)
    assert set(stored) == {"health.mental", "health.physical"}
