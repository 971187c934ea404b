"""Exact ``searchsorted(cuts, x, side="right")`` with a few vectorised operations.

Why: a binary search per value costs ~10 dependent comparisons; in DuckDB SQL it costs an
expression per comparison and in Polars ``search_sorted`` ~40 ns a value. A uniform grid
over the cuts answers most values with one array lookup, and the few cuts that share a
cell with others are resolved by a short branchless search. The same :class:`GridPlan`
drives the Polars scorer (:mod:`toolkit.model.scorecard`) and the SQL (:mod:`toolkit.sql.scorecard`),
and :meth:`GridPlan.search` is the numpy mirror the tests compare with ``np.searchsorted``.

Why it is exact: ``cell(x)`` is built from IEEE operations (clip, subtract, multiply by a
power of two, floor) that are monotone in ``x`` and computed identically by numpy, Polars
and SQL engines. Cuts in earlier cells are <= every x of a later cell and cuts in later
cells are > it, so only the cuts inside x's own cell need comparing - and a cut that is the
smallest value of its cell (typical for integer features, cuts at k + 0.5) never does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GRID_SIZES = tuple(2 ** p for p in range(4, 17))  # 16 .. 65536 cells
SQL_MAX_CELLS = 8192  # the start array is written into the query text


@dataclass(frozen=True)
class GridPlan:
    """How SQL finds ``r = searchsorted(cuts, x, side="right")`` for one axis.

    ``cell(x) = floor((least(greatest(x, low), top) - base) * scale)`` is monotone in ``x``,
    at least 1, and computed with the same IEEE operations in numpy and in SQL; ``x`` is
    clipped before any arithmetic, so a huge finite value cannot overflow (PostgreSQL raises
    on overflow). ``start[cell - 1]`` is ``1 +`` the number of cuts known to be <= every x of
    the cell; ``steps`` rounds of ``r1 += step * (CUTS1[r1 + step] <= x)`` over the cuts left
    inside the cell finish the search (``CUTS1`` = a dummy, the cuts, NaN padding), giving
    ``r1 = r + 1``.
    """

    cuts: np.ndarray
    low: float
    top: float
    base: float
    scale: float  # a power of two: the scaling is exact
    start: np.ndarray  # length = number of cells; 1-based r of the cell's first value
    steps: int

    @property
    def cells(self) -> int:
        return len(self.start)

    def key(self, x: np.ndarray) -> np.ndarray:
        clipped = np.minimum(np.maximum(np.asarray(x, dtype=np.float64), self.low), self.top)
        return np.floor((clipped - self.base) * self.scale).astype(np.int64)

    def padded_cuts(self) -> np.ndarray:
        # NaN padding: "NaN <= x" is false for every x, +inf included (no overshoot)
        return np.concatenate([[np.nan], self.cuts, np.full(2 ** self.steps, np.nan)])

    def search(self, x: np.ndarray) -> np.ndarray:
        """The SQL algorithm in numpy (non-missing ``x``): equals searchsorted(..., "right")."""
        x = np.asarray(x, dtype=np.float64)
        padded = self.padded_cuts()
        r1 = self.start[self.key(x) - 1]
        for level in range(self.steps):
            step = 2 ** (self.steps - 1 - level)
            r1 = r1 + step * (padded[r1 + step - 1] <= x)
        return r1 - 1


def _build_grid(cuts: np.ndarray, low: float, top: float, base: float, scale: float) -> GridPlan | None:
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.isfinite((top - base) * scale) or not np.isfinite((low - base) * scale):
            return None
        probe = GridPlan(cuts, low, top, base, scale, np.zeros(0, dtype=np.int64), 0)
        first, last = int(probe.key(np.array([low]))[0]), int(probe.key(np.array([top]))[0])
    if first < 1 or last > 4 * GRID_SIZES[-1]:
        return None
    keys = probe.key(cuts)
    with np.errstate(over="ignore"):
        below = probe.key(np.nextafter(cuts, -np.inf))
    edge = below < keys  # the cut is the smallest value of its cell: every x there is >= it
    cells = np.arange(1, last + 1)
    counted = np.searchsorted(keys, cells, side="left")  # cuts in earlier cells
    edge_in = np.bincount(keys[edge], minlength=last + 1)[1:]
    inside = np.bincount(keys[~edge], minlength=last + 1)
    k = int(inside.max())
    steps = math.ceil(math.log2(k + 1)) if k else 0
    return GridPlan(cuts, low, top, base, scale, (1 + counted + edge_in).astype(np.int64), steps)


def plan_grid(cuts: np.ndarray, max_cells: int | None = None) -> GridPlan:
    """The cheapest exact grid: fewest search steps, then fewest cells.

    ``max_cells`` bounds the ``start`` array; the default, ``max(64, 8 * len(cuts))`` up to
    8192, keeps SQL text small (the Polars scorer allows more, as memory is cheap there).
    """
    cuts = np.asarray(cuts, dtype=np.float64)
    limit = max_cells or min(SQL_MAX_CELLS, max(64, 8 * len(cuts)))
    best: GridPlan | None = None
    first, last = float(cuts[0]), float(cuts[-1])
    for cells in GRID_SIZES:
        if cells > limit and best is not None:
            break
        span = last - first
        scale = 2.0 ** math.floor(math.log2((cells - 2) / span)) if 0 < span < math.inf else 1.0
        if not 0 < scale < math.inf:
            continue
        candidates = []
        for low in (first, first - 1.0 / scale):  # the second lets the first cut be a cell edge
            for shift in (1.0, 2.0):
                candidates.append(_build_grid(cuts, low, last, low - shift / scale, scale))
        for plan in candidates:
            if plan is not None and (best is None or (plan.steps, plan.cells) < (best.steps, best.cells)):
                best = plan
        if best is not None and best.steps == 0:
            break
    if best is None:  # cuts spanning ~1e308: one cell, then a plain binary search
        best = _build_grid(cuts, 0.0, 0.0, -1.0, 1.0)
    assert best is not None
    return best
