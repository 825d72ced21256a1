"""Each role's start page on the demo, in Chromium as a tablet, with screenshots kept.

Acceptance: "With `survey demo` data, each role's home page shows what this issue describes —
checked in Chromium with screenshots kept as test artifacts". Every page is also scanned with axe
for serious or critical WCAG 2.1 A/AA violations.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import assert_accessible, assert_fits, log_in

CONSULTANT_SECTIONS = (
    "Overskredet",
    "Skal udfyldes denne og næste uge",
    "Påbegyndte skemaer",
    "Senest udfyldt",
)


def panel(page: Page, heading: str) -> Locator:
    """The <section> whose heading starts with `heading` (the heading ends with a count)."""
    title = page.get_by_role("heading", level=2, name=re.compile(rf"^{re.escape(heading)}\b"))
    return page.locator("section.panel").filter(has=title)


def test_consultant_home_leads_to_the_measurement_row(
    page: Page, base_url: str, screenshot
) -> None:
    log_in(page, base_url, "anne")
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anne")
    for heading in CONSULTANT_SECTIONS:
        expect(panel(page, heading)).to_have_count(1)
    due_links = panel(page, "Skal udfyldes denne og næste uge").locator("tbody th a")
    assert due_links.count() >= 1, "the demo gives anne something due this week or next"
    assert_fits(page)
    screenshot(page, "consultant-home")
    assert_accessible(page)

    link = due_links.first
    reference = link.inner_text()
    fragment = link.get_attribute("href").rsplit("#", 1)[1]
    assert re.fullmatch(r"point-\d+", fragment)
    link.click()
    expect(page).to_have_url(re.compile(rf"/citizens/\d+#{fragment}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    row = page.locator(f"tr#{fragment}")
    expect(page.locator(f"tr#{fragment}:target")).to_have_count(1)
    expect(row).to_be_visible()
    expect(row).to_be_in_viewport()
    assert_fits(page)
    screenshot(page, "consultant-citizen")
    assert_accessible(page)


def test_project_leader_home_shows_the_team_rhythm(page: Page, base_url: str, screenshot) -> None:
    log_in(page, base_url, "leder.nord")
    expect(page.get_by_role("heading", level=1)).to_have_text("Holder teamene rytmen?")
    team = page.locator("section.panel").filter(
        has=page.get_by_role("heading", level=2, name="Team Nord")
    )
    expect(team).to_have_count(1)
    for caption in ("Borgerskema", "Medarbejderskema"):
        table = team.locator("table.rhythm").filter(has=page.locator("caption", has_text=caption))
        expect(table).to_have_count(1)
        cells = table.locator("tbody td.num").all_inner_texts()
        assert cells, f"{caption}: no measurement rows"
        assert all(re.fullmatch(r"\d+", c.strip()) for c in cells), cells
        assert sum(int(c) for c in cells) > 0, f"{caption}: all zero on the demo"
    assert_fits(page)
    screenshot(page, "leader-home")
    assert_accessible(page)


def test_admin_home_users_and_audit_trail(new_context, base_url: str, screenshot) -> None:
    # Someone else looks at a citizen first, so the audit trail has a citizen.view to show.
    anne = new_context().new_page()
    log_in(anne, base_url, "anne")
    anne.goto(f"{base_url}/citizens")
    anne.locator("main table a[href^='/citizens/']").first.click()
    expect(anne).to_have_url(re.compile(r"/citizens/\d+$"))
    viewed = anne.get_by_role("heading", level=1).inner_text()

    page = new_context().new_page()
    log_in(page, base_url, "admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    figures = dict(
        zip(
            page.locator(".figures dt").all_inner_texts(),
            page.locator(".figures dd").all_inner_texts(),
            strict=True,
        )
    )
    assert figures["Teams"] == "2"
    assert int(figures["Indskrevne borgere"].replace(".", "")) >= 150
    assert int(figures["Indsendte skemaer"].replace(".", "")) > 0
    assert_fits(page)
    screenshot(page, "admin-home")
    assert_accessible(page)

    page.get_by_role("navigation").get_by_role("link", name="Brugere").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Brugere")
    for username in ("anne", "leder.nord", "admin"):
        expect(page.get_by_role("link", name=username, exact=True)).to_be_visible()
    assert_fits(page)
    screenshot(page, "admin-users")
    assert_accessible(page)

    page.get_by_role("navigation").get_by_role("link", name="Logbog").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logbog")
    page.select_option("#action", "citizen.view")
    page.get_by_role("button", name="Vis").click()
    expect(page).to_have_url(re.compile(r"action=citizen\.view"))
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_contain_text("citizen.view")
    actions = page.locator("table.audit tbody td code").all_inner_texts()
    assert set(actions) == {"citizen.view"}, actions
    expect(rows.filter(has_text="anne").filter(has_text=viewed).first).to_be_visible()
    assert_fits(page)
    screenshot(page, "admin-audit-citizen-view")
    assert_accessible(page)


def test_enrol_refuses_a_cpr_number_and_keeps_the_input(
    page: Page, base_url: str, screenshot
) -> None:
    log_in(page, base_url, "anne")
    page.get_by_role("link", name="Indskriv en borger").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indskriv en borger")
    page.fill("#reference", "010190-1234")
    page.get_by_role("button", name="Indskriv", exact=True).click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # read out first; Tab goes on to its links
    expect(summary.get_by_role("heading")).to_have_text("Ret venligst følgende")
    link = summary.get_by_role("link", name=re.compile("Det ligner et CPR-nummer"))
    expect(link).to_have_attribute("href", "#reference")
    field = page.locator("#reference")
    expect(field).to_have_value("010190-1234")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reference-error")).to_contain_text("Det ligner et CPR-nummer")
    assert_fits(page)
    screenshot(page, "consultant-enrol-cpr-error")
    assert_accessible(page)

    link.click()
    expect(page).to_have_url(re.compile(r"#reference$"))
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()


def test_login_page_and_a_wrong_password(page: Page, base_url: str, screenshot) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log ind")
    expect(page.get_by_label("Brugernavn")).to_be_visible()
    expect(page.get_by_label("Adgangskode")).to_be_visible()
    assert_fits(page)
    screenshot(page, "login")
    assert_accessible(page)

    log_in(page, base_url, "anne", password="not-the-password")
    expect(page.locator(".error-summary")).to_contain_text("Forkert brugernavn eller adgangskode")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_role("button", name="Log ud")).to_have_count(0)
    expect(page.locator("#username")).to_have_value("anne")
    expect(page.locator("#password")).to_have_value("")
    assert_fits(page)
    screenshot(page, "login-wrong-password")
    assert_accessible(page)


def test_after_logout_back_shows_nothing(page: Page, base_url: str, screenshot) -> None:
    log_in(page, base_url, "anne")
    page.locator("main table tbody th a").first.click()
    expect(page).to_have_url(re.compile(r"/citizens/\d+#point-\d+$"))
    reference = page.get_by_role("heading", level=1).inner_text()

    page.get_by_role("button", name="Log ud").click()
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.locator(".flashes")).to_contain_text("Du er logget ud.")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("body")).not_to_contain_text(reference)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log ind")
    assert_fits(page)
    screenshot(page, "logout-back")

    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.get_by_role("button", name="Log ud")).to_have_count(0)


def test_nothing_leaves_the_server(page: Page, outside_requests: list[str]) -> None:
    """The guard every test relies on: a request elsewhere is aborted and recorded."""
    with pytest.raises(PlaywrightError):
        page.goto("http://example.invalid/tracker.js")
    assert outside_requests == ["http://example.invalid/tracker.js"]
    outside_requests.clear()  # seen; the fixture's end-of-test check would fail otherwise
