"""The cohort report page in Chromium: each table type draws its Plotly chart from plotly.js
served by us (nothing is requested elsewhere), with screenshots kept and axe run on each."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, assert_fits, log_in

TABLES = {
    "waves": "table=waves",
    "status": "table=status",
    "distribution": "table=distribution&item=health.mental&points=1,2,3",
    "crosstab": "table=crosstab&item=health.mental&by=health.physical&points=1",
    "by": "table=by&item=health.mental&by=status",
    "outcomes": "table=outcomes",
    "who5": "table=who5&points=1,3&paired=1",
}


@pytest.mark.parametrize("name", TABLES)
def test_each_table_draws_its_chart(
    page: Page, base_url: str, screenshot, outside_requests: list[str], name: str
) -> None:
    log_in(page, base_url, "leder.nord")
    page.get_by_role("link", name="Rapporter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapporter")
    page.goto(f"{base_url}/reports?{TABLES[name]}")
    expect(page.locator("table.report-data")).to_be_visible()
    chart = page.locator("#report-chart")
    expect(chart.locator("svg.main-svg").first).to_be_attached(timeout=15_000)
    expect(chart.locator(".plot-container")).to_have_count(1)
    assert chart.locator("g.trace").count() >= 1
    chart.scroll_into_view_if_needed()
    assert_fits(page)
    screenshot(page, f"reports-{name}")
    assert_accessible(page)


def test_a_bad_item_shows_the_message(page: Page, base_url: str, outside_requests) -> None:
    log_in(page, base_url, "leder.nord")
    page.goto(f"{base_url}/reports?table=distribution&item=no.such")
    expect(page.get_by_role("alert")).to_contain_text(
        "Der findes intet spørgsmål med koden no.such"
    )
    assert_accessible(page)
