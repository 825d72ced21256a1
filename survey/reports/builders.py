"""Pure functions from query rows (and item definitions) to report tables.

Every table is a dataclass whose `to_dict()` is the JSON contract of docs/reports.md. Labels
come in the language asked for (`da`, the default, or `en`); those of the course statuses and
end reasons are the app's (`survey.labels`). Nothing here touches the database.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from survey.instruments.schema import Item, ItemType, ScoreRule
from survey.instruments.scoring import relevant_direction
from survey.labels import MODE_LABELS, REASON_LABELS, REPORT_STATUS_LABELS, in_language
from survey.models import STATUS_REASONS, CourseStatus
from survey.reports.filters import ReportError
from survey.reports.queries import (
    AnswerCounts,
    AttritionCounts,
    OutcomeSources,
    OutcomeTotals,
    ScoreSummary,
)

LANGUAGES = ("da", "en")
# The programme's targets (the evaluation report, chapter 6): at least 20 % in ordinary
# employment and at least 15 % who start an education. A work placement is a means on the way,
# not the goal, so it counts towards neither.
DEFAULT_TARGETS = {"employment": 0.20, "education": 0.15}

OUTCOME_LABELS = {
    "employment": {
        "da": ("Ikke i beskæftigelse", "I beskæftigelse"),
        "en": ("Not in employment", "In employment"),
    },
    "education": {
        "da": ("Ikke i uddannelse", "I uddannelse"),
        "en": ("Not in education", "In education"),
    },
    "internship": {
        "da": ("Ikke i virksomhedspraktik", "I virksomhedspraktik"),
        "en": ("Not in a work placement", "In a work placement"),
    },
}
OTHER_GROUP = {"da": "Uden for grupperne", "en": "Outside the groups"}


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ReportError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def percent(count: int, total: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to take it of."""
    return round(100 * count / total, 1) if total else None


# --- item axes: the rows (or columns) an item contributes --------------------------------------


@dataclass(frozen=True)
class Category:
    code: int | str
    label: str
    key: int | str
    """what the query returns for it: the answer code, the group number or the course status"""
    special: bool = False


def categories(item: Item, lang: str = "da") -> list[Category]:
    """An item's categories in definition order: its answer codes (a "Ved ikke"-like answer is a
    category of its own, marked special), or for an integer item its report groups."""
    if item.is_choice:
        return [
            Category(o.code, o.label.get(lang), o.code, o.special is not None) for o in item.answers
        ]
    if item.type is ItemType.INTEGER and item.groups:
        return [
            Category(f"{g.min}-{g.max}" if g.max is not None else f"{g.min}+", g.label.get(lang), n)
            for n, g in enumerate(item.groups, start=1)
        ]
    raise ReportError(_not_tabulable(item))


def _not_tabulable(item: Item) -> str:
    if item.type is ItemType.INTEGER:
        return (
            f"{item.code} is a number without report groups; only choice items and numbers "
            f"with groups (such as person.age) can be tabulated"
        )
    return f"{item.code} is a {item.type.value} item; only choice items can be tabulated"


def _other_group(lang: str) -> Category:
    return Category("other", OTHER_GROUP[lang], 0)


def _axis(item: Item, keys: Iterable[int], lang: str) -> list[Category]:
    """The item's categories, plus "outside the groups" when a grouped value fell outside."""
    cats = categories(item, lang)
    if item.groups and 0 in set(keys):
        cats.append(_other_group(lang))
    return cats


# --- waves (2.1) -------------------------------------------------------------------------------


@dataclass
class WavesTable:
    points: list[int]
    forms: dict[str, list[int]]
    labels: dict[str, str]
    enrolled: int | None = None
    """citizens the filters keep, with or without a form"""
    without_baseline: int | None = None
    """enrolled citizens with no submitted form at point 1"""

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": "waves",
            "points": self.points,
            "forms": self.forms,
            "labels": self.labels,
            "enrolled": self.enrolled,
            "without_baseline": self.without_baseline,
        }


def build_waves(rows: Iterable[tuple[str, int, int]], form_labels: Mapping[str, str]) -> WavesTable:
    """Forms per point: every point from 1 to the last with a form, every known form."""
    rows = list(rows)
    last = max((point for _, point, _ in rows), default=0)
    points = list(range(1, last + 1))
    form_ids = list(form_labels) + sorted({f for f, _, _ in rows} - set(form_labels))
    forms = {form: [0] * len(points) for form in form_ids}
    for form, point, count in rows:
        forms[form][point - 1] += count
    labels = {form: form_labels.get(form, form) for form in form_ids}
    return WavesTable(points, forms, labels)


# --- status (5.1) ------------------------------------------------------------------------------


@dataclass
class StatusTable:
    n: int
    counts: dict[str, int]
    reasons: dict[str, dict[str, int]]
    labels: dict[str, str]
    reason_labels: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": "status",
            "n": self.n,
            "counts": self.counts,
            "percents": {s: percent(c, self.n) for s, c in self.counts.items()},
            "reasons": self.reasons,
            "labels": self.labels,
            "reason_labels": self.reason_labels,
        }


def build_status(rows: Iterable[tuple[str, str | None, int]], lang: str = "da") -> StatusTable:
    counts = {s.value: 0 for s in CourseStatus}
    reasons = {
        s.value: dict.fromkeys(STATUS_REASONS[s], 0) for s in CourseStatus if STATUS_REASONS[s]
    }
    for status, reason, count in rows:
        counts[status] += count
        if reason is not None:
            reasons[status][reason] += count
    return StatusTable(
        n=sum(counts.values()),
        counts=counts,
        reasons=reasons,
        labels={s: REPORT_STATUS_LABELS[s].in_language(lang) for s in counts},
        reason_labels=in_language(REASON_LABELS, lang),
    )


# --- distribution (4.1–4.4, 4.6, 4.7, 5.3, 5.4, 6.3–6.6) ---------------------------------------


@dataclass
class DistributionRow:
    code: int | str
    label: str
    special: bool
    counts: list[int]
    percents: list[float | None]


@dataclass
class DistributionTable:
    item: str
    label: str
    multiple: bool
    points: list[int]
    paired: bool | str
    """"form", "item" or False"""
    n: list[int]
    rows: list[DistributionRow]
    paired_n: int | None = None
    """citizens in the paired group"""
    test: dict[str, Any] | None = None
    """the paired test of the answer categories, over exactly two points"""
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "table": "distribution",
            "item": self.item,
            "label": self.label,
            "multiple": self.multiple,
            "points": self.points,
            "paired": self.paired,
            "paired_n": self.paired_n,
            "n": self.n,
            "rows": [
                {
                    "code": r.code,
                    "label": r.label,
                    "special": r.special,
                    "counts": r.counts,
                    "percents": r.percents,
                }
                for r in self.rows
            ],
        }
        if self.test is not None:
            data.update(test=self.test, warnings=self.warnings)
        return data


def build_distribution(
    item: Item,
    counts: AnswerCounts,
    points: Sequence[int],
    *,
    paired: bool | str,
    lang: str = "da",
) -> DistributionTable:
    index = {point: i for i, point in enumerate(points)}
    cats = _axis(item, (key for _, key, _ in counts.counts), lang)
    by_key = {c.key: [0] * len(points) for c in cats}
    for point, key, count in counts.counts:
        if key not in by_key:  # a code no version defines: shown, never dropped silently
            cats.append(Category(key, str(key), key))
            by_key[key] = [0] * len(points)
        by_key[key][index[point]] += count
    n = [0] * len(points)
    for point, answered in counts.answered:
        n[index[point]] = answered
    rows = [
        DistributionRow(
            c.code,
            c.label,
            c.special,
            by_key[c.key],
            [percent(v, total) for v, total in zip(by_key[c.key], n, strict=True)],
        )
        for c in cats
    ]
    return DistributionTable(
        item=item.code,
        label=item.text.get(lang),
        multiple=item.type is ItemType.MULTIPLE_CHOICE,
        points=list(points),
        paired=paired,
        n=n,
        rows=rows,
    )


# --- crosstab (4.5) and by (5.2, 6.2) ----------------------------------------------------------


@dataclass
class Axis:
    name: str
    label: str
    categories: list[Category]

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.name,
            "label": self.label,
            "codes": [c.code for c in self.categories],
            "labels": [c.label for c in self.categories],
        }


@dataclass
class Matrix:
    rows: Axis
    columns: Axis
    counts: list[list[int]]

    @property
    def row_totals(self) -> list[int]:
        return [sum(r) for r in self.counts]

    @property
    def column_totals(self) -> list[int]:
        return [sum(col) for col in zip(*self.counts, strict=True)] if self.counts else []

    @property
    def n(self) -> int:
        return sum(self.row_totals)


def _matrix(rows: Axis, columns: Axis, cells: Iterable[tuple[Any, Any, int]]) -> Matrix:
    r_index = {c.key: i for i, c in enumerate(rows.categories)}
    c_index = {c.key: i for i, c in enumerate(columns.categories)}
    counts = [[0] * len(columns.categories) for _ in rows.categories]
    for r_key, c_key, count in cells:
        if r_key not in r_index:
            rows.categories.append(Category(r_key, str(r_key), r_key))
            r_index[r_key] = len(counts)
            counts.append([0] * len(columns.categories))
        if c_key not in c_index:
            columns.categories.append(Category(c_key, str(c_key), c_key))
            c_index[c_key] = len(columns.categories) - 1
            for row in counts:
                row.append(0)
        counts[r_index[r_key]][c_index[c_key]] += count
    return Matrix(rows, columns, counts)


@dataclass
class CrosstabTable:
    point: int
    matrix: Matrix

    def to_dict(self) -> dict[str, Any]:
        m = self.matrix
        n = m.n
        return {
            "table": "crosstab",
            "point": self.point,
            "rows": m.rows.to_dict(),
            "columns": m.columns.to_dict(),
            "counts": m.counts,
            "row_totals": m.row_totals,
            "column_totals": m.column_totals,
            "n": n,
            "percents": [[percent(v, n) for v in row] for row in m.counts],
            "row_percents": [percent(v, n) for v in m.row_totals],
            "column_percents": [percent(v, n) for v in m.column_totals],
        }


def build_crosstab(
    row_item: Item,
    column_item: Item,
    cells: Iterable[tuple[int, int, int]],
    point: int,
    lang: str = "da",
) -> CrosstabTable:
    cells = list(cells)
    rows = Axis(
        row_item.code, row_item.text.get(lang), _axis(row_item, (c[0] for c in cells), lang)
    )
    columns = Axis(
        column_item.code,
        column_item.text.get(lang),
        _axis(column_item, (c[1] for c in cells), lang),
    )
    return CrosstabTable(point, _matrix(rows, columns, cells))


@dataclass
class TestResult:
    test: str | None
    p_value: float | None
    statistic: float | None = None
    dof: int | None = None
    warning: str | None = None
    cells: list[list[int]] = field(default_factory=list)
    """the table the test was run on"""
    effect_size: dict[str, Any] | None = None
    """{"name": "cramers_v", "value": V}, from the uncorrected chi-square of `cells`"""
    n_tested: int = 0
    """citizens in `cells`"""
    excluded_special: bool = False
    """whether citizens with a special ("Ved ikke") answer were left out of `cells`"""
    warnings: list[dict[str, Any]] = field(default_factory=list)
    """the warnings as codes with parameters (docs/reports.md), for the writers to translate"""

    def fields(self) -> dict[str, Any]:
        """The test as the fields of a table's dict (by, attrition): the JSON contract."""
        return {
            "test": self.test,
            "p_value": self.p_value,
            "statistic": self.statistic,
            "dof": self.dof,
            "effect_size": self.effect_size,
            "n_tested": self.n_tested,
            "excluded_special": self.excluded_special,
            "warning": self.warning,
            "warnings": self.warnings,
        }


NO_TEST_CATEGORIES = "too few answer categories or groups with answers for a test"


def independence_test(counts: Sequence[Sequence[int]]) -> TestResult:
    """Chi-square test of independence (Fisher's exact test for a 2×2 table) on `counts` with
    all-zero rows and columns dropped; a warning when an expected count is below 5. Cramér's V
    is stated for both (for a 2×2 table it is |phi|, from the chi-square without correction)."""
    rows = [list(r) for r in counts if any(r)]
    keep = [j for j in range(len(rows[0]) if rows else 0) if any(r[j] for r in rows)]
    table = [[r[j] for j in keep] for r in rows]
    n_tested = sum(map(sum, table))
    if len(table) < 2 or len(keep) < 2:
        return TestResult(
            None,
            None,
            warning=NO_TEST_CATEGORIES,
            cells=table,
            n_tested=n_tested,
            warnings=[{"code": "no_test_categories"}],
        )
    from scipy import stats  # here, not at the top: it costs a second at every start
    from scipy.stats.contingency import expected_freq

    expected = expected_freq(table)
    low = int((expected < 5).sum())
    warning = (
        f"{low} of {expected.size} expected counts are below 5; the test may be unreliable"
        if low
        else None
    )
    codes = [{"code": "low_expected", "low": low, "cells": int(expected.size)}] if low else []
    effect = {
        "name": "cramers_v",
        "value": float(stats.contingency.association(np.asarray(table), method="cramer")),
    }
    if len(table) == 2 and len(keep) == 2:
        exact = stats.fisher_exact(np.asarray(table))
        return TestResult(
            "fisher",
            float(exact.pvalue),
            None,
            None,
            warning,
            table,
            effect,
            n_tested,
            False,
            codes,
        )
    chi2 = stats.chi2_contingency(table)
    return TestResult(
        "chi2",
        float(chi2.pvalue),
        float(chi2.statistic),
        int(chi2.dof),
        warning,
        table,
        effect,
        n_tested,
        False,
        codes,
    )


def matrix_test(matrix: Matrix) -> TestResult:
    """The independence test of a `by` table: special ("Ved ikke") rows and columns left out."""
    special_rows = [c.special for c in matrix.rows.categories]
    special_columns = [c.special for c in matrix.columns.categories]
    cells = [
        [v for v, special in zip(row, special_columns, strict=True) if not special]
        for row, special in zip(matrix.counts, special_rows, strict=True)
        if not special
    ]
    result = independence_test(cells)
    result.excluded_special = sum(map(sum, cells)) < matrix.n
    return result


@dataclass
class ByTable:
    item: str
    point: int
    by: str
    matrix: Matrix
    result: TestResult

    def to_dict(self) -> dict[str, Any]:
        m = self.matrix
        column_totals = m.column_totals
        return {
            "table": "by",
            "item": self.item,
            "point": self.point,
            "by": self.by,
            "rows": m.rows.to_dict(),
            "columns": m.columns.to_dict(),
            "counts": m.counts,
            "row_totals": m.row_totals,
            "column_totals": column_totals,
            "n": m.n,
            "percents": [
                [percent(v, t) for v, t in zip(row, column_totals, strict=True)] for row in m.counts
            ],
            "row_percents": [percent(v, m.n) for v in m.row_totals],
            **self.result.fields(),
        }


def build_by_status(
    item: Item, cells: Iterable[tuple[int, str, int]], point: int, lang: str = "da"
) -> ByTable:
    cells = list(cells)
    rows = Axis(item.code, item.text.get(lang), _axis(item, (c[0] for c in cells), lang))
    columns = Axis(
        "status",
        {"da": "Forløbsstatus", "en": "Course status"}[lang],
        [
            Category(s.value, REPORT_STATUS_LABELS[s.value].in_language(lang), s.value)
            for s in CourseStatus
        ],
    )
    matrix = _matrix(rows, columns, cells)
    return ByTable(item.code, point, "status", matrix, matrix_test(matrix))


def build_by_outcome(
    item: Item,
    outcome: str,
    outcome_item: Item | None,
    cells: Iterable[tuple[int, int, int]],
    point: int,
    lang: str = "da",
) -> ByTable:
    cells = list(cells)
    rows = Axis(item.code, item.text.get(lang), _axis(item, (c[0] for c in cells), lang))
    no, yes = OUTCOME_LABELS[outcome][lang]
    columns = Axis(
        outcome,
        outcome_item.text.get(lang) if outcome_item else outcome,
        [Category(0, no, 0), Category(1, yes, 1)],
    )
    matrix = _matrix(rows, columns, cells)
    return ByTable(item.code, point, outcome, matrix, matrix_test(matrix))


MODE_TITLE = {"da": "Udfyldelse af borgerskemaet", "en": "How the citizen form was filled"}
NO_CONSULTANT = {"da": "Ingen ansvarlig konsulent", "en": "No responsible consultant"}
GROUPING_TITLES = {
    "team": {"da": "Team", "en": "Team"},
    "consultant": {"da": "Ansvarlig konsulent", "en": "Responsible consultant"},
}


def build_by_columns(
    item: Item,
    by: str,
    columns: Axis,
    cells: Iterable[tuple[Any, Any, int]],
    point: int,
    lang: str = "da",
) -> ByTable:
    """An item at one point split by any grouping whose columns are given (an item's answers,
    the form's mode, the teams, the consultants), with the test of `matrix_test`."""
    cells = list(cells)
    rows = Axis(item.code, item.text.get(lang), _axis(item, (c[0] for c in cells), lang))
    matrix = _matrix(rows, columns, cells)
    return ByTable(item.code, point, by, matrix, matrix_test(matrix))


def item_columns(item: Item, cells: Iterable[tuple[Any, Any, int]], lang: str = "da") -> Axis:
    """An item's answers (or report groups) as the columns of a `by` table."""
    return Axis(item.code, item.text.get(lang), _axis(item, (c[1] for c in cells), lang))


def mode_columns(lang: str = "da") -> Axis:
    return Axis(
        "mode",
        MODE_TITLE[lang],
        [Category(m, MODE_LABELS[m].in_language(lang), m) for m in ("self", "assisted")],
    )


def grouping_columns(
    grouping: str, names: Iterable[tuple[int, str]], with_none: bool, lang: str = "da"
) -> Axis:
    """Teams or consultants (`names`: (id, name) in the order shown) as columns; `with_none`
    adds one for citizens without a responsible consultant."""
    cats = [Category(i, name, i) for i, name in names]
    if with_none:
        cats.append(Category("none", NO_CONSULTANT[lang], "none"))
    return Axis(grouping, GROUPING_TITLES[grouping][lang], cats)


# --- numeric descriptives ----------------------------------------------------------------------


@dataclass
class NumericTable:
    item: str
    label: str
    unit: str | None
    points: list[int]
    paired: bool | str
    n: list[int]
    mean: list[float | None]
    sd: list[float | None]
    median: list[float | None]
    minimum: list[int | None]
    maximum: list[int | None]
    paired_n: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": "numeric",
            "item": self.item,
            "label": self.label,
            "unit": self.unit,
            "points": self.points,
            "paired": self.paired,
            "paired_n": self.paired_n,
            "n": self.n,
            "mean": self.mean,
            "sd": self.sd,
            "median": self.median,
            "min": self.minimum,
            "max": self.maximum,
        }


def build_numeric(
    item: Item,
    counts: Iterable[tuple[int, int, int]],
    points: Sequence[int],
    *,
    paired: bool | str = False,
    lang: str = "da",
) -> NumericTable:
    """Per point n, mean, sample SD, median, min and max of an integer item, from the counts of
    each value (point, value, answers): the database counts, this describes."""
    values: dict[int, list[int]] = {point: [] for point in points}
    for point, value, count in counts:
        values[point].extend([int(value)] * int(count))
    found = [sorted(values[point]) for point in points]
    return NumericTable(
        item=item.code,
        label=item.text.get(lang),
        unit=item.unit.get(lang) if item.unit else None,
        points=list(points),
        paired=paired,
        n=[len(v) for v in found],
        mean=[round(statistics.fmean(v), 2) if v else None for v in found],
        sd=[round(statistics.stdev(v), 2) if len(v) >= 2 else None for v in found],
        median=[round(float(statistics.median(v)), 2) if v else None for v in found],
        minimum=[v[0] if v else None for v in found],
        maximum=[v[-1] if v else None for v in found],
    )


# --- the paired test of a distribution over two points -----------------------------------------


def paired_category_test(
    item: Item, pairs: Iterable[tuple[Any, Any, int]], lang: str = "da"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """McNemar's test (two categories) or the Stuart–Maxwell test of marginal homogeneity (more;
    with Bowker's test of symmetry beside it) on (code at the first point, code at the second,
    citizens). Special answers, values outside the groups and undefined codes are left out, and
    so is a category nobody gave at either point. Returns the test and its warnings."""
    # statsmodels (and pandas under it) is imported here, not with the module: every `survey`
    # command and every app start would otherwise pay for it
    from statsmodels.stats.contingency_tables import SquareTable, mcnemar
    from statsmodels.tools.sm_exceptions import SingularMatrixWarning

    pairs = list(pairs)
    keys = [c.key for c in categories(item, lang) if not c.special]
    counted = [(a, b, n) for a, b, n in pairs if a in keys and b in keys]
    used = [k for k in keys if any(k in (a, b) for a, b, n in counted if n)]
    index = {k: i for i, k in enumerate(used)}
    square = np.zeros((len(used), len(used)), dtype=int)
    for a, b, n in counted:
        square[index[a], index[b]] += n
    n_pairs = int(square.sum())
    test: dict[str, Any] = {
        "name": None,
        "statistic": None,
        "dof": None,
        "p_value": None,
        "n_pairs": n_pairs,
        "excluded_special": n_pairs < sum(n for _, _, n in pairs),
    }
    if n_pairs == 0:
        return test, [{"code": "no_pairs"}]
    if len(used) < 2:
        return test, [{"code": "no_test_categories"}]
    if not (square.sum() - np.trace(square)):
        return test, [{"code": "no_discordant_pairs"}]
    if len(used) == 2:
        discordant = int(square[0, 1] + square[1, 0])
        exact = discordant < MCNEMAR_EXACT_BELOW
        result = mcnemar(square, exact=exact)
        test.update(
            name="mcnemar",
            exact=exact,
            statistic=float(result.statistic),
            dof=None if exact else 1,
            p_value=float(result.pvalue),
        )
        return test, []
    table = SquareTable(square, shift_zeros=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularMatrixWarning)
        homogeneity = table.homogeneity()
    symmetry = table.symmetry()
    test["symmetry"] = {
        "name": "bowker",
        "statistic": float(symmetry.statistic),
        "dof": int(symmetry.df),
        "p_value": float(symmetry.pvalue),
    }
    if math.isnan(homogeneity.statistic):
        test["name"] = "stuart_maxwell"
        return test, [{"code": "singular_table"}]
    test.update(
        name="stuart_maxwell",
        statistic=float(homogeneity.statistic),
        dof=int(homogeneity.df),
        p_value=float(homogeneity.pvalue),
    )
    return test, []


MCNEMAR_EXACT_BELOW = 25
"""McNemar's test is exact (binomial) below this many discordant pairs, else chi-square with
continuity correction."""


# --- outcomes (6.1) ----------------------------------------------------------------------------


@dataclass
class OutcomesTable:
    totals: OutcomeTotals
    targets: dict[str, float]
    sources: Mapping[str, OutcomeSources] | None = None
    targets_from: str = "programme"

    def to_dict(self) -> dict[str, Any]:
        t = self.totals
        counts = {
            "employment": t.employment,
            "education": t.education,
            "internship": t.internship,
            "education_or_internship": t.education_or_internship,
        }
        rates = {k: (round(v / t.n, 4) if t.n else None) for k, v in counts.items()}
        return {
            "table": "outcomes",
            "n": t.n,
            **counts,
            "rates": rates,
            "targets": self.targets,
            "targets_from": self.targets_from,
            "met": {
                k: (None if (rate := rates.get(k)) is None else rate >= target)
                for k, target in self.targets.items()
            },
            "sources": {
                k: {"staff_form": v.staff_form, "end_reason": v.end_reason, "both": v.both}
                for k, v in (self.sources or {}).items()
            },
        }


TARGETS_FROM = ("programme", "team", "request")
"""Where an outcomes table's targets come from: the programme's defaults, the teams' own
setting (the same for every team in the filter), or the caller (ReportRequest.targets)."""


def build_outcomes(
    totals: OutcomeTotals,
    targets: Mapping[str, float] | None = None,
    *,
    sources: Mapping[str, OutcomeSources] | None = None,
    targets_from: str = "programme",
) -> OutcomesTable:
    merged = {**DEFAULT_TARGETS, **(targets or {})}
    for key, value in merged.items():
        if key not in DEFAULT_TARGETS:
            raise ReportError(f"unknown target {key!r} (known: {', '.join(DEFAULT_TARGETS)})")
        if not 0 <= value <= 1:
            raise ReportError(f"the {key} target must be a share from 0 to 1, not {value}")
    if targets_from not in TARGETS_FROM:
        raise ValueError(f"targets come from one of {', '.join(TARGETS_FROM)}")
    return OutcomesTable(totals, merged, sources, targets_from)


def team_targets(
    teams: Iterable[tuple[float | None, float | None]],
) -> tuple[dict[str, float], str]:
    """The targets of the teams in a filter, and where they come from: the teams' own when every
    team has the same (a team without a target of its own has the programme's), else the
    programme's. A filter of teams that all keep the programme's targets says "programme"."""
    chosen = {
        (
            DEFAULT_TARGETS["employment"] if employment is None else employment,
            DEFAULT_TARGETS["education"] if education is None else education,
        )
        for employment, education in teams
    }
    if len(chosen) != 1:
        return dict(DEFAULT_TARGETS), "programme"
    employment, education = chosen.pop()
    targets = {"employment": employment, "education": education}
    return targets, "programme" if targets == DEFAULT_TARGETS else "team"


# --- WHO-5 (6.6) -------------------------------------------------------------------------------


@dataclass
class ScoreTable:
    rule: str
    label: str
    points: list[int]
    paired: bool | str
    """"form", "item" or False"""
    n: list[int]
    mean: list[float | None]
    sd: list[float | None]
    poor: list[int]
    likely_depression: list[int]
    change: dict[str, Any] | None = None
    paired_n: int | None = None
    """citizens in the paired group"""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "table": "who5",
            "score": self.rule,
            "label": self.label,
            "points": self.points,
            "paired": self.paired,
            "paired_n": self.paired_n,
            "n": self.n,
            "mean": self.mean,
            "sd": self.sd,
            "poor": self.poor,
            "likely_depression": self.likely_depression,
        }
        if self.change is not None:
            data.update(self.change)
        return data


def band_limit(rule: ScoreRule, code: str) -> float:
    for band in rule.bands:
        if band.code == code:
            return band.max
    raise ReportError(f"the score {rule.code} has no band {code!r}")


WHO5_BANDS = ("poor_wellbeing", "likely_depression")
"""The bands the who5 table counts, in the order `score_summaries` is asked for them."""


def build_who5(
    rule: ScoreRule,
    summaries: Iterable[ScoreSummary],
    pairs: Sequence[tuple[int, int]],
    points: Sequence[int],
    *,
    paired: bool | str,
    lang: str = "da",
) -> ScoreTable:
    """Per point n, mean, SD of the score (raw × multiply) and counts in the two bands; with
    `paired` over two points the mean change, improved/worsened counts and a Wilcoxon test."""
    by_point = {s.point: s for s in summaries}
    k = rule.multiply
    n: list[int] = []
    mean: list[float | None] = []
    sd: list[float | None] = []
    poor: list[int] = []
    depression: list[int] = []
    for point in points:
        s = by_point.get(point)
        count = s.n if s else 0
        n.append(count)
        mean.append(round(k * s.total / count, 2) if s and count else None)
        if s and count >= 2:
            variance = (count * s.squares - s.total**2) / (count * (count - 1))
            sd.append(round(k * math.sqrt(max(variance, 0.0)), 2))
        else:
            sd.append(None)
        poor.append(s.bands[0] if s else 0)
        depression.append(s.bands[1] if s else 0)
    change = None
    if paired and len(points) == 2:
        change = _paired_change(rule, pairs)
    return ScoreTable(
        rule.code, rule.title.get(lang), list(points), paired, n, mean, sd, poor, depression, change
    )


def _paired_change(rule: ScoreRule, pairs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    from scipy import stats

    k = rule.multiply
    relevant = rule.relevant_change if rule.relevant_change is not None else 0
    diffs = [k * (after - before) for before, after in pairs]
    result: dict[str, Any] = {
        "change": round(sum(diffs) / len(diffs), 2) if diffs else None,
        "relevant_change": relevant,
        "improved": sum(1 for d in diffs if relevant_direction(rule, d) > 0),
        "worsened": sum(1 for d in diffs if relevant_direction(rule, d) < 0),
        "test": None,
        "p_value": None,
        "statistic": None,
        "n_nonzero": sum(1 for d in diffs if d),
        "effect_size": None,
        "warning": None,
        "warnings": [],
    }
    if not diffs:
        result["warning"] = "no citizen has a score at both points"
        result["warnings"] = [{"code": "no_pairs"}]
    elif not any(diffs):
        result["warning"] = "every difference is zero; no test is possible"
        result["warnings"] = [{"code": "all_differences_zero"}]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns on ties and zeros in small samples
            test = stats.wilcoxon(diffs)
        result.update(
            test="wilcoxon",
            p_value=float(test.pvalue),
            statistic=float(test.statistic),
            effect_size={"name": "r", "value": signed_rank_r(diffs)},
        )
    return result


def signed_rank_r(diffs: Sequence[float]) -> float:
    """r = Z / sqrt(n) of the signed-rank test, n the non-zero differences, Z from the normal
    approximation of the sum of the ranks of the rises (ties averaged and corrected for, no
    continuity correction): positive when the scores rose. |Z| is scipy's `zstatistic` of
    `wilcoxon(diffs, method="approx")`, which is signed by the smaller rank sum instead."""
    from scipy import stats

    nonzero = np.asarray([d for d in diffs if d], dtype=float)
    n = len(nonzero)
    ranks = stats.rankdata(np.abs(nonzero))
    rises = float(ranks[nonzero > 0].sum())
    _, ties = np.unique(ranks, return_counts=True)
    variance = n * (n + 1) * (2 * n + 1) / 24 - float((ties**3 - ties).sum()) / 48
    if variance <= 0:
        return 0.0
    z = (rises - n * (n + 1) / 4) / math.sqrt(variance)
    return z / math.sqrt(n)


# --- attrition: who is missing at a later point --------------------------------------------------


@dataclass
class AttritionItem:
    item: Item
    categories: list[Category]
    counts: list[list[int]]
    """per category: [with a form at the point, without]"""
    result: TestResult

    def to_dict(self, lang: str) -> dict[str, Any]:
        n = [sum(column) for column in zip(*self.counts, strict=True)] if self.counts else [0, 0]
        return {
            "item": self.item.code,
            "label": self.item.text.get(lang),
            "rows": [
                {"code": c.code, "label": c.label, "special": c.special} for c in self.categories
            ],
            "counts": self.counts,
            "n": n,
            "percents": [
                [percent(v, t) for v, t in zip(row, n, strict=True)] for row in self.counts
            ],
            **self.result.fields(),
        }


ATTRITION_COLUMNS = {
    "da": ("Med skema", "Uden skema"),
    "en": ("With a form", "Without a form"),
}


@dataclass
class AttritionTable:
    point: int
    due_by: date
    due: int
    with_form: int
    items: list[AttritionItem]
    lang: str = "da"

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": "attrition",
            "point": self.point,
            "due_by": self.due_by.isoformat(),
            "due": self.due,
            "with": self.with_form,
            "without": self.due - self.with_form,
            "columns": {
                "codes": ["with", "without"],
                "labels": list(ATTRITION_COLUMNS[self.lang]),
            },
            "items": [item.to_dict(self.lang) for item in self.items],
        }


def build_attrition(
    items: Sequence[Item], counts: AttritionCounts, point: int, due_by: date, lang: str = "da"
) -> AttritionTable:
    """Per item, the baseline answers of the citizens due for `point`, split by whether they
    have a form there, with a test of independence (special answers left out of it)."""
    built = []
    for item in items:
        cells = counts.items.get(item.code, [])
        rows = Axis(item.code, item.text.get(lang), _axis(item, (c[0] for c in cells), lang))
        columns = Axis("form", "", [Category("with", "", 1), Category("without", "", 0)])
        matrix = _matrix(rows, columns, cells)
        built.append(
            AttritionItem(item, matrix.rows.categories, matrix.counts, matrix_test(matrix))
        )
    return AttritionTable(point, due_by, counts.due, counts.with_form, built, lang)


@dataclass
class Dated:
    """A table as of a day: its dict says which (`"as_of"`, null when it is today's)."""

    table: Any
    as_of: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.table.to_dict(), "as_of": self.as_of.isoformat() if self.as_of else None}

    def __getattr__(self, name: str) -> Any:
        """The table's own fields (`matrix`, `totals`, ...), for callers that read them."""
        if name == "table":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.table, name)
