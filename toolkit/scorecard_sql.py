"""Compile a :class:`toolkit.scorecard.Scorecard` into one SQL ``SELECT``.

Why this design: the obvious translations are slow. A CASE per bin (flat or as a
binary-search tree) costs DuckDB per *expression node*, and a 50-term EBM has ~15,000 bins:
the tree version of this module took 38 s for 180K rows. Joins to VALUES lookup tables and
ASOF joins were slower still (they sort the table once per feature). Here every bin lookup is
a few arithmetic operations and array subscripts, whatever the number of bins:

1. **Grid.** For each binned axis (a feature at the bin level a term uses), the cuts get a
   uniform grid with ``G`` cells: ``cell = floor((x - a) * s)`` clamped to the grid, with
   ``s`` a power of two so the scaling is exact. ``LO[cell]`` is the number of cuts that lie
   wholly below the cell (computed in Python with the same IEEE arithmetic; the key is
   monotone in ``x``, which is all the proof needs). A cut that is the first value of its
   cell (typical for integer features, cuts at k + 0.5) is counted by ``LO`` too.
2. **Correction.** The cuts left inside a cell are resolved with a branchless binary search,
   ``r = r + step * (CUTS[r + step] <= x)``, one subquery level per step; ``G`` is chosen
   per axis (16..8192 cells) so most axes need 0 or 1 step, 2-3 at worst. The result equals
   ``searchsorted(cuts, x, side="right")`` exactly.
3. **Lookup.** Each term's score table (adjacent bins with identical scores merged first) is
   one array literal indexed by ``missing/bin/unseen`` positions (row-major for pairs).
   Nominal features map categories with ``CASE WHEN x IN ('a', 'b') THEN k``; categories
   that score like an unseen one are left to ``ELSE``.

Exactness: numbers are written in scientific notation with Python's shortest round-trip
repr (``0.1e0``, ``3.5e2``), which every supported engine parses as a double (a bare
``0.1`` is DECIMAL in DuckDB and Spark, NUMBER in Snowflake). Identifiers are always quoted
and string literals escaped by sqlglot for the target dialect, so a column named
``a"b; DROP`` or a category ``O'Brien`` cannot break out of the query. NULL and NaN in
numeric columns are *missing* (NaN test: ``ISNAN`` in DuckDB and Spark, ``IS_NAN`` in
BigQuery, ``x = 'NaN'`` in PostgreSQL and Snowflake, where NaN equals itself). Nominal
values are compared as text after ``CAST(x AS <text>)``; booleans become ``'true'`` /
``'false'`` and integers digits in all five dialects, as in Polars.

Query shape (internal aliases are fixed names; the user's names appear only in the
innermost SELECT and as the output id alias)::

    SELECT "__id" AS "<id_column>", 1 / (1 + EXP(-(intercept + S1[i1] + S2[i2a * n + i2b] ...)))
      AS "purchase_probability"
    FROM (step levels: r = r + step * (CUTS[r + step] <= x))
    FROM (grid: r = LO[cell(x)]; nominal: CASE x IN (...))
    FROM (features: ratios)  FROM (NaN -> NULL)  FROM (CAST inputs)  FROM <table>

Dialects: duckdb, postgres, bigquery, snowflake, spark. Array subscripts are emitted per
dialect: ``(ARRAY[..])[i]`` (DuckDB, PostgreSQL), ``[..][ORDINAL(i)]`` (BigQuery),
``GET([..], i - 1)`` (Snowflake, 0-based), ``ELEMENT_AT(ARRAY(..), i)`` (Spark). See
tests/test_scorecard_sql.py for which were executed (DuckDB always; PostgreSQL when a
server is available) and which are only parsed by sqlglot. Known limits: PostgreSQL cannot
CAST a boolean to DOUBLE PRECISION (segkit treats flags as nominal) and raises on a ratio
that overflows a double; BigQuery and Snowflake cap query text at about 1 MB, which a model
with ~40 features and 10 pairs approaches (``len(to_sql(...))`` tells).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sqlglot
from sqlglot import exp

from toolkit.errors import SegkitError

DIALECTS = ("duckdb", "postgres", "bigquery", "snowflake", "spark")
ID_ALIAS = "__id"
PROBABILITY_COLUMN = "purchase_probability"
# exp() overflows a double beyond ~709 and PostgreSQL raises instead of returning inf/0:
# the logit is clamped when the model can reach such values (changes p by < 1e-300).
LOGIT_CLAMP = 700.0
GRID_SIZES = tuple(2 ** p for p in range(4, 14))  # 16 .. 8192 cells


# --------------------------------------------------------------------------------------------
# grid search plan for one axis (pure numpy; mirrored exactly by the SQL)


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

    ``max_cells`` (default ``max(64, 8 * len(cuts))``, at most 8192) bounds the size of the
    ``start`` array written into the SQL.
    """
    cuts = np.asarray(cuts, dtype=np.float64)
    limit = max_cells or min(GRID_SIZES[-1], max(64, 8 * len(cuts)))
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


# --------------------------------------------------------------------------------------------
# sqlglot helpers


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.column(_ident(name))


def _num(value: float) -> exp.Expression:
    """A double literal in scientific notation (exact in every supported engine)."""
    value = float(value)
    if not math.isfinite(value):
        raise SegkitError(f"cannot write {value!r} as a SQL number")
    text = repr(value + 0.0)  # no "-0.0"
    if "e" not in text:
        text += "e0"
    literal = exp.Literal.number(text.lstrip("-"))
    return exp.Neg(this=literal) if text.startswith("-") else literal


def _int(value: int) -> exp.Expression:
    return exp.Literal.number(str(int(value)))


def _paren(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e)


def _add(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Add(this=a, expression=b)


def _mul(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Mul(this=a, expression=b)


def _case(ifs: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in ifs], default=default)


def _is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=e, expression=exp.Null())


def _is_nan(e: exp.Expression, dialect: str) -> exp.Expression:
    if dialect in ("postgres", "snowflake"):  # NaN = NaN is true there; no isnan()
        return exp.EQ(this=e, expression=_nan())
    return exp.IsNan(this=e)


def _greatest(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    # Anonymous: sqlglot's Greatest wraps DuckDB's in a NULL-propagating CASE, which costs
    # DuckDB a CASE per call. NULL handling is explicit in this query, so either is fine.
    return exp.Anonymous(this="GREATEST", expressions=[a, b])


def _least(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="LEAST", expressions=[a, b])


def _int_type(dialect: str) -> exp.DataType:
    return exp.DataType.build("INT")  # PostgreSQL subscripts must be int4


def _nan() -> exp.Expression:
    return exp.cast(exp.Literal.string("NaN"), exp.DataType.build("DOUBLE"))


def _array(values, dialect: str, *, floats: bool) -> exp.Expression:
    items = [(_num(v) if math.isfinite(v) else _nan()) if floats else _int(v) for v in values]
    arr = exp.Array(expressions=items)
    if dialect == "snowflake":
        return arr
    if floats and dialect in ("postgres", "bigquery", "spark"):
        return exp.cast(arr, exp.DataType.build("ARRAY<DOUBLE>"))
    return arr


def _element(arr: exp.Expression, index1: exp.Expression, dialect: str, *, floats: bool) -> exp.Expression:
    """``arr[index1]`` with a 1-based index, in the dialect's own syntax."""
    if dialect in ("duckdb", "postgres"):
        return exp.Bracket(this=_paren(arr), expressions=[index1], offset=1)
    if dialect == "bigquery":
        return exp.Bracket(this=arr, expressions=[index1], offset=1)
    if dialect == "spark":
        return exp.Anonymous(this="ELEMENT_AT", expressions=[arr, index1])
    # snowflake: 0-based GET on a semi-structured array returns VARIANT
    got = exp.Anonymous(this="GET", expressions=[arr, exp.Sub(this=_paren(index1), expression=_int(1))])
    return exp.cast(got, exp.DataType.build("DOUBLE" if floats else "INT"))


def _table(name: str) -> exp.Table:
    parts = name.split(".") if isinstance(name, str) else []
    if not parts or any(not p for p in parts) or len(parts) > 3:
        raise SegkitError(f"table name {name!r} must be 'table', 'schema.table' or 'catalog.schema.table'")
    ids = [_ident(p) for p in parts]
    kwargs: dict = {"this": ids[-1]}
    if len(ids) >= 2:
        kwargs["db"] = ids[-2]
    if len(ids) == 3:
        kwargs["catalog"] = ids[0]
    return exp.Table(**kwargs)


def _level(columns: list[tuple[str, exp.Expression]], source: exp.Expression, alias: str) -> exp.Select:
    select = exp.Select(expressions=[e.as_(name, quoted=True) for name, e in columns])
    return select.from_(source.subquery(alias, copy=False) if isinstance(source, exp.Select) else source,
                        copy=False)


# --------------------------------------------------------------------------------------------
# the query


def build_query(card, dialect: str = "duckdb", table: str = "customers") -> exp.Select:
    """The scoring query as a sqlglot expression (see the module docstring)."""
    if dialect not in DIALECTS:
        raise SegkitError(f"SQL dialect {dialect!r} is not supported; choose one of {', '.join(DIALECTS)}")
    features = card.features
    derived = {d["name"]: d for d in card.derived}

    numeric: list[str] = []
    nominal: list[str] = []
    for f in features:
        if f["name"] in derived:
            wanted = [derived[f["name"]]["numerator"], derived[f["name"]]["denominator"]]
        else:
            wanted = [f["name"]]
        bucket = nominal if f["type"] == "nominal" and f["name"] not in derived else numeric
        bucket.extend(n for n in wanted if n not in bucket)
    n_alias = {name: f"n{i}" for i, name in enumerate(numeric)}
    s_alias = {name: f"s{i}" for i, name in enumerate(nominal)}
    f_alias = [f"f{i}" for i in range(len(features))]
    double, text = exp.DataType.build("DOUBLE"), exp.DataType.build("VARCHAR")

    # 1. read and cast
    cols = [(ID_ALIAS, _col(card.id_column))]
    cols += [(n_alias[n], exp.cast(_col(n), double)) for n in numeric]
    cols += [(s_alias[n], exp.cast(_col(n), text)) for n in nominal]
    query = _level(cols, _table(table), "")

    # 2. NaN -> NULL
    cols = [(ID_ALIAS, _col(ID_ALIAS))]
    cols += [(a, _case([(_is_nan(_col(a), dialect), exp.Null())], _col(a))) for a in n_alias.values()]
    cols += [(a, _col(a)) for a in s_alias.values()]
    query = _level(cols, query, "__segkit_cast")

    # 3. features (ratios: missing unless the denominator is > 0; inf / inf is missing)
    cols = [(ID_ALIAS, _col(ID_ALIAS))]
    for f, alias in zip(features, f_alias):
        if f["name"] in derived:
            d = derived[f["name"]]
            ratio = exp.Div(this=_col(n_alias[d["numerator"]]), expression=_col(n_alias[d["denominator"]]),
                            typed=False, safe=False)
            value = _case([(exp.GT(this=_col(n_alias[d["denominator"]]), expression=_num(0.0)),
                            _case([(_is_nan(ratio, dialect), exp.Null())], ratio.copy()))], exp.Null())
        elif f["type"] == "continuous":
            value = _col(n_alias[f["name"]])
        else:
            value = _col(s_alias[f["name"]])
        cols.append((alias, value))
    query = _level(cols, query, "__segkit_clean")

    # 4. bins: each continuous axis starts its search at start[cell(x)] (1-based r);
    #    nominal axes get their final 0-based position; p<i> = 1 when feature i is present
    plan = card._plan()
    axis_col: dict[tuple, str] = {}  # (feature, cuts) or (term, axis) -> column
    grids: dict[str, tuple[GridPlan, str]] = {}
    bins: list[tuple[str, exp.Expression]] = []
    present: dict[int, str] = {}
    term_axes: list[list[tuple[str, object]]] = []
    for t, term in enumerate(plan):
        names = []
        for k, axis in enumerate(term.axes):
            x = _col(f_alias[axis.feature])
            if axis.kind == "nominal":
                name = f"b{len(axis_col)}"
                axis_col[(t, k)] = name
                groups: dict[int, list[str]] = {}
                for cat, index in axis.mapping.items():
                    groups.setdefault(index, []).append(cat)
                ifs = [(_is_null(x.copy()), _int(0))]
                ifs += [(exp.In(this=x.copy(), expressions=[exp.Literal.string(c) for c in cats]), _int(index))
                        for index, cats in sorted(groups.items())]
                bins.append((name, _case(ifs, _int(axis.unseen))))
                names.append((name, axis))
                continue
            if axis.feature not in present:
                present[axis.feature] = f"p{axis.feature}"
                bins.append((present[axis.feature], exp.cast(exp.Not(this=_is_null(x.copy())), _int_type(dialect))))
            key = (axis.feature, axis.cuts.tobytes())
            if key not in axis_col:
                name = f"b{len(axis_col)}"
                axis_col[key] = name
                if len(axis.cuts):
                    grid = plan_grid(axis.cuts)
                    grids[name] = (grid, f_alias[axis.feature])
                    clipped = _least(_greatest(x, _num(grid.low)), _num(grid.top))
                    cell = exp.Floor(this=_mul(_paren(exp.Sub(this=clipped, expression=_num(grid.base))),
                                               _num(grid.scale)))
                    cell = exp.cast(cell, _int_type(dialect))
                    bins.append((name, _element(_array(grid.start, dialect, floats=False), cell, dialect,
                                                floats=False)))
                else:
                    bins.append((name, _int(1)))
            names.append((axis_col[key], axis))
        term_axes.append(names)
    cols = [(ID_ALIAS, _col(ID_ALIAS))] + [(a, _col(a)) for a in f_alias] + bins
    query = _level(cols, query, "__segkit_features")

    # 5. binary-search steps inside grid cells: r1 += step * (CUTS1[r1 + step] <= x)
    depth = max((g.steps for g, _ in grids.values()), default=0)
    for level in range(depth):
        cols = [(ID_ALIAS, _col(ID_ALIAS))] + [(a, _col(a)) for a in f_alias]
        for name, _ in bins:
            if name in grids and level < grids[name][0].steps:
                grid, feature_col = grids[name]
                step = 2 ** (grid.steps - 1 - level)
                probe = _element(_array(grid.padded_cuts(), dialect, floats=True),
                                 _add(_col(name), _int(step)), dialect, floats=True)
                hit = exp.cast(exp.LTE(this=probe, expression=_col(feature_col)), _int_type(dialect))
                cols.append((name, _add(_col(name), _mul(_int(step), hit))))
            else:
                cols.append((name, _col(name)))
        query = _level(cols, query, f"__segkit_step{level}")

    # 6. scores: position along a continuous axis = r1 * present (0 = missing, r + 1 = bin;
    #    COALESCE because r1 is NULL for a missing x wherever GREATEST or a step saw the NULL);
    #    flat 1-based index into the term's table = sum(position * stride) + 1
    terms = []
    for term, names in zip(plan, term_axes):
        index = None
        stride = 1
        for name, axis in reversed(names):
            if axis.kind == "continuous":
                part = exp.Coalesce(this=_mul(_col(name), _col(present[axis.feature])), expressions=[_int(0)])
            else:
                part = _col(name)
            part = _mul(_paren(part), _int(stride)) if stride != 1 else part
            index = part if index is None else _add(index, part)
            stride *= axis.size
        index1 = _add(index, _int(1))
        terms.append(_element(_array(term.table.ravel(), dialect, floats=True), index1, dialect, floats=True))
    logit = _num(card.intercept)
    for t in terms:
        logit = _add(logit, t)
    bound = abs(card.intercept) + sum(float(np.abs(t.table).max()) for t in plan)
    if bound > LOGIT_CLAMP:
        logit = _greatest(_least(logit, _num(LOGIT_CLAMP)), _num(-LOGIT_CLAMP))
    prob = exp.Div(this=_num(1.0),
                   expression=_paren(_add(_num(1.0), exp.Exp(this=exp.Neg(this=_paren(logit))))),
                   typed=False, safe=False)
    final = exp.Select(expressions=[_col(ID_ALIAS).as_(card.id_column, quoted=True),
                                    prob.as_(PROBABILITY_COLUMN, quoted=True)])
    return final.from_(query.subquery("__segkit_bins", copy=False), copy=False)


def to_sql(card, dialect: str = "duckdb", table: str = "customers", *, pretty: bool = False) -> str:
    """The scoring query as text for ``dialect``."""
    query = build_query(card, dialect=dialect, table=table)
    try:
        return query.sql(dialect=dialect, pretty=pretty, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:  # pragma: no cover - a dialect regression
        raise SegkitError(f"cannot express the scorecard in {dialect}: {exc}") from None
