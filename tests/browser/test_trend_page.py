"""The citizen's trend in Chromium: every chart drawn by plotly.js from our own server (anything
else is blocked and must not even be asked for), screenshots kept, axe run, and the print view
inside an A4 page."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, assert_fits, log_in, query

CHARTS = ("who5", "bip", "radar", "health", "events")
A4_WIDTH_PX = 794  # 210 mm at 96 px per inch


@pytest.fixture(scope="module")
def six_points(live_app: Flask) -> tuple[int, str, str]:
    """A demo citizen with submitted forms at six points: id, reference, consultant."""
    rows = query(
        live_app,
        "SELECT c.id, c.reference, u.username FROM citizen c "
        "JOIN user_account u ON u.id = c.consultant_id "
        "JOIN response r ON r.citizen_id = c.id AND r.status = 'submitted' "
        "GROUP BY c.id, c.reference, u.username HAVING COUNT(DISTINCT r.point) = 6 ORDER BY c.id",
    )
    assert rows, "the demo has citizens with six measurements"
    return rows[0][0], rows[0][1], rows[0][2]


def test_the_trend_page_draws_every_chart_from_our_server_only(
    page: Page, base_url: str, screenshot, outside_requests: list[str], six_points
) -> None:
    citizen_id, reference, consultant = six_points
    log_in(page, base_url, consultant)
    page.goto(f"{base_url}/citizens/{citizen_id}")
    page.get_by_role("link", name="Se udviklingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Udvikling for {reference}")
    for name in CHARTS:
        chart = page.locator(f"#chart-{name}")
        expect(chart).to_have_attribute("data-drawn", "true", timeout=15_000)
        assert chart.locator("g.trace").count() >= 1, name
        expect(page.locator(f"#summary-{name} li").first).to_be_visible()
    # WHO-5: the two bands are drawn, and the ≥ 10 point markers when there are any.
    assert page.locator("#chart-who5 .shapelayer path").count() >= 2
    # BIP: eight small multiples, each its own subplot.
    expect(page.locator("#chart-bip .cartesianlayer > g.subplot")).to_have_count(8)
    expect(page.locator("#table-citizen th", has_text="Måling 6")).to_be_visible()
    expect(page.locator("#table-staff caption")).to_contain_text("Medarbejderskema")
    assert_fits(page)
    screenshot(page, "trend-six-points")
    assert_accessible(page)
    assert outside_requests == []


def test_the_print_view_fits_an_a4_page(
    page: Page, base_url: str, screenshot, outside_requests: list[str], six_points, tmp_path
) -> None:
    citizen_id, _reference, consultant = six_points
    log_in(page, base_url, consultant)
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    page.emulate_media(media="print")
    page.goto(f"{base_url}/citizens/{citizen_id}/trend/print")
    for name in CHARTS:
        expect(page.locator(f"#chart-{name}")).to_have_attribute(
            "data-drawn", "true", timeout=15_000
        )
    expect(page.get_by_role("button", name="Udskriv")).to_be_hidden()  # screen only
    widths = page.evaluate(
        """() => ({
          page: document.documentElement.scrollWidth,
          widest: Math.max(...[...document.querySelectorAll('main *')]
                               .map(el => el.getBoundingClientRect().right)),
        })"""
    )
    assert widths["page"] <= A4_WIDTH_PX, widths
    assert widths["widest"] <= A4_WIDTH_PX, widths
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF")
    (tmp_path / "trend.pdf").write_bytes(pdf)
    screenshot(page, "trend-print-a4")
    assert outside_requests == []
