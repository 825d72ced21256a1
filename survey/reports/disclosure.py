"""Small-cell suppression that cannot be undone.

A count of 1–4 citizens is hidden (primary suppression). A table also shows sums (a column's
cells add up to its "Total (n)", a crosstab's rows and columns to their totals, the statuses to
the baseline), so a hidden count could be worked out again from the total and the other cells.
`protect` therefore hides, one at a time, further cells (secondary suppression) until no hidden
count is determined by what is shown: for every hidden count, the smallest and the largest value
it can take, given every sum of the table and that a hidden count is at least 1 (zeros are
shown), must differ. Percents, means and tests computed from a hidden count are hidden with it
(`grid.hide_cells`), and so is the chart, which is drawn from the protected grid.

`determined(grid, hidden)` is that audit, by linear programming (scipy's HiGHS): the hidden
counts are the unknowns, each sum the grid states is an equation. The tests run it, and an
independent recomputation from the table's dict, over every table kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np

from survey.reports.grid import Cell, Extreme, Grid, Hidden, Key, Note, Sum, hide_cells

SMALL = range(1, 5)
"""The counts hidden for their own sake: 1–4 citizens (0 identifies no one and is shown)."""


def _without_extremes(grid: Grid) -> Grid:
    if not any(isinstance(c, Extreme) for row in grid.rows for c in row):
        return grid

    def rows(rs: list[list[Cell]]) -> list[list[Cell]]:
        return [[Hidden("Extreme") if isinstance(c, Extreme) else c for c in r] for r in rs]

    return replace(
        grid,
        body=rows(grid.body),
        foot=rows(grid.foot),
        notes=[*grid.notes, Note("extremes_hidden")],
        hidden=grid.hidden | {"extremes"},
    )


def small_counts(grid: Grid) -> set[Key]:
    return {key for key, value in grid.counts.items() if value in SMALL}


def bounds(
    counts: dict[Key, int], sums: Iterable[Sum], hidden: set[Key]
) -> dict[Key, tuple[float, float]]:
    """The smallest and largest value each hidden count can take, given the shown counts, the
    sums, and that every hidden count is at least 1 (unbounded above: `inf`)."""
    return dict(_ranges(counts, sums, hidden))


def _ranges(
    counts: dict[Key, int], sums: Iterable[Sum], hidden: set[Key]
) -> Iterator[tuple[Key, tuple[float, float]]]:
    from scipy.optimize import linprog  # here: it costs a second at every start

    unknowns = sorted(hidden, key=repr)
    index = {key: i for i, key in enumerate(unknowns)}
    rows: list[list[float]] = []
    rhs: list[float] = []
    for s in sums:
        row = [0.0] * len(unknowns)
        constant = 0.0  # shown parts minus the shown total
        involved = False
        for key, sign in ((s.total, -1.0), *((p, 1.0) for p in s.parts)):
            if key in index:
                row[index[key]] += sign
                involved = True
            else:
                constant += sign * counts[key]
        if involved:
            rows.append(row)
            rhs.append(-constant)
    if not unknowns:
        return
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    limits = [(1, None)] * len(unknowns)
    for key, i in index.items():
        if not rows:
            yield key, (1.0, float("inf"))
            continue
        c = np.zeros(len(unknowns))
        c[i] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=limits, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=limits, method="highs")
        lo = float(low.fun) if low.status == 0 and low.fun is not None else 1.0
        hi = -float(high.fun) if high.status == 0 and high.fun is not None else float("inf")
        yield key, (lo, hi)


def determined(grid: Grid, hidden: set[Key], *, first: bool = False) -> set[Key]:
    """The hidden counts whose value follows from what the grid shows. With `first`, stop at
    the first such count found (protect needs one at a time): a sum with one hidden member
    gives it away at once, and only when there is none is the linear program asked."""
    alone = set()
    for s in grid.sums:
        members = {s.total, *s.parts} & hidden
        if len(members) == 1:
            alone |= members
            if first:
                return alone
    if alone:
        return alone
    found = set()
    for key, (lo, hi) in _ranges(grid.counts, grid.sums, hidden):
        if hi - lo < 0.5:  # an integer with one possible value
            found.add(key)
            if first:
                break
    return found


def _complement(grid: Grid, key: Key, hidden: set[Key]) -> Key | None:
    """The cell to hide with `key`: in a sum holding `key`, the shown count with the smallest
    value above 0 (a part before the total, which many other cells depend on)."""
    candidates: list[tuple[int, int, str, Key]] = []
    for s in grid.sums:
        members = (s.total, *s.parts)
        if key not in members:
            continue
        for rank, other in ((1, s.total), *((0, p) for p in s.parts)):
            value = grid.counts[other]
            if other not in hidden and value > 0:
                candidates.append((rank, value, repr(other), other))
    return min(candidates)[3] if candidates else None


def protect(grid: Grid) -> Grid:
    """`grid` with its small counts hidden, and as many others as it takes that none of them
    can be worked out again from the sums it shows; a smallest or largest value (one citizen's
    own answer) is never shown."""
    grid = _without_extremes(grid)
    hidden = small_counts(grid)
    while True:
        exposed = sorted(determined(grid, hidden, first=True), key=repr)
        if not exposed:
            break
        added = None
        for key in exposed:
            added = _complement(grid, key, hidden)
            if added is not None:
                break
        if added is None:  # nothing left to hide it with: hide every count of its sums
            for s in grid.sums:
                if set(exposed) & {s.total, *s.parts}:
                    hidden |= {s.total, *s.parts}
            hidden = {k for k in hidden if grid.counts[k] > 0}
            if not determined(grid, hidden):
                break
            hidden = set(grid.counts)  # a table that cannot be protected shows no count
            break
        hidden.add(added)
    if not hidden:
        return grid
    return hide_cells(grid, frozenset(hidden))
