"""Rule AST -> SQL condition; :meth:`Ruleset.to_sql` wraps the conditions in one
``SELECT ... CASE WHEN ... END``.

Hand-written (not via sqlglot's generator) so that every identifier and literal is quoted by
rules we can read and test. What differs between dialects (identifier policy, string
escaping, the NaN test, accepted names and aliases) lives in one table,
:mod:`toolkit.sql.dialects`, which the scorecard compiler reads too.

Semantics match :mod:`toolkit.rules.compile_polars`: comparisons are false on null and on
NaN (engines disagree on NaN ordering, so NaN is excluded explicitly), and ``not x`` is
``NOT COALESCE(x, FALSE)`` so unknown never leaks through a negation.
"""

from __future__ import annotations

from typing import Iterable

from toolkit.rules.nodes import (
    And, Between, Compare, Const, InList, IsMissing, Node, Not, Or, Value,
)
from toolkit.sql.dialects import (  # re-exported: toolkit.rules' public quoting helpers
    DIALECTS, Dialect, get_dialect, quote_identifier, quote_string, quote_table,
)

__all__ = ["DIALECTS", "Dialect", "get_dialect", "quote_identifier", "quote_string", "quote_table",
           "literal", "to_sql"]


def literal(v: Value, dialect: Dialect) -> str:
    if v.kind == "string":
        return dialect.string(str(v.value))
    if v.kind == "boolean":
        return "TRUE" if v.value else "FALSE"
    if isinstance(v.value, float):
        text = repr(v.value)
        # An exponent makes the literal a DOUBLE in every dialect; plain decimals are exact
        # decimals there, which compare the same way with the column values.
        return text
    return str(int(v.value))


_SQL_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


def to_sql(node: Node, dialect: str | Dialect = "duckdb", nan_columns: Iterable[str] = ()) -> str:
    """A SQL boolean condition that is TRUE exactly on the rows the rule matches."""
    return _SqlCompiler(get_dialect(dialect), set(nan_columns)).expr(node)


class _SqlCompiler:
    def __init__(self, dialect: Dialect, nan_columns: set[str]):
        self.d = dialect
        self.nan = nan_columns

    def col(self, name: str) -> str:
        return self.d.ident(name)

    def guarded(self, name: str, test: str) -> str:
        if name in self.nan:
            return f"(NOT {self.d.is_nan(self.col(name))} AND {test})"
        return test

    def expr(self, node: Node) -> str:
        if isinstance(node, Compare):
            c = self.col(node.column)
            return self.guarded(node.column, f"{c} {_SQL_OPS[node.op]} {literal(node.value, self.d)}")
        if isinstance(node, InList):
            c = self.col(node.column)
            if not node.values:
                if node.negated:
                    present = f"{c} IS NOT NULL"
                    return self.guarded(node.column, present) if node.column in self.nan else present
                return "FALSE"
            items = ", ".join(literal(v, self.d) for v in node.values)
            return self.guarded(node.column, f"{c} {'NOT IN' if node.negated else 'IN'} ({items})")
        if isinstance(node, Between):
            c = self.col(node.column)
            kw = "NOT BETWEEN" if node.negated else "BETWEEN"
            return self.guarded(node.column, f"{c} {kw} {literal(node.low, self.d)} AND {literal(node.high, self.d)}")
        if isinstance(node, IsMissing):
            c = self.col(node.column)
            if node.column in self.nan:
                missing = f"({c} IS NULL OR {self.d.is_nan(c)})"
                return f"NOT {missing}" if node.negated else missing
            return f"{c} IS NOT NULL" if node.negated else f"{c} IS NULL"
        if isinstance(node, Const):
            return "TRUE" if node.value else "FALSE"
        if isinstance(node, Not):
            inner = node.operand
            if isinstance(inner, (IsMissing, Const, Not)):  # never unknown: no COALESCE needed
                return f"NOT ({self.expr(inner)})"
            return f"NOT COALESCE({self.expr(inner)}, FALSE)"
        if isinstance(node, (And, Or)):
            joiner = " AND " if isinstance(node, And) else " OR "
            parts = []
            for child in node.operands:
                text = self.expr(child)
                if isinstance(child, (And, Or)):
                    text = f"({text})"
                parts.append(text)
            return joiner.join(parts)
        raise TypeError(f"not a rule node: {node!r}")
