"""Importing citizens and responses: round trips, every refusal (named by line, nothing written),
BOM and semicolon files, re-imports that change nothing, and the command's exit codes."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey.app import INSTRUMENTS
from survey.cli import cli
from survey.db import get_engine
from survey.interop.csvio import CITIZEN_COLUMNS, to_text
from survey.interop.exporting import export_citizens, export_long
from survey.interop.importing import import_responses
from survey.interop.pseudonyms import Pseudonyms
from survey.models import (
    Answer,
    AuditEvent,
    Citizen,
    CitizenEvent,
    CitizenEventKind,
    Response,
    ResponseStatus,
    Role,
    Team,
    TeamMembership,
    User,
)
from tests.interop.conftest import (
    HAND_FILE,
    add_organisation,
    answer,
    counts,
    import_text,
    responses_csv,
)

# --- helpers ------------------------------------------------------------------------------------


def long_export(app: Flask) -> str:
    out = io.StringIO(newline="")
    with app.app_context(), Session(get_engine(app)) as session:
        export_long(session, app.extensions[INSTRUMENTS], out, pseudonyms=Pseudonyms(real=True))
        session.commit()
    return out.getvalue()


def citizens_csv(rows: list[list[object]]) -> str:
    return to_text([CITIZEN_COLUMNS, *rows])


def assert_refused(app: Flask, text: str, line: int, fragment: str, kind: str = "responses"):
    before = counts(app)
    result = import_text(app, text, kind)
    messages = result.messages()
    assert not result.ok
    assert any(m.startswith(f"Line {line}: ") and fragment in m for m in messages), messages
    assert counts(app) == before
    return messages


# --- round trips ----------------------------------------------------------------------------


def copy_organisation(source: Flask, target: Flask) -> None:
    """The demo's teams and consultants (by name), which a citizens file refers to."""
    with Session(get_engine(source)) as session:
        teams: dict[str, list[str]] = {}
        for team, username in session.execute(
            select(Team.name, User.username)
            .join(TeamMembership, TeamMembership.team_id == Team.id)
            .join(User, User.id == TeamMembership.user_id)
            .where(TeamMembership.role == Role.CONSULTANT)
            .order_by(Team.name, User.username)
        ):
            teams.setdefault(team, []).append(username)
    with Session(get_engine(target)) as session:
        add_organisation(session, teams)
        session.commit()


def test_demo_round_trip(demo_app: Flask, make_app, database_url: str) -> None:
    citizens_out, long_out = io.StringIO(newline=""), io.StringIO(newline="")
    with demo_app.app_context(), Session(get_engine(demo_app)) as session:
        registry = demo_app.extensions[INSTRUMENTS]
        export_citizens(session, citizens_out, pseudonyms=Pseudonyms(real=True))
        export_long(session, registry, long_out, pseudonyms=Pseudonyms(real=True))
        ended = session.execute(select(Citizen).where(Citizen.status != "active")).all()
        submitted = session.execute(
            select(Response.id).where(Response.status == ResponseStatus.SUBMITTED)
        ).all()
    empty = make_app(database_url, FIXED_TODAY="2026-11-23")
    copy_organisation(demo_app, empty)

    citizens = import_text(empty, citizens_out.getvalue(), "citizens")
    assert (citizens.ok, citizens.created) == (True, 150), citizens.messages()
    responses = import_text(empty, long_out.getvalue())
    assert (responses.ok, responses.created) == (True, len(submitted)), responses.messages()

    assert long_export(empty) == long_out.getvalue()
    again = io.StringIO(newline="")
    with empty.app_context(), Session(get_engine(empty)) as session:
        export_citizens(session, again, pseudonyms=Pseudonyms(real=True))
        events = session.execute(select(CitizenEvent.kind, CitizenEvent.status)).all()
    assert again.getvalue() == citizens_out.getvalue()
    # The history an enrolment and a course end write.
    assert sum(kind == CitizenEventKind.ENROLLED for kind, _ in events) == 150
    assert sum(kind == CitizenEventKind.ENDED for kind, _ in events) == len(ended) > 0


def test_hand_made_round_trip(hand_app: Flask) -> None:
    text = responses_csv(HAND_FILE)
    result = import_text(hand_app, text)
    assert (result.ok, result.created, result.rows) == (True, 3, len(HAND_FILE)), result.messages()
    assert long_export(hand_app) == text


def test_answers_are_stored_as_the_app_stores_them(hand_app: Flask) -> None:
    import_text(hand_app, responses_csv(HAND_FILE))
    with Session(get_engine(hand_app)) as session:
        first = session.execute(select(Response).where(Response.point == 1)).scalar_one()
        stored = session.execute(
            select(Answer.item_code, Answer.position, Answer.value)
            .where(Answer.response_id == first.id)
            .order_by(Answer.item_code, Answer.position)
        ).all()
    assert first.status == ResponseStatus.SUBMITTED
    assert first.submitted_at is not None
    assert (first.form_id, first.form_version, first.mode, first.administered_on) == (
        "hand",
        1,
        "self",
        date(2026, 2, 1),
    )
    assert [tuple(row) for row in stored] == [
        ("hand.count", 0, "0"),
        ("hand.first", 0, "1"),
        ("hand.follow", 0, "1"),
        ("hand.gate", 0, "1"),
        ("hand.multi", 0, "1"),
        ("hand.multi", 1, "3"),
        ("hand.note", 0, "Tekst, med komma; semikolon og «citat»"),
        ("hand.single", 0, "9"),
        ("hand.when", 0, "2026-01-15"),
    ]


def test_rows_of_one_response_need_not_be_adjacent(hand_app: Flask) -> None:
    rows = [
        answer("hand.single", 1),
        answer("hand.single", 2, point=2, day="2026-05-01"),
        answer("hand.count", 3),
    ]
    result = import_text(hand_app, responses_csv(rows))
    assert (result.ok, result.created) == (True, 2), result.messages()


# --- refusals: each names its line and writes nothing -----------------------------------------


REFUSED_RESPONSES = {
    "unknown citizen": ([answer("hand.single", 1, citizen="NOBODY")], 2, "no citizen NOBODY"),
    "unknown form version": (
        [answer("hand.single", 1, version=2)],
        2,
        "no form hand version 2",
    ),
    "unknown form": ([answer("who5.1", 1, form="who5")], 2, "no form who5 version 1"),
    "item not in the version": (
        [answer("hand.single", 1), answer("who5.1", 3)],
        3,
        "hand v1 has no item who5.1",
    ),
    "code not among the answers": (
        [answer("hand.single", 3)],
        2,
        "3 is not one of the answer codes of hand.single",
    ),
    "multiple-choice code not among the answers": (
        [answer("hand.multi", "1;4")],
        2,
        "4 is not one of the answer codes of hand.multi",
    ),
    "multiple-choice code twice": ([answer("hand.multi", "2;2")], 2, "given twice"),
    "number out of range": (
        [answer("hand.count", 11)],
        2,
        "11 is not a whole number from 0 to 10 for hand.count",
    ),
    "number not a number": ([answer("hand.count", "3.5")], 2, "3.5 is not a whole number"),
    "bad date answer": ([answer("hand.when", "2026-13-01")], 2, "2026-13-01 is not a date"),
    "bad administered_on": (
        [answer("hand.single", 1, day="1.2.2026")],
        2,
        "administered_on is not a date",
    ),
    "administered before enrolment": (
        [answer("hand.single", 1, day="2025-12-31")],
        2,
        "not between the enrolment (2026-01-01) and today",
    ),
    "administered in the future": (
        [answer("hand.single", 1, day="2026-11-24")],
        2,
        "not between the enrolment",
    ),
    "text too long": ([answer("hand.note", "x" * 51)], 2, "longer than 50 characters"),
    "conditional item while its condition does not hold": (
        [answer("hand.gate", 2), answer("hand.follow", 1)],
        3,
        "hand.follow is answered, but it is asked only when hand.gate is 1",
    ),
    "chained condition: the middle item does not open the last": (
        [answer("hand.gate", 1), answer("hand.follow", 2), answer("hand.deeper", 3)],
        4,
        "hand.deeper is answered, but it is asked only when hand.follow is 1",
    ),
    "chained condition: the first item hides the whole chain": (
        [answer("hand.gate", 2), answer("hand.follow", 1), answer("hand.deeper", 3)],
        4,
        "hand.deeper is answered",
    ),
    "administered_on differs within a response": (
        [answer("hand.single", 1), answer("hand.count", 2, day="2026-02-02")],
        3,
        "administered_on 2026-02-02 differs from 2026-02-01 on line 2",
    ),
    "form_version differs within a response": (
        [answer("hand.single", 1), answer("hand.count", 2, version="01")],
        3,
        "form_version 01 differs from 1 on line 2",
    ),
    "mode differs within a response": (
        [answer("hand.single", 1), answer("hand.count", 2, mode="assisted")],
        3,
        "mode assisted differs from self on line 2",
    ),
    "duplicate item row": (
        [answer("hand.single", 1), answer("hand.count", 2), answer("hand.single", 2)],
        4,
        "item hand.single is also on line 2",
    ),
    "baseline-only item at a later point": (
        [answer("hand.first", 1, point=2)],
        2,
        "hand.first is asked only at point 1",
    ),
    "mode the form does not allow": (
        [answer("hand.single", 1, mode="staff")],
        2,
        "mode staff is not allowed for hand v1 (allowed: self, assisted)",
    ),
    "point zero": ([answer("hand.single", 1, point=0)], 2, "point must be a whole number"),
}


@pytest.mark.parametrize("case", list(REFUSED_RESPONSES))
def test_refused_responses(hand_sqlite_app: Flask, case: str) -> None:
    rows, line, fragment = REFUSED_RESPONSES[case]
    # A valid response too, so "nothing written" covers the good rows of a refused file.
    good = [answer("hand.single", 1, point=5, day="2026-10-01")]
    assert_refused(hand_sqlite_app, responses_csv(rows + good), line, fragment)


def test_a_different_existing_response_is_refused_an_identical_one_skipped(
    hand_app: Flask,
) -> None:
    first = import_text(hand_app, responses_csv([answer("hand.single", 1)]))
    assert (first.ok, first.created) == (True, 1)
    assert_refused(
        hand_app,
        responses_csv([answer("hand.count", 1), answer("hand.single", 2)]),
        2,
        "a different submitted hand response for H-1 at point 1 already exists",
    )
    same = import_text(hand_app, responses_csv([answer("hand.single", 1)]))
    assert (same.ok, same.created, same.present) == (True, 0, 1)


def test_a_cpr_like_reference_is_refused_without_being_repeated(hand_sqlite_app: Flask) -> None:
    messages = assert_refused(
        hand_sqlite_app,
        responses_csv([answer("hand.single", 1, citizen="010190-1234")]),
        2,
        "looks like a CPR number",
    )
    assert not any("010190" in m for m in messages)


def test_a_bad_header_is_refused_on_line_1(hand_sqlite_app: Flask) -> None:
    assert_refused(
        hand_sqlite_app, "citizen,point,when\r\nH-1,1,2026-01-01\r\n", 1, "the header must"
    )


def test_a_row_with_too_few_fields_is_refused(hand_sqlite_app: Flask) -> None:
    text = responses_csv([answer("hand.single", 1)]) + "H-1,1,2026-02-01,hand,1,self,hand.count\r\n"
    assert_refused(hand_sqlite_app, text, 3, "expected 8 fields, found 7")


def test_more_than_50_problems_show_the_first_50_and_a_count(hand_sqlite_app: Flask) -> None:
    rows = [answer("hand.single", 1, citizen=f"X-{n:03d}") for n in range(60)]
    result = import_text(hand_sqlite_app, responses_csv(rows))
    messages = result.messages()
    assert result.problem_count == 60
    assert len(messages) == 51
    assert messages[0].startswith("Line 2: ")
    assert messages[49].startswith("Line 51: ")
    assert messages[-1] == "and 10 more."


# --- file shapes, re-imports, dry runs, audit -----------------------------------------------


def test_bom_and_semicolons_as_danish_excel_writes_them(hand_app: Flask, tmp_path: Path) -> None:
    rows = [answer("hand.multi", "1;3"), answer("hand.note", "a; b, c")]
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + responses_csv(rows, delimiter=";").encode("utf-8"))
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert (header.count(";"), header.count(",")) == (7, 0)  # really semicolon-separated
    with hand_app.app_context(), Session(get_engine(hand_app)) as session:
        result = import_responses(session, hand_app.extensions[INSTRUMENTS], path)
        session.commit()
    assert (result.ok, result.created) == (True, 1), result.messages()
    with Session(get_engine(hand_app)) as session:
        values = session.execute(
            select(Answer.item_code, Answer.value).order_by(Answer.item_code, Answer.position)
        ).all()
    assert [tuple(v) for v in values] == [
        ("hand.multi", "1"),
        ("hand.multi", "3"),
        ("hand.note", "a; b, c"),
    ]
    # A BOM in a text stream (a web upload decoded as plain UTF-8) is dropped as well.
    again = import_text(hand_app, "\ufeff" + responses_csv(rows, delimiter=";"))
    assert (again.ok, again.present) == (True, 1), again.messages()


def test_reimporting_the_same_file_changes_nothing_and_says_so(hand_app: Flask) -> None:
    text = responses_csv(HAND_FILE)
    assert import_text(hand_app, text).created == 3
    before = counts(hand_app)
    again = import_text(hand_app, text)
    assert (again.ok, again.created, again.present) == (True, 0, 3)
    assert again.summary() == "Nothing changed: all 3 were already present."
    assert counts(hand_app) == before


def test_a_dry_run_checks_and_writes_nothing(hand_sqlite_app: Flask) -> None:
    before = counts(hand_sqlite_app)
    result = import_text(hand_sqlite_app, responses_csv(HAND_FILE), dry_run=True)
    assert (result.ok, result.created) == (True, 3)
    assert "Nothing was written" in result.summary()
    assert counts(hand_sqlite_app) == before


def test_an_import_is_audited_without_values(hand_app: Flask) -> None:
    import_text(hand_app, responses_csv(HAND_FILE))
    with Session(get_engine(hand_app)) as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.action == "data.import")
        ).scalars()
        (event,) = list(events)
    assert event.details == {
        "kind": "responses",
        "rows": len(HAND_FILE),
        "created": 3,
        "present": 0,
    }


def import_audit(app: Flask) -> list[dict]:
    with Session(get_engine(app)) as session:
        return [
            event.details
            for event in session.execute(
                select(AuditEvent).where(AuditEvent.action == "data.import").order_by(AuditEvent.id)
            ).scalars()
        ]


def test_a_refused_import_is_audited_with_counts_only_and_writes_nothing(
    hand_sqlite_app: Flask,
) -> None:
    before = counts(hand_sqlite_app)
    rows = [answer("hand.single", 1, point=2), answer("hand.count", "0101901234")]
    import_text(hand_sqlite_app, responses_csv(rows))
    citizens = citizens_csv([good_citizen(citizen="C-1"), good_citizen(team="Team Øst")])
    import_text(hand_sqlite_app, citizens, "citizens")
    assert counts(hand_sqlite_app) == before
    assert import_audit(hand_sqlite_app) == [
        {"kind": "responses", "rows": 2, "created": 0, "present": 0, "problems": 1,
         "refused": True},
        {"kind": "citizens", "rows": 2, "created": 0, "present": 0, "problems": 1,
         "refused": True},
    ]  # fmt: skip


def test_a_dry_run_is_audited_and_writes_nothing(hand_sqlite_app: Flask) -> None:
    before = counts(hand_sqlite_app)
    import_text(hand_sqlite_app, responses_csv(HAND_FILE), dry_run=True)
    import_text(hand_sqlite_app, citizens_csv([good_citizen()]), "citizens", dry_run=True)
    assert counts(hand_sqlite_app) == before
    assert import_audit(hand_sqlite_app) == [
        {"kind": "responses", "rows": len(HAND_FILE), "created": 3, "present": 0, "problems": 0,
         "dry_run": True},
        {"kind": "citizens", "rows": 1, "created": 1, "present": 0, "problems": 0,
         "dry_run": True},
    ]  # fmt: skip


def test_a_refused_import_rolls_back_what_it_wrote_before_the_caller_commits(
    hand_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A collision at the write (a response added meanwhile) leaves the written batches in the
    session; the service rolls them back, so the caller's commit keeps only the audit entry."""
    from survey.interop import response_import

    written = response_import._write

    def write_then_collide(session, spill, actor):  # type: ignore[no-untyped-def]
        written(session, spill, actor)
        raise IntegrityError("INSERT", {}, Exception("simulated"))

    monkeypatch.setattr(response_import, "_write", write_then_collide)
    before = counts(hand_app)
    result = import_text(hand_app, responses_csv(HAND_FILE))
    assert result.messages() == [
        "Line 1: responses were added while the file was checked; import it again."
    ]
    assert counts(hand_app) == before
    assert [d.get("refused") for d in import_audit(hand_app)] == [True]


# --- citizens -------------------------------------------------------------------------------


def test_citizens_are_enrolled_and_ended_with_their_history(hand_app: Flask) -> None:
    text = citizens_csv(
        [
            ["C-1", "2026-02-01", "Team Nord", "anne", "active", "", ""],
            ["C-2", "2026-02-01", "Team Syd", "", "ended_unplanned", "moved", "2026-06-30"],
            ["H-1", "2026-01-01", "Team Nord", "", "active", "", ""],
        ]
    )
    result = import_text(hand_app, text, "citizens")
    assert (result.ok, result.created, result.present) == (True, 2, 1), result.messages()
    with Session(get_engine(hand_app)) as session:
        c2 = session.execute(select(Citizen).where(Citizen.reference == "C-2")).scalar_one()
        events = session.execute(
            select(CitizenEvent.kind, CitizenEvent.occurred_on, CitizenEvent.reason)
            .where(CitizenEvent.citizen_id == c2.id)
            .order_by(CitizenEvent.id)
        ).all()
    assert (c2.status, c2.status_reason, c2.ended_on) == (
        "ended_unplanned",
        "moved",
        date(2026, 6, 30),
    )
    assert [tuple(e) for e in events] == [
        ("enrolled", date(2026, 2, 1), None),
        ("ended", date(2026, 6, 30), "moved"),
    ]
    with Session(get_engine(hand_app)) as session:
        trail = session.execute(
            select(AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.citizen_id == c2.id)
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(entry) for entry in trail] == [
        ("citizen.enrol", {"import": True}),
        ("citizen.end", {"status": "ended_unplanned", "reason": "moved", "import": True}),
    ]
    again = import_text(hand_app, text, "citizens")
    assert (again.created, again.present) == (0, 3)


def test_an_empty_team_means_the_only_team(make_app, tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'one.db'}", FIXED_TODAY="2026-11-23")
    with Session(get_engine(app)) as session:
        add_organisation(session, {"Eneste": ["anne"]})
        session.commit()
    result = import_text(
        app, citizens_csv([["C-1", "2026-02-01", "", "anne", "", "", ""]]), "citizens"
    )
    assert result.ok, result.messages()
    with Session(get_engine(app)) as session:
        citizen = session.execute(select(Citizen)).scalar_one()
        assert session.get(Team, citizen.team_id).name == "Eneste"
        assert citizen.status == "active"


def good_citizen(**changes: str) -> list[str]:
    row = {
        "citizen": "C-9",
        "enrolled_on": "2026-02-01",
        "team": "Team Nord",
        "consultant": "anne",
        "status": "ended_planned",
        "status_reason": "employment",
        "ended_on": "2026-09-01",
    }
    row.update(changes)
    return [row[column] for column in CITIZEN_COLUMNS]


REFUSED_CITIZENS = {
    "cpr-like reference": ({"citizen": "0101901234"}, "looks like a CPR number"),
    "reference with signs": ({"citizen": "C#9"}, "at most 40 letters"),
    "bad enrolment date": ({"enrolled_on": "2026-02-30"}, "enrolled_on is not a date"),
    "future enrolment": ({"enrolled_on": "2026-12-01"}, "enrolled_on is in the future"),
    "unknown team": ({"team": "Team Øst"}, "there is no team Team Øst"),
    "empty team among two": ({"team": ""}, "the team is empty and there are 2 teams"),
    "unknown consultant": ({"consultant": "bo"}, "there is no resource consultant bo"),
    "consultant of another team": ({"consultant": "jonas"}, "jonas is not in the team Team Nord"),
    "unknown status": ({"status": "paused"}, "paused is not a status"),
    "reason that does not fit": (
        {"status_reason": "moved"},
        "status_reason must be one of employment, education, other",
    ),
    "end without a date": ({"ended_on": ""}, "ended_on is not a date"),
    "end before enrolment": ({"ended_on": "2026-01-31"}, "ended_on is before enrolled_on"),
    "active with a reason": (
        {"status": "active", "ended_on": ""},
        "an active course has no status_reason",
    ),
    "existing citizen with other details": (
        {"citizen": "H-1", "status": "active", "status_reason": "", "ended_on": ""},
        "citizen H-1 already exists with other details",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_CITIZENS))
def test_refused_citizens(hand_sqlite_app: Flask, case: str) -> None:
    changes, fragment = REFUSED_CITIZENS[case]
    text = citizens_csv([good_citizen(citizen="C-1"), good_citizen(**changes)])
    messages = assert_refused(hand_sqlite_app, text, 3, fragment, "citizens")
    assert not any("0101901234" in m for m in messages)


def test_a_citizen_twice_in_the_file_is_refused(hand_sqlite_app: Flask) -> None:
    text = citizens_csv([good_citizen(), good_citizen()])
    assert_refused(hand_sqlite_app, text, 3, "citizen C-9 is also on line 2", "citizens")


# --- the command ------------------------------------------------------------------------------


def test_the_import_command_exits_1_with_the_problems_and_0_with_the_counts(
    hand_app: Flask, tmp_path: Path
) -> None:
    runner = hand_app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text(responses_csv([answer("hand.single", 3)]), encoding="utf-8")
    refused = runner.invoke(cli, ["import", "responses", str(bad)])
    assert refused.exit_code == 1
    assert "Line 2: 3 is not one of the answer codes of hand.single" in refused.stderr
    assert "no data was written" in refused.stderr

    good = tmp_path / "good.csv"
    good.write_text(responses_csv(HAND_FILE), encoding="utf-8")
    done = runner.invoke(cli, ["import", "responses", str(good)])
    assert done.exit_code == 0, done.output
    assert "3 created, 0 already present" in done.stdout
    again = runner.invoke(cli, ["import", "responses", str(good)])
    assert (again.exit_code, again.stdout.strip()) == (
        0,
        "Nothing changed: all 3 were already present.",
    )

    citizens = tmp_path / "citizens.csv"
    citizens.write_text(citizens_csv([good_citizen(team="Team Øst")]), encoding="utf-8")
    refused = runner.invoke(cli, ["import", "citizens", str(citizens)])
    assert refused.exit_code == 1
    assert "Line 2: there is no team Team Øst" in refused.stderr
    citizens.write_text(citizens_csv([good_citizen()]), encoding="utf-8")
    done = runner.invoke(cli, ["import", "citizens", str(citizens)])
    assert done.exit_code == 0
    assert "1 created" in done.stdout


def test_a_file_that_is_not_utf8_is_refused(hand_sqlite_app: Flask, tmp_path: Path) -> None:
    """Older Danish Excel saves "CSV (semikolonsepareret)" as Windows-1252."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(responses_csv([answer("hand.note", "Bemærkning")], ";").encode("cp1252"))
    before = counts(hand_sqlite_app)
    with hand_sqlite_app.app_context(), Session(get_engine(hand_sqlite_app)) as session:
        result = import_responses(session, hand_sqlite_app.extensions[INSTRUMENTS], path)
    assert not result.ok
    assert "is not UTF-8 text" in result.messages()[0]
    assert counts(hand_sqlite_app) == before


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("citizens", citizens_csv([good_citizen(consultant="anne\x00")])),
        ("citizens", citizens_csv([good_citizen(citizen="C-\x009")])),
        ("responses", responses_csv([answer("hand.single", 1, citizen="H-1\x00")])),
        ("responses", responses_csv([answer("hand.note", "en\x00note")])),
        ("responses", responses_csv([answer("hand.note", "et\x07bip")])),
    ],
    ids=["consultant", "citizen", "reference", "text", "bell"],
)
def test_a_control_character_in_a_file_is_refused_on_its_line(
    hand_app: Flask, kind: str, text: str
) -> None:
    """PostgreSQL cannot store NUL: a consultant or reference holding one reached its query
    and failed there (DataError, a 500 on the upload page; found by
    tests/web/test_fuzz_imports.py). Now the file is refused at the line, as the pages refuse
    the character (survey.inputs)."""
    assert_refused(hand_app, text, 2, "a control character such as NUL", kind)


def test_a_control_character_in_the_header_is_refused_on_line_1(hand_sqlite_app: Flask) -> None:
    text = "\x00" + responses_csv([answer("hand.single", 1)])
    assert_refused(hand_sqlite_app, text, 1, "a control character such as NUL")


def test_points_written_with_a_leading_zero_are_the_same_point(hand_sqlite_app: Flask) -> None:
    rows = [answer("hand.single", 1), answer("hand.count", 2)]
    rows[1][1] = "01"
    result = import_text(hand_sqlite_app, responses_csv(rows))
    assert (result.ok, result.created) == (True, 1), result.messages()


def test_points_written_with_a_plus_are_the_same_point(hand_sqlite_app: Flask) -> None:
    rows = [answer("hand.single", 1), answer("hand.count", 2)]
    rows[1][1] = "+1"
    result = import_text(hand_sqlite_app, responses_csv(rows))
    assert (result.ok, result.created) == (True, 1), result.messages()


def test_one_response_written_two_ways_never_reaches_the_insert(
    hand_sqlite_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the spill's key and the parser ever disagree again, the second response of one
    citizen, point and form is refused by line instead of failing the insert."""
    from survey.interop import spill

    monkeypatch.setattr(spill, "_point", lambda raw: raw.strip())  # no normalisation at all
    rows = [answer("hand.single", 1), answer("hand.count", 2)]
    rows[1][1] = "+1"
    assert_refused(
        hand_sqlite_app,
        responses_csv(rows),
        2,  # "+1" sorts first, so line 3 was queued first
        "the hand response at point 1 is also on line 3",
    )


def test_cpr_like_values_are_never_repeated_in_messages(hand_sqlite_app: Flask) -> None:
    cpr = "0101901234"
    messages = assert_refused(
        hand_sqlite_app, responses_csv([answer("hand.count", cpr)]), 2, "is not a whole number"
    )
    messages += assert_refused(
        hand_sqlite_app,
        responses_csv(
            [answer("hand.single", "010190-1234"), answer("hand.when", cpr), answer(cpr, 1)]
        ),
        2,
        "is not one of the answer codes",
    )
    messages += assert_refused(
        hand_sqlite_app,
        responses_csv([answer("hand.single", 1, version=cpr, mode=cpr)]),
        2,
        "there is no form hand version (CPR?)",
    )
    messages += assert_refused(
        hand_sqlite_app,
        citizens_csv([good_citizen(team=cpr)]),
        2,
        "there is no team (CPR?)",
        "citizens",
    )
    messages += assert_refused(
        hand_sqlite_app,
        citizens_csv([good_citizen(consultant=cpr, status=cpr)]),
        2,
        "there is no resource consultant (CPR?)",
        "citizens",
    )
    assert len(messages) >= 7
    assert not any("010190" in m or "1234" in m for m in messages), messages


def test_a_citizen_enrolled_while_the_file_was_checked_refuses_the_file(
    hand_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey.interop import citizen_import

    enrol = citizen_import._enrol

    def enrolled_meanwhile(session, row, actor):  # type: ignore[no-untyped-def]
        with Session(get_engine(hand_app)) as other:
            team = other.execute(select(Team).where(Team.name == "Team Nord")).scalar_one()
            other.add(
                Citizen(reference=row.reference, enrolled_on=date(2026, 3, 1), team_id=team.id)
            )
            other.commit()
        enrol(session, row, actor)

    monkeypatch.setattr(citizen_import, "_enrol", enrolled_meanwhile)
    result = import_text(hand_app, citizens_csv([good_citizen()]), "citizens")
    assert result.messages() == [
        "Line 1: citizens were enrolled while the file was checked; import it again."
    ]
    with Session(get_engine(hand_app)) as session:
        (citizen,) = session.execute(select(Citizen).where(Citizen.reference == "C-9")).scalars()
        assert citizen.enrolled_on == date(2026, 3, 1)  # the app's, not the file's
        assert not session.execute(
            select(CitizenEvent).where(CitizenEvent.citizen_id == citizen.id)
        ).first()
    assert [d.get("refused") for d in import_audit(hand_app)] == [True]


def test_a_header_of_a_million_columns_is_refused_in_a_short_message(
    hand_sqlite_app: Flask,
) -> None:
    """The probe's finding: the whole header came back as a 7.9 MB page."""
    header = ",".join(f"column{n}" for n in range(1_000_000))
    messages = assert_refused(hand_sqlite_app, header + "\r\n", 1, "longer than 10000 characters")
    assert sum(len(m) for m in messages) < 500


def test_a_header_names_what_it_lacks_and_what_it_should_not_have(hand_sqlite_app: Flask) -> None:
    extra = ",".join(f"x{n}" for n in range(30))
    text = "citizen,point,administered_on,form,form_version,mode,item,item," + extra + "\r\n"
    messages = assert_refused(hand_sqlite_app, text, 1, "It lacks value.")
    (message,) = messages
    assert "It has other columns: x0,x1,x2,x3,x4,x5,x6,x7,x8,x9 and 20 more." in message
    assert "It names item more than once." in message
    assert "x10" not in message


def test_a_message_cuts_a_long_cell() -> None:
    from survey.interop.csvio import shown

    assert shown("a" * 1000) == "a" * 40 + "…"
