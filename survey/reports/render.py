"""Every output of a report table, for the page's downloads and the command alike: the table's
dict laid out once (`survey.reports.grid`), protected when small numbers are hidden
(`survey.reports.disclosure`), and written as JSON, CSV, text or XLSX (`survey.reports.writers`)
with the block saying what it is (`survey.reports.about`). The page's CSV and the command's CSV
of the same table are this one function's output; the page may only hide cells."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from survey.reports import disclosure, writers
from survey.reports.grid import Grid, make_grid
from survey.reports.writers import About

FORMATS = ("json", "csv", "text", "xlsx")


def grid(d: dict[str, Any], lang: str, *, protect: bool = False) -> Grid:
    """The table's grid in `lang`; with `protect`, small counts hidden so they stay hidden."""
    laid_out = make_grid(d, lang)
    return disclosure.protect(laid_out) if protect else laid_out


def write(
    d: dict[str, Any], fmt: str, lang: str, *, about: About = (), protect: bool = False
) -> str | bytes:
    """The table's dict as `fmt`. JSON is the unprotected contract: it is never written with
    `protect` (the page offers no JSON)."""
    if fmt == "json":
        if protect:
            raise ValueError("a protected table has no JSON: its dict holds every figure")
        return writers.to_json(d, about)
    laid_out = grid(d, lang, protect=protect)
    if fmt == "csv":
        return writers.to_csv(laid_out, about)
    if fmt == "text":
        return writers.to_text(laid_out, about)
    if fmt == "xlsx":
        return writers.to_xlsx([(d["table"], laid_out)], about, lang)
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def workbook(
    sheets: Iterable[tuple[str, dict[str, Any]]],
    lang: str,
    *,
    about: About = (),
    protect: bool = False,
) -> bytes:
    """A workbook with one sheet per (title, table dict), after the about sheet."""
    return writers.to_xlsx(
        ((title, grid(d, lang, protect=protect)) for title, d in sheets), about, lang
    )
