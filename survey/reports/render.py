"""Tables as CSV and as text laid out like the evaluation report ("Total (n)" rows, percents
without decimals). JSON is `table.to_dict()`."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from survey.reports.builders import (
    ByTable,
    CrosstabTable,
    DistributionTable,
    OutcomesTable,
    ScoreTable,
    StatusTable,
    WavesTable,
)

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


def whole(value: float | None) -> str:
    """A percent without decimals, rounding halves up (as the report does); blank for none."""
    return "" if value is None else str(math.floor(value + 0.5))


def _p(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def grid(table: Any, lang: str = "da", text: bool = False) -> list[list[Any]]:
    """The table as rows of cells: figures as numbers for CSV, formatted for text."""
    w = WORDS[lang]
    pct = whole if text else (lambda v: v)
    if isinstance(table, WavesTable):
        rows: list[list[Any]] = [["", *(f"{w['point']} {p}" for p in table.points)]]
        rows += [[table.labels[f], *counts] for f, counts in table.forms.items()]
        return rows
    if isinstance(table, StatusTable):
        data = table.to_dict()
        rows = [
            ["", w["count"], w["percent"]],
            [w["baseline"], table.n, pct(100 if table.n else None)],
        ]
        for status, count in table.counts.items():
            rows.append([f"- {table.labels[status]}", count, pct(data["percents"][status])])
            for reason, r_count in table.reasons.get(status, {}).items():
                if r_count:
                    rows.append([f"    {table.reason_labels[reason]}", r_count, ""])
        return rows
    if isinstance(table, DistributionTable):
        rows = [[table.label, *(f"{w['point']} {p}" for p in table.points)]]
        for r in table.rows:
            rows.append([r.label, *(pct(v) for v in r.percents)])
        n_cells: list[Any]  # the totals as text, or the counts themselves
        if text:
            n_cells = [f"100 ({n})" if n and not table.multiple else f"({n})" for n in table.n]
        else:
            n_cells = list(table.n)
        rows.append([w["total_n"], *n_cells])
        return rows
    if isinstance(table, CrosstabTable):
        d = table.to_dict()
        rows = [[d["rows"]["label"], *d["columns"]["labels"], w["total_n"]]]
        for label, cells, total in zip(
            d["rows"]["labels"], d["percents"], d["row_percents"], strict=True
        ):
            rows.append([label, *(pct(v) for v in cells), pct(total)])
        corner = f"100 ({d['n']})" if text else d["n"]
        rows.append([w["total_n"], *(pct(v) for v in d["column_percents"]), corner])
        return rows
    if isinstance(table, ByTable):
        d = table.to_dict()
        rows = [[d["rows"]["label"], *d["columns"]["labels"], w["total"]]]
        for label, cells, total in zip(
            d["rows"]["labels"], d["percents"], d["row_percents"], strict=True
        ):
            rows.append([label, *(pct(v) for v in cells), pct(total)])
        totals = [*d["column_totals"], d["n"]]
        rows.append(
            [w["total_n"], *((f"100 ({n})" if n else "(0)") if text else n for n in totals)]
        )
        rows.append([w["test"], d["test"] or ""])
        rows.append([w["p_value"], _p(d["p_value"]) if text else d["p_value"]])
        if d["warning"]:
            rows.append([w["warning"], d["warning"]])
        return rows
    if isinstance(table, OutcomesTable):
        d = table.to_dict()
        rows = [["", w["count"], w["percent"], w["target"]]]
        for key in ("employment", "education", "internship", "education_or_internship"):
            rate = d["rates"][key]
            target = d["targets"].get(key)
            rows.append(
                [
                    w[key],
                    d[key],
                    pct(None if rate is None else 100 * rate),
                    "" if target is None else pct(100 * target),
                ]
            )
        rows.append([w["citizens"], d["n"], "", ""])
        return rows
    if isinstance(table, ScoreTable):
        d = table.to_dict()
        rows = [[table.label, *(f"{w['point']} {p}" for p in table.points)]]
        for key in ("n", "mean", "sd", "poor", "likely_depression"):
            values = d[key]
            if text and key in ("mean", "sd"):
                values = ["" if v is None else f"{v:.1f}" for v in values]
            rows.append([w[key], *values])
        if "change" in d:
            rows.append([w["change"], "" if d["change"] is None else d["change"]])
            rows.append([w["improved"].format(d["relevant_change"]), d["improved"]])
            rows.append([w["worsened"].format(d["relevant_change"]), d["worsened"]])
            rows.append([w["p_value"], _p(d["p_value"]) if text else d["p_value"]])
            if d["warning"]:
                rows.append([w["warning"], d["warning"]])
        return rows
    raise TypeError(f"not a report table: {type(table).__name__}")


def to_json(table: Any) -> str:
    return json.dumps(table.to_dict(), ensure_ascii=False, indent=2)


def to_csv(table: Any, lang: str = "da") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in grid(table, lang):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def to_text(table: Any, lang: str = "da") -> str:
    rows = [[str(v) for v in row] for row in grid(table, lang, text=True)]
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [c.rjust(widths[i]) for i, c in enumerate(r) if i]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
