"""Rulesets on Spark: the rule AST compiled to pyspark Column expressions (no Python per row).

Why Columns and not the SQL text: built from the AST, every column is referenced by its exact
name and every value is a literal object, so no name or string from a ruleset is ever parsed
as SQL, and Catalyst gets one ``CASE WHEN`` it compiles to JVM code.

Semantics are :mod:`toolkit.rules.compile_polars`' exactly (tested row by row against
:meth:`Ruleset.apply`): a value is missing when null, or NaN in a float column; every comparison
is false on a missing value; ``not`` is two-valued (``NOT COALESCE(x, FALSE)``). Which columns
may hold NaN and which comparisons are valid is decided from the DataFrame's Spark schema read as
the equivalent Polars types, by the same code that decides it for Polars.

pyspark is imported inside the functions: the core install needs neither pyspark nor Java.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit.model.scorecard.spark import require_spark_frame, spark_column
from toolkit.rules.nodes import And, Between, Compare, Const, InList, IsMissing, Node, Not, Or, Value

if TYPE_CHECKING:
    from toolkit.ruleset.model import Ruleset


def polars_schema(spark_schema: Any) -> dict[str, pl.DataType]:
    """Name -> the Polars dtype a Spark column arrives as (what rule checks and NaN tests
    need: float, integer, decimal, text, boolean, or something rules cannot compare)."""
    from pyspark.sql import types as T

    out: dict[str, pl.DataType] = {}
    for f in spark_schema.fields:
        t = f.dataType
        if isinstance(t, (T.DoubleType, T.FloatType)):
            out[f.name] = pl.Float64()
        elif isinstance(t, T.DecimalType):
            out[f.name] = pl.Decimal(t.precision, t.scale)
        elif isinstance(t, T.IntegralType):
            out[f.name] = pl.Int64()
        elif isinstance(t, (T.StringType, T.CharType, T.VarcharType)):
            out[f.name] = pl.String()
        elif isinstance(t, T.BooleanType):
            out[f.name] = pl.Boolean()
        elif isinstance(t, T.NullType):
            out[f.name] = pl.Null()
        else:  # dates, timestamps, binary, nested: only `is missing` applies
            out[f.name] = pl.Date()
    return out


def rule_column(node: Node, nan_columns: set[str]) -> Any:
    """A boolean Spark Column, true exactly on the rows the rule matches (may be null where the
    Polars expression is null; both count as not matched)."""
    return _SparkCompiler(nan_columns).expr(node)


def segment_column(ruleset: "Ruleset", spark_schema: Any) -> Any:
    """The segment id of each row (first match wins, else the default) as one Spark Column.

    The rules are checked against the schema first (unknown columns with suggestions, text
    compared with numbers, ...), as :meth:`Ruleset.apply` checks them against a Polars frame.
    """
    from pyspark.sql import functions as F

    schema = polars_schema(spark_schema)
    ruleset.validate(schema)
    nan = ruleset.nan_columns(schema)
    if not ruleset.segments:
        return F.lit(ruleset.default.id)
    compiler = _SparkCompiler(nan)  # one for all rules: column and literal objects are shared
    false = F.lit(False)
    out = None
    for s in ruleset.segments:
        cond = F.coalesce(compiler.expr(s.node), false)
        out = F.when(cond, F.lit(s.id)) if out is None else out.when(cond, F.lit(s.id))
    return out.otherwise(F.lit(ruleset.default.id))


def apply_spark(ruleset: "Ruleset", frame: Any, *, column: str = "segment") -> Any:
    """``frame`` with a ``segment`` column (see :meth:`Ruleset.apply_spark`)."""
    require_spark_frame(frame)
    return frame.withColumn(column, segment_column(ruleset, frame.schema))


_OPS = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}


class _SparkCompiler:
    """Rule AST -> Column. Every pyspark call is a round trip to the JVM, so the column, NaN-test
    and literal objects (immutable) are made once per name or value and reused."""

    def __init__(self, nan_columns: set[str]):
        self.nan = nan_columns
        self._cols: dict[str, Any] = {}
        self._nans: dict[str, Any] = {}
        self._lits: dict[tuple, Any] = {}

    def col(self, name: str) -> Any:
        if name not in self._cols:
            self._cols[name] = spark_column(name)
        return self._cols[name]

    def lit(self, v: Value) -> Any:
        key = (v.kind, type(v.value), v.value)
        if key not in self._lits:
            self._lits[key] = _literal(v)
        return self._lits[key]

    def is_nan(self, name: str) -> Any:
        from pyspark.sql import functions as F

        if name not in self._nans:  # false on null, as Polars' is_nan().fill_null(False)
            self._nans[name] = F.isnan(self.col(name))
        return self._nans[name]

    def present(self, name: str) -> Any:
        e = self.col(name).isNotNull()
        return e & ~self.is_nan(name) if name in self.nan else e

    def missing(self, name: str) -> Any:
        e = self.col(name).isNull()
        return e | self.is_nan(name) if name in self.nan else e

    def guarded(self, name: str, test: Any) -> Any:
        # null already makes ``test`` unknown (not matched); NaN compares as a value in Spark
        # (NaN = NaN, NaN above every number), so it is excluded explicitly
        return ~self.is_nan(name) & test if name in self.nan else test

    def expr(self, node: Node) -> Any:
        from pyspark.sql import functions as F

        if isinstance(node, Compare):
            c, v = self.col(node.column), self.lit(node.value)
            return self.guarded(node.column, _OPS[node.op](c, v))
        if isinstance(node, InList):
            c = self.col(node.column)
            if not node.values:
                hit = F.lit(False)
            elif node.values[0].kind == "string":
                hit = c.isin([str(v.value) for v in node.values])
            else:
                hit = _any([c == self.lit(v) for v in node.values])
            if node.negated:
                return self.present(node.column) & ~F.coalesce(hit, F.lit(False))
            return self.guarded(node.column, hit)
        if isinstance(node, Between):
            c = self.col(node.column)
            inside = (c >= self.lit(node.low)) & (c <= self.lit(node.high))
            return self.guarded(node.column, ~inside if node.negated else inside)
        if isinstance(node, IsMissing):
            return ~self.missing(node.column) if node.negated else self.missing(node.column)
        if isinstance(node, Const):
            return F.lit(bool(node.value))
        if isinstance(node, Not):
            return ~F.coalesce(self.expr(node.operand), F.lit(False))
        if isinstance(node, And):
            return _all([self.expr(n) for n in node.operands])
        if isinstance(node, Or):
            return _any([self.expr(n) for n in node.operands])
        raise TypeError(f"not a rule node: {node!r}")


def _literal(v: Value) -> Any:
    """A typed literal: text, boolean, DOUBLE for a decimal number, BIGINT for a whole one (as
    :meth:`toolkit.rules.compile_polars._Compiler.lit` types them)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if v.kind == "string":
        return F.lit(str(v.value))
    if v.kind == "boolean":
        return F.lit(bool(v.value))
    if isinstance(v.value, float):
        return F.lit(v.value).cast(T.DoubleType())
    return F.lit(int(v.value)).cast(T.LongType())


def _any(items: list[Any]) -> Any:
    out = items[0]
    for e in items[1:]:
        out = out | e
    return out


def _all(items: list[Any]) -> Any:
    out = items[0]
    for e in items[1:]:
        out = out & e
    return out
