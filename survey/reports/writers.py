"""Writers of a laid-out table (`survey.reports.grid.Grid`): text, CSV, XLSX, the page's cells,
and JSON (the table's dict, the contract of docs/reports.md).

Each writer takes a `Format`: how it shows each kind of cell. The CLI and the page still show
numbers differently (25.0 or 25, .3f or .3g); their formats say so, the grid is the same.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from survey.reports.grid import (
    Cell,
    Change,
    Count,
    Grid,
    Mean,
    Percent,
    PValue,
    Suppressed,
    Text,
    Total,
    figure,
)

Number = Callable[[float | None], Any]


def whole(value: float | None) -> str:
    """A percent without decimals, rounding halves up (as the report does); blank for none."""
    return "" if value is None else str(math.floor(value + 0.5))


def one_decimal(value: float | None) -> str:
    """A mean or SD with one decimal; blank for none."""
    return "" if value is None else f"{value:.1f}"


def as_is(value: Any) -> Any:
    """A figure as it is: numbers stay numbers (CSV and XLSX cells)."""
    return value


def total_n(cell: Total) -> Any:
    """A total as its n alone (the files)."""
    return cell.n


@dataclass(frozen=True)
class Format:
    """How one writer shows each kind of cell. `indents` prefix a label by its level (a status
    under the baseline, a reason under its status)."""

    percent: Number = as_is
    p_value: Number = as_is
    mean: Number = as_is
    change: Number = as_is
    total: Callable[[Total], Any] = total_n
    indents: tuple[str, str, str] = ("", "- ", "    ")


def value(cell: Cell, fmt: Format) -> Any:
    """The cell as `fmt` shows it."""
    match cell:
        case Text(text=text, level=level):
            return fmt.indents[level] + text
        case Percent(value=v):
            return fmt.percent(v)
        case PValue(value=v):
            return fmt.p_value(v)
        case Mean(value=v):
            return fmt.mean(v)
        case Change(value=v):
            return fmt.change(v)
        case Total():
            return fmt.total(cell)
        case Count() | Suppressed():
            return figure(cell)
    raise TypeError(f"not a grid cell: {cell!r}")


def cells(grid: Grid, fmt: Format) -> tuple[list[Any], list[list[Any]]]:
    """The header and the rows (body, then footer) as `fmt` shows them."""
    return list(grid.head), [[value(c, fmt) for c in row] for row in grid.rows]


def table_rows(grid: Grid, fmt: Format) -> list[list[Any]]:
    """Every row of a file: the header, the rows, then each note after its label."""
    head, rows = cells(grid, fmt)
    return [head, *rows, *([grid.note_label, note] for note in grid.notes)]


def blank(v: Any) -> Any:
    """None as an empty cell."""
    return "" if v is None else v


def text(v: Any) -> str:
    return "" if v is None else str(v)


def to_json(d: dict[str, Any]) -> str:
    """The table's dict as JSON: the contract, not a layout."""
    return json.dumps(d, ensure_ascii=False, indent=2)


def to_csv(grid: Grid, fmt: Format) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in table_rows(grid, fmt):
        writer.writerow([blank(v) for v in row])
    return out.getvalue()


def to_text(grid: Grid, fmt: Format) -> str:
    """Aligned columns: labels to the left, figures to the right."""
    rows = [[text(v) for v in row] for row in table_rows(grid, fmt)]
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    lines = []
    for r in rows:
        line = [r[0].ljust(widths[0])] + [c.rjust(widths[i]) for i, c in enumerate(r) if i]
        lines.append("  ".join(line).rstrip())
    return "\n".join(lines) + "\n"


def to_page(grid: Grid, fmt: Format) -> dict[str, Any]:
    """{"head": [...], "rows": [[...], ...], "notes": [...]}, every cell a string: the page shows
    the notes under the table, not as rows."""
    head, rows = cells(grid, fmt)
    return {"head": head, "rows": [[text(v) for v in row] for row in rows], "notes": grid.notes}


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


def to_xlsx(sheets: Iterable[tuple[str, Grid]], fmt: Format) -> bytes:
    """A workbook with one sheet per (title, grid), its header row bold."""
    book = Workbook()
    book.remove(book.worksheets[0])  # the empty sheet a new workbook starts with
    taken: set[str] = set()
    for title, grid in sheets:
        sheet = book.create_sheet(sheet_title(title, taken))
        for row in table_rows(grid, fmt):
            sheet.append([blank(v) for v in row])
        sheet.column_dimensions["A"].width = 45
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
