"""Every figure of every table on the hand-made cohort (tests/reports/conftest.py), on SQLite
and PostgreSQL. Expected values are worked out by hand from the cohort's rows."""

from __future__ import annotations

import statistics
from datetime import date

import pytest
from scipy import stats

from survey.reports.filters import Filters
from survey.reports.services import ReportRequest, build


def table(cohort, name: str, **options) -> dict:
    with cohort.session() as session:
        return build(session, cohort.registry, ReportRequest(name, **options)).to_dict()


def nord(cohort, **fields) -> Filters:
    return Filters(team_ids={cohort.teams["Nord"]}, **fields)


# --- waves -------------------------------------------------------------------------------------


def test_waves_counts_submitted_forms_per_point(cohort) -> None:
    waves = table(cohort, "waves")
    assert waves["points"] == [1, 2, 3]
    assert waves["forms"] == {"citizen": [6, 2, 4], "staff": [5, 0, 1]}
    assert waves["labels"] == {"citizen": "Borgerskema", "staff": "Medarbejderskema"}


def test_waves_filters(cohort) -> None:
    assert table(cohort, "waves", filters=nord(cohort))["forms"] == {
        "citizen": [5, 2, 4],
        "staff": [4, 0, 1],
    }
    # mode keeps self-filled citizen forms; staff forms are never removed by it
    self_only = table(cohort, "waves", filters=Filters(mode="self"))
    assert self_only["forms"] == {"citizen": [4, 2, 3], "staff": [5, 0, 1]}
    assert table(cohort, "waves", filters=Filters(mode="assisted"))["forms"] == {
        "citizen": [2, 0, 1],
        "staff": [5, 0, 1],
    }
    later = table(cohort, "waves", filters=Filters(enrolled_from=date(2026, 2, 1)))
    assert later["forms"] == {"citizen": [1, 0, 1], "staff": [0, 0, 0]}
    earlier = Filters(enrolled_from=date(2026, 1, 1), enrolled_to=date(2026, 1, 31))
    assert table(cohort, "waves", filters=earlier)["forms"] == {
        "citizen": [5, 2, 3],
        "staff": [5, 0, 1],
    }
    # form version 1 only: c1 point 2, c2 point 3 and c4 point 1 used version 2
    v1 = table(cohort, "waves", filters=Filters(form_versions={"citizen": {1}}))
    assert v1["forms"] == {"citizen": [5, 1, 3], "staff": [5, 0, 1]}
    bo = table(cohort, "waves", filters=Filters(consultant_ids={cohort.ids["bo"]}))
    assert bo["forms"] == {"citizen": [3, 1, 2], "staff": [2, 0, 0]}
    ended = table(cohort, "waves", filters=Filters(statuses={"ended_planned", "ended_unplanned"}))
    assert ended["forms"] == {"citizen": [2, 1, 1], "staff": [2, 0, 0]}


# --- status ------------------------------------------------------------------------------------


def test_status_counts_citizens_with_a_baseline(cohort) -> None:
    status = table(cohort, "status", filters=nord(cohort))
    # c6 has only a draft: no baseline, not counted
    assert status["n"] == 5
    assert status["counts"] == {"active": 3, "ended_planned": 1, "ended_unplanned": 1}
    assert status["percents"] == {"active": 60.0, "ended_planned": 20.0, "ended_unplanned": 20.0}
    assert status["reasons"]["ended_planned"] == {"employment": 1, "education": 0, "other": 0}
    assert status["reasons"]["ended_unplanned"]["too_complex"] == 1
    assert sum(status["reasons"]["ended_unplanned"].values()) == 1
    assert status["labels"]["ended_planned"] == "Planlagt afsluttet forløb"
    everyone = table(cohort, "status", lang="en")
    assert everyone["counts"] == {"active": 4, "ended_planned": 1, "ended_unplanned": 1}
    assert everyone["labels"]["active"] == "Active course"


# --- distribution ------------------------------------------------------------------------------


def rows_by_code(dist: dict) -> dict:
    return {r["code"]: (r["counts"], r["percents"]) for r in dist["rows"]}


def test_distribution_two_points_unanswered_and_two_versions(cohort) -> None:
    dist = table(cohort, "distribution", item="health.mental", points=(1, 3), filters=nord(cohort))
    assert dist["item"] == "health.mental"
    assert dist["points"] == [1, 3]
    assert dist["paired"] is False
    assert dist["multiple"] is False
    # point 1: c5 left it unanswered, so n is 4 (c4's answer is from version 2)
    assert dist["n"] == [4, 4]
    assert [r["code"] for r in dist["rows"]] == [1, 2, 3, 4, 5]
    assert [r["label"] for r in dist["rows"]] == [
        "Fremragende",
        "Vældig godt",
        "Godt",
        "Mindre godt",
        "Dårligt",
    ]
    assert rows_by_code(dist) == {
        1: ([0, 1], [0.0, 25.0]),
        2: ([0, 1], [0.0, 25.0]),
        3: ([0, 1], [0.0, 25.0]),
        4: ([2, 0], [50.0, 0.0]),
        5: ([2, 1], [50.0, 25.0]),
    }


def test_distribution_paired_keeps_citizens_answering_at_every_point(cohort) -> None:
    dist = table(
        cohort,
        "distribution",
        item="health.mental",
        points=(1, 3),
        paired="item",
        filters=nord(cohort),
    )
    # c1, c2, c3 answered at 1 and 3; c5 not at 1, c4 has no point 3
    assert dist["paired"] == "item"
    assert dist["paired_n"] == 3
    assert dist["n"] == [3, 3]
    assert rows_by_code(dist) == {
        1: ([0, 0], [0.0, 0.0]),
        2: ([0, 1], [0.0, 33.3]),
        3: ([0, 1], [0.0, 33.3]),
        4: ([2, 0], [66.7, 0.0]),
        5: ([1, 1], [33.3, 33.3]),
    }
    three = table(cohort, "distribution", item="health.mental", points=(1, 2, 3), paired="item")
    # only c1 and c3 answered at all three points (c1's point 2 is version 2)
    assert three["n"] == [2, 2, 2]
    assert rows_by_code(three)[4][0] == [2, 1, 0]
    assert rows_by_code(three)[3][0] == [0, 1, 1]


def test_distribution_ved_ikke_is_its_own_row(cohort) -> None:
    dist = table(cohort, "distribution", item="bip_c.1", lang="en")
    assert dist["points"] == [1]
    assert dist["n"] == [6]
    assert [(r["code"], r["special"]) for r in dist["rows"]] == [
        (1, False),
        (2, False),
        (3, False),
        (4, False),
        (5, False),
        (9, True),
    ]
    assert dist["rows"][-1]["label"] == "Don't know"
    assert rows_by_code(dist) == {
        1: ([1], [16.7]),
        2: ([1], [16.7]),
        3: ([1], [16.7]),
        4: ([0], [0.0]),
        5: ([1], [16.7]),
        9: ([2], [33.3]),
    }


def test_distribution_mode_filter(cohort) -> None:
    dist = table(cohort, "distribution", item="bip_c.1", filters=Filters(mode="assisted"))
    assert dist["n"] == [2]  # c2 and c4 were read aloud
    assert rows_by_code(dist)[1][0] == [1]
    assert rows_by_code(dist)[9][0] == [1]
    selfs = table(cohort, "distribution", item="bip_c.1", filters=Filters(mode="self"))
    assert selfs["n"] == [4]
    assert [rows_by_code(selfs)[c][0][0] for c in (1, 2, 3, 4, 5, 9)] == [0, 1, 1, 0, 1, 1]


def test_distribution_form_version_filter(cohort) -> None:
    dist = table(
        cohort,
        "distribution",
        item="health.mental",
        points=(1, 2, 3),
        filters=Filters(form_versions={"citizen": {2}}),
    )
    assert dist["n"] == [1, 1, 1]  # c4 at 1, c1 at 2, c2 at 3
    assert rows_by_code(dist)[5][0] == [1, 0, 1]
    assert rows_by_code(dist)[3][0] == [0, 1, 0]


def test_distribution_of_an_integer_item_uses_its_groups(cohort) -> None:
    dist = table(cohort, "distribution", item="person.age")
    assert dist["n"] == [4]
    assert [r["code"] for r in dist["rows"]] == [
        "18-24",
        "25-29",
        "30-39",
        "40-49",
        "50-59",
        "60+",
        "other",
    ]
    assert [r["counts"][0] for r in dist["rows"]] == [1, 0, 1, 0, 0, 1, 1]  # c4 is 17
    assert dist["rows"][0]["label"] == "18-24 år"


def test_distribution_of_a_multiple_choice_item(cohort) -> None:
    dist = table(cohort, "distribution", item="staff.diagnosis_kinds")
    assert dist["multiple"] is True
    assert dist["n"] == [2]
    counts = {r["code"]: (r["counts"][0], r["percents"][0]) for r in dist["rows"]}
    assert counts[1] == (1, 50.0)
    assert counts[2] == (2, 100.0)
    assert sum(c for c, _ in counts.values()) == 3
    assert len(dist["rows"]) == 11


def test_distribution_with_no_answers_has_zero_rows_and_no_percents(cohort) -> None:
    dist = table(cohort, "distribution", item="health.mental", points=(5,))
    assert dist["n"] == [0]
    assert all(r["counts"] == [0] and r["percents"] == [None] for r in dist["rows"])


# --- crosstab ----------------------------------------------------------------------------------


def test_crosstab_percent_of_total(cohort) -> None:
    cross = table(cohort, "crosstab", item="health.mental", by="health.physical")
    assert cross["point"] == 1
    assert cross["rows"]["codes"] == [1, 2, 3, 4, 5]
    assert cross["columns"]["labels"][0] == "Fremragende"
    # (mental, physical): c1 (4,3), c2 (5,5), c3 (4,4), c4 (5,4), c7 (1,1); c5 left mental out
    assert cross["counts"] == [
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 0, 1, 1],
    ]
    assert cross["n"] == 5
    assert cross["row_totals"] == [1, 0, 0, 2, 2]
    assert cross["column_totals"] == [1, 0, 1, 2, 1]
    assert cross["percents"][3] == [0.0, 0.0, 20.0, 20.0, 0.0]
    assert cross["row_percents"] == [20.0, 0.0, 0.0, 40.0, 40.0]
    assert cross["column_percents"] == [20.0, 0.0, 20.0, 40.0, 20.0]


def test_crosstab_across_forms_and_filters(cohort) -> None:
    cross = table(
        cohort,
        "crosstab",
        item="health.physical",
        by="person.gender",
        filters=nord(cohort, mode="self"),
    )
    # self-filled citizen forms in Nord at point 1: c1 (3, woman), c3 (4, woman), c5 (no staff)
    assert cross["counts"] == [[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 0, 0], [0, 0, 0]]
    assert cross["n"] == 2
    assert cross["column_totals"] == [2, 0, 0]


# --- by ----------------------------------------------------------------------------------------


def test_by_status_with_chi_square(cohort) -> None:
    by = table(cohort, "by", item="health.physical", by="status", filters=nord(cohort))
    assert by["columns"]["codes"] == ["active", "ended_planned", "ended_unplanned"]
    # c1 3 active, c2 5 active, c3 4 planned, c4 4 unplanned, c5 2 active
    assert by["counts"] == [[0, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 1], [1, 0, 0]]
    assert by["column_totals"] == [3, 1, 1]
    assert by["row_totals"] == [0, 1, 1, 2, 1]
    assert by["n"] == 5
    assert by["percents"][1] == [33.3, 0.0, 0.0]
    assert by["percents"][3] == [0.0, 100.0, 100.0]
    expected = stats.chi2_contingency([[1, 0, 0], [1, 0, 0], [0, 1, 1], [1, 0, 0]])
    assert by["test"] == "chi2"
    assert by["p_value"] == pytest.approx(expected.pvalue)
    assert by["statistic"] == pytest.approx(expected.statistic)
    assert by["dof"] == 6
    assert "expected counts are below 5" in by["warning"]


def test_by_outcome_ever_employed(cohort) -> None:
    by = table(cohort, "by", item="health.physical", by="employment")
    assert by["by"] == "employment"
    assert by["columns"]["labels"] == ["Ikke i beskæftigelse", "I beskæftigelse"]
    # employed at some point: c1 (point 3), c3, c7; not: c2, c4, and c5, who answered at point
    # 1 but has no staff form: as the outcomes table counts them (6.2 is every citizen with a
    # baseline, 88 + 9 = 97), a citizen no staff form calls employed is not (yet) employed
    assert by["counts"] == [[0, 1], [1, 0], [0, 1], [1, 1], [1, 0]]
    assert by["column_totals"] == [3, 3]
    expected = stats.chi2_contingency([[0, 1], [1, 0], [0, 1], [1, 1], [1, 0]])
    assert by["test"] == "chi2"
    assert by["p_value"] == pytest.approx(expected.pvalue)


def test_by_two_by_two_uses_fisher(cohort) -> None:
    by = table(cohort, "by", item="person.gender", by="staff.employment")
    # women c1, c3 both employed; men c2, c4 not, c7 employed; "Andet" is empty and dropped
    assert by["counts"] == [[0, 2], [2, 1], [0, 0]]
    assert by["test"] == "fisher"
    assert by["p_value"] == pytest.approx(stats.fisher_exact([[0, 2], [2, 1]]).pvalue)
    assert by["statistic"] is None


def test_by_excludes_ved_ikke_from_the_test(cohort) -> None:
    by = table(cohort, "by", item="bip_c.1", by="status", filters=nord(cohort))
    # rows 1..5 and 9: c1 9 active, c2 1 active, c3 3 planned, c4 9 unplanned, c5 5 active
    assert by["counts"][-1] == [1, 0, 1]
    expected = stats.chi2_contingency([[1, 0], [0, 1], [1, 0]])
    assert by["p_value"] == pytest.approx(expected.pvalue)


# --- outcomes ----------------------------------------------------------------------------------


def test_outcomes_against_targets(cohort) -> None:
    out = table(cohort, "outcomes")
    # n is every citizen with a baseline (report 6.1): c1, c2, c3, c4, c5, c7 (c6 has a draft
    # only); c5 never had a staff form but is counted. Employment: c1 (staff, point 3), c3
    # (staff form and ended with employment), c7 (staff); education c2; internship c1.
    assert (out["n"], out["employment"], out["education"], out["internship"]) == (6, 3, 1, 1)
    assert out["education_or_internship"] == 2
    assert out["rates"] == {
        "employment": 0.5,
        "education": 0.1667,
        "internship": 0.1667,
        "education_or_internship": 0.3333,
    }
    assert out["targets"] == {"employment": 0.20, "education": 0.15}
    assert out["targets_from"] == "programme"
    assert out["met"] == {"employment": True, "education": True}
    assert out["sources"] == {
        "employment": {"staff_form": 2, "end_reason": 0, "both": 1},
        "education": {"staff_form": 1, "end_reason": 0, "both": 0},
    }
    mine = table(cohort, "outcomes", filters=nord(cohort), targets={"employment": 0.75})
    # Nord's baseline: c1..c5; employment c1, c3
    assert (mine["n"], mine["employment"], mine["education"], mine["internship"]) == (5, 2, 1, 1)
    assert mine["targets_from"] == "request"
    assert mine["met"]["employment"] is False
    assert mine["targets"]["employment"] == 0.75
    ended = table(cohort, "outcomes", filters=Filters(statuses={"ended_planned"}))
    assert (ended["n"], ended["employment"]) == (1, 1)


# --- who5 --------------------------------------------------------------------------------------


def test_who5_per_point(cohort) -> None:
    who = table(cohort, "who5", points=(1, 2, 3))
    scores = {1: [40, 20, 52, 4, 100, 100], 2: [60], 3: [80, 8, 68, 92]}
    assert who["points"] == [1, 2, 3]
    assert who["n"] == [6, 1, 4]  # c3's point 2 lacks who5.5: no score
    assert who["mean"] == [round(statistics.mean(scores[p]), 2) for p in (1, 2, 3)]
    assert who["sd"] == [
        round(statistics.stdev(scores[1]), 2),
        None,
        round(statistics.stdev(scores[3]), 2),
    ]
    assert who["poor"] == [3, 0, 1]
    assert who["likely_depression"] == [2, 0, 1]
    assert "p_value" not in who
    # default points: every point with a form
    assert table(cohort, "who5")["points"] == [1, 2, 3]


def test_who5_filters(cohort) -> None:
    who = table(cohort, "who5", points=(1,), filters=nord(cohort, mode="self"))
    assert who["n"] == [3]  # c1 40, c3 52, c5 100
    assert who["mean"] == [round((40 + 52 + 100) / 3, 2)]
    assert who["poor"] == [1]
    v1 = table(cohort, "who5", points=(1, 3), filters=Filters(form_versions={"citizen": {1}}))
    assert v1["n"] == [5, 3]


def test_who5_paired_change_and_wilcoxon(cohort) -> None:
    who = table(cohort, "who5", points=(1, 3), paired=True)
    before, after = [40, 20, 52, 100], [80, 8, 68, 92]
    assert who["n"] == [4, 4]
    assert who["mean"] == [53.0, 62.0]
    assert who["sd"] == [round(statistics.stdev(before), 2), round(statistics.stdev(after), 2)]
    assert who["poor"] == [2, 1]
    assert who["likely_depression"] == [1, 1]
    diffs = [a - b for b, a in zip(before, after, strict=True)]  # 40, -12, 16, -8
    assert who["change"] == 9.0
    assert who["improved"] == 2
    assert who["worsened"] == 1
    assert who["test"] == "wilcoxon"
    assert who["p_value"] == pytest.approx(stats.wilcoxon(diffs).pvalue)
    three = table(cohort, "who5", points=(1, 2, 3), paired="item")
    assert three["n"] == [1, 1, 1]  # only c1 has a score at 1, 2 and 3
    assert "p_value" not in three


@pytest.mark.parametrize("paired", [False, True])
def test_single_choice_counts_take_n_from_the_counts_and_agree_with_the_query(
    cohort, paired: bool
) -> None:
    """The shortcut for items with one answer per response gives what the second query gives."""
    from survey.reports import queries

    with cohort.session() as session:
        for item in ("health.mental", "bip_c.1"):
            fast = queries.answer_counts(
                session, Filters(), item, (1, 3), paired=paired, multiple=False
            )
            full = queries.answer_counts(
                session, Filters(), item, (1, 3), paired=paired, multiple=True
            )
            assert sorted(fast.counts) == sorted(full.counts)
            assert sorted(fast.answered) == sorted(full.answered)
            if item == "health.mental":  # answered at 1 and 3 by several citizens
                assert fast.answered
