"""Every report table laid out once, as a neutral grid, for every output to write.

A grid is a header row, body rows, footer rows (totals, test, p-value) and notes, made of typed
cells that hold numbers, never formatted text: a count, a percent *as its count and its n*, a
mean, a p-value, a total. How a figure is shown (decimal comma or point, a string or a number
with an Excel number format) is the writer's choice (`survey.reports.writers`), and a percent
is rounded once, there, from its count and n. The page, its chart and downloads, and the
command's CSV and text all write this one layout.

Every count a cell shows carries a `key`, the name of the quantity it shows; a percent carries
the keys of its count and of its n. A layout also states the sums its table shows (`Sum`: this
total is the sum of those parts), so that `survey.reports.disclosure` can hide small counts
together with as many other cells as it takes that none can be worked out again.

The input is a table's dict (`table.to_dict()`, the JSON contract of docs/reports.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from survey.labels import Label, _l, pgettext

Key = Hashable
"""The name of a quantity a table shows (a count of citizens), unique within the grid."""

LABELS: dict[str, Label] = {
    "point": _l("Point"),
    "total": pgettext("report table", "Total"),
    "total_n": _l("Total (n)"),
    "count": _l("Count (n)"),
    "percent": _l("Percent (%)"),
    "baseline": _l("Citizens with a baseline measurement"),
    "n": pgettext("report table", "n"),
    "mean": _l("Mean"),
    "sd": _l("Standard deviation (SD)"),
    "poor": _l("≤ 50 (poor well-being), n"),
    "likely_depression": _l("≤ 28 (likely depression), n"),
    "change": _l("Mean change"),
    "improved": _l("Improved ≥ %(limit)s, n"),
    "worsened": _l("Worsened ≥ %(limit)s, n"),
    "p_value": _l("p-value"),
    "target": _l("Target (%)"),
    "citizens": _l("Citizens with a baseline measurement (n)"),
    "employment": _l("Employment (ordinary hours)"),
    "education": _l("Education"),
    "internship": _l("Work placement"),
    "education_or_internship": _l("Education or work placement"),
    "test": _l("Test"),
    "warning": _l("Warning"),
    "hidden": pgettext("report cell", "hidden"),
    "about": _l("About the tables"),
    "hidden_note": _l(
        "“hidden”: fewer than 5 citizens, or a figure from which such a number could be worked "
        "out, is not shown, to protect the citizens' anonymity."
    ),
    "fisher": _l("Fisher's exact test"),
    "chi2": _l("Chi-square test"),
    "wilcoxon": _l("Wilcoxon signed-rank test"),
    "low_expected": _l(
        "%(low)s of %(cells)s expected counts are below 5; the test may be unreliable"
    ),
    "no_test_categories": _l("too few answer categories or groups with answers for a test"),
    "no_pairs": _l("no citizen has a score at both points"),
    "all_differences_zero": _l("every difference is zero; no test is possible"),
    "no_discordant_pairs": _l("no citizen changed answer between the points; no test is possible"),
    "singular_table": _l("the answers do not allow the test (a singular table)"),
    "special_excluded": _l("“Don't know” and other special answers are left out of the test."),
    "extremes_hidden": _l(
        "The smallest and largest values are each one citizen's answer and are not shown."
    ),
    "mcnemar": _l("McNemar's test"),
    "stuart_maxwell": _l("Stuart–Maxwell test of marginal homogeneity"),
    "bowker": _l("Bowker's test of symmetry"),
    "statistic": _l("Test statistic"),
    "effect_size": _l("Effect size"),
    "cramers_v": _l("Cramér's V"),
    "r": pgettext("effect size", "r"),
    "enrolled": _l("Citizens enrolled (n)"),
    "without_baseline": _l("of whom without a first measurement (n)"),
    "staff_form": _l("of whom by a staff form alone (n)"),
    "end_reason": _l("of whom by the reason the course ended alone (n)"),
    "both": _l("of whom by both (n)"),
    "note": _l("Note"),
    "due": _l("Citizens due for point %(point)s, with a first measurement (n)"),
    "pairs": _l("Citizens in the test (n)"),
    "paired_n": _l("Citizens with the form at every point (n)"),
    "symmetry": _l("Symmetry"),
    "median": _l("Median"),
    "min": _l("Smallest value"),
    "max": _l("Largest value"),
}
"""The words of the laid-out tables, through Babel (`in_language` reads them in the table's
language, with or without a request)."""

NOTES = frozenset({"special_excluded", "extremes_hidden"})
"""Notes that are no warning (the others are warnings about a test)."""

OUTCOMES = ("employment", "education", "internship", "education_or_internship")
"""The outcome rows of the outcomes table (6.1), in the report's order."""

WHO5_ROWS = ("n", "mean", "sd", "poor", "likely_depression")
"""The body rows of the who5 table (6.6), in order; the chart finds its rows by these."""


@cache
def words(lang: str) -> Mapping[str, str]:
    """The table words in `lang` ("da" or "en")."""
    return {key: label.in_language(lang) for key, label in LABELS.items()}


# --- cells -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A label. `level` 1 is a status under the baseline row, 2 a reason under its status: the
    writer decides how each level is indented."""

    text: str
    level: int = 0
    heading: bool = False
    """a section's heading (an item's question above its answers), not a row of figures"""


@dataclass(frozen=True)
class Count:
    """A count of citizens (or of their forms)."""

    value: int
    key: Key = None


@dataclass(frozen=True)
class Percent:
    """`count` of `n` as a percent. The writer rounds it, once, from the two whole numbers."""

    count: int
    n: int
    key: Key = None
    """the key of the count it shows (hidden with it)"""
    n_key: Key = None
    """the key of its n (a percent of a hidden n would give the n away)"""

    @property
    def value(self) -> float | None:
        return 100 * self.count / self.n if self.n else None


@dataclass(frozen=True)
class Share:
    """A set share, not computed from counts (a target): 0.2 is 20 %."""

    value: float


@dataclass(frozen=True)
class Total:
    """A "Total (n)" cell: n citizens, 100 % of a column. `multiple`: the column's percents do
    not add up to 100 (several answers each)."""

    n: int
    key: Key = None
    multiple: bool = False


@dataclass(frozen=True)
class Mean:
    """A mean or a standard deviation of a score, of the citizens counted by `n_key`."""

    value: float | None
    n_key: Key = None


@dataclass(frozen=True)
class Change:
    """A mean change of a score between two points."""

    value: float | None
    n_key: Key = None


@dataclass(frozen=True)
class PValue:
    """The p-value of a test on the counts named by `keys` (hidden when any of them is)."""

    value: float | None
    keys: frozenset[Key] = frozenset()


@dataclass(frozen=True)
class TestName:
    """Which test was run ("chi2", "fisher", "wilcoxon"); shown with the p-value."""

    name: str | None
    keys: frozenset[Key] = frozenset()


@dataclass(frozen=True)
class Statistic:
    """A test's statistic stated in full: χ² = 5,08 (df = 8); W = 512 (n = 59)."""

    name: str | None
    value: float | None
    dof: int | None = None
    n: int | None = None
    keys: frozenset[Key] = frozenset()


@dataclass(frozen=True)
class Effect:
    """An effect size: Cramér's V = 0,13; r = 0,37."""

    name: str | None
    value: float | None
    keys: frozenset[Key] = frozenset()


@dataclass(frozen=True)
class Extreme:
    """A smallest or largest value: one citizen's own answer (never shown when protected)."""

    value: float | None
    n_key: Key = None


@dataclass(frozen=True)
class Hidden:
    """A cell not shown to protect the citizens (a count of 1–4, a figure that would give one
    away, or a test on hidden counts). `was`: the kind of cell it hides ("Percent"...), for
    the chart to leave its gap in the right place."""

    was: str = ""


Cell = (
    Text
    | Count
    | Percent
    | Share
    | Total
    | Mean
    | Change
    | PValue
    | TestName
    | Statistic
    | Effect
    | Extreme
    | Hidden
)
Row = list[Cell]


@dataclass(frozen=True)
class Sum:
    """A sum the table shows: the count `total` is the sum of the counts `parts`."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Note:
    """A note under the table: a warning's code (a key of LABELS) with its parameters."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Grid:
    """One laid-out table. `column_title` names what the header's columns are (a crosstab's
    column item), for the chart's legend. `counts` is every keyed count the table shows, by
    key, and `sums` the sums among them (what an attacker could work a hidden cell out from)."""

    kind: str
    lang: str
    head: list[str]
    body: list[Row]
    foot: list[Row] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    column_title: str = ""
    counts: dict[Key, int] = field(default_factory=dict)
    sums: list[Sum] = field(default_factory=list)
    hidden: frozenset[Key] = frozenset()
    """the keys `survey.reports.disclosure.protect` hid (empty when nothing is hidden)"""

    @property
    def rows(self) -> list[Row]:
        return [*self.body, *self.foot]

    def note_texts(self) -> list[str]:
        """The notes in the table's language."""
        w = words(self.lang)
        return [w[note.code] % dict(note.params) for note in self.notes]


def figure(cell: Cell) -> Any:
    """What a cell holds, unformatted: a label's text, a number (a percent's exact value, a
    total's n), None for a hidden one."""
    match cell:
        case Text(text=text):
            return text
        case Total(n=n):
            return n
        case Hidden():
            return None
        case TestName(name=name):
            return name
        case _:
            return cell.value


def hide_cells(grid: Grid, hidden: frozenset[Key]) -> Grid:
    """A copy of `grid` in which every cell showing, or computed from, a hidden count is
    Hidden: counts and totals by their key, percents by their count's or n's, means by their
    n's, a test by any of its counts."""

    def shown(cell: Cell) -> Cell:
        match cell:
            case Count(key=key) | Total(key=key) if key in hidden:
                return Hidden(type(cell).__name__)
            case Percent(key=key, n_key=n_key) if key in hidden or n_key in hidden:
                return Hidden("Percent")
            case Mean(n_key=n_key) | Change(n_key=n_key) if n_key in hidden:
                return Hidden(type(cell).__name__)
            case (
                PValue(keys=keys) | TestName(keys=keys) | Statistic(keys=keys) | Effect(keys=keys)
            ) if keys & hidden:
                return Hidden(type(cell).__name__)
            case Extreme(n_key=n_key) if n_key in hidden:
                return Hidden("Extreme")
        return cell

    foot = [[shown(c) for c in row] for row in grid.foot]
    tested = [
        c for row in foot for c in row if isinstance(c, PValue | TestName | Statistic | Hidden)
    ]
    return replace(
        grid,
        body=[[shown(c) for c in row] for row in grid.body],
        foot=foot,
        # a warning is about its test: with the test hidden, it goes too
        notes=[] if any(isinstance(c, Hidden) for c in tested) and grid.notes else grid.notes,
        hidden=grid.hidden | hidden,
    )


# --- one layout per table kind -----------------------------------------------------------------


class _Counts:
    """Collects the keyed counts of a grid as its layout makes their cells."""

    def __init__(self) -> None:
        self.values: dict[Key, int] = {}

    def count(self, value: int, key: Key) -> Count:
        self.values[key] = value
        return Count(value, key)

    def percent(self, count: int, n: int, key: Key, n_key: Key) -> Percent:
        self.values[key] = count
        return Percent(count, n, key, n_key)

    def total(self, n: int, key: Key, multiple: bool = False) -> Total:
        self.values[key] = n
        return Total(n, key, multiple)


def _points(d: dict[str, Any], w: Mapping[str, str]) -> list[str]:
    return [f"{w['point']} {p}" for p in d["points"]]


def _warnings(d: dict[str, Any]) -> list[Note]:
    """The table's warnings as notes: codes with parameters (or, from an older dict, a
    sentence of its own)."""
    if "warnings" in d:
        return [Note(w["code"], {k: v for k, v in w.items() if k != "code"}) for w in d["warnings"]]
    sentence = d.get("warning")
    if not sentence:
        return []
    low = re.match(r"(\d+) of (\d+) expected counts", sentence)
    if low:
        return [Note("low_expected", {"low": int(low[1]), "cells": int(low[2])})]
    return [Note(_SENTENCES.get(sentence, "no_test_categories"))]


_SENTENCES = {
    "too few answer categories or groups with answers for a test": "no_test_categories",
    "no citizen has a score at both points": "no_pairs",
    "every difference is zero; no test is possible": "all_differences_zero",
}


def _test_rows(
    w: Mapping[str, str], test: Mapping[str, Any], keys: frozenset[Key], n: int | None = None
) -> list[Row]:
    """A test stated in full: its name, statistic with degrees of freedom (or the pairs it is
    on), effect size and p-value; every cell hidden when a count it is computed from is."""
    effect = test.get("effect_size") or {}
    rows: list[Row] = [
        [Text(w["test"]), TestName(test.get("name"), keys)],
        [
            Text(w["statistic"]),
            Statistic(test.get("name"), test.get("statistic"), test.get("dof"), n, keys),
        ],
    ]
    if effect:
        rows.append([Text(w["effect_size"]), Effect(effect.get("name"), effect.get("value"), keys)])
    rows.append([Text(w["p_value"]), PValue(test.get("p_value"), keys)])
    return rows


def _special_note(d: Mapping[str, Any]) -> list[Note]:
    return [Note("special_excluded")] if d.get("excluded_special") else []


def _waves(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    c = _Counts()
    body: list[Row] = [
        [Text(d["labels"].get(f, f)), *(c.count(n, ("form", f, j)) for j, n in enumerate(counts))]
        for f, counts in d["forms"].items()
    ]
    head = ["", *(f"{p} (n)" for p in _points(d, w))]
    foot: list[Row] = []
    if "enrolled" in d:
        blanks = [Text("")] * (len(head) - 2)
        foot = [
            [Text(w["enrolled"]), c.count(d["enrolled"], "enrolled"), *blanks],
            [
                Text(w["without_baseline"], level=1),
                c.count(d["without_baseline"], "without"),
                *blanks,
            ],
        ]
    return Grid("waves", lang, head, body, foot, counts=c.values)


def _status(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    c = _Counts()
    n = d["n"]
    body: list[Row] = [[Text(w["baseline"]), c.count(n, "n"), Percent(n, n, "n", "n")]]
    sums = [Sum("n", tuple(("status", s) for s in d["counts"]))]
    for status, status_count in d["counts"].items():
        body.append(
            [
                Text(d["labels"][status], level=1),
                c.count(status_count, ("status", status)),
                Percent(status_count, n, ("status", status), "n"),
            ]
        )
        reasons = d["reasons"].get(status, {})
        for reason, reason_count in reasons.items():
            if reason_count:
                body.append(
                    [
                        Text(d["reason_labels"][reason], level=2),
                        c.count(reason_count, ("reason", status, reason)),
                        Text(""),
                    ]
                )
        if reasons:  # an ended course always has its reason: the reasons add up to the status
            shown = tuple(("reason", status, r) for r, rc in reasons.items() if rc)
            sums.append(Sum(("status", status), shown))
    return Grid("status", lang, ["", w["count"], w["percent"]], body, counts=c.values, sums=sums)


def _distribution(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    c = _Counts()
    columns = range(len(d["points"]))
    body: list[Row] = [
        [
            Text(r["label"]),
            *(c.percent(r["counts"][j], d["n"][j], ("cell", i, j), ("n", j)) for j in columns),
        ]
        for i, r in enumerate(d["rows"])
    ]
    totals: Row = [
        Text(w["total_n"]),
        *(c.total(d["n"][j], ("n", j), multiple=d["multiple"]) for j in columns),
    ]
    sums = (
        []
        if d["multiple"]  # several answers each: the column is no sum
        else [Sum(("n", j), tuple(("cell", i, j) for i in range(len(body)))) for j in columns]
    )
    foot: list[Row] = [totals]
    notes: list[Note] = []
    if d.get("paired_n") is not None:
        foot.append(
            [
                Text(w["paired_n"]),
                c.count(d["paired_n"], "paired_n"),
                *([Text("")] * (len(columns) - 1)),
            ]
        )
    test = d.get("test")
    if isinstance(test, dict) and test.get("name"):
        keys = frozenset(c.values) | {"pairs"}
        foot.append([Text(w["pairs"]), c.count(test["n_pairs"], "pairs")])
        foot.extend(_test_rows(w, test, keys))
        symmetry = test.get("symmetry")
        if symmetry:
            foot.append(
                [
                    Text(w["symmetry"]),
                    Statistic(symmetry["name"], symmetry["statistic"], symmetry["dof"], None, keys),
                    PValue(symmetry["p_value"], keys),
                ]
            )
        notes = _special_note(test) + _warnings(d)
    elif isinstance(test, dict):
        notes = _warnings(d)
    head = [d["label"], *(f"{p} (%)" for p in _points(d, w))]
    return Grid("distribution", lang, head, body, foot, notes, counts=c.values, sums=sums)


def _matrix(d: dict[str, Any], c: _Counts, *, by_column: bool) -> tuple[list[Row], list[Sum]]:
    """The body of a two-way table (crosstab, by) and its sums: a row per row label with its
    total last. `by_column`: percents of the column's total (by), else of the whole (crosstab)."""
    n = d["n"]
    rows = range(len(d["counts"]))
    columns = range(len(d["column_totals"]))
    body: list[Row] = [
        [
            Text(label),
            *(
                c.percent(
                    d["counts"][i][j],
                    d["column_totals"][j] if by_column else n,
                    ("cell", i, j),
                    ("col", j) if by_column else "n",
                )
                for j in columns
            ),
            c.percent(d["row_totals"][i], n, ("row", i), "n"),
        ]
        for i, label in enumerate(d["rows"]["labels"])
    ]
    sums = [
        *(Sum(("row", i), tuple(("cell", i, j) for j in columns)) for i in rows),
        *(Sum(("col", j), tuple(("cell", i, j) for i in rows)) for j in columns),
        Sum("n", tuple(("row", i) for i in rows)),
        Sum("n", tuple(("col", j) for j in columns)),
    ]
    return body, sums


def _cell_keys(d: dict[str, Any]) -> frozenset[Key]:
    return frozenset(
        ("cell", i, j) for i in range(len(d["counts"])) for j in range(len(d["column_totals"]))
    )


def _crosstab(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    c = _Counts()
    body, sums = _matrix(d, c, by_column=False)
    totals: Row = [
        Text(w["total_n"]),
        *(c.percent(t, d["n"], ("col", j), "n") for j, t in enumerate(d["column_totals"])),
        c.total(d["n"], "n"),
    ]
    head = [d["rows"]["label"], *(f"{x} (%)" for x in d["columns"]["labels"]), w["total_n"]]
    return Grid(
        "crosstab",
        lang,
        head,
        body,
        [totals],
        column_title=d["columns"]["label"],
        counts=c.values,
        sums=sums,
    )


def _by(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    c = _Counts()
    body, sums = _matrix(d, c, by_column=True)
    tested = _cell_keys(d) | {("col", j) for j in range(len(d["column_totals"]))}
    foot: list[Row] = [
        [
            Text(w["total_n"]),
            *(c.total(t, ("col", j)) for j, t in enumerate(d["column_totals"])),
            c.total(d["n"], "n"),
        ],
        *_test_rows(
            w,
            {
                "name": d["test"],
                "statistic": d.get("statistic"),
                "dof": d.get("dof"),
                "p_value": d["p_value"],
                "effect_size": d.get("effect_size"),
            },
            tested,
        ),
    ]
    head = [d["rows"]["label"], *(f"{x} (%)" for x in d["columns"]["labels"]), w["total"] + " (%)"]
    return Grid(
        "by",
        lang,
        head,
        body,
        foot,
        _special_note(d) + _warnings(d),
        column_title=d["columns"]["label"],
        counts=c.values,
        sums=sums,
    )


def _outcomes(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    c = _Counts()
    body: list[Row] = []
    sums: list[Sum] = []
    for key in OUTCOMES:
        target = d["targets"].get(key)
        body.append(
            [
                Text(w[key]),
                c.count(d[key], key),
                Percent(d[key], d["n"], key, "n"),
                Text("") if target is None else Share(target),
            ]
        )
        sources = d.get("sources", {}).get(key)
        if sources:  # how many are counted by which: the staff form, the end reason, both
            parts = tuple((key, source) for source in ("staff_form", "end_reason", "both"))
            for part in parts:
                body.append(
                    [Text(w[part[1]], level=1), c.count(sources[part[1]], part), Text(""), Text("")]
                )
            sums.append(Sum(key, parts))
    foot: list[Row] = [[Text(w["citizens"]), c.count(d["n"], "n"), Text(""), Text("")]]
    head = ["", w["count"], w["percent"], w["target"]]
    return Grid("outcomes", lang, head, body, foot, counts=c.values, sums=sums)


def _who5(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    c = _Counts()
    columns = range(len(d["points"]))
    body: list[Row] = [
        [Text(w["n"]), *(c.count(d["n"][j], ("n", j)) for j in columns)],
        [Text(w["mean"]), *(Mean(d["mean"][j], ("n", j)) for j in columns)],
        [Text(w["sd"]), *(Mean(d["sd"][j], ("n", j)) for j in columns)],
        [Text(w["poor"]), *(c.count(d["poor"][j], ("poor", j)) for j in columns)],
        [
            Text(w["likely_depression"]),
            *(c.count(d["likely_depression"][j], ("depression", j)) for j in columns),
        ],
    ]
    foot: list[Row] = []
    notes: list[Note] = []
    if "change" in d:
        limit = f"{d['relevant_change']:g}"
        paired = frozenset({("n", j) for j in columns} | {"improved", "worsened"})
        foot = [
            [Text(w["change"]), Change(d["change"], ("n", 0))],
            [Text(w["improved"] % {"limit": limit}), c.count(d["improved"], "improved")],
            [Text(w["worsened"] % {"limit": limit}), c.count(d["worsened"], "worsened")],
            *_test_rows(
                w,
                {
                    "name": d.get("test"),
                    "statistic": d.get("statistic"),
                    "p_value": d["p_value"],
                    "effect_size": d.get("effect_size"),
                },
                paired,
                d.get("n_nonzero"),
            ),
        ]
        notes = _warnings(d)
    head = [d["label"], *_points(d, w)]
    return Grid("who5", lang, head, body, foot, notes, counts=c.values)


def _numeric(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    c = _Counts()
    columns = range(len(d["points"]))
    body: list[Row] = [[Text(w["n"]), *(c.count(d["n"][j], ("n", j)) for j in columns)]]
    for key in ("mean", "sd", "median"):
        body.append([Text(w[key]), *(Mean(d[key][j], ("n", j)) for j in columns)])
    for key in ("min", "max"):
        body.append([Text(w[key]), *(Extreme(d[key][j], ("n", j)) for j in columns)])
    unit = f" ({d['unit']})" if d.get("unit") else ""
    return Grid("numeric", lang, [d["label"] + unit, *_points(d, w)], body, counts=c.values)


def _attrition(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    """Who has point K among those due for it: the counts, then per baseline item the answers
    of those with and without it (column percents), each with its test, stacked."""
    labels = d["columns"]["labels"]
    parts: list[Grid] = []
    for it in d["items"]:
        row_totals = [sum(r) for r in it["counts"]]
        by = {
            "table": "by",
            "rows": {"label": it["label"], "labels": [r["label"] for r in it["rows"]]},
            "columns": {"label": "", "labels": labels},
            "counts": it["counts"],
            "row_totals": row_totals,
            "column_totals": it["n"],
            "n": sum(it["n"]),
            **{k: it.get(k) for k in ("test", "p_value", "statistic", "dof", "effect_size")},
            **{k: it[k] for k in ("excluded_special", "warnings") if k in it},
        }
        parts.append(_part(_by(by, lang, w), len(parts) + 1))
    c = _Counts()
    summary: Row = [
        Text(w["due"] % {"point": d["point"]}),
        c.count(d["with"], "with"),
        c.count(d["without"], "without"),
        c.count(d["due"], "due"),
    ]
    head = ["", *(f"{x} (%)" for x in labels), w["total"] + " (%)"]
    if not parts:
        return Grid(
            "items", lang, head, [summary], counts=c.values, sums=[Sum("due", ("with", "without"))]
        )
    grid = _stacked(parts, lang, "")
    return replace(
        grid,
        head=head,
        body=[summary, *grid.body],
        counts={**c.values, **grid.counts},
        sums=[Sum("due", ("with", "without")), *grid.sums],
    )


# --- several tables as one: the report's tables of several items ------------------------------


def _rekey(cell: Cell, part: int) -> Cell:
    """A part's cell with its keys made unique in the whole (prefixed by the part's number)."""
    match cell:
        case Count() | Total():
            return replace(cell, key=(part, cell.key))
        case Percent():
            return replace(cell, key=(part, cell.key), n_key=(part, cell.n_key))
        case Mean() | Change():
            return replace(cell, n_key=(part, cell.n_key))
        case PValue() | TestName() | Statistic() | Effect():
            return replace(cell, keys=frozenset((part, k) for k in cell.keys))
        case Extreme():
            return replace(cell, n_key=(part, cell.n_key))
    return cell


def _part(grid: Grid, part: int) -> Grid:
    def rows(rs: list[Row]) -> list[Row]:
        return [[_rekey(c, part) for c in r] for r in rs]

    return replace(
        grid,
        body=rows(grid.body),
        foot=rows(grid.foot),
        counts={(part, k): v for k, v in grid.counts.items()},
        sums=[Sum((part, s.total), tuple((part, p) for p in s.parts)) for s in grid.sums],
    )


def _unique_notes(parts: list[Grid]) -> list[Note]:
    """The parts' notes, each once (every part of 6.4 leaves "Ved ikke" out of its test)."""
    seen: dict[tuple[str, tuple[tuple[str, Any], ...]], Note] = {}
    for part in parts:
        for note in part.notes:
            seen.setdefault((note.code, tuple(sorted(note.params.items()))), note)
    return list(seen.values())


def _stacked(parts: list[Grid], lang: str, label: str) -> Grid:
    """The parts one below the other, each under its question (4.1, 5.2, 6.2, 6.3, 6.4): one
    header row, the columns of the first part."""
    width = len(parts[0].head)
    body: list[Row] = []
    for part in parts:
        body.append([Text(part.head[0], heading=True), *([Text("")] * (width - 1))])
        body.extend(part.body)
        body.extend(part.foot)
    return Grid(
        "items",
        lang,
        [label, *parts[0].head[1:]],
        body,
        notes=_unique_notes(parts),
        column_title=parts[0].column_title,
        counts={k: v for p in parts for k, v in p.counts.items()},
        sums=[s for p in parts for s in p.sums],
    )


def _side_by_side(parts: list[Grid], lang: str, label: str, names: Sequence[str] | None) -> Grid:
    """The parts next to each other (4.2, 4.3, 4.6, 4.7, 6.5, 6.6): one row per answer when
    every part has the same answers, else each part with its own label column. A part's columns
    are headed by its name (its question, unless the set names it) and point."""
    labels = [[r[0] for r in p.body] for p in parts]
    shared = all(ls == labels[0] for ls in labels)
    named = names or [p.head[0] for p in parts]

    def heads(part: Grid, name: str) -> list[str]:
        if len(part.head) == 2:  # one point: the part's name is the column's
            return [f"{name} (%)"]
        return [f"{name}: {h}" for h in part.head[1:]]

    body: list[Row] = []
    foot: list[Row] = []
    if shared:
        head = [label, *(h for p, name in zip(parts, named, strict=True) for h in heads(p, name))]
        for i, first in enumerate(parts[0].body):
            body.append([first[0], *(c for p in parts for c in p.body[i][1:])])
        for i, first in enumerate(parts[0].foot):
            foot.append([first[0], *(c for p in parts for c in p.foot[i][1:])])
    else:
        head = [h for p in parts for h in [p.head[0], *p.head[1:]]]
        height = max(len(p.body) for p in parts)
        for i in range(height):
            row: Row = []
            for p in parts:
                row.extend(p.body[i] if i < len(p.body) else [Text("")] * len(p.head))
            body.append(row)
        for i in range(max(len(p.foot) for p in parts)):
            row = []
            for p in parts:
                row.extend(p.foot[i] if i < len(p.foot) else [Text("")] * len(p.head))
            foot.append(row)
    return Grid(
        "items",
        lang,
        head,
        body,
        foot,
        notes=_unique_notes(parts),
        counts={k: v for p in parts for k, v in p.counts.items()},
        sums=[s for p in parts for s in p.sums],
    )


def _items(d: dict[str, Any], lang: str, w: Mapping[str, str]) -> Grid:
    parts = [_part(make_grid(p, lang), i) for i, p in enumerate(d["parts"])]
    if not parts:
        raise ValueError("a table of several items needs at least one")
    if d.get("layout") == "side":
        return _side_by_side(parts, lang, d.get("label", ""), d.get("names"))
    return _stacked(parts, lang, d.get("label", ""))


LAYOUTS: dict[str, Callable[[dict[str, Any], str, Mapping[str, str]], Grid]] = {
    "waves": _waves,
    "status": _status,
    "distribution": _distribution,
    "crosstab": _crosstab,
    "by": _by,
    "outcomes": _outcomes,
    "who5": _who5,
    "numeric": _numeric,
    "attrition": _attrition,
    "items": _items,
}
"""The layout of each table kind (the "table" of its dict)."""


def make_grid(d: dict[str, Any], lang: str = "da") -> Grid:
    """The table's dict laid out like the evaluation report, in `lang` ("da" or "en")."""
    make = LAYOUTS.get(d.get("table", ""))
    if make is None:
        raise ValueError(f"not a report table: {d.get('table')!r}")
    return make(d, lang, words(lang))
