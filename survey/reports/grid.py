"""Every report table laid out once, as a neutral grid, for every output to write.

A grid is a header row, body rows, footer rows (totals, test, p-value) and notes, made of typed
cells (a count, a percent, a p-value, a mean, a "<5"...) that hold the figure itself. How a
figure is shown (25.0 or 25, .3f or .3g) is the writer's choice (`survey.reports.writers`), so
the CLI, the page, its downloads and its chart all share this one layout.

The input is a table's dict (`table.to_dict()`), possibly with small cells suppressed
(`survey.reports.web.suppress` puts SMALL in place of a count).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SMALL = "<5"
"""What a count of 1–4 citizens shows when suppressed (0 is shown: it identifies no one)."""

WORDS = {
    "da": {
        "point": "Målepunkt",
        "total": "Total",
        "total_n": "Total (n)",
        "count": "Antal",
        "percent": "Procent",
        "baseline": "Antal borgere med en opstartsmåling",
        "n": "n",
        "mean": "Gennemsnit",
        "sd": "Spredning (SD)",
        "poor": "≤ 50 (dårlig trivsel)",
        "likely_depression": "≤ 28 (sandsynlig depression)",
        "change": "Gennemsnitlig ændring",
        "improved": "Forbedret ≥ {0:g}",
        "worsened": "Forværret ≥ {0:g}",
        "p_value": "p-værdi",
        "target": "Måltal",
        "citizens": "Borgere (n)",
        "employment": "Beskæftigelse/ordinære timer",
        "education": "Uddannelse",
        "internship": "Virksomhedspraktik",
        "education_or_internship": "Uddannelse eller praktik",
        "test": "Test",
        "warning": "Advarsel",
    },
    "en": {
        "point": "Point",
        "total": "Total",
        "total_n": "Total (n)",
        "count": "Count",
        "percent": "Percent",
        "baseline": "Citizens with a baseline measurement",
        "n": "n",
        "mean": "Mean",
        "sd": "Standard deviation",
        "poor": "≤ 50 (poor well-being)",
        "likely_depression": "≤ 28 (likely depression)",
        "change": "Mean change",
        "improved": "Improved ≥ {0:g}",
        "worsened": "Worsened ≥ {0:g}",
        "p_value": "p-value",
        "target": "Target",
        "citizens": "Citizens (n)",
        "employment": "Employment (ordinary hours)",
        "education": "Education",
        "internship": "Work placement",
        "education_or_internship": "Education or work placement",
        "test": "Test",
        "warning": "Warning",
    },
}
"""The words of the laid-out tables, in the report's two languages."""

OUTCOMES = ("employment", "education", "internship", "education_or_internship")
"""The outcome rows of the outcomes table (6.1), in the report's order."""

WHO5_ROWS = ("n", "mean", "sd", "poor", "likely_depression")
"""The body rows of the who5 table (6.6), in order; the chart finds its rows by these."""


# --- cells -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A label. `level` 1 is a status under the baseline row, 2 a reason under its status: the
    writer decides how each level is indented."""

    text: str
    level: int = 0


@dataclass(frozen=True)
class Count:
    value: int


@dataclass(frozen=True)
class Suppressed:
    """A count of 1–4 citizens, or a figure computed from one: shown as SMALL."""


@dataclass(frozen=True)
class Figure:
    """A figure computed from counts; None where there is nothing to compute it from."""

    value: float | None


class Percent(Figure):
    """A percent with its decimals (the writer rounds)."""


class PValue(Figure):
    """The p-value of a test."""


class Mean(Figure):
    """A mean or a standard deviation of a score."""


class Change(Figure):
    """A mean change of a score between two points."""


@dataclass(frozen=True)
class Total:
    """A "Total (n)" cell: n citizens, 100 % of a column. `multiple`: the column's percents do
    not add up to 100 (several answers each). `corner`: the bottom-right cell of a crosstab,
    which the CLI's text shows as "100 (n)" even for 0 (kept until the formats are unified)."""

    n: int | str
    multiple: bool = False
    corner: bool = False


Cell = Text | Count | Suppressed | Percent | PValue | Mean | Change | Total
Row = list[Cell]


@dataclass
class Grid:
    """One laid-out table. `column_title` names what the header's columns are (a crosstab's
    column item), for the chart's legend; `note_label` is the word a note is written after."""

    kind: str
    head: list[str]
    body: list[Row]
    foot: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    note_label: str = ""
    column_title: str = ""

    @property
    def rows(self) -> list[Row]:
        return [*self.body, *self.foot]


def count(value: Any) -> Count | Suppressed:
    """A count as a cell: SMALL when it was suppressed."""
    return Suppressed() if value == SMALL else Count(value)


def share(count_value: Any, percent: float | None) -> Percent | Suppressed:
    """The percent of a count; hidden with it when the count was suppressed."""
    return Suppressed() if count_value == SMALL else Percent(percent)


def figure(cell: Cell) -> Any:
    """What a cell holds, unformatted: a label's text, a figure, SMALL for a suppressed one,
    a total's n."""
    match cell:
        case Text(text=text):
            return text
        case Suppressed():
            return SMALL
        case Total(n=n):
            return n
        case _:
            return cell.value


# --- one layout per table kind -----------------------------------------------------------------


def _points(d: dict[str, Any], w: Mapping[str, str]) -> list[str]:
    return [f"{w['point']} {p}" for p in d["points"]]


def _waves(d: dict[str, Any], w: Mapping[str, str]) -> Grid:
    body: list[Row] = [
        [Text(d["labels"].get(f, f)), *(count(c) for c in counts)]
        for f, counts in d["forms"].items()
    ]
    return Grid("waves", ["", *_points(d, w)], body)


def _status(d: dict[str, Any], w: Mapping[str, str]) -> Grid:
    n = d["n"]
    body: list[Row] = [[Text(w["baseline"]), count(n), share(n, 100 if n else None)]]
    for status, status_count in d["counts"].items():
        body.append(
            [
                Text(d["labels"][status], level=1),
                count(status_count),
                share(status_count, d["percents"][status]),
            ]
        )
        for reason, reason_count in d["reasons"].get(status, {}).items():
            if reason_count:
                body.append(
                    [Text(d["reason_labels"][reason], level=2), count(reason_count), Text("")]
                )
    return Grid("status", ["", w["count"], w["percent"]], body)


def _distribution(d: dict[str, Any], w: Mapping[str, str]) -> Grid:
    body: list[Row] = [
        [Text(r["label"]), *(share(c, p) for c, p in zip(r["counts"], r["percents"], strict=True))]
        for r in d["rows"]
    ]
    totals: Row = [Text(w["total_n"]), *(Total(n, multiple=d["multiple"]) for n in d["n"])]
    return Grid("distribution", [d["label"], *_points(d, w)], body, [totals])


def _matrix_body(d: dict[str, Any]) -> list[Row]:
    """The body of a two-way table (crosstab, by): a row per row label, its total last."""
    return [
        [
            Text(label),
            *(share(c, p) for c, p in zip(counts, percents, strict=True)),
            share(total, total_percent),
        ]
        for label, counts, percents, total, total_percent in zip(
            d["rows"]["labels"],
            d["counts"],
            d["percents"],
            d["row_totals"],
            d["row_percents"],
            strict=True,
        )
    ]


def _crosstab(d: dict[str, Any], w: Mapping[str, str]) -> Grid:
    totals: Row = [
        Text(w["total_n"]),
        *(share(c, p) for c, p in zip(d["column_totals"], d["column_percents"], strict=True)),
        Total(d["n"], corner=True),
    ]
    head = [d["rows"]["label"], *d["columns"]["labels"], w["total_n"]]
    return Grid("crosstab", head, _matrix_body(d), [totals], column_title=d["columns"]["label"])


def _by(d: dict[str, Any], w: Mapping[str, str]) -> Grid:
    foot: list[Row] = [
        [Text(w["total_n"]), *(Total(n) for n in [*d["column_totals"], d["n"]])],
        [Text(w["test"]), Text(d["test"] or "")],
        [Text(w["p_value"]), PValue(d["p_value"])],
    ]
    head = [d["rows"]["label"], *d["columns"]["labels"], w["total"]]
    notes = [d["warning"]] if d["warning"] else []
    return Grid(
        "by", head, _matrix_body(d), foot, notes, w["warning"], column_title=d["columns"]["label"]
    )


def _outcomes(d: dict[str, Any], w: Mapping[str, str]) -> Grid:
    body: list[Row] = []
    for key in OUTCOMES:
        rate = d["rates"][key]
        target = d["targets"].get(key)
        body.append(
            [
                Text(w[key]),
                count(d[key]),
                share(d[key], None if rate is None else 100 * rate),
                Text("") if target is None else Percent(100 * target),
            ]
        )
    foot: list[Row] = [[Text(w["citizens"]), count(d["n"]), Text(""), Text("")]]
    return Grid("outcomes", ["", w["count"], w["percent"], w["target"]], body, foot)


_WHO5_CELL: dict[str, Callable[[Any], Cell]] = {
    "n": count,
    "mean": Mean,
    "sd": Mean,
    "poor": count,
    "likely_depression": count,
}


def _who5(d: dict[str, Any], w: Mapping[str, str]) -> Grid:
    body: list[Row] = [[Text(w[key]), *(_WHO5_CELL[key](v) for v in d[key])] for key in WHO5_ROWS]
    foot: list[Row] = []
    notes: list[str] = []
    if "change" in d:
        foot = [
            [Text(w["change"]), Change(d["change"])],
            [Text(w["improved"].format(d["relevant_change"])), count(d["improved"])],
            [Text(w["worsened"].format(d["relevant_change"])), count(d["worsened"])],
            [Text(w["p_value"]), PValue(d["p_value"])],
        ]
        notes = [d["warning"]] if d["warning"] else []
    return Grid("who5", [d["label"], *_points(d, w)], body, foot, notes, w["warning"])


LAYOUTS: dict[str, Callable[[dict[str, Any], Mapping[str, str]], Grid]] = {
    "waves": _waves,
    "status": _status,
    "distribution": _distribution,
    "crosstab": _crosstab,
    "by": _by,
    "outcomes": _outcomes,
    "who5": _who5,
}
"""The layout of each table kind (the "table" of its dict)."""


def make_grid(d: dict[str, Any], lang: str = "da") -> Grid:
    """The table's dict laid out like the evaluation report, in `lang` ("da" or "en")."""
    make = LAYOUTS.get(d.get("table", ""))
    if make is None:
        raise ValueError(f"not a report table: {d.get('table')!r}")
    return make(d, WORDS[lang])
