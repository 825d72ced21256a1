"""Small-cell suppression that holds: an attacker who sees a protected table (its text, as the
page shows it) and knows how its cells add up cannot work out any hidden count.

The attack here is written independently of `survey.reports.disclosure`: it reads the shown
cells from the page's text, writes the row and column equations from the table's dict, and asks
a linear program for the smallest and largest value of every hidden count (every hidden count is
at least 1, since zeros are shown). A hidden count with one possible value is recovered.
"""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog
from sqlalchemy import select
from sqlmodel import Session

from survey.db import get_engine
from survey.models import Team
from survey.reports import disclosure, render, web, writers
from survey.reports.filters import Filters
from survey.reports.grid import Hidden, hide_cells, make_grid
from survey.reports.services import ReportRequest, build
from survey.reports.sets import build_entry

HIDDEN = "skjult"

REQUESTS: dict[str, dict[str, Any]] = {
    "waves": {"table": "waves"},
    "status": {"table": "status"},
    "distribution": {"table": "distribution", "item": "health.mental", "points": (1, 2, 3)},
    "paired": {"table": "distribution", "item": "health.mental", "points": (1, 3), "paired": True},
    "multiple": {"table": "distribution", "item": "bip_c.1", "points": (1, 3)},
    "crosstab": {"table": "crosstab", "item": "health.mental", "by": "health.physical"},
    "crosstab_alcohol": {"table": "crosstab", "item": "use.alcohol", "by": "health.mental"},
    "by_status": {"table": "by", "item": "health.mental", "by": "status"},
    "by_outcome": {"table": "by", "item": "health.physical", "by": "employment"},
    "outcomes": {"table": "outcomes"},
    "who5": {"table": "who5"},
    "who5_paired": {"table": "who5", "points": (1, 3), "paired": True},
    "numeric": {"table": "numeric", "item": "person.age"},
    "attrition": {"table": "attrition", "items": ("health.mental", "use.alcohol"), "points": (3,)},
}
SET_TABLES = ("4.1", "4.2", "4.3", "4.6", "4.7", "5.2", "6.2", "6.3", "6.4", "6.5", "6.6")
"""The evaluation set's tables of several items (stacked and side by side)."""


# --- the attack --------------------------------------------------------------------------------


Layout = tuple[dict[Any, int], list[tuple[Any, list[Any]]], dict[Any, tuple[int, int]]]


def layout(d: dict[str, Any]) -> Layout:
    """Every count the table's text shows, the sums among them (total, parts) and where each
    is shown (row, column of the page's rows). Written from the dict and the report's table
    shapes, not from the grid's own `sums`."""
    kind = d["table"]
    counts: dict[Any, int] = {}
    sums: list[tuple[Any, list[Any]]] = []
    where: dict[Any, tuple[int, int]] = {}
    if kind == "distribution":
        for j, n in enumerate(d["n"]):
            counts[("n", j)] = n
            where[("n", j)] = (len(d["rows"]), j + 1)
            for i, row in enumerate(d["rows"]):
                counts[(i, j)] = row["counts"][j]
                where[(i, j)] = (i, j + 1)
            if not d["multiple"]:
                sums.append((("n", j), [(i, j) for i in range(len(d["rows"]))]))
    elif kind in ("crosstab", "by"):
        rows, columns = range(len(d["counts"])), range(len(d["column_totals"]))
        counts["n"] = d["n"]
        where["n"] = (len(rows), len(columns) + 1)
        for i, j in product(rows, columns):
            counts[(i, j)] = d["counts"][i][j]
            where[(i, j)] = (i, j + 1)
        for i in rows:
            counts[("row", i)] = d["row_totals"][i]
            where[("row", i)] = (i, len(columns) + 1)
            sums.append((("row", i), [(i, j) for j in columns]))
        for j in columns:
            counts[("col", j)] = d["column_totals"][j]
            where[("col", j)] = (len(rows), j + 1)
            sums.append((("col", j), [(i, j) for i in rows]))
        sums.append(("n", [("row", i) for i in rows]))
        sums.append(("n", [("col", j) for j in columns]))
    elif kind == "status":
        counts["n"] = d["n"]
        where["n"] = (0, 1)
        row = 1
        for s, c in d["counts"].items():
            counts[s] = c
            where[s] = (row, 1)
            row += 1
            reasons = d["reasons"].get(s, {})
            for r, rc in reasons.items():
                counts[(s, r)] = rc
                if rc:
                    where[(s, r)] = (row, 1)
                    row += 1
            if reasons:
                sums.append((s, [(s, r) for r in reasons]))
        sums.append(("n", list(d["counts"])))
    elif kind == "outcomes":
        row = 0
        for key in ("employment", "education", "internship", "education_or_internship"):
            counts[key] = d[key]
            where[key] = (row, 1)
            row += 1
            sources = d.get("sources", {}).get(key)
            if sources:
                for source in ("staff_form", "end_reason", "both"):
                    counts[(key, source)] = sources[source]
                    where[(key, source)] = (row, 1)
                    row += 1
                sums.append(
                    (key, [(key, source) for source in ("staff_form", "end_reason", "both")])
                )
        counts["n"] = d["n"]
        where["n"] = (row, 1)
    elif kind == "attrition":
        for j, key in enumerate(("with", "without", "due"), start=1):
            counts[key] = d[key]
            where[key] = (0, j)
        sums.append(("due", ["with", "without"]))
        parts = [
            {
                "table": "by",
                "rows": {"label": it["label"], "labels": [r["label"] for r in it["rows"]]},
                "columns": {"label": "", "labels": d["columns"]["labels"]},
                "counts": it["counts"],
                "row_totals": [sum(r) for r in it["counts"]],
                "column_totals": it["n"],
                "n": sum(it["n"]),
                **{k: it.get(k) for k in ("test", "p_value", "statistic", "dof", "effect_size")},
            }
            for it in d["items"]
        ]
        _stack(parts, counts, sums, where, start=1)
    elif kind == "items":
        if d["layout"] == "stacked":
            _stack(d["parts"], counts, sums, where, start=0)
        else:
            _side(d["parts"], counts, sums, where)
    return counts, sums, where


def _rows_of(part: dict[str, Any]) -> int:
    """How many rows the part takes on the page (its body and foot)."""
    return len(writers.page(make_grid(part, "da"))["rows"])


def _merge(k, part_layout: Layout, counts, sums, where, dr: int, dc: int) -> None:
    c, s, w = part_layout
    counts.update({(k, key): v for key, v in c.items()})
    sums.extend(((k, t), [(k, p) for p in ps]) for t, ps in s)
    where.update({(k, key): (r + dr, col + dc) for key, (r, col) in w.items()})


def _stack(parts, counts, sums, where, *, start: int) -> None:
    row = start
    for k, part in enumerate(parts):
        row += 1  # the question's heading
        _merge(k, layout(part), counts, sums, where, row, 0)
        row += _rows_of(part)


def _side(parts, counts, sums, where) -> None:
    labels = [[r["label"] for r in p["rows"]] for p in parts]
    shared = all(ls == labels[0] for ls in labels)
    column = 0
    for k, part in enumerate(parts):
        width = len(part["n"])
        _merge(k, layout(part), counts, sums, where, 0, column)
        column += width if shared else width + 1


def recovered(d: dict[str, Any], shown: list[list[str]]) -> dict[Any, int]:
    """The hidden counts of `d` that `shown` (the page's rows) gives away, with their value."""
    counts, sums, where = layout(d)
    # a reason of 0 is not shown at all: it is known to be 0
    hidden = [k for k, (r, c) in where.items() if shown[r][c] == HIDDEN]
    known = {k: v for k, v in counts.items() if k not in hidden}
    index = {k: i for i, k in enumerate(hidden)}
    if not hidden:
        return {}
    a, b = [], []
    for total, parts in sums:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for key, sign in ((total, -1), *((p, 1) for p in parts)):
            if key in index:
                row[index[key]] += sign
            else:
                rhs -= sign * known[key]
        if row.any():
            a.append(row)
            b.append(rhs)
    found = {}
    for key, i in index.items():
        if not a:
            continue
        c = np.zeros(len(hidden))
        c[i] = 1
        low = linprog(c, A_eq=np.array(a), b_eq=np.array(b), bounds=[(1, None)] * len(hidden))
        high = linprog(-c, A_eq=np.array(a), b_eq=np.array(b), bounds=[(1, None)] * len(hidden))
        if low.status == 0 and high.status == 0 and -high.fun - low.fun < 0.5:
            found[key] = round(low.fun)
    return found


def page_rows(d: dict[str, Any], *, protect: bool) -> list[list[str]]:
    return writers.page(render.grid(d, "da", protect=protect))["rows"]


# --- the demo's tables -------------------------------------------------------------------------


def demo_tables(demo_app) -> list[tuple[str, str, dict[str, Any]]]:
    registry = demo_app.extensions["survey.instruments"]
    with Session(get_engine(demo_app)) as session:
        teams = session.scalars(select(Team).order_by(Team.name)).all()
        tables = []
        for team in teams:
            filters = Filters(team_ids={team.id})
            for name, spec in REQUESTS.items():
                request = ReportRequest(filters=filters, **spec)
                tables.append((team.name, name, build(session, registry, request).to_dict()))
            evaluation = demo_app.extensions["survey.report_sets"]["evaluation"]
            for entry_id in SET_TABLES:
                d = build_entry(session, registry, evaluation.entry(entry_id), filters)
                tables.append((team.name, entry_id, d))
        return tables


def test_no_hidden_cell_of_any_table_of_any_team_can_be_worked_out(demo_app) -> None:
    checked = 0
    for team, name, d in demo_tables(demo_app):
        shown = page_rows(d, protect=True)
        counts, _sums, where = layout(d)
        for key, value in counts.items():
            if key in where and 1 <= value <= 4:
                r, c = where[key]
                assert shown[r][c] == HIDDEN, (team, name, key, shown[r][c])
        assert recovered(d, shown) == {}, (team, name)
        checked += sum(row.count(HIDDEN) for row in shown)
    assert checked > 50  # the demo's teams have small cells enough to test on


def test_the_attack_does_recover_cells_when_only_the_small_ones_are_hidden(demo_app) -> None:
    """Without the secondary suppression (hiding just the counts of 1–4), the same attack works
    out hidden cells: the test above could fail."""
    broken = 0
    for _team, _name, d in demo_tables(demo_app):
        grid = make_grid(d, "da")
        only_small = hide_cells(grid, frozenset(disclosure.small_counts(grid)))
        broken += len(recovered(d, writers.page(only_small)["rows"]))
    assert broken > 0


def test_a_test_on_hidden_counts_is_hidden(demo_app) -> None:
    for _team, name, d in demo_tables(demo_app):
        if d["table"] != "by":
            continue
        rows = page_rows(d, protect=True)
        p_value = rows[-1][1]
        if any(HIDDEN in row[1:] for row in rows[:-3]):
            assert p_value == HIDDEN, name


def test_the_chart_shows_nothing_the_table_hides(demo_app) -> None:
    for team, name, d in demo_tables(demo_app):
        grid = render.grid(d, "da", protect=True)
        chart = web.chart(grid)
        for trace in chart["data"]:
            for value, hover in zip(trace["y"], trace.get("text", trace["y"]), strict=True):
                if value is None:
                    continue
                assert hover != HIDDEN, (team, name)
        hidden = sum(isinstance(c, Hidden) for row in grid.rows for c in row)
        gaps = sum(v is None for t in chart["data"] for v in t["y"] if t["type"] == "bar")
        if d["table"] in ("distribution", "crosstab", "by") and hidden:
            assert gaps, (team, name)


# --- on hand-made tables -----------------------------------------------------------------------


def distribution(n: list[int], counts: list[list[int]], multiple: bool = False) -> dict:
    return {
        "table": "distribution",
        "item": "x",
        "label": "X",
        "multiple": multiple,
        "points": list(range(1, len(n) + 1)),
        "paired": False,
        "n": n,
        "rows": [
            {"code": i, "label": f"r{i}", "special": False, "counts": c, "percents": []}
            for i, c in enumerate(counts)
        ],
    }


def test_one_small_cell_is_hidden_with_the_next_smallest_of_its_column() -> None:
    d = distribution([20], [[2], [6], [12]])
    assert page_rows(d, protect=True) == [
        ["r0", HIDDEN],
        ["r1", HIDDEN],  # 20 - 6 - 12 would give the 2 away
        ["r2", "60"],
        ["Total (n)", "100 (20)"],
    ]


def test_two_hidden_ones_are_not_enough_when_they_must_both_be_one() -> None:
    # 1 and 1 hidden add up to 2: both are at least 1, so both are 1
    d = distribution([12], [[1], [1], [10]])
    shown = page_rows(d, protect=True)
    assert [row[1] for row in shown[:3]] == [HIDDEN, HIDDEN, HIDDEN]
    assert recovered(d, shown) == {}


def test_a_small_n_hides_its_column_and_zeros_are_shown() -> None:
    d = distribution([20, 4], [[0, 1], [5, 3], [15, 0]])
    assert page_rows(d, protect=True) == [
        ["r0", "0", HIDDEN],
        ["r1", "25", HIDDEN],
        ["r2", "75", HIDDEN],
        ["Total (n)", "100 (20)", HIDDEN],
    ]


def test_several_answers_each_make_no_sum_to_protect() -> None:
    d = distribution([20], [[3], [15], [12]], multiple=True)
    assert [row[1] for row in page_rows(d, protect=True)] == [HIDDEN, "75", "60", "(20)"]


def test_a_crosstab_hides_a_second_cell_in_its_row_and_column() -> None:
    d = {
        "table": "crosstab",
        "rows": {"label": "R", "labels": ["a", "b"]},
        "columns": {"label": "C", "labels": ["x", "y"]},
        "counts": [[2, 9], [8, 10]],
        "row_totals": [11, 18],
        "column_totals": [10, 19],
        "n": 29,
    }
    shown = page_rows(d, protect=True)
    assert sum(row.count(HIDDEN) for row in shown) >= 4  # a rectangle of four cells at least
    assert recovered(d, shown) == {}


@pytest.mark.parametrize("value", [1, 4])
def test_a_table_of_one_small_cell_alone_shows_no_count(value: int) -> None:
    d = distribution([value], [[value], [0]])
    shown = page_rows(d, protect=True)
    # the zero is a percent of the hidden n: hidden with it
    assert shown == [["r0", HIDDEN], ["r1", HIDDEN], ["Total (n)", HIDDEN]]
