"""The statistics stated in full, `by` any grouping, numeric descriptives, pairing by form and
the paired test of a distribution, on a small cohort of their own built below, on SQLite and
PostgreSQL. Every count is worked out by hand from the rows; statistics and p-values are checked
against scipy and statsmodels called directly on the hand-made tables.

Teams Øst and Vest (and Nord, with nobody); consultants Carla Holm and Dan Berg; d7 has none.

      team consultant gender age mental 1→3  mode 1 / 3       bip 1→3  employment 1→3, hours
  d1  Øst  Carla      K      22  4 → 2       self / self      1 → 2    Nej → Ja, 10 (Ja, 8 at 2)
  d2  Øst  Carla      M      35  5 → 5       assisted / self  2        Nej → Nej
  d3  Øst  Dan        K      41  4 → 3       self / assisted  9 → 9    Nej → Ja, 20
  d4  Vest Dan        M      28  3 → 3       self / self      3 → 3    Ja → Ja, 37
  d5  Vest Carla      K      60  5 → 4       assisted / same  9 → 1    Nej → Nej
  d6  Vest Dan        M      19  2 → (none)  self / self      4        Nej → Ja, 15
  d7  Øst  -          K      33  5           self / -         5        Nej (no staff form at 3)
  d8  Vest Carla      M      16  4 → 2       assisted / self  1        Nej → Ja, 12

K = Kvinde (1), M = Mand (2); d6's citizen form at 3 leaves health.mental unanswered; "9" is
bip's special "Ved ikke". WHO-5 (raw sum × 4): d1 40 → 60, d2 20 → (incomplete), d3 80 → 76,
d4 52 → 60; nobody else has one.
"""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pytest
from scipy import stats
from sqlmodel import Session
from statsmodels.stats.contingency_tables import SquareTable, mcnemar

from survey.db import get_engine
from survey.instruments.schema import AnswerOption, Item, ItemType, ScoreRule, Text
from survey.models import Citizen, Team, User
from survey.reports import builders
from survey.reports.cli import report
from survey.reports.filters import Filters, ReportError
from survey.reports.services import ReportRequest, build
from tests.reports.conftest import add_response, who5

ROWS = {
    # ref: (team, consultant, gender, age, {point: citizen answers}, {point: citizen mode},
    #       {point: staff answers beyond gender and age})
    "d1": (
        "Øst",
        "carla",
        1,
        22,
        {
            1: {"health.mental": 4, "bip_c.1": 1, **who5(2, 2, 2, 2, 2)},
            3: {"health.mental": 2, "bip_c.1": 2, **who5(3, 3, 3, 3, 3)},
        },
        {1: "self", 3: "self"},
        {
            1: {"staff.employment": 2},
            2: {"staff.employment": 1, "staff.employment_hours": 8},
            3: {"staff.employment": 1, "staff.employment_hours": 10},
        },
    ),
    "d2": (
        "Øst",
        "carla",
        2,
        35,
        {
            1: {"health.mental": 5, "bip_c.1": 2, **who5(1, 1, 1, 1, 1)},
            3: {"health.mental": 5, "who5.1": 1, "who5.2": 1, "who5.3": 1, "who5.4": 1},
        },
        {1: "assisted", 3: "self"},
        {1: {"staff.employment": 2}, 3: {"staff.employment": 2}},
    ),
    "d3": (
        "Øst",
        "dan",
        1,
        41,
        {
            1: {"health.mental": 4, "bip_c.1": 9, **who5(4, 4, 4, 4, 4)},
            3: {"health.mental": 3, "bip_c.1": 9, **who5(4, 4, 4, 4, 3)},
        },
        {1: "self", 3: "assisted"},
        {
            1: {"staff.employment": 2},
            3: {"staff.employment": 1, "staff.employment_hours": 20},
        },
    ),
    "d4": (
        "Vest",
        "dan",
        2,
        28,
        {
            1: {"health.mental": 3, "bip_c.1": 3, **who5(3, 3, 3, 2, 2)},
            3: {"health.mental": 3, "bip_c.1": 3, **who5(3, 3, 3, 3, 3)},
        },
        {1: "self", 3: "self"},
        {
            1: {"staff.employment": 1},
            3: {"staff.employment": 1, "staff.employment_hours": 37},
        },
    ),
    "d5": (
        "Vest",
        "carla",
        1,
        60,
        {1: {"health.mental": 5, "bip_c.1": 9}, 3: {"health.mental": 4, "bip_c.1": 1}},
        {1: "assisted", 3: "assisted"},
        {1: {"staff.employment": 2}, 3: {"staff.employment": 2}},
    ),
    "d6": (
        "Vest",
        "dan",
        2,
        19,
        {1: {"health.mental": 2, "bip_c.1": 4}, 3: {"health.physical": 3}},
        {1: "self", 3: "self"},
        {
            1: {"staff.employment": 2},
            3: {"staff.employment": 1, "staff.employment_hours": 15},
        },
    ),
    "d7": (
        "Øst",
        None,
        1,
        33,
        {1: {"health.mental": 5, "bip_c.1": 5}},
        {1: "self"},
        {1: {"staff.employment": 2}},
    ),
    "d8": (
        "Vest",
        "carla",
        2,
        16,
        {1: {"health.mental": 4, "bip_c.1": 1}, 3: {"health.mental": 2}},
        {1: "assisted", 3: "self"},
        {
            1: {"staff.employment": 2},
            3: {"staff.employment": 1, "staff.employment_hours": 12},
        },
    ),
}


class StatsCohort:
    def __init__(self, app, teams: dict[str, int], users: dict[str, int]) -> None:
        self.app, self.teams, self.users = app, teams, users

    def table(self, name: str, **options) -> dict:
        with Session(get_engine(self.app)) as session:
            registry = self.app.extensions["survey.instruments"]
            return build(session, registry, ReportRequest(name, **options)).to_dict()


@pytest.fixture
def stats_cohort(make_app, database_url: str) -> StatsCohort:
    app = make_app(database_url)
    with Session(get_engine(app), expire_on_commit=False) as session:
        teams = {name: Team(name=name) for name in ("Øst", "Vest", "Nord")}
        users = {
            "carla": User(username="carla", full_name="Carla Holm", password_hash="!"),
            "dan": User(username="dan", full_name="Dan Berg", password_hash="!"),
        }
        session.add_all([*teams.values(), *users.values()])
        session.flush()
        for ref, (team, consultant, gender, age, citizen, modes, staff) in ROWS.items():
            person = Citizen(
                reference=ref,
                team_id=teams[team].id,
                consultant_id=users[consultant].id if consultant else None,
                enrolled_on=date(2026, 1, 10),
            )
            session.add(person)
            session.flush()
            for point, answers in citizen.items():
                add_response(session, person, point, "citizen", answers, mode=modes[point])
            for point, answers in staff.items():
                extra = {"person.gender": gender, "person.age": age} if point == 1 else {}
                add_response(session, person, point, "staff", {**extra, **answers})
        session.commit()
        return StatsCohort(
            app,
            {name: t.id for name, t in teams.items() if t.id is not None},
            {name: u.id for name, u in users.items() if u.id is not None},
        )


def counts_by_code(table: dict) -> dict:
    return {
        code: row
        for code, row in zip(table["rows"]["codes"], table["counts"], strict=True)
        if any(row)
    }


# --- 1. statistics stated in full --------------------------------------------------------------


def test_by_mode_states_cramers_v_n_tested_and_warning_codes(stats_cohort) -> None:
    by = stats_cohort.table("by", item="health.mental", by="mode")
    assert by["by"] == "mode"
    assert by["columns"]["codes"] == ["self", "assisted"]
    # point 1, self: d1 4, d3 4, d4 3, d6 2, d7 5; assisted: d2 5, d5 5, d8 4
    assert by["counts"] == [[0, 0], [1, 0], [1, 0], [2, 1], [1, 2]]
    assert by["column_totals"] == [5, 3]
    assert by["percents"][4] == [20.0, 66.7]  # column percents: 1 of 5, 2 of 3
    tested = [[1, 0], [1, 0], [2, 1], [1, 2]]  # the all-zero row "Fremragende" dropped
    # expected = row total × column total / 8: 0.625, 0.375 (rows 2, 3), 1.875, 1.125 (rows
    # 4, 5): all 8 below 5. chi2 = 0.225 + 0.375 (twice) + 0.00833 + 0.01389 + 0.40833 +
    # 0.68056 = 2.3111 on 3 dof; V = sqrt(2.3111 / (8 × 1)) = 0.5375
    expected = stats.chi2_contingency(tested)
    assert by["test"] == "chi2"
    assert by["statistic"] == pytest.approx(2.311111, abs=1e-6) == expected.statistic
    assert by["dof"] == 3
    assert by["p_value"] == pytest.approx(expected.pvalue)
    assert by["effect_size"] == {"name": "cramers_v", "value": pytest.approx(0.537484, abs=1e-6)}
    assert by["effect_size"]["value"] == pytest.approx(math.sqrt(expected.statistic / 8))
    assert by["n_tested"] == 8
    assert by["excluded_special"] is False
    assert by["warnings"] == [{"code": "low_expected", "low": 8, "cells": 8}]
    assert by["warning"] == "8 of 8 expected counts are below 5; the test may be unreliable"


def test_by_fisher_states_phi_as_cramers_v(stats_cohort) -> None:
    by = stats_cohort.table("by", item="staff.employment", by="gender", points=(3,))
    # gender from the baseline (point 1); employment at 3: Ja K d1 d3, M d4 d6 d8; Nej K d5, M d2
    assert by["columns"]["item"] == "person.gender"
    assert by["columns"]["codes"] == [1, 2, 3]
    assert by["counts"] == [[2, 3, 0], [1, 1, 0]]
    assert by["test"] == "fisher"
    assert by["statistic"] is None
    assert by["p_value"] == pytest.approx(stats.fisher_exact([[2, 3], [1, 1]]).pvalue)
    # phi = |ad − bc| / sqrt(r1 r2 c1 c2) = |2 − 3| / sqrt(5 × 2 × 3 × 4) = 1 / sqrt(120)
    assert by["effect_size"]["value"] == pytest.approx(1 / math.sqrt(120))
    chi2 = stats.chi2_contingency([[2, 3], [1, 1]], correction=False).statistic
    assert by["effect_size"]["value"] == pytest.approx(math.sqrt(chi2 / 7))
    assert by["n_tested"] == 7
    assert by["warnings"] == [{"code": "low_expected", "low": 4, "cells": 4}]


def test_by_leaves_special_answers_of_the_rows_out_of_the_test(stats_cohort) -> None:
    by = stats_cohort.table("by", item="bip_c.1", by="gender")
    # bip at 1: K d1 1, d3 9, d5 9, d7 5; M d2 2, d4 3, d6 4, d8 1
    assert by["rows"]["codes"] == [1, 2, 3, 4, 5, 9]
    assert by["counts"] == [[1, 1, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0], [1, 0, 0], [2, 0, 0]]
    assert by["n"] == 8
    tested = [[1, 1], [0, 1], [0, 1], [0, 1], [1, 0]]  # "Ved ikke" and empty "Andet" left out
    expected = stats.chi2_contingency(tested)
    assert by["p_value"] == pytest.approx(expected.pvalue)
    assert by["n_tested"] == 6
    assert by["excluded_special"] is True


def test_by_an_item_leaves_special_answers_of_the_columns_out_of_the_test(stats_cohort) -> None:
    by = stats_cohort.table("by", item="health.mental", by="bip_c.1")
    # the same point (1): (mental, bip) d1 (4,1) d2 (5,2) d3 (4,9) d4 (3,3) d5 (5,9) d6 (2,4)
    # d7 (5,5) d8 (4,1)
    assert by["by"] == "bip_c.1"
    assert by["columns"]["codes"] == [1, 2, 3, 4, 5, 9]
    assert counts_by_code(by) == {
        2: [0, 0, 0, 1, 0, 0],
        3: [0, 0, 1, 0, 0, 0],
        4: [2, 0, 0, 0, 0, 1],
        5: [0, 1, 0, 0, 1, 1],
    }
    assert [row[-1] for row in by["percents"]] == [0.0, 0.0, 0.0, 50.0, 50.0]  # column "9": 2
    tested = [[0, 0, 0, 1, 0], [0, 0, 1, 0, 0], [2, 0, 0, 0, 0], [0, 1, 0, 0, 1]]
    assert by["p_value"] == pytest.approx(stats.chi2_contingency(tested).pvalue)
    assert by["n_tested"] == 6  # d3 and d5 answered "Ved ikke"
    assert by["excluded_special"] is True
    assert by["warnings"][0]["code"] == "low_expected"


def test_independence_test_without_categories_gives_a_code() -> None:
    result = builders.independence_test([[3, 0], [4, 0]])
    assert result.warnings == [{"code": "no_test_categories"}]
    assert (result.effect_size, result.n_tested) == (None, 7)


# --- 2. by any grouping ------------------------------------------------------------------------


def test_by_age_uses_the_report_groups_from_the_baseline(stats_cohort) -> None:
    by = stats_cohort.table("by", item="health.mental", by="age", points=(3,))
    # age asked at the start only, mental at 3: d1 22 → 2, d2 35 → 5, d3 41 → 3, d4 28 → 3,
    # d5 60 → 4, d8 16 (outside the groups) → 2; d6 left it out, d7 has no form at 3
    assert by["by"] == "age"
    assert by["columns"]["item"] == "person.age"
    assert by["columns"]["codes"] == ["18-24", "25-29", "30-39", "40-49", "50-59", "60+", "other"]
    assert counts_by_code(by) == {
        2: [1, 0, 0, 0, 0, 0, 1],
        3: [0, 1, 0, 1, 0, 0, 0],
        4: [0, 0, 0, 0, 0, 1, 0],
        5: [0, 0, 1, 0, 0, 0, 0],
    }
    assert by["column_totals"] == [1, 1, 1, 1, 0, 1, 1]


def test_by_team_and_consultant(stats_cohort) -> None:
    by = stats_cohort.table("by", item="health.mental", by="team")
    # by name (Vest before Øst); Vest: d4 3, d5 5, d6 2, d8 4; Øst: d1 4, d2 5, d3 4, d7 5
    assert by["columns"]["item"] == "team"
    assert by["columns"]["labels"] == ["Vest", "Øst"]
    assert by["columns"]["codes"] == [stats_cohort.teams["Vest"], stats_cohort.teams["Øst"]]
    assert counts_by_code(by) == {2: [1, 0], 3: [1, 0], 4: [1, 2], 5: [1, 2]}
    assert by["p_value"] == pytest.approx(
        stats.chi2_contingency([[1, 0], [1, 0], [1, 2], [1, 2]]).pvalue
    )
    # a team of the filter is a column even with nobody in it
    chosen = Filters(team_ids={stats_cohort.teams["Øst"], stats_cohort.teams["Nord"]})
    mine = stats_cohort.table("by", item="health.mental", by="team", filters=chosen)
    assert mine["columns"]["labels"] == ["Nord", "Øst"]
    assert counts_by_code(mine) == {4: [0, 2], 5: [0, 2]}
    assert mine["test"] is None
    assert mine["warnings"] == [{"code": "no_test_categories"}]

    by = stats_cohort.table("by", item="health.mental", by="consultant", lang="en")
    # Carla Holm: d1 4, d2 5, d5 5, d8 4; Dan Berg: d3 4, d4 3, d6 2; none: d7 5
    assert by["columns"]["labels"] == ["Carla Holm", "Dan Berg", "No responsible consultant"]
    assert by["columns"]["codes"][-1] == "none"
    assert counts_by_code(by) == {2: [0, 1, 0], 3: [0, 1, 0], 4: [2, 1, 0], 5: [2, 0, 1]}


def test_by_mode_of_a_staff_item_reads_the_citizen_form_of_that_point(stats_cohort) -> None:
    by = stats_cohort.table("by", item="staff.employment", by="mode", points=(3,))
    # employment at 3 against the citizen form at 3: self d1 Ja, d2 Nej, d4 Ja, d6 Ja, d8 Ja;
    # assisted d3 Ja, d5 Nej
    assert by["counts"] == [[4, 1], [1, 1]]
    assert by["test"] == "fisher"


def test_bad_by_lists_every_grouping(stats_cohort) -> None:
    with pytest.raises(ReportError) as refused:
        stats_cohort.table("by", item="health.mental", by="weather")
    assert refused.value.code == "bad_by"
    assert "mode, team, consultant, gender, age" in str(refused.value)
    with pytest.raises(ReportError) as refused:
        stats_cohort.table("by", item="health.mental", by="staff.diagnosis_kinds")
    assert refused.value.code == "several_answers"


# --- 3. numeric descriptives -------------------------------------------------------------------


def test_numeric_descriptives_per_point(stats_cohort) -> None:
    hours = stats_cohort.table("numeric", item="staff.employment_hours", points=(1, 2, 3))
    # point 1: nobody; point 2: d1 8; point 3: d1 10, d3 20, d4 37, d6 15, d8 12
    # mean 94 / 5 = 18.8; squares of the deviations 77.44 + 46.24 + 14.44 + 1.44 + 331.24 =
    # 470.8, / 4 = 117.7, SD 10.85; median 15
    assert hours["table"] == "numeric"
    assert hours["unit"] == "timer"
    assert hours["paired"] is False
    assert hours["n"] == [0, 1, 5]
    assert hours["mean"] == [None, 8.0, 18.8]
    assert hours["sd"] == [None, None, 10.85]
    assert hours["median"] == [None, 8.0, 15.0]
    assert hours["min"] == [None, 8, 10]
    assert hours["max"] == [None, 8, 37]
    age = stats_cohort.table("numeric", item="person.age")
    # 16 19 22 28 33 35 41 60: mean 254 / 8 = 31.75, median (28 + 33) / 2 = 30.5; squares of
    # the deviations add up to 1415.5, / 7 = 202.21, SD 14.22
    assert (age["n"], age["mean"], age["median"], age["sd"]) == ([8], [31.75], [30.5], [14.22])
    assert (age["min"], age["max"]) == ([16], [60])


def test_numeric_paired_by_form_and_by_item(stats_cohort) -> None:
    form = stats_cohort.table("numeric", item="staff.employment_hours", points=(2, 3), paired=True)
    # only d1 has a staff form at 2 and 3
    assert (form["paired"], form["paired_n"], form["n"]) == ("form", 1, [1, 1])
    assert form["mean"] == [8.0, 10.0]


def test_numeric_refuses_an_item_that_is_not_a_whole_number(stats_cohort) -> None:
    with pytest.raises(ReportError) as refused:
        stats_cohort.table("numeric", item="health.mental")
    assert (refused.value.code, refused.value.params) == ("not_numeric", {"code": "health.mental"})
    with stats_cohort.app.test_request_context(headers={"Accept-Language": "da"}):
        assert "besvares ikke med et helt tal" in refused.value.message()


# --- 4. paired by form -------------------------------------------------------------------------


def mental_rows(table: dict) -> dict:
    return {r["code"]: r["counts"] for r in table["rows"] if any(r["counts"])}


def test_distribution_paired_by_form_keeps_one_group(stats_cohort) -> None:
    form = stats_cohort.table("distribution", item="health.mental", points=(1, 3), paired=True)
    # a citizen form at 1 and 3: everyone but d7 (7); d6 left mental out at 3
    assert form["paired"] == "form"
    assert form["paired_n"] == 7
    assert form["n"] == [7, 6]
    # 1: d1 4 d2 5 d3 4 d4 3 d5 5 d6 2 d8 4; 3: d1 2 d2 5 d3 3 d4 3 d5 4 d8 2
    assert mental_rows(form) == {2: [1, 2], 3: [1, 2], 4: [3, 1], 5: [2, 1]}
    # the same group for every item of the citizen form
    bip = stats_cohort.table("distribution", item="bip_c.1", points=(1, 3), paired="form")
    assert (bip["paired_n"], bip["n"]) == (7, [7, 4])

    item = stats_cohort.table("distribution", item="health.mental", points=(1, 3), paired="item")
    assert (item["paired"], item["paired_n"], item["n"]) == ("item", 6, [6, 6])
    assert mental_rows(item) == {2: [0, 2], 3: [1, 2], 4: [3, 1], 5: [2, 1]}
    bip = stats_cohort.table("distribution", item="bip_c.1", points=(1, 3), paired="item")
    assert (bip["paired_n"], bip["n"]) == (4, [4, 4])  # d1, d3, d4, d5

    unpaired = stats_cohort.table("distribution", item="health.mental", points=(1, 3))
    assert (unpaired["paired"], unpaired["paired_n"]) == (False, None)
    assert "test" not in unpaired


def test_a_staff_item_pairs_on_the_staff_form(stats_cohort) -> None:
    dist = stats_cohort.table("distribution", item="staff.employment", points=(1, 3), paired=True)
    # a staff form at 1 and 3: everyone but d7
    assert (dist["paired_n"], dist["n"]) == (7, [7, 7])


def test_who5_paired_by_form_and_by_item(stats_cohort) -> None:
    form = stats_cohort.table("who5", points=(1, 3), paired=True)
    # the group: everyone but d7; scores at 1: d1 40, d2 20, d3 80, d4 52; at 3: d1 60,
    # d3 76, d4 60 (d2's is incomplete)
    assert (form["paired"], form["paired_n"], form["n"]) == ("form", 7, [4, 3])
    assert form["mean"] == [48.0, round(196 / 3, 2)]
    # pairs d1 +20, d3 −4, d4 +8: change 8.0, one rose by 10 or more, none fell by 10
    assert (form["change"], form["improved"], form["worsened"]) == (8.0, 1, 0)
    diffs = [20, -4, 8]
    # ranks of |d|: 4 → 1, 8 → 2, 20 → 3; W+ = 5, W− = 1, W = min = 1; Z = (5 − 3) /
    # sqrt(3 × 4 × 7 / 24) = 1.069; r = Z / sqrt(3) = 0.6172
    assert form["test"] == "wilcoxon"
    assert form["statistic"] == 1.0 == stats.wilcoxon(diffs).statistic
    assert form["p_value"] == pytest.approx(stats.wilcoxon(diffs).pvalue)
    assert form["n_nonzero"] == 3
    assert form["effect_size"]["name"] == "r"
    assert form["effect_size"]["value"] == pytest.approx(2 / math.sqrt(3.5) / math.sqrt(3))
    approx = stats.wilcoxon(diffs, method="approx")
    assert abs(form["effect_size"]["value"]) == pytest.approx(abs(approx.zstatistic) / math.sqrt(3))
    assert form["warnings"] == []

    item = stats_cohort.table("who5", points=(1, 3), paired="item")
    assert (item["paired"], item["paired_n"], item["n"]) == ("item", 3, [3, 3])
    assert item["mean"] == [round(172 / 3, 2), round(196 / 3, 2)]
    assert item["change"] == 8.0


def test_who5_warning_codes() -> None:
    rule = ScoreRule(
        code="who5.score",
        title=Text("WHO-5", "WHO-5"),
        method="sum",
        items=("who5.1",),
        multiply=4,
        bands=(),
        relevant_change=10,
    )
    none = builders.build_who5(rule, [], [], (1, 3), paired="form").to_dict()
    assert none["warnings"] == [{"code": "no_pairs"}]
    assert (none["statistic"], none["effect_size"], none["n_nonzero"]) == (None, None, 0)
    zero = builders.build_who5(rule, [], [(5, 5), (7, 7)], (1, 3), paired="form").to_dict()
    assert zero["warnings"] == [{"code": "all_differences_zero"}]
    assert zero["n_nonzero"] == 0


# --- 5. the paired test of a distribution ------------------------------------------------------


def test_stuart_maxwell_and_bowker_over_two_points(stats_cohort) -> None:
    dist = stats_cohort.table("distribution", item="health.mental", points=(1, 3), paired=True)
    # pairs (1 → 3): d1 4→2, d2 5→5, d3 4→3, d4 3→3, d5 5→4, d8 4→2; "Fremragende" (1) given by
    # nobody is left out: rows point 1, columns point 3, codes 2 3 4 5
    square = np.array([[0, 0, 0, 0], [0, 1, 0, 0], [2, 1, 0, 0], [0, 0, 1, 1]])
    table = SquareTable(square, shift_zeros=False)
    homogeneity, symmetry = table.homogeneity(), table.symmetry()
    test = dist["test"]
    assert test["name"] == "stuart_maxwell"
    assert test["n_pairs"] == 6
    assert test["dof"] == 3
    assert test["statistic"] == pytest.approx(homogeneity.statistic)
    assert test["p_value"] == pytest.approx(homogeneity.pvalue)
    assert test["excluded_special"] is False
    assert test["symmetry"] == {
        "name": "bowker",
        "statistic": pytest.approx(symmetry.statistic),
        "dof": 6,
        "p_value": pytest.approx(symmetry.pvalue),
    }
    # Bowker by hand: pairs (2,4) 0 vs 2 → 2, (3,4) 0 vs 1 → 1, (4,5) 0 vs 1 → 1: 4 on 6 dof
    assert test["symmetry"]["statistic"] == pytest.approx(4.0)
    assert dist["warnings"] == []
    # pairing by item gives the same pairs: the test needs the answer at both points anyway
    assert (
        stats_cohort.table("distribution", item="health.mental", points=(1, 3), paired="item")[
            "test"
        ]
        == test
    )
    # three points: no paired test
    three = stats_cohort.table("distribution", item="health.mental", points=(1, 2, 3), paired=True)
    assert "test" not in three


def test_mcnemar_for_two_categories_exact_when_small(stats_cohort) -> None:
    dist = stats_cohort.table("distribution", item="staff.employment", points=(1, 3), paired=True)
    # (1 → 3): d4 Ja→Ja; d1, d3, d6, d8 Nej→Ja; d2, d5 Nej→Nej; 4 discordant pairs, below 25
    square = [[1, 0], [4, 2]]
    test = dist["test"]
    assert (test["name"], test["exact"], test["n_pairs"]) == ("mcnemar", True, 7)
    # exact: min(0, 4) = 0 of 4 discordant, p = 2 × (1/2)⁴ = 0.125
    assert test["statistic"] == 0.0
    assert test["dof"] is None
    assert test["p_value"] == pytest.approx(0.125) == mcnemar(square, exact=True).pvalue


def test_mcnemar_with_many_discordant_pairs_uses_chi_square() -> None:
    item = _yes_no_item()
    test, warnings = builders.paired_category_test(item, [(1, 1, 3), (1, 2, 20), (2, 1, 10)])
    expected = mcnemar([[3, 20], [10, 0]], exact=False, correction=True)
    assert (test["exact"], test["dof"], warnings) == (False, 1, [])
    # (|20 − 10| − 1)² / 30 = 2.7
    assert test["statistic"] == pytest.approx(2.7) == expected.statistic
    assert test["p_value"] == pytest.approx(expected.pvalue)


def test_paired_test_leaves_special_answers_out(stats_cohort) -> None:
    dist = stats_cohort.table("distribution", item="bip_c.1", points=(1, 3), paired="item")
    # pairs: d1 1→2, d3 9→9 and d5 9→1 (left out: "Ved ikke"), d4 3→3; so codes 1, 2, 3 with
    # (1,2) and (3,3): the covariance of the margins is singular, no Stuart–Maxwell
    test = dist["test"]
    assert (test["n_pairs"], test["excluded_special"]) == (2, True)
    assert (test["name"], test["p_value"]) == ("stuart_maxwell", None)
    assert dist["warnings"] == [{"code": "singular_table"}]
    bowker = SquareTable(np.array([[0, 1, 0], [0, 0, 0], [0, 0, 1]]), shift_zeros=False).symmetry()
    assert test["symmetry"]["p_value"] == pytest.approx(bowker.pvalue)


def test_paired_test_without_discordant_pairs_or_pairs() -> None:
    item = _yes_no_item()
    same, warnings = builders.paired_category_test(item, [(1, 1, 3), (2, 2, 2)])
    assert (same["name"], same["n_pairs"], warnings) == (None, 5, [{"code": "no_discordant_pairs"}])
    nobody, warnings = builders.paired_category_test(item, [])
    assert (nobody["n_pairs"], warnings) == (0, [{"code": "no_pairs"}])
    _, warnings = builders.paired_category_test(item, [(1, 1, 4)])
    assert warnings == [{"code": "no_test_categories"}]


def _yes_no_item() -> Item:
    return Item(
        code="x.yes",
        type=ItemType.SINGLE_CHOICE,
        text=Text("Ja?", "Yes?"),
        answers=(AnswerOption(1, Text("Ja", "Yes")), AnswerOption(2, Text("Nej", "No"))),
    )


# --- the command -------------------------------------------------------------------------------


def run(cohort: StatsCohort, *args: str):
    return cohort.app.test_cli_runner().invoke(report, list(args))


def test_the_command_pairs_by_form_or_item_and_gives_numeric_as_json(stats_cohort) -> None:
    def dist(*paired: str) -> dict:
        result = run(
            stats_cohort,
            "distribution",
            "--item",
            "health.mental",
            "--points",
            "1,3",
            *paired,
            "--format",
            "json",
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert (dist("--paired")["paired"], dist("--paired")["n"]) == ("form", [7, 6])
    assert (dist("--paired", "form")["paired"], dist("--paired", "form")["n"]) == ("form", [7, 6])
    assert (dist("--paired", "item")["paired"], dist("--paired", "item")["n"]) == ("item", [6, 6])
    assert dist()["paired"] is False
    bad = run(stats_cohort, "distribution", "--item", "health.mental", "--paired", "both")
    assert bad.exit_code == 2

    result = run(stats_cohort, "numeric", "--item", "person.age", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["median"] == [30.5]
    text = run(stats_cohort, "numeric", "--item", "person.age", "--format", "text", "--lang", "en")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert next(line for line in lines if line.startswith("Median")).split() == ["Median", "30.5"]
    refused = run(stats_cohort, "numeric", "--item", "health.mental", "--format", "json")
    assert refused.exit_code == 2
    assert "whole-number" in refused.stderr

    result = run(stats_cohort, "by", "--item", "health.mental", "--by", "team", "--format", "json")
    assert json.loads(result.stdout)["columns"]["labels"] == ["Vest", "Øst"]
