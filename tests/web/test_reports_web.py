"""The cohort report page: every table with its chart, downloads, small-cell suppression,
team restrictions and the audit trail."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import Session

from survey.db import get_engine
from survey.models import (
    AuditEvent,
    Citizen,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from survey.reports import writers
from survey.reports.filters import ReportError
from survey.reports.views import error_message
from tests.conftest import login

PAGES = {
    "waves": "table=waves",
    "status": "table=status",
    "distribution": "table=distribution&item=health.mental&points=1,2,3",
    "paired": "table=distribution&item=health.mental&points=1,3&paired=1",
    "crosstab": "table=crosstab&item=health.mental&by=health.physical&points=1",
    "by_status": "table=by&item=health.mental&by=status",
    "by_outcome": "table=by&item=health.physical&by=employment",
    "outcomes": "table=outcomes",
    "who5": "table=who5",
    "who5_paired": "table=who5&points=1,3&paired=1",
}


SET_XLSX = "/reports/set/evaluation.xlsx"


def leader(demo_app, username: str = "leder.nord"):
    client = demo_app.test_client()
    login(client, username)
    return client


def figure(page: str) -> dict:
    found = re.search(r'id="report-chart"[^>]*data-figure="([^"]*)"', page)
    assert found, "no chart container"
    return json.loads(html.unescape(found.group(1)))


def table_cells(page: str) -> list[str]:
    body = page.split('<table class="data report-data" tabindex="0">', 1)[1].split("</table>", 1)[0]
    return [html.unescape(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body)]


@pytest.mark.parametrize("name", PAGES)
def test_every_table_renders_with_its_chart(demo_app, name: str) -> None:
    response = leader(demo_app).get(f"/reports?{PAGES[name]}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "report-chart" in page
    assert "/vendor/plotly.min.js" in page
    assert "/static/reports.js" in page
    chart = figure(page)
    assert chart["data"], "the chart has no traces"
    cells = table_cells(page)
    if name.startswith("by_"):  # Team Nord: 3 employed, 3 ended as planned: mostly hidden
        assert "skjult" in cells
    else:
        assert any(v is not None for trace in chart["data"] for v in trace["y"])
    if name in ("distribution", "paired", "crosstab", "by_status", "by_outcome"):
        assert "Total (n)" in cells
    assert "<script>" not in page  # no inline scripts (CSP)


def test_the_page_lays_out_percents_without_decimals_and_totals_with_n(demo_app) -> None:
    client = leader(demo_app)
    page = client.get(f"/reports?{PAGES['distribution']}").get_data(as_text=True)
    cells = table_cells(page)
    total = cells[cells.index("Total (n)") + 1 :][:3]
    assert all(re.fullmatch(r"100 \(\d+\)|skjult|\(0\)", c) for c in total), total
    numbers = [c for c in cells if re.fullmatch(r"[\d.,]+", c)]
    assert numbers
    assert all("." not in c and "," not in c for c in numbers)


def test_p_values_have_three_decimals_with_a_decimal_comma(demo_app) -> None:
    page = leader(demo_app).get(f"/reports?{PAGES['who5_paired']}").get_data(as_text=True)
    cells = table_cells(page)
    assert re.fullmatch(r"<0,001|[01],\d{3}", cells[cells.index("p-værdi") + 1])
    assert re.fullmatch(r"\d+,\d", cells[cells.index("Gennemsnit") + 1])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("table=distribution&item=no.such", "Der findes intet spørgsmål med koden no.such."),
        (
            "table=distribution&item=health.mental&points=0",
            "Et målepunkt skal være et helt tal på 1 eller derover, ikke 0.",
        ),
        (
            "table=distribution&item=health.mental&points=1&paired=1",
            "skal der vælges mindst to målepunkter, fx 1,3.",
        ),
        ("table=distribution", "Denne tabel skal have et spørgsmål: vælg et under Spørgsmål."),
        ("table=by&item=health.mental&by=weather", "under Opdelt efter."),
        ("table=nonsense", "Der findes ingen tabel med navnet nonsense."),
        ("table=waves&from=2026-13-01", "2026-13-01 er ikke en dato"),
        ("table=waves&from=2026-05-01&to=2026-01-01", "starter (2026-05-01) efter"),
        ("table=waves&status=weird", "Ukendt forløbsstatus: weird."),
        ("table=waves&form_version=citizen:9", "Ukendt skemaversion: citizen:9."),
    ],
)
def test_bad_input_shows_a_danish_message_with_422(demo_app, query: str, message: str) -> None:
    response = leader(demo_app).get(f"/reports?{query}")
    assert response.status_code == 422
    error = error_box(response.get_data(as_text=True))
    assert message in error
    assert "--" not in error  # no command-line flags on the page


def error_box(page: str) -> str:
    found = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', page, re.S)
    assert found, "no error message"
    return html.unescape(found.group(1))


def csv_parts(text: str) -> tuple[dict[str, str], list[list[str]]]:
    """A download's about block (label -> value) and its table (a Danish CSV: semicolons)."""
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    blank = rows.index([])
    return dict(rows[:blank]), rows[blank + 1 :]


def test_the_message_follows_the_language(demo_app) -> None:
    with demo_app.test_request_context():
        exc = ReportError("unknown item code 'x'", "unknown_item", code="x")
        assert str(exc) == "unknown item code 'x'"
        with force_locale("en"):
            assert error_message(exc) == "There is no item with the code x."
        with force_locale("da"):
            assert error_message(exc) == "Der findes intet spørgsmål med koden x."
            assert error_message(ReportError("odd")) == "Tabellen kan ikke laves ud fra disse valg."


def test_csv_and_xlsx_downloads(demo_app) -> None:
    client = leader(demo_app)
    query = PAGES["distribution"]
    response = client.get(f"/reports/table.csv?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    about, rows = csv_parts(response.get_data(as_text=True))
    assert rows[0][1:] == ["Målepunkt 1 (%)", "Målepunkt 2 (%)", "Målepunkt 3 (%)"]
    assert [row[0] for row in rows].index("Total (n)") == len(rows) - 2  # then the hidden note
    assert about["Tabel"] == "distribution"
    assert about["Lavet af"] == "leder.nord"
    assert about["Små tal"].startswith("antal på 1–4 borgere er skjult")

    response = client.get(f"/reports/table.xlsx?{query}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Om tabellerne", "distribution"]
    values = [list(row) for row in book["distribution"].iter_rows(values_only=True)]
    assert [row[0] for row in values].index("Total (n)") == len(values) - 2
    assert book["distribution"]["B2"].number_format == "0%"


EVALUATION_TABLES = [
    *("2.1", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"),
    *("5.1", "5.2", "5.3", "5.4"),
    *("6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.6 score"),
]


def test_the_evaluation_workbook_has_the_reports_19_tables(demo_app) -> None:
    response = leader(demo_app).get("/reports/set/evaluation.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Om tabellerne", *EVALUATION_TABLES]
    assert len(EVALUATION_TABLES) == 19
    for sheet in book.worksheets[1:]:
        assert sheet["A1"].value.startswith(sheet.title + " "), sheet.title  # its full title
        assert sheet.max_row >= 4, sheet.title
    about = {row[0]: row[1] for row in book["Om tabellerne"].iter_rows(values_only=True)}
    assert about["Lavet af"] == "leder.nord"
    assert about["Tabel"].startswith("2.1, 4.1, 4.2")
    assert leader(demo_app).get("/reports/set/nonsense.xlsx").status_code == 404


def test_downloads_of_a_bad_request_are_422(demo_app) -> None:
    client = leader(demo_app)
    assert client.get("/reports/table.csv?table=distribution&item=nope").status_code == 422


def test_other_teams_are_refused(demo_app) -> None:
    with Session(get_engine(demo_app)) as db:
        syd = db.scalar(select(Team).where(Team.name == "Team Syd"))
    client = leader(demo_app)
    for url in ("/reports", "/reports/table.csv", "/reports/table.xlsx", SET_XLSX):
        assert client.get(f"{url}?table=waves&team={syd.id}").status_code == 403, url
    assert client.get("/reports?table=waves&team=abc").status_code == 403


@pytest.mark.parametrize("username", ["anne", "admin"])
def test_consultants_and_admins_are_refused(demo_app, username: str) -> None:
    client = demo_app.test_client()
    login(client, username)
    for url in ("/reports", "/reports/table.csv", "/reports/set/evaluation.xlsx"):
        assert client.get(url).status_code == 403


def test_the_nav_link_is_for_project_leaders(demo_app) -> None:
    assert 'href="/reports"' in leader(demo_app).get("/").get_data(as_text=True)
    client = demo_app.test_client()
    login(client, "anne")
    assert 'href="/reports"' not in client.get("/").get_data(as_text=True)


def test_downloads_are_audited_without_figures(demo_app) -> None:
    client = leader(demo_app)
    client.get(f"/reports/table.csv?{PAGES['crosstab']}")
    client.get(f"/reports/table.xlsx?{PAGES['who5']}")
    client.get("/reports/set/evaluation.xlsx")
    client.get(f"/reports?{PAGES['waves']}")  # looking is not an export
    with Session(get_engine(demo_app)) as db:
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        ).all()
    assert [(e.username, e.details) for e in events] == [
        ("leder.nord", {"table": "crosstab", "format": "csv"}),
        ("leder.nord", {"table": "who5", "format": "xlsx"}),
        ("leder.nord", {"table": "set:evaluation", "format": "xlsx"}),
    ]


# --- consultant, course status and form version ------------------------------------------------


def user_id(demo_app, username: str) -> int:
    with Session(get_engine(demo_app)) as db:
        return db.scalar(select(User.id).where(User.username == username))


def test_the_form_offers_my_consultants_statuses_and_form_versions(demo_app) -> None:
    page = leader(demo_app).get("/reports?table=waves").get_data(as_text=True)
    consultants = page.split('<select id="consultant"', 1)[1].split("</select>", 1)[0]
    for name in ("Anne Holm", "Mads Kjær", "Sofie Berg"):
        assert name in consultants
    for name in ("Jonas Lund", "Maria Friis", "Peter Dahl", "Lene Nørgaard"):
        assert name not in consultants  # Team Syd's consultants; leaders are not consultants
    assert f'value="{user_id(demo_app, "anne")}"' in consultants
    statuses = page.split('<select id="status"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'value="(\w*)"', statuses) == [
        "",
        "active",
        "ended_planned",
        "ended_unplanned",
    ]
    assert "Planlagt afsluttet" in statuses
    versions = page.split('<select id="form_version"', 1)[1].split("</select>", 1)[0]
    assert 'value="citizen:1"' in versions
    assert 'value="staff:1"' in versions
    assert "Borgerskema, version 1" in versions


def citizen_forms_at_baseline(demo_app, **where) -> int:
    with Session(get_engine(demo_app)) as db:
        nord = db.scalar(select(Team.id).where(Team.name == "Team Nord"))
        stmt = (
            select(func.count())
            .select_from(Response)
            .join(Citizen, Citizen.id == Response.citizen_id)
            .where(
                Citizen.team_id == nord,
                Response.point == 1,
                Response.form_id == "citizen",
                Response.status == ResponseStatus.SUBMITTED.value,
                *(getattr(Citizen, k) == v for k, v in where.items()),
            )
        )
        return db.scalar(stmt)


def baseline_cell(page: str) -> str:
    cells = table_cells(page)
    return cells[cells.index("Borgerskema") + 1]


def test_the_consultant_and_status_filters_change_the_figures(demo_app) -> None:
    client = leader(demo_app)
    anne = user_id(demo_app, "anne")
    everyone = baseline_cell(client.get("/reports?table=waves").get_data(as_text=True))
    assert everyone == str(citizen_forms_at_baseline(demo_app))
    page = client.get(f"/reports?table=waves&consultant={anne}")
    assert page.status_code == 200
    annes = baseline_cell(page.get_data(as_text=True))
    assert annes == str(citizen_forms_at_baseline(demo_app, consultant_id=anne))
    assert int(annes) < int(everyone)
    active = baseline_cell(client.get("/reports?table=waves&status=active").get_data(as_text=True))
    assert active == str(citizen_forms_at_baseline(demo_app, status="active"))
    assert int(active) < int(everyone)
    status = table_cells(client.get("/reports?table=status&status=active").get_data(as_text=True))
    assert status[status.index("– Planlagt afsluttet forløb") + 1] == "0"
    assert status[status.index("– Uplanlagt afsluttet forløb") + 1] == "0"
    assert (
        status[status.index("– Fortsat igangværende forløb") + 1]
        == status[status.index("Antal borgere med en opstartsmåling") + 1]
    )
    # the only version of each form in the demo: the same figures as without the filter
    same = client.get("/reports?table=waves&form_version=citizen:1").get_data(as_text=True)
    assert baseline_cell(same) == everyone


def test_a_consultant_outside_my_teams_is_refused(demo_app) -> None:
    client = leader(demo_app)
    jonas = user_id(demo_app, "jonas")
    for url in ("/reports", "/reports/table.csv", "/reports/table.xlsx", SET_XLSX):
        assert client.get(f"{url}?table=waves&consultant={jonas}").status_code == 403, url
    lene = user_id(demo_app, "leder.nord")
    assert client.get(f"/reports?table=waves&consultant={lene}").status_code == 403
    assert client.get("/reports?table=waves&consultant=abc").status_code == 403


# --- small-cell suppression --------------------------------------------------------------------


@pytest.fixture
def small_team(demo_app) -> int:
    """Team Lille: three of Team Nord's citizens with a submitted baseline, led by leder.nord."""
    with Session(get_engine(demo_app)) as db:
        nord = db.scalar(select(Team).where(Team.name == "Team Nord"))
        ids = db.scalars(
            select(Citizen.id)
            .join(Response, Response.citizen_id == Citizen.id)
            .where(
                Citizen.team_id == nord.id,
                Response.point == 1,
                Response.form_id == "citizen",
                Response.status == ResponseStatus.SUBMITTED.value,
            )
            .order_by(Citizen.id)
            .distinct()
            .limit(3)
        ).all()
        assert len(ids) == 3
        team = Team(name="Team Lille")
        db.add(team)
        db.flush()
        for citizen in db.scalars(select(Citizen).where(Citizen.id.in_(ids))):
            citizen.team_id = team.id
        lene = db.scalar(select(User).where(User.username == "leder.nord"))
        db.add(TeamMembership(user_id=lene.id, team_id=team.id, role=Role.PROJECT_LEADER))
        db.commit()
        return team.id


def test_small_cells_are_hidden_on_the_page_and_in_downloads(demo_app, small_team: int) -> None:
    client = leader(demo_app)
    query = f"table=waves&team={small_team}"
    page = client.get(f"/reports?{query}").get_data(as_text=True)
    cells = table_cells(page)
    assert "skjult" in cells
    assert "<5" not in cells
    assert not {"1", "2", "3", "4"} & set(cells)
    assert all(v is None for trace in figure(page)["data"] for v in trace["y"][:1])

    _about, rows = csv_parts(client.get(f"/reports/table.csv?{query}").text)
    assert rows[1][1] == "skjult"
    book = load_workbook(io.BytesIO(client.get(f"/reports/table.xlsx?{query}").data))
    assert book["waves"]["B2"].value == "skjult"
    book = load_workbook(io.BytesIO(client.get(f"{SET_XLSX}?team={small_team}").data))
    assert book["5.1"]["B4"].value == "skjult"  # the title, a blank row, the header, then it


def test_an_admin_can_turn_suppression_off_for_a_team(demo_app, small_team: int) -> None:
    admin = demo_app.test_client()
    login(admin, "admin")
    form = admin.get(f"/admin/teams/{small_team}").get_data(as_text=True)
    assert 'name="suppress_small_cells"' in form
    assert "checked" in form
    response = admin.post(
        f"/admin/teams/{small_team}",
        data={"name": "Team Lille", "measurement_interval_months": 3, "window_days": 21},
    )
    assert response.status_code == 302
    with Session(get_engine(demo_app)) as db:
        assert db.get(Team, small_team).suppress_small_cells is False

    client = leader(demo_app)
    query = f"table=waves&team={small_team}"
    cells = table_cells(client.get(f"/reports?{query}").get_data(as_text=True))
    assert "skjult" not in cells
    assert "3" in cells
    about, rows = csv_parts(client.get(f"/reports/table.csv?{query}").text)
    assert rows[1][1] == "3"
    assert about["Små tal"] == "vist fuldt ud"
    book = load_workbook(io.BytesIO(client.get(f"/reports/table.xlsx?{query}").data))
    assert book["waves"]["B2"].value == 3
    # Together with Team Nord (still suppressing) the page says small numbers are hidden.
    assert "1–4" in client.get("/reports?table=waves").get_data(as_text=True)


# --- the writers ---------------------------------------------------------------------------


def test_sheet_titles_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert writers.sheet_title("a/b:c", taken) == "a-b-c"
    long = "x" * 40
    first, second = writers.sheet_title(long, taken), writers.sheet_title(long, taken)
    assert len(first) == len(second) == 31
    assert first != second


CLI_ARGS = {
    "waves": ["waves"],
    "status": ["status"],
    "distribution": ["distribution", "--item", "health.mental", "--points", "1,2,3"],
    "paired": ["distribution", "--item", "health.mental", "--points", "1,3", "--paired"],
    "crosstab": ["crosstab", "--item", "health.mental", "--by", "health.physical"],
    "by_status": ["by", "--item", "health.mental", "--by", "status"],
    "by_outcome": ["by", "--item", "health.physical", "--by", "employment"],
    "outcomes": ["outcomes"],
    "who5": ["who5"],
    "who5_paired": ["who5", "--points", "1,3", "--paired"],
}


@pytest.mark.parametrize("name", PAGES)
def test_the_pages_csv_is_the_commands_csv_with_cells_hidden(demo_app, name: str) -> None:
    from survey.reports.cli import report

    with Session(get_engine(demo_app)) as db:
        nord = db.scalar(select(Team).where(Team.name == "Team Nord")).id
    page = leader(demo_app).get(f"/reports/table.csv?{PAGES[name]}&team={nord}")
    _about, shown = csv_parts(page.get_data(as_text=True))
    result = demo_app.test_cli_runner().invoke(
        report, [*CLI_ARGS[name], "--team", "Team Nord", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    _about, full = csv_parts(result.stdout)
    if shown[-1][0] == "skjult":  # the page's note on what "skjult" means
        shown = shown[:-1]
    if ["p-værdi", "skjult"] in shown:  # a hidden test has no warning
        full = [row for row in full if row[0] != "Advarsel"]
    assert len(shown) == len(full)
    for page_row, command_row in zip(shown, full, strict=True):
        assert len(page_row) == len(command_row)
        for on_page, in_command in zip(page_row, command_row, strict=True):
            assert on_page in (in_command, "skjult"), (name, page_row, command_row)
    # and every percent is round(100 × count / n), once: 17/148 shows 11, never 12
    assert writers.whole_percent(17, 148) == 11
