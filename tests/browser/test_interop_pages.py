"""The import and export pages in Chromium: an administrator uploads a file with mistakes and
reads the problems by line; a project leader downloads a pseudonymised export. Axe on both."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, assert_fits, log_in


def test_an_import_with_mistakes_lists_them_by_line(
    page: Page, base_url: str, screenshot, outside_requests: list[str], tmp_path: Path
) -> None:
    bad = tmp_path / "svar.csv"
    bad.write_text(
        "\ufeffcitizen;point;administered_on;form;form_version;mode;item;value\n"
        "NOBODY-1;1;2026-02-02;citizen;1;self;health.mental;3\n"
        "NOBODY-1;1;2026-02-02;citizen;1;self;who5.1;8\n",
        encoding="utf-8",
    )
    log_in(page, base_url, "admin")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importér data")
    page.get_by_label("Svar, én linje pr. svar", exact=False).check()
    page.get_by_label("CSV-fil").set_input_files(str(bad))
    page.get_by_role("button", name="Importér filen").click()
    problems = page.locator("#import-result")
    expect(problems).to_contain_text("Filen blev ikke importeret; intet blev gemt")
    expect(problems.locator("li").first).to_contain_text("Linje 2")
    assert_fits(page)
    screenshot(page, "import-refused")
    assert_accessible(page)


def test_a_project_leader_downloads_a_pseudonymised_export(
    page: Page, base_url: str, screenshot, outside_requests: list[str]
) -> None:
    log_in(page, base_url, "leder.nord")
    page.get_by_role("link", name="Eksport").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eksportér data")
    expect(page.get_by_label("Rigtige borgerreferencer", exact=False)).to_have_count(0)
    page.get_by_label("Data").select_option("citizens")
    with page.expect_download() as info:
        page.get_by_role("button", name="Hent").click()
    download = info.value
    assert download.suggested_filename.startswith("citizens-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "citizen,enrolled_on,team,consultant,status,status_reason,ended_on"
    assert all(line.startswith("P-") for line in lines[1:])
    assert_fits(page)
    screenshot(page, "export-page")
    assert_accessible(page)
