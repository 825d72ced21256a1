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
    NOTES,
    Cell,
    Change,
    Count,
    Effect,
    Extreme,
    Grid,
    Hidden,
    Mean,
    Percent,
    PValue,
    Share,
    Statistic,
    TestName,
    Text,
    Total,
    words,
)

SYMBOLS = {
    "chi2": "χ²",
    "mcnemar": "χ²",
    "stuart_maxwell": "χ²",
    "bowker": "χ²",
    "wilcoxon": "W",
}
"""The symbol of each test's statistic (Fisher's exact test has none)."""

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
        case Statistic(name=name, value=v, dof=dof, n=n):
            if v is None:
                return ""
            number = str(int(v)) if float(v).is_integer() else decimal(v, 2, lang)
            shown = f"{SYMBOLS.get(name or '', '')} = {number}".lstrip(" =")
            extra = [f"df = {dof}"] if dof is not None else []
            extra += [f"n = {n}"] if n is not None else []
            return shown + (f" ({', '.join(extra)})" if extra else "")
        case Effect(name=name, value=v):
            if v is None or not name:
                return ""
            return f"{words(lang)[name]} = {decimal(v, 2, lang)}"
        case Extreme(value=v):
            if v is None:
                return ""
            return str(v) if float(v).is_integer() else decimal(v, 1, lang)
        case Hidden():
            return words(lang)["hidden"]
    raise TypeError(f"not a grid cell: {cell!r}")


def page(grid: Grid) -> dict[str, Any]:
    """{"head": [...], "rows": [[...], ...], "notes": [...]}, every cell a string: the page
    shows the notes under the table, not as rows."""
    return {
        "head": list(grid.head),
        "rows": [[as_text(c, grid.lang) for c in row] for row in grid.rows],
        "kinds": [_row_kind(row) for row in grid.rows],
        "notes": [
            {"label": label, "text": text, "warning": label == words(grid.lang)["warning"]}
            for label, text in _notes(grid)
            if text != words(grid.lang)["hidden_note"]
        ],
        "hidden": bool(grid.hidden),
    }


def _row_kind(row: list[Cell]) -> str:
    """How the page marks a row: "heading" (a question over its answers), "total" or ""."""
    if isinstance(row[0], Text) and row[0].heading:
        return "heading"
    if any(isinstance(c, Total) for c in row):
        return "total"
    return ""


def _notes(grid: Grid) -> list[list[str]]:
    w = words(grid.lang)
    notes = [
        [w["note"] if note.code in NOTES else w["warning"], text]
        for note, text in zip(grid.notes, grid.note_texts(), strict=True)
    ]
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


def to_csv_tables(tables: Sequence[tuple[str, Grid]], about: About, lang: str) -> str:
    """Several tables in one CSV: the about block, then each table under its title, a blank
    line between them."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter(lang), lineterminator="\r\n")
    for label, value in about:
        writer.writerow([label, value])
    for caption, grid in tables:
        writer.writerow([])
        writer.writerow([caption])
        writer.writerows(text_rows(grid, total_as_n=True))
    return out.getvalue()


def to_text_tables(tables: Sequence[tuple[str, Grid]], about: About) -> str:
    """Several tables as text: the about block, then each table under its title."""
    lines = [f"{label}: {value}" for label, value in about]
    for caption, grid in tables:
        lines += ["", caption, "", to_text(grid).rstrip("\n")]
    return "\n".join(lines) + "\n"


def to_text(grid: Grid, about: About = ()) -> str:
    """The about block, then aligned columns: labels to the left, figures to the right."""
    rows = text_rows(grid, total_as_n=False)
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    figures = [r for r in rows if any(r[1:])]  # a heading or a note does not widen its column
    widths = [max(len(r[i]) for r in figures or rows) for i in range(width)]
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
        case Extreme(value=v):
            return v, "0"
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


def to_xlsx(
    sheets: Iterable[tuple[str, Grid] | tuple[str, Grid, str]],
    about: About = (),
    lang: str = "da",
) -> bytes:
    """A workbook with one sheet per (title, grid) or (title, grid, caption): the caption (a
    table's full title) in bold above it, then its header row in bold. When `about` is given,
    a first sheet says what the tables are."""
    book = Workbook()
    book.remove(book.worksheets[0])  # the empty sheet a new workbook starts with
    taken: set[str] = set()
    if about:
        info = book.create_sheet(sheet_title(words(lang)["about"], taken))
        for label, value in about:
            info.append([label, value])
        info.column_dimensions["A"].width = 30
        info.column_dimensions["B"].width = 70
    for title, grid, *caption in sheets:
        sheet = book.create_sheet(sheet_title(title, taken))
        top = 1
        if caption:
            sheet.cell(row=1, column=1, value=caption[0]).font = Font(bold=True)
            top = 3
        for column, head in enumerate(grid.head, start=1):
            sheet.cell(row=top, column=column, value=head).font = Font(bold=True)
        for r, row in enumerate(grid.rows, start=top + 1):
            for column, cell in enumerate(row, start=1):
                value, number_format = xlsx_value(cell, grid.lang)
                target = sheet.cell(row=r, column=column, value=value)
                if number_format:
                    target.number_format = number_format
                if isinstance(cell, Text) and cell.heading:
                    target.font = Font(italic=True)
        for offset, note in enumerate(_notes(grid)):
            for column, value in enumerate(note, start=1):
                sheet.cell(row=top + len(grid.rows) + 1 + offset, column=column, value=value)
        sheet.column_dimensions["A"].width = 45
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
