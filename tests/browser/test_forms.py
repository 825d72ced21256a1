"""Filling the forms in Chromium as a tablet: the consultant's staff form, a validation error, a
draft resumed after a reload and on another device, and the citizen's own tablet (kiosk) with its
language switch, lock, inactivity lock and PIN. Screenshots are kept; every page type is scanned
with axe.

Acceptance: "a citizen completes the full citizen form in kiosk mode; a validation error path; a
reload mid-form resumes the draft; the tablet locks after inactivity and unlocks with the PIN; URLs
outside the kiosk give 403; a consultant fills the staff form. [...] Danish and English complete;
the language can be switched mid-form without losing answers."

The demo fills measurement points 1–6 only, so each test starts its form at a point of its own
(20–25) for one of anne's citizens, and the tests do not depend on each other or on their order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import assert_accessible, assert_fits, log_in, query

PIN = "472913"
MIN_TARGET = 44  # px, WCAG 2.5.5 / the touch target size
TABLETS = {
    "landscape": {"width": 1024, "height": 768},
    "portrait": {"width": 768, "height": 1024},
}

# A test marked with this runs once in each orientation, its `tablet` argument naming which.
ON_BOTH_TABLETS = pytest.mark.parametrize(
    "tablet",
    [
        pytest.param(name, marks=pytest.mark.browser_context_args(viewport=size))
        for name, size in TABLETS.items()
    ],
)

Answers = list[tuple[str, str]]  # (question, answer as the review page writes it), in page order


# --- helpers ----------------------------------------------------------------------------------


def exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def question(page: Page, name: str) -> Locator:
    """The block of one question, by its field name (item code with "__" for ".")."""
    return page.locator(".question-block").filter(has=page.locator(f"[id='{name}']"))


def option(page: Page, name: str, label: str) -> Locator:
    return question(page, name).locator("label.option").filter(has_text=exactly(label))


def tap_option(page: Page, name: str, label: str) -> None:
    target = option(page, name, label)
    target.tap()
    expect(target.locator("input")).to_be_checked()


_SHOWN_QUESTIONS = """blocks => blocks
  .filter(block => !block.hidden && block.getClientRects().length > 0)
  .map(block => {
    const field = block.querySelector("fieldset, input:not([type=hidden]), textarea, select");
    const title = block.querySelector("legend, label.question-text");
    const unit = block.querySelector(".unit");
    const text = title.innerText.replace(unit ? unit.innerText : "", "").trim();
    return {
      name: field.id,
      question: text,
      options: [...block.querySelectorAll("label.option")].map(label => label.innerText.trim()),
      unit: unit ? unit.innerText.trim().replace(/^\\(|\\)$/g, "") : null,
    };
  })"""


def answer_page(
    page: Page, choose: Mapping[str, Sequence[str] | str] | None = None, start: int = 0
) -> Answers:
    """Answer every question shown on the page by tapping option labels.

    `choose` gives the labels (or the typed value) for some questions by field name; the others
    get option number `start`, `start + 1`, ... (wrapping), so the answers vary. Questions that a
    tap reveals are answered too. Returns what the review page should list, in order."""
    choose = choose or {}
    answered: Answers = []
    done: set[str] = set()
    while True:
        shown = page.locator(".question-block").evaluate_all(_SHOWN_QUESTIONS)
        pending = [block for block in shown if block["name"] not in done]
        if not pending:
            return answered
        block = pending[0]
        name = block["name"]
        done.add(name)
        if block["options"]:
            wanted = choose.get(name)
            if wanted is None:
                wanted = [block["options"][(start + len(done) - 1) % len(block["options"])]]
            assert not isinstance(wanted, str), f"{name}: give a list of labels"
            for label in wanted:
                tap_option(page, name, label)
            answered.append((block["question"], "; ".join(wanted)))
        else:
            value = choose[name]
            assert isinstance(value, str), f"{name}: type a value"
            field = page.locator(f"[id='{name}']")
            field.tap()
            field.fill(value)
            unit = block["unit"]
            answered.append((block["question"], f"{value} {unit}" if unit else value))


_LISTED_ANSWERS = """rows => rows.map(row => {
  const dd = row.querySelector("dd");
  const answer = [...dd.childNodes]
    .filter(node => !(node.matches && node.matches("a")))  // "Ret" (correct) links left out
    .map(node => node.textContent).join("").trim();
  return [row.querySelector("dt").innerText.trim(), answer];
})"""


def listed_answers(page: Page) -> Answers:
    """The (question, answer) pairs of a review or view page, in order."""
    rows = page.locator(".answers-list > div").evaluate_all(_LISTED_ANSWERS)
    return [(question, answer) for question, answer in rows]


_HEIGHTS = """elements => elements
  .filter(element => element.getClientRects().length > 0)
  .map(element => [
    (element.innerText || element.value || element.name || element.id).trim(),
    Math.round(element.getBoundingClientRect().height),
  ])"""

START_TARGETS = "main .choices label, main form button, main form a, main input[type=date]"
QUESTIONNAIRE_TARGETS = (
    "#questionnaire label.option, #questionnaire button, #questionnaire input.answer-input"
)


def assert_touch_targets(page: Page, targets: str = QUESTIONNAIRE_TARGETS) -> None:
    """Every tap target matched by `targets` (the form's options, fields and buttons by
    default) is at least 44 px tall."""
    found = page.locator(targets).evaluate_all(_HEIGHTS)
    assert found, f"no {targets} on {page.url}"
    small = [(text, height) for text, height in found if height < MIN_TARGET]
    assert not small, f"touch targets under {MIN_TARGET}px on {page.url}: {small}"


def start_form(page: Page, base_url: str, citizen: int, point: int, form: str, how: str) -> None:
    """Open the start page of a form and start it with the answer `how` (label text)."""
    page.goto(f"{base_url}/citizens/{citizen}/points/{point}/{form}")
    expect(page.get_by_label("Dato for udfyldelse")).to_have_value("2026-11-23")
    group = page.get_by_role("group", name="Hvordan udfyldes skemaet?")
    expect(group).to_be_visible()
    choice = group.locator("label").filter(has_text=exactly(how))
    choice.tap()
    expect(page.get_by_role("radio", name=how)).to_be_checked()


def set_pin(page: Page, base_url: str, username: str = "anne") -> None:
    page.goto(f"{base_url}/account/pin")
    page.fill("#password", f"demo-{username}-2026")
    page.fill("#pin", PIN)
    page.get_by_role("button", name="Gem pinkode").tap()
    expect(page.locator(".flashes")).to_contain_text("Din pinkode er gemt")


def next_button(page: Page) -> Locator:
    return page.locator(".form-nav button[value=next]")


def response_id(page: Page) -> int:
    found = re.search(r"/responses/(\d+)/", page.url)
    assert found, page.url
    return int(found.group(1))


def go_to_section(page: Page, base_url: str, rid: int, title: str) -> int:
    """Open the page of draft `rid` whose section is `title`; returns its number."""
    for number in range(1, 12):
        page.goto(f"{base_url}/responses/{rid}/page/{number}")
        if page.locator("#questionnaire h2").inner_text() == title:
            return number
    raise AssertionError(f"no page {title!r}")


def fake_hidden_tab(page: Page) -> None:
    """What a tablet does when the app is switched away from: the page becomes hidden."""
    page.evaluate(
        """() => {
          Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )


# --- the consultant's staff form --------------------------------------------------------------


def test_consultant_fills_the_staff_form(
    page: Page, base_url: str, anne_citizen: int, screenshot
) -> None:
    log_in(page, base_url, "anne")
    start_form(page, base_url, anne_citizen, 20, "staff", "Jeg udfylder min egen vurdering")
    expect(page.get_by_role("heading", level=1)).to_have_text("Medarbejderskema")
    assert_touch_targets(page, START_TARGETS)
    assert_fits(page)
    screenshot(page, "staff-start")
    assert_accessible(page)
    page.get_by_role("button", name="Start", exact=True).tap()

    expect(page).to_have_url(re.compile(r"/responses/\d+/page/1$"))
    total = int(re.sub(r"\D*(\d+)\D+(\d+)\D*", r"\2", page.locator("#progress-label").inner_text()))
    assert total >= 5
    expected: Answers = []
    for number in range(1, total + 1):
        expect(page.locator("#progress-label")).to_have_text(f"Side {number} af {total}")
        section = page.locator("#questionnaire h2").inner_text()
        choose: dict[str, Sequence[str] | str] = {}
        if section == "Helbred":
            hidden = question(page, "staff__diagnosis_kinds")
            expect(hidden).to_be_hidden()
            tap_option(page, "staff__diagnosis", "Ja")
            expect(hidden).to_be_visible()
            choose = {"staff__diagnosis": ["Ja"], "staff__diagnosis_kinds": ["Angst", "ADHD"]}
        if section == "Beskæftigelse, uddannelse og praktik":
            hours = page.locator("#staff__employment_hours")
            expect(hours).to_be_hidden()
            tap_option(page, "staff__employment", "Ja")
            expect(hours).to_be_visible()  # shown live, without a round trip
            expect(question(page, "staff__job_search")).to_be_visible()
            tap_option(page, "staff__employment", "Nej")
            expect(hours).to_be_hidden()
            expect(question(page, "staff__job_search")).to_be_hidden()
            choose = {"staff__employment": ["Ja"], "staff__employment_hours": "20"}
        expected += answer_page(page, choose, start=number)
        assert_touch_targets(page)
        assert_fits(page)
        if section == "Beskæftigelse, uddannelse og praktik":
            expect(page.locator("#staff__employment_hours")).to_have_value("20")
        screenshot(page, f"staff-page-{number}")
        assert_accessible(page)
        button = next_button(page)
        expect(button).to_have_text("Næste" if number < total else "Gennemse og indsend")
        button.tap()

    expect(page).to_have_url(re.compile(r"/responses/\d+/review$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Gennemse og indsend: Medarbejderskema"
    )
    assert ("Hvor mange timer om ugen?", "20 timer") in expected
    assert ("Hvilke?", "Angst; ADHD") in expected
    assert listed_answers(page) == expected
    expect(page.locator(".error-summary")).to_have_count(0)
    assert_touch_targets(page, "main section.panel a, .submit-form button")
    assert_fits(page)
    screenshot(page, "staff-review")
    assert_accessible(page)

    page.get_by_role("button", name="Indsend skemaet").tap()
    expect(page).to_have_url(re.compile(r"/responses/\d+$"))
    expect(page.locator(".flashes")).to_contain_text("Skemaet er indsendt.")
    expect(page.locator(".meta")).to_contain_text("Indsendt")
    expect(page.locator(".meta")).to_contain_text("Anne Holm")
    assert listed_answers(page) == expected
    assert_touch_targets(page, ".answers-list a")  # "Ret" (correct) beside each answer
    assert_fits(page)
    screenshot(page, "staff-view")
    assert_accessible(page)

    # The same answers in English, from the header's language switch.
    page.locator("header form.language button[lang=en]").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff form")
    in_english = dict(listed_answers(page))
    assert in_english["Does the citizen have ordinary paid working hours (employment)?"] == "Yes"
    assert in_english["How many hours a week?"] == "20 hours"
    assert in_english["Which ones?"] == "Anxiety; ADHD"
    assert len(in_english) == len(expected)
    assert_fits(page)
    screenshot(page, "staff-view-english")


def test_a_number_out_of_range_is_refused_and_kept(
    page: Page, base_url: str, anne_citizen: int, screenshot
) -> None:
    log_in(page, base_url, "anne")
    start_form(page, base_url, anne_citizen, 21, "staff", "Jeg udfylder min egen vurdering")
    page.get_by_role("button", name="Start", exact=True).tap()
    expect(page).to_have_url(re.compile(r"/responses/\d+/page/1$"))
    rid = response_id(page)
    number = go_to_section(page, base_url, rid, "Beskæftigelse, uddannelse og praktik")

    tap_option(page, "staff__employment", "Ja")
    hours = page.locator("#staff__employment_hours")
    hours.tap()
    hours.fill("50")
    tap_option(page, "staff__education", "Nej")
    next_button(page).tap()

    expect(page).to_have_url(f"{base_url}/responses/{rid}/page/{number}")  # stays on the page
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Ret venligst følgende")
    link = summary.get_by_role("link")
    expect(link).to_have_text("Hvor mange timer om ugen? Tallet skal være mellem 1 og 37.")
    expect(link).to_have_attribute("href", "#staff__employment_hours")
    expect(hours).to_be_visible()
    expect(hours).to_have_value("50")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#staff__employment_hours-error")).to_have_text(
        "Tallet skal være mellem 1 og 37."
    )
    expect(option(page, "staff__employment", "Ja").locator("input")).to_be_checked()
    expect(option(page, "staff__education", "Nej").locator("input")).to_be_checked()
    assert_touch_targets(page, f".error-summary a, {QUESTIONNAIRE_TARGETS}")
    assert_fits(page)
    screenshot(page, "staff-error-hours")
    assert_accessible(page)

    link.tap()
    expect(hours).to_be_focused()
    expect(hours).to_be_in_viewport()
    hours.fill("37")
    next_button(page).tap()
    expect(page).to_have_url(re.compile(rf"/responses/{rid}/(page/{number + 1}|review)$"))
    page.goto(f"{base_url}/responses/{rid}/page/{number}")
    expect(hours).to_have_value("37")


def test_a_reload_and_another_device_resume_the_draft(
    page: Page, new_context, base_url: str, anne_citizen: int
) -> None:
    log_in(page, base_url, "anne")
    start_form(page, base_url, anne_citizen, 22, "staff", "Jeg udfylder min egen vurdering")
    page.get_by_role("button", name="Start", exact=True).tap()
    expect(page).to_have_url(re.compile(r"/responses/\d+/page/1$"))
    rid = response_id(page)
    chosen = option(page, "staff__physical_limits", "I mindre grad")
    chosen.tap()
    with page.expect_response(f"{base_url}/responses/{rid}/autosave") as saved:
        fake_hidden_tab(page)  # the page is saved when the tablet leaves it
    assert saved.value.ok

    page.reload()
    expect(chosen.locator("input")).to_be_checked()

    other = new_context().new_page()  # another device, the same consultant
    log_in(other, base_url, "anne")
    other.goto(f"{base_url}/citizens/{anne_citizen}/points/22/staff")
    expect(other).to_have_url(f"{base_url}/responses/{rid}/page/1")
    expect(
        option(other, "staff__physical_limits", "I mindre grad").locator("input")
    ).to_be_checked()


# --- the citizen's tablet ---------------------------------------------------------------------


_CONSULTANTS_THINGS = """() => ({
  kiosk: document.body.classList.contains("kiosk-body"),
  header: document.querySelectorAll("header, nav, .site-header, .user-menu").length,
  logout: [...document.querySelectorAll("button")].some(b => /Log ud|Log out/.test(b.innerText)),
  name: document.body.innerText.includes("Anne Holm"),
  reference: document.querySelectorAll(".context").length,
})"""


def assert_kiosk_only(page: Page) -> None:
    """The tablet shows the kiosk and nothing of the consultant's: no menu, no log-out, no
    name, no citizen reference."""
    found = page.evaluate(_CONSULTANTS_THINGS)
    assert found == {"kiosk": True, "header": 0, "logout": False, "name": False, "reference": 0}, (
        f"{page.url}: {found}"
    )


@ON_BOTH_TABLETS
def test_a_citizen_fills_the_form_on_the_tablet(
    page: Page, live_app: Flask, base_url: str, anne_citizen: int, tablet: str, screenshot
) -> None:
    assert page.viewport_size == TABLETS[tablet]
    assert page.evaluate("matchMedia('(pointer: coarse)').matches"), "a touch screen"
    point = 23 if tablet == "landscape" else 24
    scan = tablet == "landscape"  # axe on every kiosk page once; the portrait layout on page 1
    log_in(page, base_url, "anne")
    set_pin(page, base_url)
    start_form(
        page,
        base_url,
        anne_citizen,
        point,
        "citizen",
        "Giv tabletten til borgeren, som svarer selv",
    )
    page.get_by_role("button", name="Start", exact=True).tap()

    expect(page).to_have_url(f"{base_url}/kiosk/page/1")
    total = int(re.sub(r"\D*(\d+)\D+(\d+)\D*", r"\2", page.locator("#progress-label").inner_text()))
    expected: Answers = []
    for number in range(1, total + 1):
        expect(page.locator("#progress-label")).to_have_text(f"Side {number} af {total}")
        assert_kiosk_only(page)
        assert_touch_targets(page)
        if number == 1:
            # Tap one answer, switch to English: the page comes back in English with it kept.
            first = page.locator("#questionnaire label.option").first
            first_input = first.locator("input")
            first.tap()
            in_english = page.locator(".kiosk-bar button[value='language:en']")
            expect(in_english).to_have_text("English")
            in_english.tap()
            expect(page).to_have_url(f"{base_url}/kiosk/page/1")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.get_by_role("heading", level=1)).to_have_text("Citizen form")
            expect(page.locator("#questionnaire h2")).to_have_text("Your health")
            expect(page.locator("#progress-label")).to_have_text(f"Page 1 of {total}")
            expect(next_button(page)).to_have_text("Next")
            expect(first).to_have_text("Excellent")
            expect(first_input).to_be_checked()
            assert_touch_targets(page)
            assert_fits(page)
            screenshot(page, f"kiosk-{tablet}-page-1-english")
            if scan:
                assert_accessible(page)
            page.locator(".kiosk-bar button[value='language:da']").tap()
            expect(page.locator("html")).to_have_attribute("lang", "da")
            expect(page.locator("#questionnaire h2")).to_have_text("Dit helbred")
            expect(first_input).to_be_checked()
        expected += answer_page(page, start=number)
        assert_fits(page)
        screenshot(page, f"kiosk-{tablet}-page-{number}")
        if scan or number == 1:
            assert_accessible(page)
        button = next_button(page)
        expect(button).to_have_text("Næste" if number < total else "Send mine svar")
        button.tap()

    # Before sending: every question was answered, so the summary says so and sends.
    expect(page).to_have_url(f"{base_url}/kiosk/summary")
    expect(page.locator("main")).to_contain_text("Du har svaret på alle spørgsmål")
    assert_kiosk_only(page)
    screenshot(page, f"kiosk-{tablet}-summary")
    if scan:
        assert_accessible(page)
    page.get_by_role("button", name="Send mine svar").tap()

    expect(page).to_have_url(f"{base_url}/kiosk/thanks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tak for dine svar")
    assert_kiosk_only(page)
    done = page.get_by_role("button", name="Færdig – lås tabletten")
    assert_touch_targets(page, "main button")
    assert_fits(page)
    screenshot(page, f"kiosk-{tablet}-thanks")
    if scan:
        assert_accessible(page)
    done.tap()

    expect(page).to_have_url(f"{base_url}/kiosk/locked")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tabletten er låst")
    assert_kiosk_only(page)
    assert_touch_targets(page, "main button, main input")
    assert_fits(page)
    screenshot(page, f"kiosk-{tablet}-locked")
    if scan:
        assert_accessible(page)

    # The back button shows no answers: the pages behind are closed to the tablet.
    for _ in range(3):
        page.go_back()  # the thanks page, then the form's pages: 403 now
        expect(page.get_by_role("heading", level=1)).to_have_text(
            re.compile(r"^\s*(Tak for dine svar|Tabletten er låst)\s*$")
        )
        assert_kiosk_only(page)
        expect(page.locator("input[type=radio]:checked")).to_have_count(0)
        expect(page.locator(".answers-list")).to_have_count(0)
        expect(page.locator("body")).not_to_contain_text(expected[0][1])

    # Typed addresses outside the kiosk: 403 with the one calm message, nothing of the
    # consultant's.
    rid = query(
        live_app,
        "SELECT id FROM response WHERE citizen_id = :c AND point = :p AND form_id = 'citizen'",
        c=anne_citizen,
        p=point,
    )[0][0]
    for path in (
        "/citizens",
        "/",
        f"/responses/{rid}",
        "/account/pin",
        "/no-such-page",
    ):
        reply = page.goto(f"{base_url}{path}")
        assert reply is not None
        assert reply.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Tabletten er låst – giv den tilbage til din kontaktperson"
        )
        expect(page.get_by_role("button", name="Log ud")).to_have_count(0)
        expect(page.locator("body")).not_to_contain_text(expected[0][1])
        assert_kiosk_only(page)
    assert_touch_targets(page, "main a")
    assert_fits(page)
    screenshot(page, f"kiosk-{tablet}-403")
    if scan:
        assert_accessible(page)

    page.get_by_role("link", name="Tilbage til hvor du var").tap()  # the kiosk: its lock
    expect(page).to_have_url(f"{base_url}/kiosk/locked")
    page.fill("#secret", PIN)
    page.get_by_role("button", name="Lås op").tap()
    expect(page).to_have_url(re.compile(r"/responses/\d+$"))  # anne's pages again
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Borgerskema")
    expect(page.locator(".meta")).to_contain_text("Indsendt")
    assert listed_answers(page) == expected
    screenshot(page, f"kiosk-{tablet}-unlocked")


def test_the_tablet_locks_itself_after_inactivity(
    page: Page,
    new_context,
    base_url: str,
    anne_citizen: int,
    kiosk_idle_seconds: Callable[[int], None],
    screenshot,
) -> None:
    log_in(page, base_url, "anne")
    set_pin(page, base_url)
    start_form(
        page, base_url, anne_citizen, 25, "citizen", "Giv tabletten til borgeren, som svarer selv"
    )
    kiosk_idle_seconds(3)
    page.get_by_role("button", name="Start", exact=True).tap()
    expect(page).to_have_url(f"{base_url}/kiosk/page/1")
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", "3")
    tapped = option(page, "health__physical", "Mindre godt")
    tapped.tap()
    expect(tapped.locator("input")).to_be_checked()

    # Nobody touches the tablet: the lock screen comes by itself, what was tapped is kept.
    expect(page).to_have_url(f"{base_url}/kiosk/locked", timeout=6_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tabletten er låst")
    screenshot(page, "kiosk-idle-locked")
    page.goto(f"{base_url}/kiosk/page/1")
    expect(page).to_have_url(f"{base_url}/kiosk/locked")  # and it stays locked

    page.fill("#secret", "000000")
    page.get_by_role("button", name="Lås op").tap()
    expect(page.locator("#secret-error")).to_have_text(
        "Det var ikke rigtigt. 4 forsøg mere, så lukker tabletten, og du logger ind som normalt."
    )
    expect(page.locator("#secret")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.fill("#secret", PIN)
    page.get_by_role("button", name="Lås op").tap()
    expect(page).to_have_url(f"{base_url}/citizens/{anne_citizen}")
    expect(page.locator(".flashes")).to_contain_text("Tabletten er låst op")

    # The consultant opens the draft (here, and on another device): the tapped answer is there.
    page.goto(f"{base_url}/citizens/{anne_citizen}/points/25/citizen")
    expect(page).to_have_url(re.compile(r"/responses/\d+/page/1$"))
    expect(option(page, "health__physical", "Mindre godt").locator("input")).to_be_checked()
    other = new_context().new_page()
    log_in(other, base_url, "anne")
    other.goto(page.url)
    expect(option(other, "health__physical", "Mindre godt").locator("input")).to_be_checked()
