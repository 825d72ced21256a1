"""`survey report` through Flask's CLI runner: output formats, filters, and a clear message with
exit code 2 (never a traceback) for each kind of bad input."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from survey.models import AuditEvent
from survey.reports.cli import report
from survey.reports.filters import Filters, ReportError, parse_form_versions
from survey.reports.services import parse_points


def run(cohort, *args: str):
    return cohort.app.test_cli_runner().invoke(report, list(args))


def ok(cohort, *args: str) -> str:
    result = run(cohort, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def table_of(output: str) -> str:
    """A csv or text output without its about block (which ends at the first blank line)."""
    lines = output.splitlines()
    return "\n".join(lines[lines.index("") + 1 :]) + "\n"


def test_the_outcomes_command_measures_education_against_its_own_target(sqlite_cohort) -> None:
    out = json.loads(ok(sqlite_cohort, "outcomes", "--format", "json"))
    assert out["targets"]["education"] == 0.15
    assert "education_or_internship" not in out["targets"]
    assert out["met"]["education"] is (out["rates"]["education"] >= 0.15)


def test_every_run_is_audited_like_a_download(sqlite_cohort) -> None:
    ok(sqlite_cohort, "waves", "--format", "csv")
    assert run(sqlite_cohort, "weather", "--format", "json").exit_code == 2  # refused: no entry
    with sqlite_cohort.session() as session:
        entries = session.execute(
            select(AuditEvent.action, AuditEvent.user_id, AuditEvent.details).where(
                AuditEvent.action == "export"
            )
        ).all()
    assert [tuple(e) for e in entries] == [
        ("export", None, {"table": "waves", "format": "csv", "command": True})
    ]


def test_json_is_the_contract(sqlite_cohort) -> None:
    out = json.loads(ok(sqlite_cohort, "waves", "--format", "json"))
    assert out["points"] == [1, 2, 3]
    assert out["forms"] == {"citizen": [6, 2, 4], "staff": [5, 0, 1]}
    dist = json.loads(
        ok(
            sqlite_cohort,
            "distribution",
            "--item",
            "health.mental",
            "--points",
            "1,3",
            "--paired",
            "--team",
            "Nord",
            "--format",
            "json",
        )
    )
    # --paired alone pairs by form: c1, c2, c3, c5 have a citizen form at 1 and 3 in Nord; c5
    # left health.mental unanswered at point 1
    assert dist["paired"] == "form"
    assert dist["paired_n"] == 4
    assert dist["n"] == [3, 4]
    assert dist["rows"][3]["counts"] == [2, 0]


def test_team_mode_and_period_options(sqlite_cohort) -> None:
    def waves(*args: str) -> dict:
        return json.loads(ok(sqlite_cohort, "waves", *args, "--format", "json"))["forms"]

    assert waves("--team", "Syd") == {"citizen": [1], "staff": [1]}  # points up to the last
    assert waves("--team", "Nord", "--team", "Syd") == waves()
    assert waves("--mode", "assisted")["citizen"] == [2, 0, 1]
    assert waves("--from", "2026-02-01", "--to", "2026-12-31") == {
        "citizen": [1, 0, 1],
        "staff": [0, 0, 0],
    }


def test_consultant_status_and_form_version_options(sqlite_cohort) -> None:
    def waves(*args: str) -> dict:
        return json.loads(ok(sqlite_cohort, "waves", *args, "--format", "json"))["forms"]

    # anne has c1, c2, c6 (a draft only) and c7 (Syd); bo has c3, c4 and c5
    assert waves("--consultant", "anne") == {"citizen": [3, 1, 2], "staff": [3, 0, 1]}
    assert waves("--consultant", "anne", "--consultant", "bo") == waves()
    assert waves("--status", "ended_planned") == {"citizen": [1, 1, 1], "staff": [1, 0, 0]}
    assert waves("--status", "ended_planned", "--status", "ended_unplanned") == {
        "citizen": [2, 1, 1],
        "staff": [2, 0, 0],
    }
    assert waves("--consultant", "bo", "--status", "ended_unplanned") == {
        "citizen": [1],
        "staff": [1],
    }
    # version 2 of the citizen form: c1 at point 2, c2 at point 3, c4 at point 1; staff forms stay
    assert waves("--form-version", "citizen:2") == {"citizen": [1, 1, 1], "staff": [5, 0, 1]}
    assert waves("--form-version", "citizen:1") == {"citizen": [5, 1, 3], "staff": [5, 0, 1]}
    assert waves("--form-version", "citizen:1", "--form-version", "citizen:2") == waves()


def test_the_status_filter_changes_the_who5_mean(sqlite_cohort) -> None:
    def who5(*args: str) -> dict:
        return json.loads(ok(sqlite_cohort, "who5", "--points", "1", *args, "--format", "json"))

    everyone = who5()
    ended = who5("--status", "ended_planned", "--status", "ended_unplanned")
    assert everyone["n"] == [6]
    assert ended["n"] == [2]  # c3 (52) and c4 (4)
    assert ended["mean"] == [28.0]
    assert who5("--form-version", "citizen:2")["mean"] == [4.0]  # c4 alone
    assert who5("--consultant", "bo")["n"] == [3]  # c3, c4, c5


def test_text_is_laid_out_like_the_report(sqlite_cohort) -> None:
    text = ok(
        sqlite_cohort,
        "distribution",
        "--item",
        "health.mental",
        "--points",
        "1,3",
        "--team",
        "Nord",
        "--format",
        "text",
    )
    about = text.splitlines()[: text.splitlines().index("")]
    assert "Tabel: distribution" in about
    assert "Målepunkter: 1, 3" in about
    assert "Lavet af: kommandolinjen (survey report)" in about
    lines = table_of(text).splitlines()
    assert lines[0].split("  ")[0] == "Hvordan synes du, dit psykiske helbred er alt i alt?"
    assert lines[0].endswith("Målepunkt 1 (%)  Målepunkt 3 (%)")
    assert lines[4].split() == ["Mindre", "godt", "50", "0"]
    assert lines[-1].split() == ["Total", "(n)", "100", "(4)", "100", "(4)"]
    status = table_of(ok(sqlite_cohort, "status", "--format", "text", "--lang", "en")).splitlines()
    assert status[1].split()[-2:] == ["6", "100"]
    assert status[2].split()[-2:] == ["4", "67"]  # 4 of 6 active: 66.7 % shown as 67
    cross = table_of(
        ok(
            sqlite_cohort,
            "crosstab",
            "--item",
            "health.mental",
            "--by",
            "health.physical",
            "--format",
            "text",
        )
    ).splitlines()
    assert cross[-1].split() == ["Total", "(n)", "20", "0", "20", "40", "20", "100", "(5)"]
    who = ok(sqlite_cohort, "who5", "--points", "1,3", "--paired", "--format", "text")
    assert "Gennemsnitlig ændring" in who
    assert "p-værdi" in who


def test_csv_has_the_pages_figures_in_its_language(sqlite_cohort) -> None:
    out = ok(sqlite_cohort, "distribution", "--item", "bip_c.1", "--format", "csv", "--lang", "en")
    rows = list(csv.reader(io.StringIO(table_of(out))))
    assert rows[0][1] == "Point 1 (%)"
    assert rows[1] == ["I have no idea what types of job I would like", "17"]  # 1 of 6
    assert rows[6] == ["Don't know", "33"]  # 2 of 6
    assert rows[-1] == ["Total (n)", "6"]
    danish = ok(sqlite_cohort, "who5", "--points", "1,3", "--paired", "--format", "csv")
    rows = list(csv.reader(io.StringIO(table_of(danish)), delimiter=";"))
    mean = next(row for row in rows if row[0] == "Gennemsnit")
    assert all(re.fullmatch(r"\d+,\d", v) for v in mean[1:]), mean
    by = list(
        csv.reader(
            io.StringIO(
                table_of(
                    ok(
                        sqlite_cohort,
                        "by",
                        "--item",
                        "person.gender",
                        "--by",
                        "employment",
                        "--format",
                        "csv",
                    )
                )
            ),
            delimiter=";",
        )
    )
    assert by[-3] == ["Test", "Fishers eksakte test"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["distribution", "--item", "no.such"], "unknown item code 'no.such'"),
        (["distribution", "--item", "health.mental", "--points", "0"], "positive whole number"),
        (["distribution", "--item", "health.mental", "--points", "1,x"], "positive whole number"),
        (["distribution", "--item", "health.mental", "--points", "-1"], "positive whole number"),
        (["distribution", "--item", "health.mental", "--points", "1,1"], "given twice"),
        (["distribution", "--item", "health.mental", "--paired"], "--paired needs at least two"),
        (
            ["who5", "--points", "3", "--paired"],
            "--paired needs at least two measurement points",
        ),
        (["crosstab", "--item", "notes.comment", "--by", "health.mental"], "is a text item"),
        (["crosstab", "--item", "health.mental", "--by", "notes.next_meeting"], "is a date item"),
        (["by", "--item", "notes.comment", "--by", "status"], "is a text item"),
        (["distribution", "--item", "notes.comment"], "is a text item"),
        (["distribution", "--item", "staff.employment_hours"], "without report groups"),
        (
            ["crosstab", "--item", "staff.diagnosis_kinds", "--by", "health.mental"],
            "allows several answers",
        ),
        (["crosstab", "--item", "health.mental"], "give --by CODE"),
        (["distribution"], "give --item CODE"),
        (
            ["crosstab", "--item", "health.mental", "--by", "health.physical", "--points", "1,3"],
            "one measurement point",
        ),
        (["by", "--item", "health.mental", "--by", "weather"], "--by must be status or an outcome"),
        (["by", "--item", "health.mental"], "--by must be status or an outcome"),
        (["waves", "--item", "health.mental"], "--item does not apply to the waves table"),
        (["outcomes", "--points", "1"], "--points does not apply to the outcomes table"),
        (["status", "--paired"], "--paired does not apply to the status table"),
        (["waves", "--team", "Øst"], "unknown team 'Øst'"),
        (["waves", "--from", "2026-05-01", "--to", "2026-01-01"], "starts (2026-05-01) after"),
        (["waves", "--consultant", "nobody"], "unknown consultant 'nobody'"),
        (["waves", "--consultant", "anne", "--consultant", "x"], "unknown consultant 'x'"),
        (["waves", "--form-version", "citizen:9"], "unknown form version 'citizen:9'"),
        (["waves", "--form-version", "citizen"], "write FORM:N"),
        (["waves", "--form-version", "nonsense:1"], "known: citizen:1, citizen:2, staff:1"),
    ],
)
def test_bad_input_is_exit_2_with_a_message(sqlite_cohort, args: list[str], message: str) -> None:
    result = run(sqlite_cohort, *args, "--format", "json")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("Error: ")
    assert result.stdout == ""
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["weather", "--format", "json"],
        ["waves", "--format", "xml"],
        ["waves", "--mode", "staff", "--format", "json"],
        ["waves", "--status", "weird", "--format", "json"],
        ["waves", "--from", "1 May", "--format", "json"],
        ["waves"],
    ],
)
def test_bad_options_are_usage_errors(sqlite_cohort, args: list[str]) -> None:
    result = run(sqlite_cohort, *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "Error" in result.stderr


def test_report_errors_carry_a_code_for_the_web_page(sqlite_cohort) -> None:
    with pytest.raises(ReportError) as caught:
        parse_points("1,0")
    assert caught.value.code == "bad_point"
    assert caught.value.params == {"point": "0"}
    assert str(caught.value).startswith("a measurement point must be a positive whole number")
    with pytest.raises(ReportError) as caught:
        parse_form_versions(sqlite_cohort.registry, ["citizen:2", "staff:7"])
    assert (caught.value.code, caught.value.params) == (
        "unknown_form_version",
        {"version": "staff:7"},
    )
    assert parse_form_versions(sqlite_cohort.registry, ["citizen:1", "citizen:2", "staff:1"]) == {
        "citizen": {1, 2},
        "staff": {1},
    }
    with pytest.raises(ReportError) as caught:
        Filters(statuses={"paused"})
    assert (caught.value.code, caught.value.params) == ("bad_status", {"status": "paused"})
