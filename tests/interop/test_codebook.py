"""The codebook: it names every column of the wide export, its codes cover every value there, and
it says how "Ved ikke", refused and unanswered are coded and how scores are computed."""

from __future__ import annotations

import csv
import dataclasses
import io

import openpyxl
from flask import Flask
from sqlmodel import Session

from survey.app import INSTRUMENTS
from survey.db import get_engine
from survey.instruments import InstrumentRegistry
from survey.interop.codebook import CODEBOOK_COLUMNS, wide_variables
from survey.interop.exporting import export_codebook, export_wide
from survey.interop.pseudonyms import Pseudonyms
from tests.interop.conftest import HAND_FILE, import_text, responses_csv


def export_to(app: Flask, export, fmt: str, **options) -> bytes | str:
    out = io.BytesIO() if fmt == "xlsx" else io.StringIO(newline="")
    with app.app_context(), Session(get_engine(app)) as session:
        export(session, app.extensions[INSTRUMENTS], out, fmt=fmt, **options)
        session.commit()
    return out.getvalue()


def sheet_rows(data: bytes, sheet: str) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    header, *rows = [list(row) for row in book[sheet].iter_rows(values_only=True)]
    return [dict(zip(header, row, strict=True)) for row in rows]


def disagreements(
    wide: list[dict[str, object]], book: list[dict[str, object]]
) -> tuple[list[str], int]:
    """Wide columns the codebook does not name, coded values that are not among the column's
    codes, numbers outside its range; and how many values were checked."""
    variables: dict[str, dict[str, object]] = {}
    codes: dict[str, set[str]] = {}
    for row in book:
        variables.setdefault(str(row["variable"]), row)
        if row["code"] not in (None, ""):
            codes.setdefault(str(row["variable"]), set()).add(str(row["code"]))
    problems = [f"no codebook entry for {c}" for c in wide[0] if c not in variables]
    checked = 0
    for row in wide:
        for column, value in row.items():
            if value in (None, "") or column not in variables:
                continue
            kind = variables[column]["type"]
            if kind in ("single_choice", "multiple_choice", "code"):
                given = str(value).split(";") if kind == "multiple_choice" else [str(value)]
                problems += [f"{column}: {v}" for v in given if v not in codes.get(column, ())]
                checked += 1
            elif kind == "integer" and variables[column]["min"] not in (None, ""):
                low, high = int(variables[column]["min"]), int(variables[column]["max"])
                if not low <= int(value) <= high:
                    problems.append(f"{column}: {value}")
                checked += 1
    return problems, checked


def wide_and_codebook(app: Flask) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    wide = sheet_rows(export_to(app, export_wide, "xlsx", pseudonyms=Pseudonyms()), "data")
    book = sheet_rows(export_to(app, export_codebook, "xlsx"), "codebook")
    assert wide, "the wide export is empty"
    return wide, book


def test_the_demo_wide_xlsx_and_codebook_agree(demo_app: Flask) -> None:
    problems, checked = disagreements(*wide_and_codebook(demo_app))
    assert problems == []
    assert checked > 10_000


def test_the_hand_form_wide_xlsx_and_codebook_agree(hand_app: Flask) -> None:
    import_text(hand_app, responses_csv(HAND_FILE))
    wide, book = wide_and_codebook(hand_app)
    problems, checked = disagreements(wide, book)
    assert problems == []
    assert checked > 5
    # The check can fail: without its "Ved ikke" code, hand.single's 9 is caught; without its
    # entry, the column is.
    no_nine = [r for r in book if not (r["variable"] == "hand.single" and r["code"] == "9")]
    assert disagreements(wide, no_nine)[0] == ["hand.single: 9"]
    no_note = [r for r in book if r["variable"] != "hand.note"]
    assert disagreements(wide, no_note)[0] == ["no codebook entry for hand.note"]


def codebook_csv(app: Flask) -> list[dict[str, str]]:
    text = export_to(app, export_codebook, "csv")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == CODEBOOK_COLUMNS
    return list(reader)


def test_the_codebook_says_how_each_item_is_coded(hand_sqlite_app: Flask) -> None:
    rows = codebook_csv(hand_sqlite_app)
    single = [r for r in rows if r["variable"] == "hand.single"]
    assert [(r["code"], r["label_da"], r["label_en"], r["special"]) for r in single] == [
        ("1", "Lidt", "A little", ""),
        ("2", "Meget", "Much", ""),
        ("9", "Ved ikke", "Don't know", "dont_know"),
        ("", "(tom celle: ikke besvaret)", "(empty cell: not answered)", "unanswered"),
    ]
    assert {r["question_da"] for r in single} == {"Et valg"}
    assert {r["versions"] for r in single} == {"1"}
    (count, _unanswered) = [r for r in rows if r["variable"] == "hand.count"]
    assert (count["type"], count["min"], count["max"]) == ("integer", "0", "10")
    deeper = next(r for r in rows if r["variable"] == "hand.deeper")
    assert deeper["asked_when"] == "hand.follow in 1"
    first = next(r for r in rows if r["variable"] == "hand.first")
    assert first["baseline_only"] == "yes"
    (score,) = [r for r in rows if r["variable"] == "hand.score"]
    assert score["type"] == "score"
    assert score["scoring"].startswith("sum of hand.single, hand.gate × 2")
    assert "'Ved ikke'" in score["scoring"]
    status = {r["code"] for r in rows if r["variable"] == "status_reason"}
    assert {"employment", "moved", "not_target_group"} <= status


def test_the_real_codebook_has_the_who5_rule_and_refused_codes(app: Flask) -> None:
    rows = codebook_csv(app)
    (score,) = [r for r in rows if r["variable"] == "who5.score"]
    assert "sum of who5.1, who5.2, who5.3, who5.4, who5.5 × 4 (0–100)" in score["scoring"]
    assert "≤ 28 likely_depression" in score["scoring"]
    refused = [r for r in rows if r["variable"] == "use.alcohol" and r["special"] == "refused"]
    assert [r["code"] for r in refused] == ["9"]


def test_the_markdown_codebook(app: Flask) -> None:
    text = export_to(app, export_codebook, "md")
    assert text.startswith("# Codebook / Kodebog")
    assert "Not answered is an empty cell" in text
    assert "### `who5.score` (score)" in text
    assert "### `staff.diagnosis_kinds` (multiple_choice)" in text
    assert "- asked when: `staff.diagnosis` is 1" in text
    assert "| 9 | Ved ikke | Don't know | dont_know |" in text


def test_item_codes_are_prefixed_by_form_only_when_forms_share_them(app: Flask) -> None:
    registry = app.extensions[INSTRUMENTS]
    names = [v.name for v in wide_variables(registry)]
    assert "who5.1" in names
    assert not [n for n in names if ":" in n]  # the real forms share no item code
    citizen = registry.get("citizen", 1)
    twin = dataclasses.replace(citizen, id="twin", _index={})
    shared = [v.name for v in wide_variables(InstrumentRegistry([citizen, twin]))]
    assert "citizen:who5.1" in shared
    assert "twin:who5.1" in shared
    assert "who5.1" not in shared
