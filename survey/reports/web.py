"""What the web page and its downloads make of a table's dict (`table.to_dict()`): small-cell
suppression, the rows laid out like the evaluation report, a Plotly chart, CSV and XLSX.

Everything here is pure: dicts in, dicts, rows or bytes out.
"""

from __future__ import annotations

import copy
import csv
import io
import math
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from survey.reports.render import WORDS, whole

SMALL = "<5"
"""What a count of 1–4 citizens shows when suppressed (0 is shown: it identifies no one)."""


def is_small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def _hide(counts: list[Any], percents: list[Any] | None = None) -> tuple[list, list | None]:
    small = [is_small(c) for c in counts]
    counts = [SMALL if s else c for s, c in zip(small, counts, strict=True)]
    if percents is not None:
        percents = [None if s else p for s, p in zip(small, percents, strict=True)]
    return counts, percents


def suppress(table: dict[str, Any]) -> dict[str, Any]:
    """A copy of `table` (a report table's dict) in which every count of 1–4 citizens is "<5"
    and the percents, rates, means and SDs computed from such a count are None."""
    d = copy.deepcopy(table)
    kind = d["table"]
    if kind == "waves":
        d["forms"] = {f: _hide(counts)[0] for f, counts in d["forms"].items()}
    elif kind == "status":
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
    elif kind == "distribution":
        for row in d["rows"]:
            row["counts"], row["percents"] = _hide(row["counts"], row["percents"])
        d["n"] = _hide(d["n"])[0]
    elif kind in ("crosstab", "by"):
        cells = [_hide(c, p) for c, p in zip(d["counts"], d["percents"], strict=True)]
        d["counts"] = [c for c, _ in cells]
        d["percents"] = [p for _, p in cells]
        d["row_totals"], d["row_percents"] = _hide(d["row_totals"], d["row_percents"])
        if "column_percents" in d:
            d["column_totals"], d["column_percents"] = _hide(
                d["column_totals"], d["column_percents"]
            )
        else:
            d["column_totals"] = _hide(d["column_totals"])[0]
        d["n"] = _hide([d["n"]])[0][0]
    elif kind == "outcomes":
        for key in ("employment", "education", "internship", "education_or_internship"):
            if is_small(d[key]):
                d[key] = SMALL
                d["rates"][key] = None
                d["met"].pop(key, None)
        if is_small(d["n"]):
            d["n"] = SMALL
            d["rates"] = dict.fromkeys(d["rates"])
            d["met"] = dict.fromkeys(d["met"])
    elif kind == "who5":
        small = [is_small(n) for n in d["n"]]
        d["n"] = _hide(d["n"])[0]
        d["mean"] = [None if s else v for s, v in zip(small, d["mean"], strict=True)]
        d["sd"] = [None if s else v for s, v in zip(small, d["sd"], strict=True)]
        d["poor"] = _hide(d["poor"])[0]
        d["likely_depression"] = _hide(d["likely_depression"])[0]
        for key in ("improved", "worsened"):
            if key in d and is_small(d[key]):
                d[key] = SMALL
    else:
        raise ValueError(f"not a report table: {kind!r}")
    return d


# --- layout ------------------------------------------------------------------------------------


def _pct(value: float | None, text: bool) -> Any:
    """A percent without decimals: a string for the page, a whole number for the files."""
    if text:
        return whole(value)
    return None if value is None else int(whole(value))


def _p3(value: float | None) -> str:
    """A p-value with three significant digits."""
    return "" if value is None else f"{value:.3g}"


def _matrix_rows(d: dict, text: bool) -> list[list]:
    """The body of a two-way table (crosstab, by): a row per row label, its total last."""
    return [
        [
            label,
            *(_cell(c, p, text) for c, p in zip(counts, percents, strict=True)),
            _cell(total, total_pct, text),
        ]
        for label, counts, percents, total, total_pct in zip(
            d["rows"]["labels"],
            d["counts"],
            d["percents"],
            d["row_totals"],
            d["row_percents"],
            strict=True,
        )
    ]


def _cell(count: Any, percent: float | None, text: bool) -> Any:
    """A percent; for a suppressed count "<5" in its place."""
    if count == SMALL:
        return SMALL
    return _pct(percent, text)


def _total(n: Any, text: bool) -> Any:
    if not text:
        return n
    if n == SMALL:
        return f"({SMALL})"
    return f"100 ({n})" if n else "(0)"


def layout(d: dict[str, Any], lang: str = "da", text: bool = True) -> dict[str, Any]:
    """The table as {"head": [...], "rows": [[...], ...], "notes": [...]} laid out like the
    evaluation report: percents without decimals and a "Total (n)" row. With `text` every
    cell is a string (the page); without, figures stay numbers (CSV and XLSX)."""
    w = WORDS[lang]
    kind = d["table"]
    notes: list[str] = []
    rows: list[list[Any]] = []
    if kind == "waves":
        head = ["", *(f"{w['point']} {p}" for p in d["points"])]
        rows = [[d["labels"].get(f, f), *counts] for f, counts in d["forms"].items()]
    elif kind == "status":
        head = ["", w["count"], w["percent"]]
        rows.append([w["baseline"], d["n"], _cell(d["n"], 100 if d["n"] else None, text)])
        for status, count in d["counts"].items():
            rows.append(
                [f"– {d['labels'][status]}", count, _cell(count, d["percents"][status], text)]
            )
            for reason, r_count in d["reasons"].get(status, {}).items():
                if r_count:
                    rows.append([f"    {d['reason_labels'][reason]}", r_count, ""])
    elif kind == "distribution":
        head = [d["label"], *(f"{w['point']} {p}" for p in d["points"])]
        for r in d["rows"]:
            rows.append(
                [
                    r["label"],
                    *(_cell(c, p, text) for c, p in zip(r["counts"], r["percents"], strict=True)),
                ]
            )
        if d["multiple"] and text:
            rows.append([w["total_n"], *(f"({n})" for n in d["n"])])
        else:
            rows.append([w["total_n"], *(_total(n, text) for n in d["n"])])
    elif kind == "crosstab":
        head = [d["rows"]["label"], *d["columns"]["labels"], w["total_n"]]
        rows.extend(_matrix_rows(d, text))
        rows.append(
            [
                w["total_n"],
                *(
                    _cell(c, p, text)
                    for c, p in zip(d["column_totals"], d["column_percents"], strict=True)
                ),
                _total(d["n"], text),
            ]
        )
    elif kind == "by":
        head = [d["rows"]["label"], *d["columns"]["labels"], w["total"]]
        rows.extend(_matrix_rows(d, text))
        rows.append([w["total_n"], *(_total(n, text) for n in [*d["column_totals"], d["n"]])])
        rows.append([w["test"], d["test"] or ""])
        rows.append([w["p_value"], _p3(d["p_value"]) if text else d["p_value"]])
        if d["warning"]:
            notes.append(d["warning"])
    elif kind == "outcomes":
        head = ["", w["count"], w["percent"], w["target"]]
        for key in ("employment", "education", "internship", "education_or_internship"):
            rate = d["rates"][key]
            target = d["targets"].get(key)
            rows.append(
                [
                    w[key],
                    d[key],
                    _cell(d[key], None if rate is None else 100 * rate, text),
                    "" if target is None else _pct(100 * target, text),
                ]
            )
        rows.append([w["citizens"], d["n"], "", ""])
    elif kind == "who5":
        head = [d["label"], *(f"{w['point']} {p}" for p in d["points"])]
        for key in ("n", "mean", "sd", "poor", "likely_depression"):
            values = d[key]
            if text and key in ("mean", "sd"):
                values = ["" if v is None else f"{v:.1f}" for v in values]
            rows.append([w[key], *values])
        if "change" in d:
            change = d["change"]
            if text:
                change = "" if change is None else f"{change:.1f}"
            rows.append([w["change"], "" if change is None else change])
            rows.append([w["improved"].format(d["relevant_change"]), d["improved"]])
            rows.append([w["worsened"].format(d["relevant_change"]), d["worsened"]])
            rows.append([w["p_value"], _p3(d["p_value"]) if text else d["p_value"]])
            if d["warning"]:
                notes.append(d["warning"])
    else:
        raise ValueError(f"not a report table: {kind!r}")
    if text:
        rows = [["" if v is None else str(v) for v in row] for row in rows]
    return {"head": head, "rows": rows, "notes": notes}


# --- chart -------------------------------------------------------------------------------------


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


def chart(d: dict[str, Any], lang: str = "da") -> dict[str, Any]:
    """A Plotly figure ({"data": [...], "layout": {...}}) of the (possibly suppressed) table."""
    w = WORDS[lang]
    kind = d["table"]
    percent_axis: dict[str, Any] = {"title": {"text": "%"}, "rangemode": "tozero"}
    count_axis: dict[str, Any] = {"title": {"text": w["count"]}, "rangemode": "tozero"}
    data: list[dict[str, Any]]
    y_axis: dict[str, Any]
    if kind == "waves":
        x = [f"{w['point']} {p}" for p in d["points"]]
        data = [_bars(d["labels"].get(f, f), x, c, c) for f, c in d["forms"].items()]
        y_axis, title = count_axis, ""
    elif kind == "status":
        x = [d["labels"][s] for s in d["counts"]]
        counts = list(d["counts"].values())
        data = [_bars(w["count"], x, counts, counts)]
        y_axis, title = count_axis, ""
    elif kind == "distribution":
        x = [r["label"] for r in d["rows"]]
        data = []
        for i, point in enumerate(d["points"]):
            y = [r["percents"][i] for r in d["rows"]]
            hover = [
                SMALL if r["counts"][i] == SMALL else f"{whole(r['percents'][i])} %"
                for r in d["rows"]
            ]
            data.append(_bars(f"{w['point']} {point}", x, y, hover))
        y_axis, title = percent_axis, d["label"]
    elif kind in ("crosstab", "by"):
        x = d["rows"]["labels"]
        data = []
        for j, column in enumerate(d["columns"]["labels"]):
            y = [row[j] for row in d["percents"]]
            hover = [
                SMALL if counts[j] == SMALL else f"{whole(p[j])} %"
                for counts, p in zip(d["counts"], d["percents"], strict=True)
            ]
            data.append(_bars(column, x, y, hover))
        y_axis, title = percent_axis, d["rows"]["label"]
    elif kind == "outcomes":
        keys = ("employment", "education", "internship", "education_or_internship")
        x = [w[k] for k in keys]
        rates = [None if d["rates"][k] is None else 100 * d["rates"][k] for k in keys]
        hover = [
            SMALL if d[k] == SMALL else f"{whole(r)} %" for k, r in zip(keys, rates, strict=True)
        ]
        data = [_bars(w["percent"], x, rates, hover)]
        targets = [100 * d["targets"][k] if k in d["targets"] else None for k in keys]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": w["target"],
                "x": x,
                "y": targets,
                "marker": {"symbol": "line-ew-open", "size": 36, "line": {"width": 3}},
            }
        )
        y_axis, title = percent_axis, ""
    elif kind == "who5":
        x = [f"{w['point']} {p}" for p in d["points"]]
        hover = [
            SMALL if n == SMALL else ("" if m is None else f"{m:.1f} (n={n})")
            for n, m in zip(d["n"], d["mean"], strict=True)
        ]
        bars = _bars(w["mean"], x, d["mean"], hover)
        sd = [_num(v) for v in d["sd"]]
        if any(v is not None for v in sd):
            bars["error_y"] = {"type": "data", "array": sd, "visible": True}
        data = [bars]
        y_axis = {"title": {"text": w["mean"]}, "range": [0, 100]}
        title = d["label"]
    else:
        raise ValueError(f"not a report table: {kind!r}")
    legend: dict[str, Any] = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}
    if kind in ("crosstab", "by"):
        legend["title"] = {"text": d["columns"]["label"], "side": "top"}
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


# --- files -------------------------------------------------------------------------------------


def to_csv(d: dict[str, Any], lang: str = "da") -> str:
    grid = layout(d, lang, text=False)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in [grid["head"], *grid["rows"]]:
        writer.writerow(["" if v is None else v for v in row])
    for note in grid["notes"]:
        writer.writerow([WORDS[lang]["warning"], note])
    return out.getvalue()


def _fill(sheet: Any, d: dict[str, Any], lang: str) -> None:
    grid = layout(d, lang, text=False)
    for row in [grid["head"], *grid["rows"]]:
        sheet.append(["" if v is None else v for v in row])
    for note in grid["notes"]:
        sheet.append([WORDS[lang]["warning"], note])
    sheet.column_dimensions["A"].width = 45
    for cell in sheet[1]:
        cell.font = Font(bold=True)


def sheet_title(title: str, taken: set[str]) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join("-" if c in "[]:*?/\\" else c for c in title).strip() or "Tabel"
    base, n = clean[:31], 2
    result = base
    while result.lower() in taken:
        suffix = f" ({n})"
        result, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(result.lower())
    return result


def to_xlsx(sheets: Iterable[tuple[str, dict[str, Any]]], lang: str = "da") -> bytes:
    """A workbook with one sheet per (title, table dict)."""
    book = Workbook()
    book.remove(book.worksheets[0])  # the empty sheet a new workbook starts with
    taken: set[str] = set()
    for title, d in sheets:
        _fill(book.create_sheet(sheet_title(title, taken)), d, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
