"""What `survey report` prints: a table as JSON (`table.to_dict()`), as CSV with the figures as
they are, or as text laid out like the evaluation report ("Total (n)" rows, percents without
decimals). The layout is `survey.reports.grid`'s; the number formats here are the CLI's."""

from __future__ import annotations

from typing import Any

from survey.reports import writers
from survey.reports.grid import Total, make_grid
from survey.reports.writers import Format, one_decimal, whole


def _p(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _change(value: float | None) -> Any:
    return "" if value is None else value


def _total(cell: Total) -> str:
    if cell.multiple:
        return f"({cell.n})"
    return f"100 ({cell.n})" if cell.n or cell.corner else "(0)"


CSV = Format()
"""Figures as they are (66.7, 0.0123), blanks for none."""

TEXT = Format(percent=whole, p_value=_p, mean=one_decimal, change=_change, total=_total)
"""Percents without decimals, p-values with three decimals, totals as "100 (n)"."""


def to_json(table: Any) -> str:
    return writers.to_json(table.to_dict())


def to_csv(table: Any, lang: str = "da") -> str:
    return writers.to_csv(make_grid(table.to_dict(), lang), CSV)


def to_text(table: Any, lang: str = "da") -> str:
    return writers.to_text(make_grid(table.to_dict(), lang), TEXT)
