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
from survey.models import AuditEvent, Citizen, Response, ResponseStatus, Team, TeamMembership, User
from survey.reports import web
from survey.reports.filters import ReportError
from survey.reports.views import STANDARD, error_message
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
    assert any(v is not None for trace in chart["data"] for v in trace["y"])
    cells = table_cells(page)
    if name in ("distribution", "paired", "crosstab", "by_status", "by_outcome"):
        assert "Total (n)" in cells
    assert "<script>" not in page  # no inline scripts (CSP)


def test_the_page_lays_out_percents_without_decimals_and_totals_with_n(demo_app) -> None:
    client = leader(demo_app)
    page = client.get(f"/reports?{PAGES['distribution']}").get_data(as_text=True)
    cells = table_cells(page)
    total = cells[cells.index("Total (n)") + 1 :][:3]
    assert all(re.fullmatch(r"100 \(\d+\)|\(<5\)|\(0\)", c) for c in total), total
    numbers = [c for c in cells if re.fullmatch(r"[\d.]+", c)]
    assert numbers
    assert all("." not in c for c in numbers)


def test_p_values_have_three_significant_digits(demo_app) -> None:
    page = leader(demo_app).get(f"/reports?{PAGES['by_status']}").get_data(as_text=True)
    cells = table_cells(page)
    p = cells[cells.index("p-værdi") + 1]
    assert p == "" or len(re.sub(r"^0\.0*|e.*$|\.", "", p)) <= 3


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
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][1:] == ["Målepunkt 1", "Målepunkt 2", "Målepunkt 3"]
    assert rows[-1][0] == "Total (n)"

    response = client.get(f"/reports/table.xlsx?{query}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["distribution"]
    values = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert values[-1][0] == "Total (n)"


def test_the_standard_workbook_has_one_sheet_per_table(demo_app) -> None:
    response = leader(demo_app).get("/reports/standard.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [title for title, _ in STANDARD]
    for sheet in book.worksheets:
        assert sheet.max_row >= 2, sheet.title
    assert book["6.6 who5 1 vs 3"]["A1"].value


def test_downloads_of_a_bad_request_are_422(demo_app) -> None:
    client = leader(demo_app)
    assert client.get("/reports/table.csv?table=distribution&item=nope").status_code == 422


def test_other_teams_are_refused(demo_app) -> None:
    with Session(get_engine(demo_app)) as db:
        syd = db.scalar(select(Team).where(Team.name == "Team Syd"))
    client = leader(demo_app)
    for url in ("/reports", "/reports/table.csv", "/reports/table.xlsx", "/reports/standard.xlsx"):
        assert client.get(f"{url}?table=waves&team={syd.id}").status_code == 403, url
    assert client.get("/reports?table=waves&team=abc").status_code == 403


@pytest.mark.parametrize("username", ["anne", "admin"])
def test_consultants_and_admins_are_refused(demo_app, username: str) -> None:
    client = demo_app.test_client()
    login(client, username)
    for url in ("/reports", "/reports/table.csv", "/reports/standard.xlsx"):
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
    client.get("/reports/standard.xlsx")
    client.get(f"/reports?{PAGES['waves']}")  # looking is not an export
    with Session(get_engine(demo_app)) as db:
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        ).all()
    assert [(e.username, e.details) for e in events] == [
        ("leder.nord", {"table": "crosstab", "format": "csv"}),
        ("leder.nord", {"table": "who5", "format": "xlsx"}),
        ("leder.nord", {"table": "standard", "format": "xlsx"}),
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
    for url in ("/reports", "/reports/table.csv", "/reports/table.xlsx", "/reports/standard.xlsx"):
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
        db.add(TeamMembership(user_id=lene.id, team_id=team.id))
        db.commit()
        return team.id


def test_small_cells_are_hidden_on_the_page_and_in_downloads(demo_app, small_team: int) -> None:
    client = leader(demo_app)
    query = f"table=waves&team={small_team}"
    page = client.get(f"/reports?{query}").get_data(as_text=True)
    cells = table_cells(page)
    assert "<5" in cells
    assert not {"1", "2", "3", "4"} & set(cells)
    assert "&lt;5" in page
    assert all(v is None for trace in figure(page)["data"] for v in trace["y"][:1])

    rows = list(csv.reader(io.StringIO(client.get(f"/reports/table.csv?{query}").text)))
    assert rows[1][1] == "<5"
    book = load_workbook(io.BytesIO(client.get(f"/reports/table.xlsx?{query}").data))
    assert book.active["B2"].value == "<5"
    book = load_workbook(io.BytesIO(client.get(f"/reports/standard.xlsx?team={small_team}").data))
    assert book["5.1 status"]["B2"].value == "<5"


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
    assert "<5" not in cells
    assert "3" in cells
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/table.csv?{query}").text)))
    assert rows[1][1] == "3"
    book = load_workbook(io.BytesIO(client.get(f"/reports/table.xlsx?{query}").data))
    assert book.active["B2"].value == 3
    # Together with Team Nord (still suppressing) the page says small numbers are hidden.
    assert "1–4" in client.get("/reports?table=waves").get_data(as_text=True)


# --- the pure function -------------------------------------------------------------------------


def test_suppress_hides_counts_of_one_to_four_only() -> None:
    table = {
        "table": "distribution",
        "item": "x",
        "label": "X",
        "multiple": False,
        "points": [1, 2],
        "paired": False,
        "n": [20, 4],
        "rows": [
            {"code": 1, "label": "a", "special": False, "counts": [0, 1], "percents": [0, 25.0]},
            {"code": 2, "label": "b", "special": False, "counts": [5, 3], "percents": [25, 75.0]},
            {"code": 3, "label": "c", "special": False, "counts": [15, 0], "percents": [75, 0]},
        ],
    }
    out = web.suppress(table)
    assert out["n"] == [20, "<5"]
    assert [r["counts"] for r in out["rows"]] == [[0, "<5"], [5, "<5"], [15, 0]]
    assert [r["percents"] for r in out["rows"]] == [[0, None], [25, None], [75, 0]]
    assert table["rows"][0]["counts"] == [0, 1]  # the input is left alone
    grid = web.layout(out)
    assert grid["rows"] == [["a", "0", "<5"], ["b", "25", "<5"], ["c", "75", "0"],
                            ["Total (n)", "100 (20)", "(<5)"]]  # fmt: skip


def test_suppress_every_table_kind() -> None:
    status = web.suppress(
        {
            "table": "status",
            "n": 7,
            "counts": {"active": 3, "ended_planned": 4, "ended_unplanned": 0},
            "percents": {"active": 42.9, "ended_planned": 57.1, "ended_unplanned": 0.0},
            "reasons": {"ended_planned": {"employment": 4}},
            "labels": {},
            "reason_labels": {},
        }
    )
    assert status["n"] == 7
    assert status["counts"] == {"active": "<5", "ended_planned": "<5", "ended_unplanned": 0}
    assert status["percents"]["active"] is None
    assert status["reasons"]["ended_planned"] == {"employment": "<5"}
    waves = web.suppress({"table": "waves", "points": [1], "forms": {"c": [2]}, "labels": {}})
    assert waves["forms"] == {"c": ["<5"]}
    matrix = web.suppress(
        {
            "table": "crosstab",
            "counts": [[1, 9], [0, 10]],
            "percents": [[5.0, 45.0], [0.0, 50.0]],
            "row_totals": [10, 10],
            "row_percents": [50.0, 50.0],
            "column_totals": [1, 19],
            "column_percents": [5.0, 95.0],
            "n": 20,
        }
    )
    assert matrix["counts"] == [["<5", 9], [0, 10]]
    assert matrix["percents"][0] == [None, 45.0]
    assert matrix["column_totals"] == ["<5", 19]
    assert matrix["column_percents"] == [None, 95.0]
    outcomes = web.suppress(
        {
            "table": "outcomes",
            "n": 30,
            "employment": 2,
            "education": 6,
            "internship": 0,
            "education_or_internship": 6,
            "rates": {
                "employment": 0.07,
                "education": 0.2,
                "internship": 0.0,
                "education_or_internship": 0.2,
            },
            "targets": {"employment": 0.2},
            "met": {"employment": False},
        }
    )
    assert outcomes["employment"] == "<5"
    assert outcomes["rates"]["employment"] is None
    assert outcomes["education"] == 6
    assert "employment" not in outcomes["met"]
    who5 = web.suppress(
        {
            "table": "who5",
            "n": [3, 12],
            "mean": [40.0, 60.0],
            "sd": [1.0, 2.0],
            "poor": [2, 5],
            "likely_depression": [1, 0],
            "improved": 4,
            "worsened": 5,
        }
    )
    assert who5["n"] == ["<5", 12]
    assert who5["mean"] == [None, 60.0]
    assert who5["sd"] == [None, 2.0]
    assert who5["poor"] == ["<5", 5]
    assert who5["likely_depression"] == ["<5", 0]
    assert who5["improved"] == "<5"
    assert who5["worsened"] == 5


def test_sheet_titles_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert web.sheet_title("a/b:c", taken) == "a-b-c"
    long = "x" * 40
    first, second = web.sheet_title(long, taken), web.sheet_title(long, taken)
    assert len(first) == len(second) == 31
    assert first != second
