"""What the web page and its downloads make of a table's dict (`table.to_dict()`): small-cell
suppression, then the grid of `survey.reports.grid` shown as the page's cells, as a Plotly
chart, as CSV and as XLSX, with the page's number formats.

Everything here is pure: dicts in, dicts, rows or bytes out.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any

from survey.reports import writers
from survey.reports.grid import (
    OUTCOMES,
    SMALL,
    WHO5_ROWS,
    WORDS,
    Cell,
    Grid,
    Suppressed,
    Text,
    Total,
    figure,
    make_grid,
)
from survey.reports.writers import Format, one_decimal, sheet_title, whole

__all__ = [
    "chart",
    "is_small",
    "layout",
    "page",
    "sheet_title",
    "suppress",
    "to_csv",
    "to_xlsx",
]


def is_small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def _hide(counts: list[Any], percents: list[Any] | None = None) -> tuple[list, list | None]:
    small = [is_small(c) for c in counts]
    counts = [SMALL if s else c for s, c in zip(small, counts, strict=True)]
    if percents is not None:
        percents = [None if s else p for s, p in zip(small, percents, strict=True)]
    return counts, percents


# --- small-cell suppression, one function per table kind (each changes its copy in place) -----


def _hide_waves(d: dict[str, Any]) -> None:
    d["forms"] = {f: _hide(counts)[0] for f, counts in d["forms"].items()}


def _hide_status(d: dict[str, Any]) -> None:
    statuses = list(d["counts"])
    counts, percents = _hide(
        [d["counts"][s] for s in statuses], [d["percents"][s] for s in statuses]
    )
    d["counts"] = dict(zip(statuses, counts, strict=True))
    d["percents"] = dict(zip(statuses, percents or [], strict=True))
    d["reasons"] = {
        s: {r: SMALL if is_small(c) else c for r, c in reasons.items()}
        for s, reasons in d["reasons"].items()
    }
    d["n"] = _hide([d["n"]])[0][0]


def _hide_distribution(d: dict[str, Any]) -> None:
    for row in d["rows"]:
        row["counts"], row["percents"] = _hide(row["counts"], row["percents"])
    d["n"] = _hide(d["n"])[0]


def _hide_matrix(d: dict[str, Any]) -> None:
    cells = [_hide(c, p) for c, p in zip(d["counts"], d["percents"], strict=True)]
    d["counts"] = [c for c, _ in cells]
    d["percents"] = [p for _, p in cells]
    d["row_totals"], d["row_percents"] = _hide(d["row_totals"], d["row_percents"])
    if "column_percents" in d:
        d["column_totals"], d["column_percents"] = _hide(d["column_totals"], d["column_percents"])
    else:
        d["column_totals"] = _hide(d["column_totals"])[0]
    d["n"] = _hide([d["n"]])[0][0]


def _hide_outcomes(d: dict[str, Any]) -> None:
    for key in OUTCOMES:
        if is_small(d[key]):
            d[key] = SMALL
            d["rates"][key] = None
            d["met"].pop(key, None)
    if is_small(d["n"]):
        d["n"] = SMALL
        d["rates"] = dict.fromkeys(d["rates"])
        d["met"] = dict.fromkeys(d["met"])


def _hide_who5(d: dict[str, Any]) -> None:
    small = [is_small(n) for n in d["n"]]
    d["n"] = _hide(d["n"])[0]
    d["mean"] = [None if s else v for s, v in zip(small, d["mean"], strict=True)]
    d["sd"] = [None if s else v for s, v in zip(small, d["sd"], strict=True)]
    d["poor"] = _hide(d["poor"])[0]
    d["likely_depression"] = _hide(d["likely_depression"])[0]
    for key in ("improved", "worsened"):
        if key in d and is_small(d[key]):
            d[key] = SMALL


SUPPRESSORS: dict[str, Callable[[dict[str, Any]], None]] = {
    "waves": _hide_waves,
    "status": _hide_status,
    "distribution": _hide_distribution,
    "crosstab": _hide_matrix,
    "by": _hide_matrix,
    "outcomes": _hide_outcomes,
    "who5": _hide_who5,
}


def suppress(table: dict[str, Any]) -> dict[str, Any]:
    """A copy of `table` (a report table's dict) in which every count of 1–4 citizens is "<5"
    and the percents, rates, means and SDs computed from such a count are None."""
    hide = SUPPRESSORS.get(table["table"])
    if hide is None:
        raise ValueError(f"not a report table: {table['table']!r}")
    d = copy.deepcopy(table)
    hide(d)
    return d


# --- the page's formats ------------------------------------------------------------------------


def _p3(value: float | None) -> str:
    """A p-value with three significant digits."""
    return "" if value is None else f"{value:.3g}"


def _page_total(cell: Total) -> str:
    if cell.n == SMALL:
        return f"({SMALL})"
    if cell.multiple:
        return f"({cell.n})"
    return f"100 ({cell.n})" if cell.n else "(0)"


def _whole_number(value: float | None) -> int | None:
    """A percent without decimals as a number, for the files."""
    return None if value is None else int(whole(value))


PAGE = Format(
    percent=whole,
    p_value=_p3,
    mean=one_decimal,
    change=one_decimal,
    total=_page_total,
    indents=("", "– ", "    "),
)
"""The page: percents without decimals, p-values with three significant digits."""

FILES = Format(percent=_whole_number, indents=PAGE.indents)
"""The downloads: the page's rounding, but numbers stay numbers."""


def page(grid: Grid) -> dict[str, Any]:
    """The table as the page shows it: {"head": [...], "rows": [[...], ...], "notes": [...]},
    every cell a string."""
    return writers.to_page(grid, PAGE)


def layout(d: dict[str, Any], lang: str = "da") -> dict[str, Any]:
    """`page` of the table's dict laid out like the evaluation report."""
    return page(make_grid(d, lang))


def to_csv(d: dict[str, Any], lang: str = "da") -> str:
    return writers.to_csv(make_grid(d, lang), FILES)


def to_xlsx(sheets: Iterable[tuple[str, dict[str, Any]]], lang: str = "da") -> bytes:
    """A workbook with one sheet per (title, table dict)."""
    return writers.to_xlsx(((title, make_grid(d, lang)) for title, d in sheets), FILES)


# --- chart: a Plotly figure drawn from the grid ------------------------------------------------


def _num(value: Any) -> float | None:
    """A figure for the chart; suppressed or missing values are gaps."""
    if value is None or value == SMALL or isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _bars(name: str, x: list[str], y: Iterable[Any], hover: Iterable[Any]) -> dict[str, Any]:
    return {
        "type": "bar",
        "name": name,
        "x": x,
        "y": [_num(v) for v in y],
        "text": [str(h) if h is not None else "" for h in hover],
        "hovertemplate": "%{x}: %{text}<extra>%{fullData.name}</extra>",
    }


def _labels(rows: list[list[Cell]]) -> list[str]:
    return [figure(row[0]) for row in rows]


def _percent_hover(cell: Cell) -> str:
    return SMALL if isinstance(cell, Suppressed) else f"{whole(figure(cell))} %"


def _series(grid: Grid, columns: list[str]) -> list[dict[str, Any]]:
    """A trace of percents per column of the body, the body's labels along x."""
    x = _labels(grid.body)
    return [
        _bars(
            name,
            x,
            [figure(row[j]) for row in grid.body],
            [_percent_hover(row[j]) for row in grid.body],
        )
        for j, name in enumerate(columns, start=1)
    ]


Chart = tuple[list[dict[str, Any]], dict[str, Any], str]
"""A chart's traces, its y axis and its title."""


def _percent_axis() -> dict[str, Any]:
    return {"title": {"text": "%"}, "rangemode": "tozero"}


def _count_axis(w: dict[str, str]) -> dict[str, Any]:
    return {"title": {"text": w["count"]}, "rangemode": "tozero"}


def _chart_waves(grid: Grid, w: dict[str, str]) -> Chart:
    data = []
    for row in grid.body:
        counts = [figure(c) for c in row[1:]]
        data.append(_bars(figure(row[0]), grid.head[1:], counts, counts))
    return data, _count_axis(w), ""


def _chart_status(grid: Grid, w: dict[str, str]) -> Chart:
    statuses = [row for row in grid.body if isinstance(row[0], Text) and row[0].level == 1]
    counts = [figure(row[1]) for row in statuses]
    return [_bars(w["count"], _labels(statuses), counts, counts)], _count_axis(w), ""


def _chart_distribution(grid: Grid, w: dict[str, str]) -> Chart:
    return _series(grid, grid.head[1:]), _percent_axis(), grid.head[0]


def _chart_matrix(grid: Grid, w: dict[str, str]) -> Chart:
    return _series(grid, grid.head[1:-1]), _percent_axis(), grid.head[0]


def _chart_outcomes(grid: Grid, w: dict[str, str]) -> Chart:
    x = _labels(grid.body)
    rates = [figure(row[2]) for row in grid.body]
    hover = [_percent_hover(row[2]) for row in grid.body]
    targets = [None if isinstance(row[3], Text) else figure(row[3]) for row in grid.body]
    data = [
        _bars(w["percent"], x, rates, hover),
        {
            "type": "scatter",
            "mode": "markers",
            "name": w["target"],
            "x": x,
            "y": targets,
            "marker": {"symbol": "line-ew-open", "size": 36, "line": {"width": 3}},
        },
    ]
    return data, _percent_axis(), ""


def _chart_who5(grid: Grid, w: dict[str, str]) -> Chart:
    rows = {
        key: [figure(c) for c in row[1:]] for key, row in zip(WHO5_ROWS, grid.body, strict=True)
    }
    hover = [
        SMALL if n == SMALL else ("" if m is None else f"{m:.1f} (n={n})")
        for n, m in zip(rows["n"], rows["mean"], strict=True)
    ]
    bars = _bars(w["mean"], grid.head[1:], rows["mean"], hover)
    sd = [_num(v) for v in rows["sd"]]
    if any(v is not None for v in sd):
        bars["error_y"] = {"type": "data", "array": sd, "visible": True}
    return [bars], {"title": {"text": w["mean"]}, "range": [0, 100]}, grid.head[0]


CHARTS: dict[str, Callable[[Grid, dict[str, str]], Chart]] = {
    "waves": _chart_waves,
    "status": _chart_status,
    "distribution": _chart_distribution,
    "crosstab": _chart_matrix,
    "by": _chart_matrix,
    "outcomes": _chart_outcomes,
    "who5": _chart_who5,
}


def chart(grid: Grid, lang: str = "da") -> dict[str, Any]:
    """A Plotly figure ({"data": [...], "layout": {...}}) of the (possibly suppressed) table."""
    data, y_axis, title = CHARTS[grid.kind](grid, WORDS[lang])
    legend: dict[str, Any] = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}
    if grid.kind in ("crosstab", "by"):
        legend["title"] = {"text": grid.column_title, "side": "top"}
    return {
        "data": data,
        "layout": {
            "barmode": "group",
            "title": {"text": title},
            "yaxis": y_axis,
            "xaxis": {"automargin": True},
            "legend": legend,
            "margin": {"t": 100 if title else 60},
            "height": 380,
        },
    }
