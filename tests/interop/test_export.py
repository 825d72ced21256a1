"""Exports: pseudonyms by default, only the citizens in scope, the wide table's values and scores,
an audit entry without values, semicolon files that import again, and the command."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from survey.access import citizen_scope
from survey.app import INSTRUMENTS
from survey.auth.principal import Principal
from survey.cli import cli
from survey.db import get_engine
from survey.interop.csvio import CITIZEN_COLUMNS, FORMULA_STARTS, to_text
from survey.interop.exporting import (
    PACKAGE_FILES,
    export_citizens,
    export_codebook,
    export_long,
    export_package,
    export_wide,
)
from survey.interop.pseudonyms import Pseudonyms
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    Response,
    ResponseStatus,
    Role,
    Team,
    User,
)
from tests.interop.conftest import (
    HAND_FILE,
    TODAY,
    add_organisation,
    answer,
    import_text,
    responses_csv,
)


def run_export(app: Flask, export, *args, **options) -> tuple[str | bytes, object]:
    """Call an export service with a fresh stream; returns what it wrote and its result."""
    binary = options.get("fmt") == "xlsx"
    out = io.BytesIO() if binary else io.StringIO(newline="")
    with app.app_context(), Session(get_engine(app)) as session:
        result = export(session, *args, out, **options)
        session.commit()
    return out.getvalue(), result


def table(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_exports_are_pseudonymised_unless_real_references_are_asked_for(demo_app: Flask) -> None:
    registry = demo_app.extensions[INSTRUMENTS]
    with Session(get_engine(demo_app)) as session:
        references = set(session.execute(select(Citizen.reference)).scalars())
    shared = Pseudonyms()
    citizens, _ = run_export(demo_app, export_citizens, pseudonyms=shared)
    answers, _ = run_export(demo_app, export_long, registry, pseudonyms=shared)
    for text in (citizens, answers):
        assert not any(reference in text for reference in references)
    ids = {row["citizen"] for row in table(citizens)}
    assert len(ids) == 150
    assert all(re.fullmatch(r"P-[0-9A-F]{8}", i) for i in ids)
    # One Pseudonyms for both files: the answers' ids are the citizens' ids.
    assert {row["citizen"] for row in table(answers)} <= ids
    # A new export gets new ids.
    again, _ = run_export(demo_app, export_citizens)
    assert not ids & {row["citizen"] for row in table(again)}
    real, _ = run_export(demo_app, export_citizens, pseudonyms=Pseudonyms(real=True))
    assert {row["citizen"] for row in table(real)} == references


def test_exports_keep_to_the_citizen_filter(demo_app: Flask) -> None:
    registry = demo_app.extensions[INSTRUMENTS]
    with Session(get_engine(demo_app)) as session:
        anne = session.execute(select(User).where(User.username == "anne")).scalar_one()
        hers = set(
            session.execute(
                select(Citizen.reference).where(Citizen.consultant_id == anne.id)
            ).scalars()
        )
        nord = session.execute(select(Team.id).where(Team.name == "Team Nord")).scalar_one()
    scope = citizen_scope(Principal(anne, "t", {nord: Role.CONSULTANT}))
    real = Pseudonyms(real=True)
    citizens, _ = run_export(demo_app, export_citizens, citizen_filter=scope, pseudonyms=real)
    answers, _ = run_export(demo_app, export_long, registry, citizen_filter=scope, pseudonyms=real)
    wide, _ = run_export(demo_app, export_wide, registry, citizen_filter=scope, pseudonyms=real)
    assert 0 < len(hers) < 150
    assert {row["citizen"] for row in table(citizens)} == hers
    assert {row["citizen"] for row in table(answers)} <= hers
    assert {row["citizen"] for row in table(wide)} <= hers


def test_every_export_is_audited_without_values(hand_app: Flask) -> None:
    import_text(hand_app, responses_csv(HAND_FILE))
    registry = hand_app.extensions[INSTRUMENTS]
    run_export(hand_app, export_long, registry)
    run_export(hand_app, export_wide, registry, fmt="xlsx", pseudonyms=Pseudonyms(real=True))
    with Session(get_engine(hand_app)) as session:
        details = [
            event.details
            for event in session.execute(
                select(AuditEvent).where(AuditEvent.action == "data.export").order_by(AuditEvent.id)
            ).scalars()
        ]
    assert details == [
        {"format": "long", "rows": len(HAND_FILE), "citizens": 1, "responses": 3,
         "pseudonymised": True},
        {"format": "wide.xlsx", "rows": 3, "citizens": 1, "responses": 3,
         "pseudonymised": False},
    ]  # fmt: skip


def test_the_wide_table_has_values_scores_and_status(hand_app: Flask) -> None:
    extra = [answer("hand.single", 2, point=4, day="2026-09-01"), answer("hand.gate", 1, point=4)]
    extra[1][2] = "2026-09-01"
    import_text(hand_app, responses_csv(HAND_FILE + extra))
    registry = hand_app.extensions[INSTRUMENTS]
    text, result = run_export(hand_app, export_wide, registry, pseudonyms=Pseudonyms(real=True))
    rows = {row["point"]: row for row in table(text)}
    assert result.rows == 4
    assert set(rows) == {"1", "2", "3", "4"}
    first = rows["1"]
    assert (first["citizen"], first["status"], first["enrolled_on"]) == (
        "H-1",
        "active",
        "2026-01-01",
    )
    assert (first["hand.version"], first["hand.mode"], first["hand.administered_on"]) == (
        "1",
        "self",
        "2026-02-01",
    )
    assert (first["hand.multi"], first["hand.single"], first["hand.note"]) == (
        "1;3",
        "9",
        "Tekst, med komma; semikolon og «citat»",
    )
    assert first["hand.deeper"] == ""
    assert first["hand.score"] == ""  # "Ved ikke" (9) is never scored
    assert rows["2"]["hand.first"] == ""  # baseline only
    assert rows["4"]["hand.score"] == "6"  # (2 + 1) × 2

    book, _ = run_export(hand_app, export_wide, registry, fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(book), read_only=True)["data"]
    header, *values = [list(r) for r in sheet.iter_rows(values_only=True)]
    by_point = {row[header.index("point")]: dict(zip(header, row, strict=True)) for row in values}
    assert by_point[4]["hand.score"] == 6
    assert by_point[1]["hand.count"] == 0
    assert by_point[1]["hand.multi"] == "1;3"


def test_who5_scores_in_the_wide_table_follow_the_answers(demo_app: Flask) -> None:
    registry = demo_app.extensions[INSTRUMENTS]
    text, result = run_export(demo_app, export_wide, registry, pseudonyms=Pseudonyms(real=True))
    rows = table(text)
    with Session(get_engine(demo_app)) as session:
        pairs = session.execute(
            select(Response.citizen_id, Response.point)
            .where(Response.status == ResponseStatus.SUBMITTED)
            .distinct()
        ).all()
    assert len(rows) == result.rows == len(pairs)
    scored = 0
    for row in rows:
        items = [row[f"who5.{i}"] for i in range(1, 6)]
        if all(items):
            assert row["who5.score"] == f"{sum(int(v) for v in items) * 4:g}"
            scored += 1
        else:
            assert row["who5.score"] == ""
    assert scored > 100


def test_a_semicolon_export_imports_again(hand_app: Flask, make_app, tmp_path: Path) -> None:
    import_text(hand_app, responses_csv(HAND_FILE))
    registry = hand_app.extensions[INSTRUMENTS]
    text, _ = run_export(
        hand_app, export_long, registry, pseudonyms=Pseudonyms(real=True), delimiter=";"
    )
    assert text.splitlines()[0].count(";") == 7
    assert '"1;3"' in text
    again = import_text(hand_app, text)
    assert (again.ok, again.present, again.created) == (True, 3, 0), again.messages()


def test_the_export_commands(hand_app: Flask, tmp_path: Path) -> None:
    import_text(hand_app, responses_csv(HAND_FILE))
    runner = hand_app.test_cli_runner()
    out = tmp_path / "out"
    for args in (
        ["citizens", "-o", str(out / "citizens.csv")],
        ["long", "-o", str(out / "long.csv"), "--real-references"],
        ["wide", "-o", str(out / "wide.xlsx")],
        ["codebook", "-o", str(out / "codebook.md")],
        ["fhir", str(out / "fhir")],
    ):
        result = runner.invoke(cli, ["export", *args])
        assert result.exit_code == 0, result.output
    assert (out / "long.csv").read_bytes().decode("utf-8") == responses_csv(HAND_FILE)
    assert openpyxl.load_workbook(out / "wide.xlsx")["data"].max_row == 4
    assert [p.name for p in (out / "fhir").iterdir()] == ["hand-v1.json"]
    to_stdout = runner.invoke(cli, ["export", "citizens"])
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout.startswith("citizen,enrolled_on,team,consultant,status")
    assert "H-1" not in to_stdout.stdout
    refused = runner.invoke(cli, ["export", "wide", "--format", "xlsx"])
    assert refused.exit_code == 1
    assert "-o FILE.xlsx" in refused.stderr


# --- formulas, consultants and the package ------------------------------------------------------


def test_texts_that_look_like_formulas_are_guarded_and_round_trip(
    hand_app: Flask, make_app, hand_instruments: Path, tmp_path: Path
) -> None:
    """A spreadsheet must never run a text people wrote: in CSV it gets a ' (which the import
    drops again, so the round trip is exact), in XLSX it is a text cell."""
    with Session(get_engine(hand_app)) as session:
        add_organisation(session, {"=cmd": ["@bo"]})
        session.commit()
    citizens = to_text([CITIZEN_COLUMNS, ["'-H2", "2026-01-01", "'=cmd", "'@bo", "active", "", ""]])
    answers = responses_csv(
        [
            answer("hand.note", "'=1+1", citizen="'-H2"),
            answer("hand.note", "-2+3", citizen="'-H2", point=2, day="2026-03-01"),
            answer("hand.note", "'hello", citizen="'-H2", point=3, day="2026-04-01"),
        ]
    )
    assert import_text(hand_app, citizens, "citizens").ok
    assert import_text(hand_app, answers).created == 3
    with Session(get_engine(hand_app)) as session:
        stored = set(session.execute(select(Answer.value)).scalars())
        (team,) = session.execute(
            select(Team.name).join(Citizen).where(Citizen.reference == "-H2")
        ).scalars()
    assert stored == {"=1+1", "-2+3", "'hello"}
    assert team == "=cmd"

    real = Pseudonyms(real=True)
    registry = hand_app.extensions[INSTRUMENTS]
    citizens_out, _ = run_export(hand_app, export_citizens, pseudonyms=real)
    long_out, _ = run_export(hand_app, export_long, registry, pseudonyms=real)
    wide_out, _ = run_export(hand_app, export_wide, registry, pseudonyms=real)
    assert "'-H2,2026-01-01,'=cmd,'@bo,active" in citizens_out
    assert "'-H2,1,2026-02-01,hand,1,self,hand.note,'=1+1" in long_out
    assert ",hand.note,'-2+3\r\n" in long_out
    assert ",hand.note,'hello\r\n" in long_out  # a ' before anything else stays as it is
    assert "'-H2,1,2026-01-01,'=cmd,active" in wide_out
    assert "'=1+1" in wide_out

    # Into an empty database and out again: the same files.
    fresh = make_app(
        f"sqlite:///{tmp_path / 'fresh.db'}",
        INSTRUMENTS_DIR=str(hand_instruments),
        FIXED_TODAY=TODAY,
    )
    with Session(get_engine(fresh)) as session:
        add_organisation(session, {"Team Nord": ["anne"], "=cmd": ["@bo"]})
        session.commit()
    assert import_text(fresh, citizens_out, "citizens").created == 2
    assert import_text(fresh, long_out).created == 3
    assert run_export(fresh, export_citizens, pseudonyms=real)[0] == citizens_out
    assert run_export(fresh, export_long, registry, pseudonyms=real)[0] == long_out

    book, _ = run_export(hand_app, export_wide, registry, fmt="xlsx", pseudonyms=real)
    sheet = openpyxl.load_workbook(io.BytesIO(book))["data"]
    header = [c.value for c in sheet[1]]
    cells = [
        row[header.index(column)]
        for row in sheet.iter_rows(min_row=2)
        for column in ("citizen", "team", "hand.note")
    ]
    assert {c.value for c in cells} >= {"-H2", "=cmd", "=1+1", "-2+3"}
    assert {c.data_type for c in cells if c.value is not None} == {"s"}


def test_the_codebook_files_hold_no_formulas(hand_app: Flask) -> None:
    registry = hand_app.extensions[INSTRUMENTS]
    book, _ = run_export(hand_app, export_codebook, registry, fmt="xlsx")
    loaded = openpyxl.load_workbook(io.BytesIO(book))
    assert not [
        cell.coordinate
        for sheet in loaded
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    text, _ = run_export(hand_app, export_codebook, registry, fmt="csv")
    assert not [
        value
        for row in csv.reader(io.StringIO(text, newline=""))
        for value in row
        if value.startswith(FORMULA_STARTS)
    ]


def test_pseudonymised_exports_replace_consultants_too(demo_app: Flask) -> None:
    with Session(get_engine(demo_app)) as session:
        usernames = set(session.execute(select(User.username)).scalars())
    text, _ = run_export(demo_app, export_citizens)
    consultants = {row["consultant"] for row in table(text)} - {""}
    assert consultants
    assert all(re.fullmatch(r"K-[0-9A-F]{8}", c) for c in consultants)
    assert not consultants & usernames
    # One consultant, one id within the export; a new export, new ids.
    rows = table(text)
    assert len(consultants) == len({r["consultant"] for r in rows} - {""}) < len(rows)
    again, _ = run_export(demo_app, export_citizens)
    assert not consultants & {row["consultant"] for row in table(again)}
    real, _ = run_export(demo_app, export_citizens, pseudonyms=Pseudonyms(real=True))
    assert {row["consultant"] for row in table(real)} - {""} <= usernames


def test_pseudonyms_keep_citizens_and_consultants_apart() -> None:
    pseudonyms = Pseudonyms()
    assert pseudonyms("anne").startswith("P-")
    assert pseudonyms.consultant("anne").startswith("K-")
    assert pseudonyms.consultant("anne") == pseudonyms.consultant("anne")
    assert pseudonyms.consultant("") == ""
    assert Pseudonyms(real=True).consultant("anne") == "anne"


def test_the_package_joins_on_pseudonyms_and_is_audited_once(
    demo_app: Flask, tmp_path: Path
) -> None:
    with Session(get_engine(demo_app)) as session:
        references = set(session.execute(select(Citizen.reference)).scalars())
    with demo_app.app_context(), Session(get_engine(demo_app)) as session:
        written = export_package(session, demo_app.extensions[INSTRUMENTS], tmp_path / "pkg")
        session.commit()
    assert [p.name for p in written] == list(PACKAGE_FILES)
    assert all(p.stat().st_size > 0 for p in written)
    citizens = {row["citizen"] for row in table((tmp_path / "pkg/citizens.csv").read_text())}
    answered = {row["citizen"] for row in table((tmp_path / "pkg/answers-long.csv").read_text())}
    wide = {row["citizen"] for row in table((tmp_path / "pkg/answers-wide.csv").read_text())}
    assert all(re.fullmatch(r"P-[0-9A-F]{8}", c) for c in citizens)
    assert len(citizens) == 150
    assert answered
    assert answered <= citizens
    assert wide == answered
    assert not citizens & references
    sheet = openpyxl.load_workbook(tmp_path / "pkg/answers-wide.xlsx")["data"]
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == answered
    with Session(get_engine(demo_app)) as session:
        (details,) = session.execute(
            select(AuditEvent.details).where(AuditEvent.action == "data.export")
        ).scalars()
    assert details["format"] == "package"
    assert details["files"] == list(PACKAGE_FILES)
    assert details["pseudonymised"] is True


def test_the_package_command(hand_app: Flask, tmp_path: Path) -> None:
    import_text(hand_app, responses_csv(HAND_FILE))
    runner = hand_app.test_cli_runner()
    result = runner.invoke(
        cli, ["export", "package", str(tmp_path / "pkg"), "--real-references", "--semicolon"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "pkg").iterdir()) == sorted(PACKAGE_FILES)
    long_text = (tmp_path / "pkg/answers-long.csv").read_bytes().decode("utf-8")
    assert long_text == responses_csv(HAND_FILE, delimiter=";")
