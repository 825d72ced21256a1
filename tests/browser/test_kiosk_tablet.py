"""The tablet in Chromium, tried as its users did: someone who copies the tablet's cookies, a
citizen who taps and reloads at once, a citizen who pauses, a consultant who gives the tablet
back, and a citizen who skips questions — at 1024×768 and 768×1024, with touch.

Each test starts its own tablet form at a point of its own (26–31) for one of anne's citizens.
"""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, assert_fits, log_in, query
from tests.browser.test_forms import (
    ON_BOTH_TABLETS,
    PIN,
    TABLETS,
    assert_kiosk_only,
    assert_touch_targets,
    option,
    set_pin,
    start_form,
)

CALM = "Tabletten er låst – giv den tilbage til din kontaktperson"
SELF = "Giv tabletten til borgeren, som svarer selv"
BAR_TARGETS = ".kiosk-bar button"


def hand_over(page: Page, live_app: Flask, base_url: str, citizen: int, point: int) -> int:
    """anne logs in, sets her PIN and hands the tablet over; the draft's id."""
    log_in(page, base_url, "anne")
    set_pin(page, base_url)
    start_form(page, base_url, citizen, point, "citizen", SELF)
    page.get_by_role("button", name="Start", exact=True).tap()
    expect(page).to_have_url(f"{base_url}/kiosk/page/1")
    return draft(live_app, citizen, point)


def draft(live_app: Flask, citizen: int, point: int) -> int:
    return query(
        live_app,
        "SELECT id FROM response WHERE citizen_id = :c AND point = :p AND form_id = 'citizen'",
        c=citizen,
        p=point,
    )[0][0]


def unlock(page: Page, secret: str = PIN) -> None:
    page.fill("#secret", secret)
    page.get_by_role("button", name="Lås op").tap()


def reference_of(live_app: Flask, citizen: int) -> str:
    return query(live_app, "SELECT reference FROM citizen WHERE id = :c", c=citizen)[0][0]


def test_copied_tablet_cookies_replayed_after_unlock_show_no_citizen_data(
    page: Page, new_context, live_app: Flask, base_url: str, anne_citizen: int, screenshot
) -> None:
    rid = hand_over(page, live_app, base_url, anne_citizen, 26)
    copied = page.context.cookies()  # whoever picks up the tablet copies its cookies
    page.get_by_role("button", name="Hold en pause").tap()
    expect(page).to_have_url(f"{base_url}/kiosk/locked")
    unlock(page)
    expect(page).to_have_url(f"{base_url}/citizens/{anne_citizen}")
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()

    thief = new_context().new_page()
    thief.context.add_cookies(copied)
    reference = reference_of(live_app, anne_citizen)
    for path in (
        "/citizens",
        f"/citizens/{anne_citizen}",
        f"/citizens/{anne_citizen}/trend",
        f"/responses/{rid}/page/1",
        "/",
    ):
        thief.goto(f"{base_url}{path}")
        expect(thief).to_have_url(re.compile(r"/login"))
        expect(thief.locator("body")).not_to_contain_text(reference)
        expect(thief.get_by_role("button", name="Log ud")).to_have_count(0)
    for path in ("/kiosk", "/kiosk/page/1", "/kiosk/locked"):
        thief.goto(f"{base_url}{path}")
        expect(thief.get_by_role("heading", level=1)).to_have_text(CALM)
        expect(thief.locator("input[type=radio]")).to_have_count(0)
    screenshot(thief, "kiosk-replayed-cookies")
    assert_accessible(thief)
    # The consultant's own fresh login goes on.
    page.goto(f"{base_url}/citizens")
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()


def test_a_tap_followed_at_once_by_a_reload_is_kept(
    page: Page, live_app: Flask, base_url: str, anne_citizen: int
) -> None:
    rid = hand_over(page, live_app, base_url, anne_citizen, 27)
    for label in ("Mindre godt", "Godt", "Dårligt"):
        tapped = option(page, "health__physical", label)
        tapped.tap()
        page.reload()  # no wait: the save may still be on its way
        expect(option(page, "health__physical", label).locator("input")).to_be_checked()
    stored = query(
        live_app,
        "SELECT value FROM answer WHERE response_id = :r AND item_code = 'health.physical'",
        r=rid,
    )
    assert len(stored) == 1
    chosen = page.locator("#questionnaire input[name=health__physical]:checked").get_attribute(
        "value"
    )
    assert stored[0][0] == chosen


def test_pause_unlock_and_give_the_tablet_back_resume_the_same_draft_at_the_same_page(
    page: Page, live_app: Flask, base_url: str, anne_citizen: int, screenshot
) -> None:
    rid = hand_over(page, live_app, base_url, anne_citizen, 28)
    page.locator(".form-nav button[value=next]").tap()
    expect(page).to_have_url(f"{base_url}/kiosk/page/2")
    page.locator("#questionnaire label.option").first.tap()
    page.get_by_role("button", name="Hold en pause").tap()
    expect(page).to_have_url(f"{base_url}/kiosk/locked")
    expect(page.locator("main")).to_contain_text("Du holder pause")
    assert_kiosk_only(page)
    screenshot(page, "kiosk-paused")
    assert_accessible(page)
    unlock(page)
    expect(page).to_have_url(f"{base_url}/citizens/{anne_citizen}")
    back = page.locator(f"form[action='/responses/{rid}/tablet'] button")
    expect(back).to_have_text("Giv tabletten tilbage til borgeren")
    screenshot(page, "kiosk-citizen-page-give-back")

    # A double tap's two posts at once, past the page's own guard: one tablet.
    statuses = page.evaluate(
        """async ([url, token]) => {
          const post = () => { const body = new FormData(); body.append("csrf_token", token);
            return fetch(url, {method: "POST", body, redirect: "manual"}); };
          const replies = await Promise.all([post(), post()]);
          return replies.map(r => r.type === "opaqueredirect" ? 302 : r.status);
        }""",
        [
            f"{base_url}/responses/{rid}/tablet",
            page.locator("input[name=csrf_token]").first.input_value(),
        ],
    )
    assert 302 in statuses, statuses
    active = query(
        live_app,
        "SELECT count(*) FROM kiosk_session WHERE response_id = :r AND ended_at IS NULL",
        r=rid,
    )[0][0]
    assert active == 1
    page.goto(f"{base_url}/kiosk")
    expect(page).to_have_url(f"{base_url}/kiosk/page/2")  # where the citizen left
    assert draft(live_app, anne_citizen, 28) == rid
    expect(page.locator("#questionnaire input:checked")).to_have_count(1)
    assert_kiosk_only(page)


@ON_BOTH_TABLETS
def test_the_unanswered_summary_and_the_language_switch_on_both_orientations(
    page: Page, live_app: Flask, base_url: str, anne_citizen: int, tablet: str, screenshot
) -> None:
    assert page.viewport_size == TABLETS[tablet]
    assert page.evaluate("matchMedia('(pointer: coarse)').matches"), "a touch screen"
    rid = hand_over(page, live_app, base_url, anne_citizen, 29 if tablet == "landscape" else 30)

    # The language and the pause sit at the top, large, on a page as long as WHO-5's.
    bar = page.locator(".kiosk-bar")
    expect(bar.get_by_role("button", name="English")).to_be_in_viewport()
    expect(bar.get_by_role("button", name="Hold en pause")).to_be_in_viewport()
    assert_touch_targets(page, BAR_TARGETS)
    option(page, "health__mental", "Godt").tap()
    bar.get_by_role("button", name="English").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(option(page, "health__mental", "Good").locator("input")).to_be_checked()
    expect(bar.get_by_role("button", name="Take a break")).to_be_visible()
    screenshot(page, f"kiosk-{tablet}-language-top")
    bar.get_by_role("button", name="Dansk").tap()
    expect(page.locator("html")).to_have_attribute("lang", "da")

    # Skip everything else: Next to the end.
    total = int(re.sub(r"\D*(\d+)\D+(\d+)\D*", r"\2", page.locator("#progress-label").inner_text()))
    for number in range(1, total + 1):
        expect(page).to_have_url(f"{base_url}/kiosk/page/{number}")
        page.locator(".form-nav button[value=next]").tap()
    expect(page).to_have_url(f"{base_url}/kiosk/summary")
    page.mouse.wheel(0, 2000)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(bar).to_be_in_viewport()  # it stays at the top while the page scrolls
    heading = page.get_by_role("heading", level=2)
    expect(heading).to_have_text(re.compile(r"^Du har ikke svaret på \d+ spørgsmål$"))
    skipped = int(re.sub(r"\D", "", heading.inner_text()))
    links = page.locator(".unanswered-list a")
    expect(links).to_have_count(skipped)
    assert_kiosk_only(page)
    assert_fits(page)
    assert_touch_targets(page, ".unanswered-list a, .form-nav button, .form-nav a")
    screenshot(page, f"kiosk-{tablet}-unanswered")
    assert_accessible(page)

    # A link leads to its question; answered, it leaves the list.
    first = links.first.inner_text()
    links.first.tap()
    expect(page).to_have_url(re.compile(r"/kiosk/page/\d+#"))
    page.locator("fieldset:target label.option").first.tap()
    expect(page.locator(".autosave-status")).to_have_text("Dine svar er gemt.")
    page.goto(f"{base_url}/kiosk/summary")
    expect(page.locator(".unanswered-list a")).to_have_count(skipped - 1)
    expect(page.locator(".unanswered-list")).not_to_contain_text(first)

    page.locator(".kiosk-bar").get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", level=2)).to_have_text(
        f"You have not answered {skipped - 1} questions"
    )
    screenshot(page, f"kiosk-{tablet}-unanswered-english")
    assert_accessible(page)
    page.get_by_role("button", name="Send my answers").tap()  # the citizen may still send
    expect(page).to_have_url(f"{base_url}/kiosk/thanks")
    status = query(live_app, "SELECT status FROM response WHERE id = :r", r=rid)[0][0]
    assert status == "submitted"

    # Back from the thank-you page: the calm page, in the citizen's language, never "no access".
    page.get_by_role("button", name="Done – lock the tablet").tap()
    expect(page).to_have_url(f"{base_url}/kiosk/locked")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^\s*(Thank you for your answers|The tablet is locked)\s*$")
    )
    page.goto(f"{base_url}/citizens")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The tablet is locked – give it back to your contact person"
    )
    screenshot(page, f"kiosk-{tablet}-calm-english")
    assert_fits(page)
    assert_accessible(page)
