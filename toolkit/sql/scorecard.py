"""Compile a :class:`toolkit.model.scorecard.Scorecard` into one SQL ``SELECT`` (``Scorecard.to_sql``).

Why this design: the obvious translations are slow. A CASE per bin (flat or as a
binary-search tree) costs DuckDB per *expression node*, and a 50-term EBM has ~15,000 bins:
the CASE-tree version of this module took 38 s for 180K rows. Joins to VALUES lookup tables
and ASOF joins were slower still (they sort the table once per feature). Here a bin lookup
is a handful of arithmetic operations and array subscripts, whatever the number of bins:

1. **Merge.** Adjacent bins whose scores are identical are merged (exactly; per term and
   axis), which removes most of a boosted shape's 1023 cuts: the scorecard's public
   :meth:`~toolkit.model.scorecard.Scorecard.merged_terms` is the input of this compiler.
2. **Grid.** Each continuous feature is searched once, over the union of the merged cuts of
   all its terms (main effect at bin level 0, pairs at level 1): a uniform grid with ``s`` a
   power of two gives ``cell = floor((least(greatest(x, low), top) - base) * s)`` and
   ``r1 = START[cell]`` counts the cuts known to lie below every value of the cell
   (:mod:`toolkit.model.scorecard_grid` has the proof and the numpy mirror).
3. **Steps.** Cuts sharing a cell are resolved with a branchless binary search,
   ``r1 = r1 + step * (CUTS[r1 + step] <= x)``, one subquery level per step; the grid size
   (16..8192 cells) is chosen so most features need 0 or 1 step. Integer features (cuts at
   k + 0.5) need none. The result equals ``searchsorted(cuts, x, side="right") + 1``.
4. **Lookup.** A main effect's scores are one array literal (integers: *Text size*)
   indexed by the feature's union bin (0 = missing); a pair adds two small index arrays
   (union bin -> the axis's merged bin, times its stride) and indexes its flattened table.
   Nominal axes map categories with ``CASE WHEN x IN ('a', 'b') THEN k``; categories
   scoring like an unseen one fall to ELSE.

Measured in DuckDB (2 shared cores, 50-term model): 2.4M rows in 2.55-2.76 s, 1.8-1.9x the
Polars path; 180K rows in 0.34 s, 3.4x, of which ~0.09 s is binding and optimising the
statement (bench/RESULTS.md, *DuckDB: arrays declared once*).

**Per engine** (:class:`~toolkit.sql.dialects.Dialect` fields ``search``, ``array_text``,
``subscript``; bench/bench_engines.py measures each against the form above):

* **PostgreSQL** pulls every subquery level up into the next, copying a column's expression
  into each use: the step levels' ``r1 + step * (CUTS[r1 + step] <= x)`` doubled per level,
  the planner's cost estimate reached ~670,000 for 180K rows and JIT compilation (which
  starts above ``jit_above_cost`` = 100,000) took 28-36 s for a 1 s query. So PostgreSQL gets
  no bin levels at all: each term reads ``WIDTH_BUCKET(x, cuts)``, PostgreSQL's binary
  search in C, directly (:func:`_native_terms`): ~2 operations per main effect, cost ~76,000
  for 180K rows (below the JIT threshold), 300 KB of text.
* **Spark** analyses an ``ARRAY(1, 2, ...)`` constructor as one expression per item: 30,000
  items took 6-25 s to parse and analyse. Arrays are one string instead,
  ``CAST(SPLIT('1,2,..', ',') AS ARRAY<BIGINT>)``, folded to a constant once by the optimizer,
  and read with ``TRY_ELEMENT_AT`` (indexes are always in range; ANSI mode's ``ELEMENT_AT``
  on a folded array costs ~4x more per row). Whole-stage codegen compiled the whole query
  into one 60 KB Java method, too large for the JIT (8,000 bytes), so every row ran in the
  bytecode interpreter: Spark gets at most 8 bins, steps or terms per level, every level
  reading each column below it twice, so each level becomes a method of its own
  (:func:`_split_spark_levels`; 2.4M rows ~3x faster, bench/RESULTS.md). The levels are
  also narrow (few parameters, so the optimizing JIT compiles them): features go a group
  at a time from raw value to score, carried as one array (:func:`_spark_sum`; 2.4M rows
  5.8x Polars, was 13.8x).

* **DuckDB** folds ``CAST('[..]' AS INT[])`` to a constant list, but evaluates that constant
  into a fresh vector for every 2,048-row chunk, copying all of its items (~50,000 items per
  chunk on the demo model). So its arrays are declared once, as the columns of a one-row
  derived table cross-joined above the table read (``__segkit_arrays``) and carried up the
  levels; a column of a one-row table is a constant vector that references the list
  (:func:`_arrays_as_columns`). With the copy gone a large grid costs nothing per row, so
  DuckDB grids go up to 16,384 cells whatever the number of cuts
  (:attr:`Dialect.grid_cells`): the demo model needs 17 search steps (3 levels) instead of 42
  (5 levels), at 0.73 MB of text instead of 0.46 MB (DuckDB has no statement cap). DuckDB's fixed cost per query,
  parsing, binding and optimising the statement, is ~0.08 s (10 rows); the rest is ~600
  vectorised operations per row (bench/RESULTS.md, *Engines*).

Text size: BigQuery and Snowflake cap a statement at about 1 MB, and a 50-term model
(40 features, 10 pairs, ~21,000-30,000 merged score cells) used to need 0.73-1.01 MB. Now
0.46-0.49 MB for the current demo model (0.55-0.58 MB for a 30,000-cell one), from
PostgreSQL through BigQuery and Spark to Snowflake; DuckDB, which has no cap, trades text
for speed (0.73 MB: its larger grids, above). What made it smaller:

* **Scores as integers.** ``precision="auto"`` writes each score as ``round(s * 10**d)``
  (``d`` = 11 for 9-80 terms; ``0`` for exact zeros) and the logit as ``intercept +
  CAST(S1[..] + S2[..] + ... AS DOUBLE) / 1e<d>``: ~10 characters a cell instead of ~24,
  and the integer sum is exact (checked < 2**53; BIGINT, so no INT overflow). Worst case:
  each score is off by at most ``10**-d / 2``, a row adds one score per term and the
  logistic slope is at most 1/4, so ``|p_sql - p_polars| <= n_terms * 10**-d / 8`` (plus
  ~1e-16 of double rounding): 6.25e-11 for 50 terms; ``auto`` keeps it <= 1e-10, a tenth of
  the tested 1e-9 (measured on the demo model: 2.2e-11). ``precision=None`` writes exact
  doubles (sums bit-compatible with Polars, ~1.4x the text); an int sets ``d``
  (:func:`score_decimals`, :func:`probability_error_bound`).
* **Cuts stay exact**, in their shortest exact form (``325e-5``, ``15e-1``; see
  :func:`_num_text`), so a value on a cut lands in the same bin as in interpret.
* **Arrays as one token.** DuckDB and PostgreSQL get ``CAST('[1,2,..]' AS BIGINT[])``
  (``'{..}'`` in PostgreSQL): one constant to parse and bind instead of one expression per
  item, which also made DuckDB's fixed cost per query ~3x smaller (0.24 -> 0.08 s; 180K
  rows 0.5-0.6 s -> 0.3 s on a quiet machine). The other dialects get the array
  constructor with its items written without spaces.

Exactness: cuts and grid constants are written with Python's shortest round-trip digits,
in a form each engine reads as a double (an exponent, ``15e-1``, where a bare ``1.5`` would be
DECIMAL in DuckDB and Spark or NUMBER in Snowflake; plain in BigQuery, a FLOAT64 literal, and
PostgreSQL, numeric converted to float8 by correct rounding; anything inside the string of a
DuckDB / PostgreSQL array cast), so every cut compares exactly. Scores are rounded as above.
Identifiers (columns, table, output and internal column aliases) and string literals are
written by the dialect table, :mod:`toolkit.sql.dialects`, exactly as the ruleset export
writes them: quoted (except plain lower-case names in Snowflake, which must resolve to the
upper-cased columns of an ordinary table) and escaped, so a column named ``a"b; DROP`` or a
category ``O'Brien`` cannot break out of the query (array strings are made here of digits,
signs, '.', 'e' and 'NaN' only). NULL and NaN in numeric columns are *missing* (NaN test:
``ISNAN`` in DuckDB and Spark, ``IS_NAN`` in BigQuery, ``x = 'NaN'`` in PostgreSQL and
Snowflake, where NaN equals itself; :attr:`Dialect.nan_function`). Nominal values are
compared as text after ``CAST(x AS <text>)``; booleans become ``'true'`` / ``'false'`` and
integers digits in all five dialects, as in Polars.

Query shape (internal aliases are fixed names; the user's names appear only in the
innermost SELECT and as the output id alias)::

    SELECT "__id" AS "<id_column>",
           1 / (1 + EXP(-(intercept + S1[j1 + 1] + S2[A2[j2 + 1] + B2[j3 + 1] + 1] + ...)))
             AS "purchase_probability"
    FROM (positions: j = COALESCE(r1 * present, 0))
    FROM (step levels: r1 = r1 + step * (CUTS[r1 + step] <= x))
    FROM (grid: r1 = START[cell(x)]; nominal: CASE x IN (...))
    FROM (features: ratios)  FROM (NaN -> NULL)  FROM (CAST inputs)  FROM <table>
    (DuckDB: the NaN level also CROSS JOINs (SELECT CAST('[..]' AS T[]) AS "__segkit_a0", ..)
    AS __segkit_arrays, and every level above carries the "__segkit_a*" columns)

Dialects: duckdb, postgres, bigquery, snowflake, spark, and their aliases
(:func:`toolkit.sql.dialects.get_dialect`). Array subscripts are emitted per dialect
(:attr:`Dialect.subscript`): ``(CAST('[..]' AS T[]))[i]`` (PostgreSQL, whose score arrays
start at 0, ``'[0:m]={..}'``; DuckDB: ``"__segkit_a7"[i]``, the array declared once in
``__segkit_arrays``), ``[..][ORDINAL(i)]`` (BigQuery), ``GET([..], i - 1)``
(Snowflake, 0-based), ``TRY_ELEMENT_AT(CAST(SPLIT('..', ',') AS ARRAY<T>), i)`` (Spark).
DuckDB, PostgreSQL and Spark execute the SQL in the tests (tests/engines/test_sql_engines.py);
BigQuery and Snowflake are parsed by sqlglot. Known limits: PostgreSQL cannot
CAST a boolean to DOUBLE PRECISION (segkit treats flags as nominal) and raises "value out
of range" on a ratio that over- or underflows a double (inputs beyond 1e+-300); BigQuery and
Snowflake cap query text at about 1 MB: see *Text size* (``len(to_sql(...))`` tells; fewer
interactions shrink it most, as pair tables are ~60% of the score cells).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import TYPE_CHECKING

import numpy as np
import sqlglot
from sqlglot import exp

from toolkit.errors import SegkitError
from toolkit.model.scorecard_grid import GridPlan, plan_grid
from toolkit.sql.dialects import Dialect, get_dialect, table_parts

if TYPE_CHECKING:
    from toolkit.model.scorecard import Scorecard

ID_ALIAS = "__id"
PROBABILITY_COLUMN = "purchase_probability"
# exp() overflows a double beyond ~709 and PostgreSQL raises instead of returning inf/0:
# the logit is clamped when the model can reach such values (changes p by < 1e-300).
LOGIT_CLAMP = 700.0
# Worst-case |SQL - Polars| in probability that precision="auto" allows for rounding the
# score literals (the tested contract is 1e-9; see score_decimals).
AUTO_MAX_ERROR = 1e-10
# Spark: bins and score terms computed per subquery level (see _split_spark_levels)
SPARK_PER_LEVEL = 8


# --------------------------------------------------------------------------------------------
# sqlglot helpers


def _ident(name: str, d: Dialect) -> exp.Expression:
    """A name written by the dialect table's identifier policy (:meth:`Dialect.ident`), as a
    raw token: sqlglot would apply its own quoting rules, which differ from the rule export's."""
    return exp.Var(this=d.ident(name))


def _col(name: str, d: Dialect) -> exp.Column:
    return exp.Column(this=_ident(name, d))


def _text(value: str, d: Dialect) -> exp.Expression:
    """A string literal escaped by the dialect table (:meth:`Dialect.string`), as a raw token."""
    return exp.Var(this=d.string(value))


def _num_text(value: float, d: Dialect, *, in_text: bool = False) -> str:
    """The shortest exact text of a double that dialect ``d`` reads as a double.

    Python's shortest round-trip digits ``D`` and exponent ``E`` (``value = D * 10**E``) are
    written as ``De<E>`` or ``D.DDDe<E>``, whichever is shorter (``325e-5``, ``1.5e0``):
    the exponent makes DuckDB, Spark and Snowflake read a double instead of a DECIMAL /
    NUMBER. BigQuery (FLOAT64) and PostgreSQL (numeric, converted to float8 by correct
    rounding) also take the plain form (``0.00325``) when it is shorter, and so does text
    cast to a double array (``in_text``: ``1.5``, ``3``). Every form is the same decimal
    number, so every engine parses it to the same double: cuts compare exactly.
    """
    value = float(value) + 0.0  # no "-0.0"
    if not math.isfinite(value):
        raise SegkitError(f"cannot write {value!r} as a SQL number")
    plain = repr(abs(value))
    sign, digits, exponent = Decimal(plain).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    exponent += len(digits) - len(text)
    options = [f"{text}e{exponent}"]
    if len(text) > 1:
        options.append(f"{text[0]}.{text[1:]}e{exponent + len(text) - 1}")
    if "e" not in plain and (in_text or d.plain_doubles):
        # "0.00325" / "3.0": the "." keeps an SQL literal non-integer; text may drop ".0"
        options.append(plain[:-2] if in_text and plain.endswith(".0") else plain)
    best = min(options, key=len)
    best = ("-" if value < 0 else "") + best
    assert float(best) == value, (best, value)  # the same decimal number, hence the same double
    return best


def _num(value: float, d: Dialect) -> exp.Expression:
    """A double literal, exact in every supported engine (see :func:`_num_text`)."""
    text = _num_text(value, d)
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


def _is_nan(e: exp.Expression, d: Dialect) -> exp.Expression:
    if d.nan_function is None:  # NaN = NaN is true there; no isnan()
        return exp.EQ(this=e, expression=_nan())
    return exp.IsNan(this=e)


def _greatest(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    # Anonymous: sqlglot's Greatest wraps DuckDB's in a NULL-propagating CASE, which costs
    # DuckDB a CASE per call. NULL handling is explicit in this query, so either is fine.
    return exp.Anonymous(this="GREATEST", expressions=[a, b])


def _least(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="LEAST", expressions=[a, b])


def _int_type() -> exp.DataType:
    return exp.DataType.build("INT")  # PostgreSQL subscripts must be int4


def _nan() -> exp.Expression:
    return exp.cast(exp.Literal.string("NaN"), exp.DataType.build("DOUBLE"))


def _array(values, d: Dialect, *, floats: bool, bigint: bool = False, lower: int = 1) -> exp.Expression:
    """An array literal: the items are made here (digits, sign, '.', 'e', 'NaN').

    DuckDB and PostgreSQL get one string cast to an array type: a single constant to parse
    and bind instead of one expression per item (DuckDB binds a 30,000-item model ~3x
    faster) and a third shorter. The others get the dialect's array constructor, its items
    written as one raw token list without spaces.
    """
    if d.array_text:
        items = ",".join((_num_text(v, d, in_text=True) if math.isfinite(v) else "NaN")
                         if floats else str(int(v)) for v in values)
        if d.array_text == "split":  # Spark: constant-folded once, not an expression per item
            kind = "DOUBLE" if floats else "BIGINT" if bigint else "INT"
            return exp.cast(exp.Split(this=exp.Literal.string(items), expression=exp.Literal.string(",")),
                            exp.DataType.build(f"ARRAY<{kind}>", dialect="spark"))
        text = d.array_text[0] + items + d.array_text[1]
        if lower != 1:  # PostgreSQL's explicit bounds: '[0:2]={a,b,c}'
            if d.array_text != "{}":  # pragma: no cover - only the native (PostgreSQL) path asks
                raise SegkitError(f"{d.name} arrays cannot start at index {lower}")
            text = f"[{lower}:{lower + len(values) - 1}]={text}"
        kind = "DOUBLE" if floats else "BIGINT" if bigint else "INT"  # PostgreSQL subscripts are int4
        return exp.cast(exp.Literal.string(text), exp.DataType.build(f"{kind}[]", dialect="duckdb"))
    texts: list[str] = []
    parts: list[exp.Expression] = []
    for v in values:
        if floats and not math.isfinite(v):
            if texts:
                parts.append(exp.Var(this=",".join(texts)))
                texts = []
            parts.append(_nan())
        else:
            texts.append(_num_text(v, d) if floats else str(int(v)))
    if texts:
        parts.append(exp.Var(this=",".join(texts)))
    arr = exp.Array(expressions=parts)
    if floats and d.typed_double_arrays:
        return exp.cast(arr, exp.DataType.build("ARRAY<DOUBLE>"))
    return arr


def _element(arr: exp.Expression, index1: exp.Expression, d: Dialect, *, floats: bool) -> exp.Expression:
    """``arr[index1]`` with a 1-based index, in the dialect's own syntax (``d.subscript``)."""
    if d.subscript == "bracket":
        return exp.Bracket(this=_paren(arr), expressions=[index1], offset=1)
    if d.subscript == "ordinal":
        return exp.Bracket(this=arr, expressions=[index1], offset=1)
    if d.subscript in ("element_at", "try_element_at"):
        return exp.Anonymous(this=d.subscript.upper(), expressions=[arr, index1])
    if d.subscript != "get0":  # pragma: no cover - a new Dialect record without its subscript here
        raise SegkitError(f"no array subscript form {d.subscript!r} for {d.name}")
    # 0-based GET on a semi-structured array returns VARIANT
    got = exp.Anonymous(this="GET", expressions=[arr, exp.Sub(this=_paren(index1), expression=_int(1))])
    return exp.cast(got, exp.DataType.build("DOUBLE" if floats else "INT"))


def _table(name: str, d: Dialect) -> exp.Table:
    """The table, checked and quoted as the rule export does (:meth:`Dialect.table`)."""
    ids = [_ident(p, d) for p in table_parts(name)]
    kwargs: dict = {"this": ids[-1]}
    if len(ids) >= 2:
        kwargs["db"] = ids[-2]
    if len(ids) == 3:
        kwargs["catalog"] = ids[0]
    return exp.Table(**kwargs)


def _level(columns: list[tuple[str, exp.Expression]], source: exp.Expression, alias: str,
           d: Dialect) -> exp.Select:
    """``SELECT e AS name, ... FROM (source) AS alias``; the subquery alias is a fixed plain word
    (never referenced), written bare in every dialect."""
    select = exp.Select(expressions=[exp.Alias(this=e, alias=_ident(name, d)) for name, e in columns])
    if isinstance(source, exp.Select):
        return select.from_(source.subquery(alias, copy=False), copy=False)
    return select.from_(source, copy=False)


# --------------------------------------------------------------------------------------------
# the query


def score_decimals(card: Scorecard, precision: int | str | None = "auto") -> int | None:
    """Decimal places of the score literals (None: exact doubles); see the module docstring.

    ``"auto"`` takes the fewest decimals ``d`` whose worst-case probability error
    ``n_terms * 10**-d / 8`` is at most :data:`AUTO_MAX_ERROR`; an int is used as given.
    The integer sum must stay below 2**53 to be exact: "auto" falls back to exact doubles
    beyond that, an explicit precision raises.
    """
    plan = card.merged_terms()
    if precision is None:
        return None
    if precision == "auto":
        decimals = 0
        while len(plan) * 10.0 ** -decimals / 8 > AUTO_MAX_ERROR:
            decimals += 1
    elif isinstance(precision, int) and not isinstance(precision, bool) and 0 <= precision <= 15:
        decimals = precision
    else:
        raise SegkitError(f"SQL score precision must be 'auto', None or 0..15 decimal places, not {precision!r}")
    largest = sum(float(np.abs(t.table).max()) for t in plan) * 10.0 ** decimals + len(plan)
    if largest >= 2.0 ** 53:
        if precision == "auto":
            return None
        raise SegkitError(f"scores up to {largest / 10.0 ** decimals:.3g} in total cannot be summed exactly "
                          f"with {decimals} decimal places in SQL; use a smaller precision or None")
    return decimals


def probability_error_bound(card: Scorecard, precision: int | str | None = "auto") -> float:
    """Worst-case |SQL - Polars| in probability from rounding the score literals.

    Each score is off by at most ``10**-d / 2``; a row adds one score per term and the
    logistic function's slope is at most 1/4. (None: exact literals, 0; the engines' own
    double rounding, ~1e-16, comes on top in every case.)
    """
    decimals = score_decimals(card, precision)
    return 0.0 if decimals is None else len(card.merged_terms()) * 10.0 ** -decimals / 8


def _quantize(values: np.ndarray, decimals: int) -> list[int]:
    """round(v * 10**decimals) exactly (half to even), on the binary value itself."""
    with localcontext() as ctx:
        ctx.prec = 800  # a double has at most 767 significant decimal digits
        return [int(Decimal(float(v)).scaleb(decimals).to_integral_value(ROUND_HALF_EVEN)) for v in values]


def _scores(table: np.ndarray, index1: exp.Expression, d: Dialect, decimals: int | None) -> exp.Expression:
    if decimals is None:
        return _element(_array(table, d, floats=True), index1, d, floats=True)
    return _element(_array(_quantize(table, decimals), d, floats=False, bigint=True), index1, d, floats=False)


def _grid_terms(plan: list, query: exp.Select, f_alias: list[str], d: Dialect,
                decimals: int | None) -> tuple[exp.Select, list[exp.Expression]]:
    """Steps 4-7 by grid search (any engine): the query with the bin levels added, and one
    score expression per term over its columns."""

    def col(name: str) -> exp.Column:
        return _col(name, d)

    # 4. bins. A continuous feature is searched once, over the union U of the cuts of all
    #    its terms' axes (each axis's cuts are merged where scores repeat, so U is small):
    #    r1 = start[cell(x)], refined by the step levels to r + 1 (r = cuts <= x).
    #    Nominal axes get their final 0-based position; p<i> = 1 when feature i is present.
    spark = d.name == "spark"
    union: dict[int, np.ndarray] = {}
    for term in plan:
        for axis in term.axes:
            if axis.kind == "continuous":
                union[axis.feature] = np.union1d(union.get(axis.feature, np.zeros(0)), axis.cuts)
    if spark:
        return _spark_sum(plan, query, f_alias, union, d, decimals), [_col("__sum", d)]
    grids: dict[int, GridPlan] = {}
    bins: list[tuple[str, exp.Expression]] = []
    for f, cuts in sorted(union.items()):
        x = col(f_alias[f])
        if not spark:
            bins.append((f"p{f}", exp.cast(exp.Not(this=_is_null(x.copy())), _int_type())))
        if len(cuts) == 0:
            r1 = _int(1)
        else:
            grid = grids[f] = plan_grid(cuts, max_cells=d.grid_cells)
            clipped = _least(_greatest(x, _num(grid.low, d)), _num(grid.top, d))
            cell = exp.Floor(this=_mul(_paren(exp.Sub(this=clipped, expression=_num(grid.base, d))),
                                       _num(grid.scale, d)))
            cell = exp.cast(cell, _int_type())
            r1 = _element(_array(grid.start, d, floats=False), cell, d, floats=False)
        if spark:  # no p column (narrower levels, see _split_spark_levels): r1 is NULL when missing
            r1 = _case([(_is_null(x.copy()), exp.Null())], r1)
        bins.append((f"r{f}", r1))
    nominal_axes: dict[tuple[int, int], str] = {}
    for t, term in enumerate(plan):
        for k, axis in enumerate(term.axes):
            if axis.kind != "nominal":
                continue
            name = nominal_axes[(t, k)] = f"c{t}_{k}"
            bins.append((name, _nominal_index(axis, col(f_alias[axis.feature]), d)))
    if d.name == "spark":  # a few features per level: each level's code is one small method
        for k in range(0, len(bins), SPARK_PER_LEVEL):
            cols = [(ID_ALIAS, col(ID_ALIAS))] + [(a, col(a)) for a in f_alias]
            cols += [(name, col(name)) for name, _ in bins[:k]] + bins[k:k + SPARK_PER_LEVEL]
            query = _level(cols, query, f"__segkit_features{k}", d)
    else:
        cols = [(ID_ALIAS, col(ID_ALIAS))] + [(a, col(a)) for a in f_alias] + bins
        query = _level(cols, query, "__segkit_features", d)

    # 5. binary-search steps inside grid cells: r1 += step * (CUTS1[r1 + step] <= x)
    carried = [name for name, _ in bins]
    depth = max((g.steps for g in grids.values()), default=0)
    for level in range(depth):
        updates: dict[str, exp.Expression] = {}
        for name in carried:
            f = int(name[1:]) if name.startswith("r") else None
            if f is not None and f in grids and level < grids[f].steps:
                grid = grids[f]
                step = 2 ** (grid.steps - 1 - level)
                probe = _element(_array(grid.padded_cuts(), d, floats=True),
                                 _add(col(name), _int(step)), d, floats=True)
                hit = exp.cast(exp.LTE(this=probe, expression=col(f_alias[f])), _int_type())
                updates[name] = _add(col(name), _mul(_int(step), hit))
        names = list(updates)
        size = SPARK_PER_LEVEL if d.name == "spark" else max(len(names), 1)
        for k in range(0, max(len(names), 1), size):
            now = set(names[k:k + size])
            cols = [(ID_ALIAS, col(ID_ALIAS))] + [(a, col(a)) for a in f_alias]
            cols += [(name, updates[name] if name in now else col(name)) for name in carried]
            query = _level(cols, query, f"__segkit_step{level}_{k}" if k else f"__segkit_step{level}", d)

    # 6. union bin per continuous feature: j = r1 * present (0 = missing, 1.. = bins);
    #    COALESCE because r1 is NULL for a missing x wherever GREATEST or a step saw the NULL
    cols = [(ID_ALIAS, col(ID_ALIAS))]
    cols += [(f"j{f}", exp.Coalesce(this=col(f"r{f}") if spark else _mul(col(f"r{f}"), col(f"p{f}")),
                                    expressions=[_int(0)]))
             for f in sorted(union)]
    cols += [(name, col(name)) for name in nominal_axes.values()]
    query = _level(cols, query, "__segkit_positions", d)

    return query, _term_scores(plan, union, nominal_axes, d, decimals)


def _term_scores(plan: list, union: dict[int, np.ndarray], nominal_axes: dict[tuple[int, int], str],
                 d: Dialect, decimals: int | None) -> list[exp.Expression]:
    """Step 7: one score expression per term, over the columns ``j<f>`` and ``c<t>_<k>``."""

    def col(name: str) -> exp.Column:
        return _col(name, d)

    # 7. scores: a term's table is indexed by its axes' positions (row-major); a continuous
    #    axis's position is MAP[j + 1] (union bin -> the axis's merged bin). Main effects fold
    #    the map into the score array.
    terms = []
    for t, term in enumerate(plan):
        strides = np.cumprod([1, *term.table.shape[::-1]])[:-1][::-1]
        maps = []
        for axis in term.axes:
            if axis.kind == "continuous":
                reps = np.concatenate([[-np.inf], union[axis.feature]])
                maps.append(np.concatenate([[0], np.searchsorted(axis.cuts, reps, side="right") + 1]))
            else:
                maps.append(None)
        if len(term.axes) == 1 and maps[0] is not None:
            index1 = _add(col(f"j{term.axes[0].feature}"), _int(1))
            terms.append(_scores(term.table[maps[0]], index1, d, decimals))
            continue
        index = None
        for k, (axis, m, stride) in enumerate(zip(term.axes, maps, strides)):
            if m is not None:
                part = _element(_array(m * int(stride), d, floats=False),
                                _add(col(f"j{axis.feature}"), _int(1)), d, floats=False)
            else:
                part = col(nominal_axes[(t, k)])
                part = _mul(part, _int(int(stride))) if stride != 1 else part
            index = part if index is None else _add(index, part)
        terms.append(_scores(term.table.ravel(), _add(index, _int(1)), d, decimals))
    return terms


def _spark_sum(plan: list, query: exp.Select, f_alias: list[str], union: dict[int, np.ndarray],
               d: Dialect, decimals: int | None) -> exp.Select:
    """Steps 4-7 for Spark, a few features at a time from raw value to score, keeping every
    level narrow: the query with the terms' sum in column ``__sum``.

    Why: each level becomes a generated method of its own (:func:`_split_spark_levels`) whose
    parameters are the columns of the level below (two for a nullable one: value and null
    flag). HotSpot's optimizing JIT (C2) refuses calling sequences longer than ~30-37
    parameters, so levels carrying every feature and bin ran in its first tier only. Here the
    continuous features travel as one array ``__x`` (NaN for *missing*, see ``build_query``),
    the nominal axes' positions are computed first (the text columns are dropped), and the
    features are taken in groups of :data:`SPARK_PER_LEVEL`: grid, steps, position ``j``
    (0 when NaN), then the score terms whose features are all binned are added to ``__sum``.
    A level carries the id, ``__x``, ``__sum``, its group's bins and the positions that terms
    still to come read (pairs, nominal axes); bins and positions are never NULL.
    """

    def col(name: str) -> exp.Column:
        return _col(name, d)

    nominal_axes: dict[tuple[int, int], str] = {}
    nominal: list[tuple[str, exp.Expression]] = []
    for t, term in enumerate(plan):
        for k, axis in enumerate(term.axes):
            if axis.kind == "nominal":
                name = nominal_axes[(t, k)] = f"c{t}_{k}"
                nominal.append((name, _nominal_index(axis, col(f_alias[axis.feature]), d)))
    terms = _term_scores(plan, union, nominal_axes, d, decimals)
    feats = sorted(union)
    groups = [feats[g:g + SPARK_PER_LEVEL] for g in range(0, len(feats), SPARK_PER_LEVEL)] or [[]]
    group_of = {f: i for i, group in enumerate(groups) for f in group}
    ready = [max((group_of[a.feature] for a in term.axes if a.kind == "continuous"), default=0) for term in plan]
    reads = [{c.this.this for c in t.find_all(exp.Column)} for t in terms]
    slot = {f: k + 1 for k, f in enumerate(feats)}

    def x(f: int) -> exp.Expression:
        return _element(col("__x"), _int(slot[f]), d, floats=True)

    # NULLIF: the array column may be NULL as far as Spark knows, so a pass-through is read
    # as COALESCE(__x, __x) (see _split_spark_levels); it never is (one more item there)
    cols = [(ID_ALIAS, col(ID_ALIAS))]
    if feats:
        arr = exp.Array(expressions=[col(f_alias[f]) for f in feats])
        other = exp.Array(expressions=[_num(0.0, d) for _ in range(len(feats) + 1)])
        cols.append(("__x", exp.Nullif(this=arr, expression=other)))
    query = _level(cols + nominal, query, "__segkit_nominal", d)
    done = [name for name, _ in nominal]
    total: exp.Expression | None = None  # the column __sum, once there is one
    for g, group in enumerate(groups):
        def carried(after: int, also: set[str] = frozenset()) -> list[tuple[str, exp.Expression]]:
            wanted = set(also).union(*[reads[t] for t in range(len(terms)) if ready[t] >= after])
            cols = [(ID_ALIAS, col(ID_ALIAS))]
            cols += [("__x", col("__x"))] if feats and after < len(groups) else []
            cols += [("__sum", col("__sum"))] if total is not None else []
            return cols + [(n, col(n)) for n in done if d.ident(n) in wanted]

        # 4. r1 = START[cell(x)]: a NaN x lands in the top cell (Spark orders NaN above every
        #    number) and is sent to 0 at step 6. Indexes are always in range, so COALESCE
        #    never applies: it tells Spark the column is never NULL (one parameter, not two).
        grids = {f: plan_grid(union[f], max_cells=d.grid_cells) for f in group if len(union[f])}
        bins: list[tuple[str, exp.Expression]] = []
        for f in group:
            if f not in grids:
                bins.append((f"r{f}", _int(1)))
                continue
            grid = grids[f]
            clipped = _least(_greatest(x(f), _num(grid.low, d)), _num(grid.top, d))
            cell = exp.Floor(this=_mul(_paren(exp.Sub(this=clipped, expression=_num(grid.base, d))),
                                       _num(grid.scale, d)))
            r1 = _element(_array(grid.start, d, floats=False), exp.cast(cell, _int_type()), d, floats=False)
            bins.append((f"r{f}", exp.Coalesce(this=r1, expressions=[_int(0)])))
        if group:
            query = _level(carried(g) + bins, query, f"__segkit_bins{g}", d)
        # 5. binary-search steps inside grid cells: r1 += step * (CUTS1[r1 + step] <= x)
        for level in range(max((grid.steps for grid in grids.values()), default=0)):
            cols = carried(g)
            for f in group:
                name, grid = f"r{f}", grids.get(f)
                if grid is None or level >= grid.steps:
                    cols.append((name, col(name)))
                    continue
                step = 2 ** (grid.steps - 1 - level)
                probe = _element(_array(grid.padded_cuts(), d, floats=True),
                                 _add(col(name), _int(step)), d, floats=True)
                hit = exp.cast(exp.LTE(this=probe, expression=x(f)), _int_type())
                cols.append((name, exp.Coalesce(this=_add(col(name), _mul(_int(step), hit)),
                                                expressions=[_int(0)])))
            query = _level(cols, query, f"__segkit_step{g}_{level}", d)
        # 6. union bin: j = r1, or 0 when x is missing (NaN)
        if group:
            cols = carried(g)
            cols += [(f"j{f}", _case([(_is_nan(x(f), d), _int(0))], col(f"r{f}"))) for f in group]
            query = _level(cols, query, f"__segkit_positions{g}", d)
            done += [f"j{f}" for f in group]
        # 7. the terms whose features are all binned, a few per level, into __sum
        now = [t for t in range(len(terms)) if ready[t] == g]
        for k in range(0, len(now), SPARK_PER_LEVEL):
            chunk, later = now[k:k + SPARK_PER_LEVEL], now[k + SPARK_PER_LEVEL:]
            running = total
            for t in chunk:
                term = terms[t]
                if running is None:  # integer units: BIGINT from the start (see build_query)
                    running = term if decimals is None else exp.cast(term, exp.DataType.build("BIGINT"))
                else:
                    running = _add(running, term)
            cols = [c for c in carried(g + 1, set().union(*[reads[t] for t in later])) if c[0] != "__sum"]
            query = _level(cols + [("__sum", running)], query, f"__segkit_sum{g}_{k}", d)
            total = col("__sum")
    if total is None:  # pragma: no cover - a scorecard has at least one term
        query = _level([(ID_ALIAS, col(ID_ALIAS)), ("__sum", _int(0))], query, "__segkit_sum", d)
    return query


def _native_terms(plan: list, features: list[exp.Expression], d: Dialect,
                  decimals: int | None) -> list[exp.Expression]:
    """Steps 4-7 with the engine's own binary search (PostgreSQL): one score expression per
    term, read straight off the feature columns, no bin levels.

    Each continuous axis searches its own merged cuts with ``WIDTH_BUCKET(x, cuts)``, which
    counts the cuts ``<= x`` (``searchsorted(cuts, x, "right")``). A ``NaN`` threshold ends
    the array: PostgreSQL orders NaN above every number (+inf included), so a NaN ``x`` gets
    ``n + 1``, the position of *missing*; NULL gives NULL, sent to ``n + 1`` by COALESCE. So
    an axis position is ``p = 0..n`` (the bins) or ``n + 1`` (missing): the merged table's
    index ``0`` (missing) is moved to the end, and score arrays are 0-based
    (``'[0:m]={..}'``), so no ``+ 1`` is needed. A main effect is
    ``COALESCE(S[WIDTH_BUCKET(x, cuts)], missing_score)``: two operations per term, which
    keeps the planner's cost estimate small (below ``jit_above_cost`` for 180K rows on a
    50-term model). Nominal axes keep their CASE and the table's own order.
    """
    terms = []
    for term in plan:
        table = term.table
        positions: list[exp.Expression] = []
        for k, axis in enumerate(term.axes):
            x = features[axis.feature].copy()
            if axis.kind == "continuous":
                n = len(axis.cuts)
                # bins 1..n+1 to positions 0..n, missing (0) to n + 1; the last index (an
                # "unseen" bin continuous axes carry, never used) is dropped
                table = np.take(table, [*range(1, n + 2), 0], axis=k)
                thresholds = _array(list(axis.cuts) + [math.nan], d, floats=True)
                positions.append(exp.Anonymous(this="WIDTH_BUCKET", expressions=[x, thresholds]))
            else:
                positions.append(_nominal_index(axis, x, d))
        if len(positions) == 1 and term.axes[0].kind == "continuous":
            scores = table if decimals is None else np.asarray(_quantize(table, decimals), dtype=object)
            found = _element(_array(scores[:-1], d, floats=decimals is None, bigint=True, lower=0),
                             positions[0], d, floats=decimals is None)
            missing = _num(float(scores[-1]), d) if decimals is None else _int(int(scores[-1]))
            terms.append(exp.Coalesce(this=found, expressions=[missing]))
            continue
        strides = np.cumprod([1, *table.shape[::-1]])[:-1][::-1]
        index = None
        for axis, pos, stride, size in zip(term.axes, positions, strides, table.shape):
            if axis.kind == "continuous":
                pos = exp.Coalesce(this=pos, expressions=[_int(size - 1)])
            part = _mul(pos, _int(int(stride))) if stride != 1 else pos
            index = part if index is None else _add(index, part)
        scores = table.ravel()
        values = scores if decimals is None else _quantize(scores, decimals)
        terms.append(_element(_array(values, d, floats=decimals is None, bigint=True, lower=0),
                              index, d, floats=decimals is None))
    return terms


def _nominal_index(axis, x: exp.Expression, d: Dialect) -> exp.Expression:
    """A nominal axis's index: 0 when missing, ``mapping[category]``, else ``unseen``."""
    groups: dict[int, list[str]] = {}
    for cat, index in axis.mapping.items():
        groups.setdefault(index, []).append(cat)
    ifs = [(_is_null(x.copy()), _int(0))]
    ifs += [(exp.In(this=x.copy(), expressions=[_text(c, d) for c in cats]), _int(index))
            for index, cats in sorted(groups.items())]
    return _case(ifs, _int(axis.unseen))


def build_query(card: Scorecard, dialect: str | Dialect = "duckdb", table: str = "customers", *,
                precision: int | str | None = "auto") -> exp.Select:
    """The scoring query as a sqlglot expression (see the module docstring)."""
    d = get_dialect(dialect)

    def col(name: str) -> exp.Column:
        return _col(name, d)

    features = card.features
    derived = {r["name"]: r for r in card.derived}

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
    cols = [(ID_ALIAS, col(card.id_column))]
    cols += [(n_alias[n], exp.cast(col(n), double)) for n in numeric]
    cols += [(s_alias[n], exp.cast(col(n), text)) for n in nominal]
    query = _level(cols, _table(table, d), "", d)

    # 2. NaN -> NULL (NULLIF where NaN equals itself: one comparison instead of a CASE). The
    #    native search sends NaN to *missing* itself: there only ratio inputs need it.
    native = d.search == "width_bucket"
    ratio_inputs = {n_alias[r[k]] for r in derived.values() for k in ("numerator", "denominator")}

    def no_nan(a: str) -> exp.Expression:
        if native and a not in ratio_inputs:
            return col(a)
        if d.nan_function is None:
            return exp.Nullif(this=col(a), expression=_nan())
        return _case([(_is_nan(col(a), d), exp.Null())], col(a))

    cols = [(ID_ALIAS, col(ID_ALIAS))]
    cols += [(a, no_nan(a)) for a in n_alias.values()]
    cols += [(a, col(a)) for a in s_alias.values()]
    query = _level(cols, query, "__segkit_cast", d)

    # 3. features (ratios: missing unless the denominator is > 0; inf / inf is missing)
    cols = [(ID_ALIAS, col(ID_ALIAS))]
    for f, alias in zip(features, f_alias):
        if f["name"] in derived:
            ratio = derived[f["name"]]
            quotient = exp.Div(this=col(n_alias[ratio["numerator"]]),
                               expression=col(n_alias[ratio["denominator"]]), typed=False, safe=False)
            if not native:  # inf / inf: NaN -> NULL (the native search maps NaN to missing)
                quotient = _case([(_is_nan(quotient, d), exp.Null())], quotient.copy())
            value = _case([(exp.GT(this=col(n_alias[ratio["denominator"]]), expression=_num(0.0, d)),
                            quotient)], exp.Null())
        elif f["type"] == "continuous":
            value = col(n_alias[f["name"]])
        else:
            value = col(s_alias[f["name"]])
        if d.name == "spark" and (f["name"] in derived or f["type"] == "continuous"):
            value = exp.Coalesce(this=value, expressions=[_nan()])  # missing: NaN (_spark_sum)
        cols.append((alias, value))
    query = _level(cols, query, "__segkit_clean", d)

    # 4-7. bins and scores
    plan = card.merged_terms()
    decimals = score_decimals(card, precision)
    if native:
        terms = _native_terms(plan, [col(a) for a in f_alias], d, decimals)
    else:
        query, terms = _grid_terms(plan, query, f_alias, d, decimals)

    logit = _num(card.intercept, d)
    # Spark: the sum comes from _spark_sum as one column (terms = [__sum])
    chunks = [terms[k:k + SPARK_PER_LEVEL] for k in range(0, len(terms), SPARK_PER_LEVEL)]
    if d.name != "spark" or len(chunks) < 2:
        chunks = [terms]
    for i, chunk in enumerate(chunks):
        if i == 0:
            running = logit if decimals is None else None
        else:
            carried = [e.alias for e in query.expressions if isinstance(e, exp.Alias) and e.alias != d.ident("__sum")]
            cols = [exp.Alias(this=exp.Column(this=exp.Var(this=a)), alias=exp.Var(this=a)) for a in carried]
            cols.append(exp.Alias(this=running, alias=_ident("__sum", d)))
            query = exp.Select(expressions=cols).from_(query.subquery(f"__segkit_sum{i}", copy=False), copy=False)
            running = col("__sum")
        for t in chunk:
            if running is None:  # integer units: INT + INT could overflow, BIGINT from the start
                running = exp.cast(t, exp.DataType.build("BIGINT"))
            else:
                running = _add(running, t)
    if decimals is None:
        logit = running
    elif terms:
        # integer units of 10**-decimals: the sum is exact (|sum| < 2**53), one division
        total = running
        total = exp.Div(this=exp.cast(total, exp.DataType.build("DOUBLE")),
                        expression=_num(10.0 ** decimals, d), typed=False, safe=False)
        logit = _add(logit, total)
    bound = abs(card.intercept) + sum(float(np.abs(t.table).max()) for t in plan)
    if bound > LOGIT_CLAMP:
        logit = _greatest(_least(logit, _num(LOGIT_CLAMP, d)), _num(-LOGIT_CLAMP, d))
    prob = exp.Div(this=_num(1.0, d),
                   expression=_paren(_add(_num(1.0, d), exp.Exp(this=exp.Neg(this=_paren(logit))))),
                   typed=False, safe=False)
    final = exp.Select(expressions=[exp.Alias(this=col(ID_ALIAS), alias=_ident(card.id_column, d)),
                                    exp.Alias(this=prob, alias=_ident(PROBABILITY_COLUMN, d))])
    final = final.from_(query.subquery("__segkit_scores", copy=False), copy=False)
    if d.array_columns and not native:
        _arrays_as_columns(final, d)
    if d.name == "spark":
        _split_spark_levels(final, d)
    return final


ARRAYS_ALIAS = "__segkit_arrays"


def _arrays_as_columns(final: exp.Select, d: Dialect) -> None:
    """Move every array literal of the query into one row, ``(SELECT CAST('[..]' AS T[]) AS
    "__segkit_a0", ...) AS __segkit_arrays``, cross-joined at the level above the table read
    and carried up as columns; each ``(CAST('[..]' AS T[]))[i]`` becomes ``"__segkit_a0"[i]``.

    Why: DuckDB folds a constant list, but evaluates the folded constant into a fresh vector
    for every 2,048-row chunk, copying all its items (the 50-term demo model has ~50,000-
    90,000 array items: ~25-45 copies per row). A column of the one-row table is a constant
    vector that references the list, so a lookup costs the subscript only. Identical arrays
    are declared once. The innermost SELECT (the user's table and columns) is unchanged.
    """
    chain = [final]
    while True:
        source = chain[-1].args.get("from_") or chain[-1].args.get("from")
        if source is None or not isinstance(source.this, exp.Subquery):
            break
        chain.append(source.this.this)
    if len(chain) < 3:  # pragma: no cover - build_query always writes the cast and NaN levels
        return
    names: dict[str, str] = {}
    defs: list[exp.Expression] = []
    for level in reversed(chain[:-1]):  # bins first, scores last
        for projection in level.expressions:
            for bracket in list(projection.find_all(exp.Bracket)):
                arr = bracket.this.this if isinstance(bracket.this, exp.Paren) else None
                if not (isinstance(arr, exp.Cast) and isinstance(arr.this, exp.Literal) and arr.this.is_string):
                    continue
                key = arr.sql(dialect=d.name)
                if key not in names:
                    names[key] = f"__segkit_a{len(names)}"
                    defs.append(exp.Alias(this=arr.copy(), alias=_ident(names[key], d)))
                bracket.set("this", _col(names[key], d))
    if not defs:
        return
    # chain: final, ..., the NaN level, the table read. Columns are carried by every level
    # between the join (the NaN level) and the final SELECT, which only reads them.
    for level in chain[1:-1]:
        level.select(*[exp.Alias(this=_col(n, d), alias=_ident(n, d)) for n in names.values()], copy=False)
    arrays = exp.Select(expressions=defs).subquery(ARRAYS_ALIAS, copy=False)
    chain[-2].join(arrays, join_type="cross", copy=False)



def _split_spark_levels(query: exp.Select, d: Dialect) -> None:
    """Make every subquery level read each column of the level below it at least twice (Spark).

    Why: Spark's whole-stage codegen puts the whole query into one generated Java method
    (60 KB for the demo card), above HotSpot's 8,000-byte limit for JIT compilation
    (``-XX:HugeMethodLimit``), so every row ran in the bytecode interpreter (~40x Polars).
    Spark moves an operator's code into a method of its own
    (``spark.sql.codegen.splitConsumeFuncByOperator``, on by default) only when the operator
    uses *all* the columns of its child, and a Project counts as using only the columns it
    references at least twice (``ProjectExec.usedInputs``). So a column that a level reads
    once (a pass-through, or one use in an expression) is read as ``COALESCE(c, c)``, which
    is ``c`` and which the optimizer keeps, or, where ``c`` can never be NULL (the optimizer
    drops that COALESCE), ``GREATEST(c, c)``: each level's code becomes a method of its own.
    The same rule stops CollapseProject from merging the levels back into one.
    """
    parent = query
    while True:
        source = parent.args.get("from_")
        child = source.this if source is not None else None
        if not isinstance(child, exp.Subquery) or not isinstance(child.this, exp.Select):
            return
        child = child.this
        # drop the columns the level above does not read (as Spark's ColumnPruning will), so
        # that the counts below are the ones Spark sees
        read = {c.this.this for e in parent.expressions for c in e.find_all(exp.Column) if isinstance(c.this, exp.Var)}
        child.set("expressions", [e for e in child.expressions if not isinstance(e, exp.Alias) or e.alias in read])
        names = {e.alias for e in child.expressions if isinstance(e, exp.Alias)}  # written by _ident
        uses: dict[str, list[exp.Column]] = {}
        for e in parent.expressions:
            for c in e.find_all(exp.Column):
                name = c.this.this if isinstance(c.this, exp.Var) else None
                if name in names:
                    uses.setdefault(name, []).append(c)
        for name, refs in uses.items():
            if len(refs) == 1:
                ref = refs[0]
                # positions (j) and nominal axes (c) are never NULL: Spark drops COALESCE there
                # (and continuous features: NaN for missing; bins: see _spark_sum)
                never_null = name.strip("`")[:1] in ("j", "c", "f", "r")
                ref.replace(_greatest(ref.copy(), ref.copy()) if never_null
                            else exp.Coalesce(this=ref.copy(), expressions=[ref.copy()]))
        parent = child


def to_sql(card: Scorecard, dialect: str | Dialect = "duckdb", table: str = "customers", *,
           pretty: bool = False, precision: int | str | None = "auto") -> str:
    """The scoring query as text for ``dialect`` (a name or alias of
    :func:`toolkit.sql.dialects.get_dialect`; ``precision``: see :func:`score_decimals`)."""
    d = get_dialect(dialect)
    query = build_query(card, dialect=d, table=table, precision=precision)
    try:
        return query.sql(dialect=d.name, pretty=pretty, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:  # pragma: no cover - a dialect regression
        raise SegkitError(f"cannot express the scorecard in {d.name}: {exc}") from None
