"""Rule AST -> Polars boolean expression, with the same two-valued semantics as the SQL.

Semantics (identical in :mod:`toolkit.rules.compile_sql`):

* a value is *missing* when it is null, or NaN in a column that may hold floats;
* every comparison (``< <= > >= == != in, not in, between, not between``) is false on a
  missing value, so ``x != 3`` and ``x not in [...]`` do not match missing rows either;
* ``is missing`` / ``is not missing`` test exactly that;
* ``not``, ``and``, ``or`` are plain two-valued logic: ``not (x == 3)`` matches missing rows.

Kleene logic (null = unknown) gives the same answer as two-valued logic in a formula with no
negation, so the compiler only forces ``false`` for unknown below a ``not``.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import polars as pl

from toolkit.rules.nodes import (
    Between, Compare, Const, InList, IsMissing, Node, Not, Or, And, Value,
)

_OPS = {
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "==": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
}


def to_polars(node: Node, nan_columns: Iterable[str] = (),
              schema: Mapping[str, object] | None = None) -> pl.Expr:
    """A boolean expression that is true exactly on the rows the rule matches.

    ``nan_columns``: columns that may hold NaN (treated as missing); ``schema``: Polars dtypes
    when known (categorical columns are compared as text).
    """
    return _Compiler(set(nan_columns), schema or {}).expr(node)


class _Compiler:
    def __init__(self, nan_columns: set[str], schema: Mapping[str, object]):
        self.nan = nan_columns
        self.schema = schema

    def col(self, name: str) -> pl.Expr:
        c = pl.col(name)
        dtype = self.schema.get(name)
        if isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype in (pl.Categorical,):
            c = c.cast(pl.String)
        return c

    def present(self, name: str) -> pl.Expr:
        c = pl.col(name)
        e = c.is_not_null()
        if name in self.nan:
            e = e & ~c.is_nan()
        return e

    def missing(self, name: str) -> pl.Expr:
        c = pl.col(name)
        e = c.is_null()
        if name in self.nan:
            e = e | c.is_nan().fill_null(False)
        return e

    @staticmethod
    def lit(v: Value) -> pl.Expr:
        if v.kind == "string":
            return pl.lit(v.value, dtype=pl.String)
        if v.kind == "boolean":
            return pl.lit(bool(v.value), dtype=pl.Boolean)
        if isinstance(v.value, float):
            return pl.lit(v.value, dtype=pl.Float64)
        return pl.lit(v.value, dtype=pl.Int64)

    def guarded(self, name: str, test: pl.Expr) -> pl.Expr:
        # Null already makes ``test`` unknown (falsy); NaN compares as a value, so exclude it.
        if name in self.nan:
            return ~pl.col(name).is_nan() & test
        return test

    def expr(self, node: Node) -> pl.Expr:
        if isinstance(node, Compare):
            return self.guarded(node.column, _OPS[node.op](self.col(node.column), self.lit(node.value)))
        if isinstance(node, InList):
            c = self.col(node.column)
            if not node.values:
                hit = c.is_null() & pl.lit(False)  # false, as a full-length column
            elif node.values[0].kind == "string":
                hit = c.is_in(pl.Series([v.value for v in node.values], dtype=pl.String).implode())
            else:
                hit = _any([c == self.lit(v) for v in node.values])
            if node.negated:
                return self.present(node.column) & ~hit.fill_null(False)
            return self.guarded(node.column, hit)
        if isinstance(node, Between):
            c = self.col(node.column)
            inside = (c >= self.lit(node.low)) & (c <= self.lit(node.high))
            return self.guarded(node.column, ~inside if node.negated else inside)
        if isinstance(node, IsMissing):
            return ~self.missing(node.column) if node.negated else self.missing(node.column)
        if isinstance(node, Const):
            return pl.repeat(node.value, pl.len(), dtype=pl.Boolean)
        if isinstance(node, Not):
            return ~self.expr(node.operand).fill_null(False)
        if isinstance(node, And):
            return _all([self.expr(n) for n in node.operands])
        if isinstance(node, Or):
            return _any([self.expr(n) for n in node.operands])
        raise TypeError(f"not a rule node: {node!r}")


def _any(items: list[pl.Expr]) -> pl.Expr:
    out = items[0]
    for e in items[1:]:
        out = out | e
    return out


def _all(items: list[pl.Expr]) -> pl.Expr:
    out = items[0]
    for e in items[1:]:
        out = out & e
    return out


def definite(expr: pl.Expr) -> pl.Expr:
    """``expr`` with unknown turned into false: the matched/not matched column of a rule."""
    return expr.fill_null(False)
