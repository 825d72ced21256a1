"""Report sets: the evaluation report's tables as data, checked when loaded, built with any
filters and laid out like the report's tables."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from survey.config import PROJECT_ROOT
from survey.db import get_engine
from survey.instruments import load_registry
from survey.models import AuditEvent
from survey.reports import disclosure, render, writers
from survey.reports.cli import report
from survey.reports.filters import Filters, ReportError
from survey.reports.grid import make_grid
from survey.reports.sets import ReportSetError, build_entry, load_set, load_sets

EVALUATION = PROJECT_ROOT / "report_sets"


@pytest.fixture(scope="module")
def registry():
    return load_registry(PROJECT_ROOT / "instruments")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_evaluation_set_holds_the_reports_19_tables(registry) -> None:
    evaluation = load_sets(EVALUATION, registry)["evaluation"]
    assert [e.id for e in evaluation.entries] == [
        *("2.1", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"),
        *("5.1", "5.2", "5.3", "5.4"),
        *("6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.6 score"),
    ]
    six_four = evaluation.entry("6.4")
    assert six_four.items == tuple(f"bip_c.{i}" for i in range(1, 7))
    assert (six_four.points, six_four.paired, six_four.layout) == ((1, 3), "form", "stacked")
    with pytest.raises(ReportError, match=re.escape("no table '9.9'")):
        evaluation.entry("9.9")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("{id: a, table: nonsense}", "table must be one of"),
        ("{id: a, table: distribution, items: [no.such]}", "unknown item code 'no.such'"),
        ("{id: a, table: distribution, items: [health.mental], layout: diagonal}", "layout"),
        ("{id: a, table: distribution, items: [health.mental], points: [0]}", "points"),
        ("{id: a, table: distribution, items: [health.mental], paired: both}", "paired"),
        ("{id: a, table: distribution, item: health.mental, colour: red}", "unknown option"),
        (
            "{id: a, table: distribution, items: [health.mental, health.physical], "
            "columns: {da: [one]}}",
            "one name per item",
        ),
        ("{table: waves}", "needs an id"),
    ],
)
def test_a_broken_definition_is_refused_with_its_file_and_table(
    tmp_path: Path, registry, table: str, message: str
) -> None:
    path = write(tmp_path, f"id: mine\ntitle: Mine\ntables:\n  - {table}\n")
    with pytest.raises(ReportSetError, match=message) as caught:
        load_set(path, registry)
    assert "mine.yaml" in str(caught.value)


def test_a_table_id_used_twice_is_refused(tmp_path: Path, registry) -> None:
    path = write(
        tmp_path,
        "id: mine\ntitle: Mine\ntables:\n  - {id: a, table: waves}\n  - {id: a, table: status}\n",
    )
    with pytest.raises(ReportSetError, match="table id a is used twice"):
        load_set(path, registry)


def test_the_app_stops_on_a_broken_set(make_app, tmp_path: Path) -> None:
    folder = tmp_path / "sets"
    folder.mkdir()
    (folder / "bad.yaml").write_text(
        "id: bad\ntables:\n  - {id: x, table: distribution, items: [no.such]}\n", encoding="utf-8"
    )
    with pytest.raises(ReportSetError, match=re.escape("unknown item code 'no.such'")):
        make_app(REPORT_SETS_DIR=str(folder))


# --- laid out like the report ------------------------------------------------------------------


def entry_rows(demo_app, entry_id: str, *, protect: bool = False, lang: str = "da"):
    registry = demo_app.extensions["survey.instruments"]
    evaluation = demo_app.extensions["survey.report_sets"]["evaluation"]
    with Session(get_engine(demo_app)) as session:
        d = build_entry(session, registry, evaluation.entry(entry_id), Filters(), lang)
    return d, writers.page(render.grid(d, lang, protect=protect))


def test_4_6_puts_the_three_abuse_items_side_by_side(demo_app) -> None:
    d, page = entry_rows(demo_app, "4.6")
    assert page["head"] == [
        "Har borgeren efter din vurdering et misbrug af …",
        "Alkohol (%)",
        "Hash (%)",
        "Hårde stoffer (%)",
    ]
    assert [row[0] for row in page["rows"]] == [
        "Ja, i stort omfang",
        "Ja, i et vist omfang",
        "Ja, i begrænset omfang",
        "Nej",
        "Ved ikke",
        "Total (n)",
    ]
    # each column is its item's distribution at point 1: round(100 × count / n) once
    for j, part in enumerate(d["parts"], start=1):
        n = part["n"][0]
        assert page["rows"][-1][j] == f"100 ({n})"
        for i, row in enumerate(part["rows"]):
            assert page["rows"][i][j] == str(writers.whole_percent(row["counts"][0], n))


def test_6_4_stacks_the_six_items_on_the_same_citizens(demo_app) -> None:
    d, page = entry_rows(demo_app, "6.4")
    assert page["head"] == ["BIP-indikator", "Målepunkt 1 (%)", "Målepunkt 3 (%)"]
    headings = [row[0] for row in page["rows"] if all(cell == "" for cell in row[1:])]
    assert headings[0] == "Har du en ide om hvilket arbejde, du gerne vil have?"
    assert len(headings) == 6
    # paired by form: one group of citizens for every item
    assert len({part["paired_n"] for part in d["parts"]}) == 1
    assert all(part["paired"] == "form" for part in d["parts"])


def test_4_2_lists_the_citizens_answers_from_poor_as_the_report_does(demo_app) -> None:
    _d, page = entry_rows(demo_app, "4.2")
    assert page["rows"][0][0] == "Dårligt"
    assert page["rows"][4][0] == "Fremragende"
    assert page["rows"][0][2] == "I høj grad"  # the staff item keeps its order, beside it


def test_protecting_several_items_is_protecting_each(demo_app) -> None:
    """A table of several items hides exactly what each item's own table hides: the parts'
    keys and sums stay apart, so tests/reports/test_disclosure.py's attack on each part holds
    for the whole."""
    for entry_id in ("4.6", "5.2", "6.4"):
        d, page = entry_rows(demo_app, entry_id, protect=True)
        shown = [row for row in page["rows"] if any(cell != "" for cell in row[1:])]
        alone = []
        for part in d["parts"]:
            rows = writers.page(disclosure.protect(make_grid(part, "da")))["rows"]
            alone.append(rows)
        if d["layout"] == "stacked":
            assert shown == [row for rows in alone for row in rows], entry_id
        else:
            for i, row in enumerate(shown):
                assert row[1:] == [cell for rows in alone for cell in rows[i][1:]], entry_id


def test_the_command_writes_the_set_as_a_workbook_json_and_csv(demo_app, tmp_path: Path) -> None:
    runner = demo_app.test_cli_runner()
    target = tmp_path / "evaluation.xlsx"
    result = runner.invoke(
        report, ["set", "evaluation", "--format", "xlsx", "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    assert len(book.sheetnames) == 20  # the about sheet and 19 tables
    assert book["4.6"]["A1"].value.startswith("4.6 Omfanget af misbrugsproblemer")
    assert book["4.6"]["B3"].value == "Alkohol (%)"
    assert book["4.6"]["B4"].number_format == "0%"

    data = json.loads(runner.invoke(report, ["set", "evaluation", "--format", "json"]).stdout)
    assert [t["id"] for t in data["tables"]][:3] == ["2.1", "4.1", "4.2"]
    assert data["about"]["Lavet af"] == "kommandolinjen (survey report)"

    out = runner.invoke(report, ["set", "evaluation", "--format", "csv", "--lang", "en"]).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert [
        "6.4 Readiness for work by the BIP indicators, the citizen's questions. Percent"
    ] in rows

    with Session(get_engine(demo_app)) as session:
        audited = session.exec(
            select(AuditEvent.details).where(AuditEvent.action == "export")
        ).all()
    assert {"table": "set:evaluation", "format": "xlsx", "command": True} in audited

    refused = runner.invoke(report, ["set", "nonsense", "--format", "json"])
    assert refused.exit_code == 2
    assert "unknown report set 'nonsense' (known: evaluation)" in refused.stderr
    piped = runner.invoke(report, ["set", "evaluation", "--format", "xlsx"])  # > evaluation.xlsx
    assert piped.exit_code == 0, piped.output
    assert len(load_workbook(io.BytesIO(piped.stdout_bytes)).sheetnames) == 20
    refused = runner.invoke(report, ["set", "evaluation", "--item", "x", "--format", "json"])
    assert refused.exit_code == 2
