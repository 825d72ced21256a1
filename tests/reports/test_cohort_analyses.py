"""As-of dates, the programme's outcomes, citizens without a baseline and attrition, on a second
hand-made cohort (the shared one in conftest.py submits every form on one day), on SQLite and
PostgreSQL. Every expected figure is worked out by hand from the rows below.

Today is 2026-12-01 (FIXED_TODAY); the as-of day A is 2026-06-30. Submission times are UTC
(noon unless said); Copenhagen is UTC+2 in summer, so A ends at 2026-06-30 22:00 UTC.

Team Øst: every 3 months, its own employment target 25 % (education: the programme's).
  e1  enrolled 2026-01-15, active
      p1 citizen 01-20 mental 4, alcohol 2; p1 staff 01-20 employment 2, education 2,
      internship 1; p2 citizen 04-20 mental 3; p3 citizen 07-20 mental 2; p3 staff 07-20
      employment 1
  e2  enrolled 2026-01-31, ended as planned (education) 2026-09-01
      p1 citizen 02-02 mental 5, alcohol 9 ("Vil ikke svare"); p1 staff 02-02 employment 2,
      education 2
  e3  enrolled 2025-11-30, ended as planned (employment) 2026-05-01
      p1 citizen 2025-12-01 mental 4, alcohol 5; p1 staff 2025-12-01 employment 2, education 2;
      p2 staff 03-01 employment 1
  e4  enrolled 2026-02-28, active
      p1 citizen 03-02 mental 2, alcohol 5; p3 citizen 08-30 mental 2
  e5  enrolled 2026-07-10 (after A), active
      p1 citizen 07-12 mental 3, alcohol 4; p2 staff 09-10 employment 1
  e6  enrolled 2026-03-01, ended unplanned (too complex) 2026-03-20, no form at all
  e7  enrolled 2026-01-05, active, only a draft at point 1
Team Vest: every 2 months, the programme's targets.
  w1  enrolled 2026-01-31, ended as planned (employment) 2026-06-30 (on A)
      p1 citizen 02-01 mental 5, alcohol 1; p3 staff 05-31 employment 2, education 2
  w2  enrolled 2026-02-28, active
      p1 citizen 03-01 mental 4, alcohol 2; p2 staff 2026-06-30 21:30 UTC (23:30 on A in
      Copenhagen) education 1; p3 citizen 2026-06-30 22:30 UTC (00:30 on 1 July) mental 3
  w3  enrolled 2026-08-01 (after A), active, no form

Point 3 falls due (schedule.due_date: enrolment + 2 × interval): e1 2026-07-15, e2 07-31,
e3 05-30, e4 08-28, e5 2027-01-10; w1 (2 × 2 months) 05-31, w2 06-28.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from scipy import stats
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey.db import get_engine
from survey.models import Answer, Citizen, Response, Team
from survey.reports.cli import report
from survey.reports.filters import Filters, ReportError
from survey.reports.queries import last_enrolment_due_by
from survey.reports.services import ReportRequest, build
from survey.schedule import due_date
from tests.conftest import login

TODAY = "2026-12-01"
A = date(2026, 6, 30)


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


@dataclass
class Cohort:
    app: Flask
    teams: dict[str, int] = field(default_factory=dict)

    def session(self) -> Session:
        return Session(get_engine(self.app), expire_on_commit=False)

    def table(self, name: str, **options) -> dict:
        with self.app.app_context(), self.session() as session:
            registry = self.app.extensions["survey.instruments"]
            return build(session, registry, ReportRequest(name, **options)).to_dict()


def _form(session, citizen, point, form, submitted, answers, status="submitted") -> None:
    response = Response(
        citizen_id=citizen.id,
        point=point,
        form_id=form,
        form_version=1,
        administered_on=submitted.date(),
        mode="staff" if form == "staff" else "self",
        status=status,
        submitted_at=submitted if status == "submitted" else None,
    )
    session.add(response)
    session.flush()
    for code, value in answers.items():
        session.add(Answer(response_id=response.id, item_code=code, value=str(value)))


def build_cohort(session: Session) -> dict[str, int]:
    ost = Team(name="Øst", measurement_interval_months=3, target_employment=0.25)
    vest = Team(name="Vest", measurement_interval_months=2, window_days=14)
    session.add_all([ost, vest])
    session.flush()

    def citizen(ref: str, team: Team, enrolled: str, ended: tuple[str, str, str] | None = None):
        status, reason, ended_on = ended or ("active", None, None)
        c = Citizen(
            reference=ref,
            team_id=team.id,
            enrolled_on=date.fromisoformat(enrolled),
            status=status,
            status_reason=reason,
            ended_on=date.fromisoformat(ended_on) if ended_on else None,
        )
        session.add(c)
        session.flush()
        return c

    def mental(code: int, alcohol: int | None = None) -> dict[str, int]:
        return {"health.mental": code, **({"use.alcohol": alcohol} if alcohol else {})}

    e1 = citizen("e1", ost, "2026-01-15")
    _form(session, e1, 1, "citizen", at("2026-01-20"), mental(4, 2))
    _form(
        session,
        e1,
        1,
        "staff",
        at("2026-01-20"),
        {"staff.employment": 2, "staff.education": 2, "staff.internship": 1},
    )
    _form(session, e1, 2, "citizen", at("2026-04-20"), mental(3))
    _form(session, e1, 3, "citizen", at("2026-07-20"), mental(2))
    _form(session, e1, 3, "staff", at("2026-07-20"), {"staff.employment": 1})
    e2 = citizen("e2", ost, "2026-01-31", ("ended_planned", "education", "2026-09-01"))
    _form(session, e2, 1, "citizen", at("2026-02-02"), mental(5, 9))
    _form(session, e2, 1, "staff", at("2026-02-02"), {"staff.employment": 2, "staff.education": 2})
    e3 = citizen("e3", ost, "2025-11-30", ("ended_planned", "employment", "2026-05-01"))
    _form(session, e3, 1, "citizen", at("2025-12-01"), mental(4, 5))
    _form(session, e3, 1, "staff", at("2025-12-01"), {"staff.employment": 2, "staff.education": 2})
    _form(session, e3, 2, "staff", at("2026-03-01"), {"staff.employment": 1})
    e4 = citizen("e4", ost, "2026-02-28")
    _form(session, e4, 1, "citizen", at("2026-03-02"), mental(2, 5))
    _form(session, e4, 3, "citizen", at("2026-08-30"), mental(2))
    e5 = citizen("e5", ost, "2026-07-10")
    _form(session, e5, 1, "citizen", at("2026-07-12"), mental(3, 4))
    _form(session, e5, 2, "staff", at("2026-09-10"), {"staff.employment": 1})
    citizen("e6", ost, "2026-03-01", ("ended_unplanned", "too_complex", "2026-03-20"))
    e7 = citizen("e7", ost, "2026-01-05")
    _form(session, e7, 1, "citizen", at("2026-01-06"), mental(1), status="draft")

    w1 = citizen("w1", vest, "2026-01-31", ("ended_planned", "employment", "2026-06-30"))
    _form(session, w1, 1, "citizen", at("2026-02-01"), mental(5, 1))
    _form(session, w1, 3, "staff", at("2026-05-31"), {"staff.employment": 2, "staff.education": 2})
    w2 = citizen("w2", vest, "2026-02-28")
    _form(session, w2, 1, "citizen", at("2026-03-01"), mental(4, 2))
    _form(session, w2, 2, "staff", at("2026-06-30", 21, 30), {"staff.education": 1})
    _form(session, w2, 3, "citizen", at("2026-06-30", 22, 30), mental(3))
    citizen("w3", vest, "2026-08-01")
    session.commit()
    return {"Øst": ost.id, "Vest": vest.id}


@pytest.fixture
def dated(make_app, database_url: str) -> Cohort:
    cohort = Cohort(make_app(database_url, FIXED_TODAY=TODAY))
    with cohort.session() as session:
        cohort.teams = build_cohort(session)
    return cohort


def as_of(**fields) -> Filters:
    return Filters(as_of=A, **fields)


def counts(distribution: dict) -> dict:
    return {row["code"]: row["counts"] for row in distribution["rows"] if any(row["counts"])}


# --- as of a day -------------------------------------------------------------------------------


def test_waves_today_and_as_of(dated) -> None:
    today = dated.table("waves")
    # citizen: p1 e1 e2 e3 e4 e5 w1 w2; p2 e1; p3 e1 e4 w2. staff: p1 e1 e2 e3; p2 e3 e5 w2;
    # p3 e1 w1
    assert today["forms"] == {"citizen": [7, 1, 3], "staff": [3, 3, 2]}
    # ten citizens; e6 (no form), e7 (a draft) and w3 (no form) have no baseline
    assert (today["enrolled"], today["without_baseline"]) == (10, 3)
    assert today["as_of"] is None
    then = dated.table("waves", filters=as_of())
    # e5 and w3 were enrolled after A. By A: citizen p1 e1 e2 e3 e4 w1 w2, p2 e1, p3 none (w2's
    # came at 00:30 on 1 July); staff p1 e1 e2 e3, p2 e3 and w2 (23:30 on A), p3 w1
    assert then["forms"] == {"citizen": [6, 1, 0], "staff": [3, 2, 1]}
    assert (then["enrolled"], then["without_baseline"]) == (8, 2)  # e6, e7
    assert then["as_of"] == "2026-06-30"


def test_status_is_the_one_of_the_day(dated) -> None:
    today = dated.table("status")
    # baseline e1..e5, w1, w2; ended as planned: e2 (education), e3 and w1 (employment)
    assert today["n"] == 7
    assert today["counts"] == {"active": 4, "ended_planned": 3, "ended_unplanned": 0}
    assert today["reasons"]["ended_planned"] == {"employment": 2, "education": 1, "other": 0}
    then = dated.table("status", filters=as_of())
    # baseline by A: e1..e4, w1, w2; e2 ended after A (active then), w1 on A (ended)
    assert then["n"] == 6
    assert then["counts"] == {"active": 4, "ended_planned": 2, "ended_unplanned": 0}
    assert then["percents"] == {"active": 66.7, "ended_planned": 33.3, "ended_unplanned": 0.0}
    assert then["reasons"]["ended_planned"] == {"employment": 2, "education": 0, "other": 0}


def test_distribution_and_the_status_filter_as_of(dated) -> None:
    today = dated.table("distribution", item="health.mental", points=(1, 3))
    # p1: e1 4, e2 5, e3 4, e4 2, e5 3, w1 5, w2 4; p3: e1 2, e4 2, w2 3
    assert today["n"] == [7, 3]
    assert counts(today) == {2: [1, 2], 3: [1, 1], 4: [3, 0], 5: [2, 0]}
    then = dated.table("distribution", item="health.mental", points=(1, 3), filters=as_of())
    assert then["n"] == [6, 0]  # no point-3 citizen form by A; e5 not yet enrolled
    assert counts(then) == {2: [1, 0], 4: [3, 0], 5: [2, 0]}
    assert then["rows"][3]["percents"] == [50.0, None]
    # active at A: e1 4, e2 5 (ended later), e4 2, w2 4; today: e1 4, e4 2, e5 3, w2 4
    active_then = dated.table(
        "distribution", item="health.mental", filters=as_of(statuses={"active"})
    )
    assert counts(active_then) == {2: [1], 4: [2], 5: [1]}
    active = dated.table("distribution", item="health.mental", filters=Filters(statuses={"active"}))
    assert counts(active) == {2: [1], 3: [1], 4: [2]}


def test_by_status_and_crosstab_as_of(dated) -> None:
    by = dated.table("by", item="health.mental", by="status", filters=as_of())
    # columns active, ended_planned, ended_unplanned. code 2: e4; 4: e1, w2 | e3; 5: e2 | w1
    assert by["counts"] == [[0, 0, 0], [1, 0, 0], [0, 0, 0], [2, 1, 0], [1, 1, 0]]
    assert by["column_totals"] == [4, 2, 0]
    expected = stats.chi2_contingency([[1, 0], [2, 1], [1, 1]])  # zero rows and column dropped
    assert by["p_value"] == pytest.approx(expected.pvalue)
    assert by["statistic"] == pytest.approx(expected.statistic)
    assert by["as_of"] == "2026-06-30"
    today = dated.table("by", item="health.mental", by="status")
    # e2 has ended since, e5 came: code 3 e5 active; code 5 e2 and w1 ended as planned
    assert today["counts"] == [[0, 0, 0], [1, 0, 0], [1, 0, 0], [2, 1, 0], [0, 2, 0]]
    cross = dated.table("crosstab", item="health.mental", by="use.alcohol", filters=as_of())
    # mental × alcohol at p1 by A: e1 (4, 2), e2 (5, 9), e3 (4, 5), e4 (2, 5), w1 (5, 1), w2 (4, 2)
    assert cross["n"] == 6
    assert cross["row_totals"] == [0, 1, 0, 3, 2]
    assert cross["counts"][3] == [0, 2, 0, 0, 1, 0]  # mental 4: alcohol 2 twice, 5 once
    assert dated.table("crosstab", item="health.mental", by="use.alcohol")["n"] == 7  # + e5


def test_who5_as_of_on_the_shared_cohort(cohort) -> None:
    def who5(day: date) -> dict:
        with cohort.session() as session:
            request = ReportRequest("who5", points=(1,), filters=Filters(as_of=day))
            return build(session, cohort.registry, request).to_dict()

    # every shared form was submitted on 2026-02-01; c5 was enrolled on 2026-03-01. Point-1
    # scores 40, 20, 52, 4, 100 (c7) without c5's 100: mean 216 / 5 = 43.2
    february = who5(date(2026, 2, 15))
    assert february["n"] == [5]
    assert february["mean"] == [43.2]
    assert february["sd"] == [round(stats.tstd([40, 20, 52, 4, 100]), 2)]
    assert february["as_of"] == "2026-02-15"
    assert who5(date(2026, 1, 31))["n"] == [0]  # nothing submitted yet


def test_as_of_refuses_the_future_and_a_day_before_the_period(dated) -> None:
    with pytest.raises(ReportError) as refused:
        dated.table("waves", filters=Filters(as_of=date(2026, 12, 2)))
    assert refused.value.code == "as_of_future"
    assert dated.table("waves", filters=Filters(as_of=date(2026, 12, 1)))["as_of"] == TODAY
    with pytest.raises(ReportError) as refused:
        Filters(as_of=date(2026, 1, 1), enrolled_from=date(2026, 2, 1))
    assert refused.value.code == "as_of_before_period"


# --- outcomes as the programme counts them --------------------------------------------------------


def test_outcomes_count_staff_forms_and_end_reasons(dated) -> None:
    out = dated.table("outcomes")
    # n: every citizen with a baseline, e1..e5, w1, w2 = 7.
    # employment: e1 (staff p3), e5 (staff p2) from the staff form only; w1 from the end reason
    # only; e3 both (staff p2 and ended with employment) = 4.
    # education: w2 (staff p2) staff only; e2 (ended with education) end only = 2.
    # internship: e1. education or internship: e1, e2, w2 = 3.
    assert (out["n"], out["employment"], out["education"], out["internship"]) == (7, 4, 2, 1)
    assert out["education_or_internship"] == 3
    assert out["sources"] == {
        "employment": {"staff_form": 2, "end_reason": 1, "both": 1},
        "education": {"staff_form": 1, "end_reason": 1, "both": 0},
    }
    assert out["rates"] == {
        "employment": 0.5714,  # 4 / 7
        "education": 0.2857,  # 2 / 7
        "internship": 0.1429,  # 1 / 7
        "education_or_internship": 0.4286,  # 3 / 7
    }
    # Øst aims at 25 % in employment, Vest keeps 20 %: they differ, so the programme's
    assert out["targets"] == {"employment": 0.20, "education": 0.15}
    assert out["targets_from"] == "programme"
    assert out["met"] == {"employment": True, "education": True}


def test_by_employment_counts_as_the_outcomes_table_does(dated) -> None:
    by = dated.table("by", item="health.mental", by="employment")
    # citizens with health.mental at point 1: e1 (4), e2 (5), e3 (4), e4 (2), e5 (3), w1 (5),
    # w2 (4). Employed as the outcomes table counts: e1, e5 (staff form), w1 (end reason alone,
    # no staff form says so), e3 (both). Not: e2, e4, w2.
    # codes 1..5 in order: 2 -> e4 no; 3 -> e5 yes; 4 -> e1 yes, e3 yes, w2 no; 5 -> e2 no, w1 yes
    assert by["counts"] == [[0, 0], [1, 0], [0, 1], [1, 2], [1, 1]]
    assert by["column_totals"] == [3, 4]
    assert by["n"] == 7


def test_outcomes_as_of(dated) -> None:
    out = dated.table("outcomes", filters=as_of())
    # n: e1..e4, w1, w2 = 6. employment: e3 both (staff p2 in March, ended 05-01); w1 ended on
    # A (end reason only); e1's staff form came in July = 2. education: w2's staff form at 23:30
    # on A counts; e2 ended after A = 1. internship: e1 (p1). either: e1, w2 = 2.
    assert (out["n"], out["employment"], out["education"], out["internship"]) == (6, 2, 1, 1)
    assert out["education_or_internship"] == 2
    assert out["sources"] == {
        "employment": {"staff_form": 0, "end_reason": 1, "both": 1},
        "education": {"staff_form": 1, "end_reason": 0, "both": 0},
    }
    assert out["rates"]["employment"] == 0.3333  # 2 / 6
    assert out["as_of"] == "2026-06-30"


def test_outcomes_take_the_teams_targets_when_they_agree(dated) -> None:
    ost = Filters(team_ids={dated.teams["Øst"]})
    out = dated.table("outcomes", filters=ost)
    # Øst: n e1..e5 = 5; employment e1, e5 (staff), e3 (both) = 3 → 0.6; education e2 (end)
    # = 1 → 0.2
    assert (out["n"], out["employment"], out["education"]) == (5, 3, 1)
    assert out["sources"]["education"] == {"staff_form": 0, "end_reason": 1, "both": 0}
    assert out["targets"] == {"employment": 0.25, "education": 0.15}
    assert out["targets_from"] == "team"
    assert out["met"] == {"employment": True, "education": True}
    vest = dated.table("outcomes", filters=Filters(team_ids={dated.teams["Vest"]}))
    assert (vest["targets"], vest["targets_from"]) == (
        {"employment": 0.2, "education": 0.15},
        "programme",
    )
    with dated.session() as session:
        team = session.get(Team, dated.teams["Vest"])
        team.target_employment, team.target_education = 0.25, 0.15
        session.commit()
    # now every team aims at 25 % and 15 % (Øst's education target is the programme's 15 %)
    both = dated.table("outcomes")
    assert (both["targets"], both["targets_from"]) == (
        {"employment": 0.25, "education": 0.15},
        "team",
    )
    mine = dated.table("outcomes", targets={"education": 0.5})
    assert (mine["targets"], mine["targets_from"]) == (
        {"employment": 0.2, "education": 0.5},
        "request",
    )
    assert mine["met"]["education"] is False  # 2 / 7 < 0.5


def test_the_database_refuses_a_target_outside_0_to_1(dated) -> None:
    with dated.session() as session:
        team = session.get(Team, dated.teams["Øst"])
        team.target_education = 1.5
        with pytest.raises(IntegrityError):
            session.commit()


# --- attrition -----------------------------------------------------------------------------------


def test_attrition_at_point_3_today(dated) -> None:
    table = dated.table("attrition", points=(3,), items=("health.mental", "use.alcohol"))
    # due by 2026-12-01: e1, e2, e3, e4, w1, w2 (e5 not before 2027-01-10; e6, e7, w3 have no
    # baseline). A form at point 3: e1, e4, w2 (citizen), w1 (staff); none: e2, e3.
    assert (table["point"], table["due"], table["with"], table["without"]) == (3, 6, 4, 2)
    assert table["due_by"] == TODAY
    assert table["as_of"] is None
    mental, alcohol = table["items"]
    assert mental["item"] == "health.mental"
    assert [row["code"] for row in mental["rows"]] == [1, 2, 3, 4, 5]
    # with: e4 2, e1 4, w2 4, w1 5; without: e3 4, e2 5
    assert mental["counts"] == [[0, 0], [1, 0], [0, 0], [2, 1], [1, 1]]
    assert mental["n"] == [4, 2]
    assert mental["percents"] == [
        [0.0, 0.0],
        [25.0, 0.0],
        [0.0, 0.0],
        [50.0, 50.0],
        [25.0, 50.0],
    ]
    expected = stats.chi2_contingency([[1, 0], [2, 1], [1, 1]])
    assert mental["test"] == "chi2"
    assert mental["p_value"] == pytest.approx(expected.pvalue)
    assert mental["statistic"] == pytest.approx(expected.statistic)
    assert mental["dof"] == expected.dof == 2
    # alcohol with: w1 1, e1 2, w2 2, e4 5; without: e3 5, e2 9 ("Vil ikke svare", special)
    assert [row["code"] for row in alcohol["rows"]] == [1, 2, 3, 4, 5, 9]
    assert alcohol["rows"][-1]["special"] is True
    assert alcohol["counts"] == [[1, 0], [2, 0], [0, 0], [0, 0], [1, 1], [0, 1]]
    assert alcohol["percents"][-1] == [0.0, 50.0]
    # the special row is an answer in the percents but not in the test
    expected = stats.chi2_contingency([[1, 0], [2, 0], [1, 1]])
    assert alcohol["p_value"] == pytest.approx(expected.pvalue)
    assert alcohol["warning"]  # every expected count is below 5


def test_attrition_as_of_uses_each_teams_interval(dated) -> None:
    table = dated.table("attrition", item="health.mental", filters=as_of())
    # point 3 (the default) due by A: e3 (05-30), w1 (05-31), w2 (06-28: Vest measures every
    # 2 months; at 3 months it would be 08-28). With a form by A: w1 (staff 05-31); w2's came
    # at 00:30 on 1 July.
    assert (table["point"], table["due"], table["with"], table["without"]) == (3, 3, 1, 2)
    assert table["due_by"] == table["as_of"] == "2026-06-30"
    (mental,) = table["items"]
    # with: w1 5; without: e3 4, w2 4
    assert mental["counts"] == [[0, 0], [0, 0], [0, 0], [0, 2], [1, 0]]
    expected = stats.fisher_exact([[0, 2], [1, 0]])
    assert mental["test"] == "fisher"
    assert mental["p_value"] == pytest.approx(expected.pvalue)
    assert mental["statistic"] is None


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"points": (1,), "item": "health.mental"}, "attrition_baseline"),
        ({"points": (2, 3), "item": "health.mental"}, "one_point"),
        ({}, "needs_item"),
        ({"items": ("health.mental", "health.mental")}, "repeated_item"),
        ({"item": "no.such"}, "unknown_item"),
        ({"item": "staff.diagnosis_kinds"}, "several_answers"),
        ({"item": "staff.employment_hours"}, "not_tabulable"),
    ],
)
def test_attrition_refuses_bad_input_with_a_code(sqlite_dated, options, code) -> None:
    with pytest.raises(ReportError) as refused:
        sqlite_dated.table("attrition", **options)
    assert refused.value.code == code


def test_several_items_only_for_attrition(sqlite_dated) -> None:
    with pytest.raises(ReportError) as refused:
        sqlite_dated.table("distribution", items=("health.mental", "use.alcohol"))
    assert refused.value.code == "one_item"


@pytest.fixture
def sqlite_dated(make_app) -> Cohort:
    cohort = Cohort(make_app(None, FIXED_TODAY=TODAY))
    with cohort.session() as session:
        cohort.teams = build_cohort(session)
    return cohort


@pytest.mark.parametrize("interval", [1, 2, 3, 6, 12])
def test_last_enrolment_due_by_is_the_schedules_rule(interval: int) -> None:
    """Checked day by day against schedule.due_date over two years, month ends included."""
    for offset in range(731):
        day = date(2026, 1, 1) + timedelta(days=offset)
        for point in (2, 3, 5):
            latest = last_enrolment_due_by(day, point, interval)
            assert due_date(latest, point, interval) <= day
            assert due_date(latest + timedelta(days=1), point, interval) > day
    # 31 January + 1 month is 28 February, so on 28 February the 29th-31st are due too
    assert last_enrolment_due_by(date(2026, 2, 28), 2, 1) == date(2026, 1, 31)


# --- the command -------------------------------------------------------------------------------


def command(cohort: Cohort, *args: str):
    return cohort.app.test_cli_runner().invoke(report, list(args))


def test_the_command_takes_as_of_and_several_attrition_items(sqlite_dated) -> None:
    result = command(sqlite_dated, "waves", "--as-of", "2026-06-30", "--format", "json")
    assert result.exit_code == 0, result.output
    waves = json.loads(result.stdout)
    assert waves["as_of"] == "2026-06-30"
    assert (waves["enrolled"], waves["without_baseline"]) == (8, 2)
    result = command(
        sqlite_dated,
        "attrition",
        "--points",
        "3",
        "--item",
        "health.mental",
        "--item",
        "use.alcohol",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    attrition = json.loads(result.stdout)
    assert (attrition["due"], attrition["with"], attrition["without"]) == (6, 4, 2)
    assert [item["item"] for item in attrition["items"]] == ["health.mental", "use.alcohol"]
    text = command(sqlite_dated, "outcomes", "--as-of", "2026-06-30", "--format", "text")
    assert text.exit_code == 0, text.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["attrition", "--points", "1", "--item", "health.mental"], "give --points 2 or later"),
        (["attrition"], "give --item CODE"),
        (["attrition", "--item", "use.alcohol", "--item", "use.alcohol"], "given twice"),
        (["distribution", "--item", "health.mental", "--item", "use.alcohol"], "one --item"),
        (["waves", "--as-of", "2026-12-02"], "is in the future"),
        (["waves", "--as-of", "2026-01-01", "--from", "2026-02-01"], "before the enrolment"),
        (["waves", "--as-of", "2026-13-01"], "--as-of"),
    ],
)
def test_the_command_refuses_with_exit_2(sqlite_dated, args: list[str], message: str) -> None:
    if "--format" not in args:
        args = [*args, "--format", "json"]
    result = command(sqlite_dated, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_the_page_shows_attrition_with_its_counts_protected(demo_app) -> None:
    client = demo_app.test_client()
    login(client, "leder.nord")
    response = client.get("/reports?table=attrition&item=health.mental&points=3")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Borgere med opstartsmåling, som skulle have haft målepunkt 3 (n)" in page
    assert "Med skema (%)" in page
    csv_text = client.get("/reports/table.csv?table=attrition&item=health.mental&points=3").text
    assert "Hvordan synes du, dit psykiske helbred er alt i alt?" in csv_text
