"""Pure functions from query rows (and item definitions) to report tables.

Every table is a dataclass whose `to_dict()` is the JSON contract of docs/reports.md. Labels
come in the language asked for (`da`, the default, or `en`); those of the course statuses and
end reasons are the app's (`survey.labels`). Nothing here touches the database.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats.contingency import expected_freq

from survey.instruments.schema import Item, ItemType, ScoreRule
from survey.instruments.scoring import relevant_direction
from survey.labels import REASON_LABELS, REPORT_STATUS_LABELS, in_language
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
    paired: bool
    n: list[int]
    rows: list[DistributionRow]

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": "distribution",
            "item": self.item,
            "label": self.label,
            "multiple": self.multiple,
            "points": self.points,
            "paired": self.paired,
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


def build_distribution(
    item: Item, counts: AnswerCounts, points: Sequence[int], *, paired: bool, lang: str = "da"
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


def independence_test(counts: Sequence[Sequence[int]]) -> TestResult:
    """Chi-square test of independence (Fisher's exact test for a 2×2 table) on `counts` with
    all-zero rows and columns dropped; a warning when an expected count is below 5."""
    rows = [list(r) for r in counts if any(r)]
    keep = [j for j in range(len(rows[0]) if rows else 0) if any(r[j] for r in rows)]
    table = [[r[j] for j in keep] for r in rows]
    if len(table) < 2 or len(keep) < 2:
        return TestResult(
            None,
            None,
            warning="too few answer categories or groups with answers for a test",
            cells=table,
        )
    expected = expected_freq(table)
    low = int((expected < 5).sum())
    warning = (
        f"{low} of {expected.size} expected counts are below 5; the test may be unreliable"
        if low
        else None
    )
    if len(table) == 2 and len(keep) == 2:
        exact = stats.fisher_exact(np.asarray(table))
        return TestResult("fisher", float(exact.pvalue), None, None, warning, table)
    chi2 = stats.chi2_contingency(table)
    return TestResult(
        "chi2", float(chi2.pvalue), float(chi2.statistic), int(chi2.dof), warning, table
    )


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
            "test": self.result.test,
            "p_value": self.result.p_value,
            "statistic": self.result.statistic,
            "dof": self.result.dof,
            "warning": self.result.warning,
        }


def _test_counts(matrix: Matrix) -> list[list[int]]:
    """The counts without special ("Ved ikke") rows: they are answers, but not on the scale."""
    return [
        row
        for cat, row in zip(matrix.rows.categories, matrix.counts, strict=True)
        if not cat.special
    ]


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
    return ByTable(item.code, point, "status", matrix, independence_test(_test_counts(matrix)))


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
    return ByTable(item.code, point, outcome, matrix, independence_test(_test_counts(matrix)))


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
    paired: bool
    n: list[int]
    mean: list[float | None]
    sd: list[float | None]
    poor: list[int]
    likely_depression: list[int]
    change: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "table": "who5",
            "score": self.rule,
            "label": self.label,
            "points": self.points,
            "paired": self.paired,
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
    paired: bool,
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
        "warning": None,
    }
    if not diffs:
        result["warning"] = "no citizen has a score at both points"
    elif not any(diffs):
        result["warning"] = "every difference is zero; no test is possible"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns on ties and zeros in small samples
            test = stats.wilcoxon(diffs)
        result.update(test="wilcoxon", p_value=float(test.pvalue))
    return result


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
            "test": self.result.test,
            "p_value": self.result.p_value,
            "statistic": self.result.statistic,
            "dof": self.result.dof,
            "warning": self.result.warning,
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
            AttritionItem(
                item, matrix.rows.categories, matrix.counts, independence_test(_test_counts(matrix))
            )
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
