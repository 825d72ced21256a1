"""The writers of a laid-out table (`survey.reports.grid.Grid`): the page's cells, text, CSV,
XLSX, and JSON (the table's dict, the contract of docs/reports.md).

One rule per kind of cell, for every writer, so the page, its downloads and the command show
the same figures cell for cell:

- a percent is rounded once, to a whole number, from its count and n (halves up, as the
  evaluation report does); a target likewise;
- a mean, SD or change has one decimal; a p-value three decimals, "<0.001" below that;
- Danish output has decimal commas (and a CSV separated by semicolons, as Danish Excel reads
  and writes it), English output decimal points;
- a hidden cell is the word "skjult"/"hidden", never "<5" (which beside percents reads as
  "under 5 %").

Text, the page and CSV write these as text; XLSX writes real numbers with number formats
(a percent as a fraction shown "0%", a p-value "0.000"), so Excel can compute with them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from survey.reports.grid import (
    Cell,
    Change,
    Count,
    Grid,
    Hidden,
    Mean,
    Percent,
    PValue,
    Share,
    TestName,
    Text,
    Total,
    words,
)

INDENTS = ("", "– ", "    ")
"""How a label is indented by its level (a status under the baseline, a reason under it)."""

About = Sequence[tuple[str, str]]
"""What a table is (filters, date, pairing, suppression, versions, who): label and value."""


def whole_percent(count: int, n: int) -> int:
    """round(100 × count / n), halves up, in whole numbers (no float on the way)."""
    return (200 * count + n) // (2 * n)


def decimal(value: float, places: int, lang: str) -> str:
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if lang == "da" else text


def p_value(value: float, lang: str) -> str:
    if value < 0.0005:
        return "<" + decimal(0.001, 3, lang)
    return decimal(value, 3, lang)


def as_text(cell: Cell, lang: str, *, total_as_n: bool = False) -> str:
    """The cell as text in `lang`: the page, the command's text and every CSV."""
    match cell:
        case Text(text=text, level=level):
            return INDENTS[level] + text
        case Count(value=value):
            return str(value)
        case Percent(count=count, n=n):
            return str(whole_percent(count, n)) if n else ""
        case Share(value=value):
            return str(whole_percent(round(value * 10000), 10000))
        case Total(n=n, multiple=multiple):
            if total_as_n:
                return str(n)
            return f"({n})" if multiple or not n else f"100 ({n})"
        case Mean(value=v) | Change(value=v):
            return "" if v is None else decimal(v, 1, lang)
        case PValue(value=v):
            return "" if v is None else p_value(v, lang)
        case TestName(name=name):
            return words(lang)[name] if name else ""
        case Hidden():
            return words(lang)["hidden"]
    raise TypeError(f"not a grid cell: {cell!r}")


def page(grid: Grid) -> dict[str, Any]:
    """{"head": [...], "rows": [[...], ...], "notes": [...]}, every cell a string: the page
    shows the notes under the table, not as rows."""
    return {
        "head": list(grid.head),
        "rows": [[as_text(c, grid.lang) for c in row] for row in grid.rows],
        "notes": grid.note_texts(),
        "hidden": bool(grid.hidden),
    }


def _notes(grid: Grid) -> list[list[str]]:
    w = words(grid.lang)
    notes = [[w["warning"], text] for text in grid.note_texts()]
    if grid.hidden:
        notes.append([w["hidden"], w["hidden_note"]])
    return notes


def text_rows(grid: Grid, *, total_as_n: bool) -> list[list[str]]:
    """Every row of a file as text: the header, the rows, then each note after its label."""
    rows = [[as_text(c, grid.lang, total_as_n=total_as_n) for c in row] for row in grid.rows]
    return [list(grid.head), *rows, *_notes(grid)]


def to_json(d: dict[str, Any], about: About = ()) -> str:
    """The table's dict as JSON: the contract, not a layout; `about` under "about"."""
    return json.dumps({**d, "about": dict(about)} if about else d, ensure_ascii=False, indent=2)


def delimiter(lang: str) -> str:
    """Danish Excel separates by semicolons (the comma is its decimal sign)."""
    return ";" if lang == "da" else ","


def to_csv(grid: Grid, about: About = ()) -> str:
    """The about block (label, value), a blank line, then the table; a total is its n."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter(grid.lang), lineterminator="\r\n")
    for label, value in about:
        writer.writerow([label, value])
    if about:
        writer.writerow([])
    writer.writerows(text_rows(grid, total_as_n=True))
    return out.getvalue()


def to_text(grid: Grid, about: About = ()) -> str:
    """The about block, then aligned columns: labels to the left, figures to the right."""
    rows = text_rows(grid, total_as_n=False)
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    lines = [f"{label}: {value}" for label, value in about]
    if about:
        lines.append("")
    for r in rows:
        line = [r[0].ljust(widths[0])] + [c.rjust(widths[i]) for i, c in enumerate(r) if i]
        lines.append("  ".join(line).rstrip())
    return "\n".join(lines) + "\n"


# --- XLSX: real numbers with number formats ----------------------------------------------------


def xlsx_value(cell: Cell, lang: str) -> tuple[Any, str | None]:
    """A cell's value in a workbook and its number format (None: Excel's general)."""
    match cell:
        case Percent(count=count, n=n):
            return (count / n if n else None), "0%"
        case Share(value=value):
            return value, "0%"
        case Count(value=value) | Total(n=value):
            return value, "0"
        case Mean(value=v) | Change(value=v):
            return v, "0.0"
        case PValue(value=v):
            return v, "0.000"
    return as_text(cell, lang), None


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


def to_xlsx(sheets: Iterable[tuple[str, Grid]], about: About = (), lang: str = "da") -> bytes:
    """A workbook with one sheet per (title, grid), its header row bold, and, when `about` is
    given, a first sheet saying what the tables are."""
    book = Workbook()
    book.remove(book.worksheets[0])  # the empty sheet a new workbook starts with
    taken: set[str] = set()
    if about:
        info = book.create_sheet(sheet_title(words(lang)["about"], taken))
        for label, value in about:
            info.append([label, value])
        info.column_dimensions["A"].width = 30
        info.column_dimensions["B"].width = 70
    for title, grid in sheets:
        sheet = book.create_sheet(sheet_title(title, taken))
        sheet.append(list(grid.head))
        for r, row in enumerate(grid.rows, start=2):
            for column, cell in enumerate(row, start=1):
                value, number_format = xlsx_value(cell, grid.lang)
                target = sheet.cell(row=r, column=column, value=value)
                if number_format:
                    target.number_format = number_format
        for offset, note in enumerate(_notes(grid)):
            for column, value in enumerate(note, start=1):
                sheet.cell(row=len(grid.rows) + 2 + offset, column=column, value=value)
        sheet.column_dimensions["A"].width = 45
        for header in sheet[1]:
            header.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
