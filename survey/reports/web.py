"""What the web page makes of a laid-out table (`survey.reports.grid.Grid`): the page's
cells and a Plotly chart drawn from the (protected) grid. The downloads are the writers'
(`survey.reports.writers`), the same as the command's.

Everything here is pure: grids in, dicts out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from survey.reports.grid import WHO5_ROWS, Cell, Grid, Hidden, Percent, Text, figure, words
from survey.reports.writers import as_text

__all__ = ["chart"]


# --- chart: a Plotly figure drawn from the grid ------------------------------------------------


def _num(value: Any) -> float | None:
    """A figure for the chart; hidden or missing values are gaps."""
    if value is None or isinstance(value, bool):
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


def _percent_hover(cell: Cell, lang: str) -> str:
    text = as_text(cell, lang)
    return text if isinstance(cell, Hidden) or not text else f"{text} %"


def _series(grid: Grid, columns: list[str]) -> list[dict[str, Any]]:
    """A trace of percents per column of the body, the body's labels along x."""
    x = _labels(grid.body)
    return [
        _bars(
            name,
            x,
            [figure(row[j]) for row in grid.body],
            [_percent_hover(row[j], grid.lang) for row in grid.body],
        )
        for j, name in enumerate(columns, start=1)
    ]


Chart = tuple[list[dict[str, Any]], dict[str, Any], str]
"""A chart's traces, its y axis and its title."""


def _percent_axis() -> dict[str, Any]:
    return {"title": {"text": "%"}, "rangemode": "tozero"}


def _count_axis(w: Mapping[str, str]) -> dict[str, Any]:
    return {"title": {"text": w["count"]}, "rangemode": "tozero"}


def _chart_waves(grid: Grid, w: Mapping[str, str]) -> Chart:
    data = []
    for row in grid.body:
        counts = [figure(c) for c in row[1:]]
        data.append(_bars(figure(row[0]), grid.head[1:], counts, counts))
    return data, _count_axis(w), ""


def _chart_status(grid: Grid, w: Mapping[str, str]) -> Chart:
    statuses = [row for row in grid.body if isinstance(row[0], Text) and row[0].level == 1]
    counts = [figure(row[1]) for row in statuses]
    return [_bars(w["count"], _labels(statuses), counts, counts)], _count_axis(w), ""


def _chart_distribution(grid: Grid, w: Mapping[str, str]) -> Chart:
    return _series(grid, grid.head[1:]), _percent_axis(), grid.head[0]


def _chart_matrix(grid: Grid, w: Mapping[str, str]) -> Chart:
    return _series(grid, grid.head[1:-1]), _percent_axis(), grid.head[0]


def _chart_outcomes(grid: Grid, w: Mapping[str, str]) -> Chart:
    x = _labels(grid.body)
    rates = [figure(row[2]) for row in grid.body]
    hover = [_percent_hover(row[2], grid.lang) for row in grid.body]
    targets = [None if isinstance(row[3], Text) else 100 * figure(row[3]) for row in grid.body]
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


def _chart_who5(grid: Grid, w: Mapping[str, str]) -> Chart:
    rows = {
        key: [figure(c) for c in row[1:]] for key, row in zip(WHO5_ROWS, grid.body, strict=True)
    }
    hover = [
        as_text(mean, grid.lang) + ("" if isinstance(n, Hidden) else f" (n={figure(n)})")
        for n, mean in zip(grid.body[0][1:], grid.body[1][1:], strict=True)
    ]
    bars = _bars(w["mean"], grid.head[1:], rows["mean"], hover)
    sd = [_num(v) for v in rows["sd"]]
    if any(v is not None for v in sd):
        bars["error_y"] = {"type": "data", "array": sd, "visible": True}
    return [bars], {"title": {"text": w["mean"]}, "range": [0, 100]}, grid.head[0]


def _chart_numeric(grid: Grid, w: Mapping[str, str]) -> Chart:
    """The mean per point with its SD as error bars (rows n, mean, SD of the layout)."""
    n_row, mean_row, sd_row = grid.body[0][1:], grid.body[1][1:], grid.body[2][1:]
    hover = [
        as_text(mean, grid.lang) + ("" if isinstance(n, Hidden) else f" (n={figure(n)})")
        for n, mean in zip(n_row, mean_row, strict=True)
    ]
    bars = _bars(w["mean"], grid.head[1:], [figure(c) for c in mean_row], hover)
    sd = [_num(figure(c)) for c in sd_row]
    if any(v is not None for v in sd):
        bars["error_y"] = {"type": "data", "array": sd, "visible": True}
    return [bars], {"title": {"text": w["mean"]}, "rangemode": "tozero"}, grid.head[0]


def _is_percent(cell: Cell) -> bool:
    return isinstance(cell, Percent) or (isinstance(cell, Hidden) and cell.was == "Percent")


def _chart_items(grid: Grid, w: Mapping[str, str]) -> Chart:
    """Several items: a trace per column of percents, each answer under its label (numbered by
    its question when the questions are stacked, so the same answer of two stays two bars)."""
    stacked = any(isinstance(r[0], Text) and r[0].heading for r in grid.body)
    data = []
    for j in range(1, len(grid.head)):
        x: list[str] = []
        y: list[Any] = []
        hover: list[str] = []
        question = 0
        for row in grid.body:
            if isinstance(row[0], Text) and row[0].heading:
                question += 1
                continue
            if j >= len(row) or not _is_percent(row[j]):
                continue
            label = next((c.text for c in reversed(row[:j]) if isinstance(c, Text) and c.text), "")
            x.append(f"{question}. {label}" if stacked else label)
            y.append(figure(row[j]))
            hover.append(_percent_hover(row[j], grid.lang))
        if x:
            data.append(_bars(grid.head[j], x, y, hover))
    return data, _percent_axis(), ""


CHARTS: dict[str, Callable[[Grid, Mapping[str, str]], Chart]] = {
    "waves": _chart_waves,
    "status": _chart_status,
    "distribution": _chart_distribution,
    "crosstab": _chart_matrix,
    "by": _chart_matrix,
    "outcomes": _chart_outcomes,
    "who5": _chart_who5,
    "numeric": _chart_numeric,
    "attrition": _chart_items,
    "items": _chart_items,
}


def chart(grid: Grid) -> dict[str, Any]:
    """A Plotly figure ({"data": [...], "layout": {...}}) of the (possibly protected) table, in
    the grid's language: a hidden cell is a gap."""
    data, y_axis, title = CHARTS[grid.kind](grid, words(grid.lang))
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
