"""Rule AST -> SQL condition, and a ruleset -> one ``SELECT ... CASE WHEN ... END``.

Hand-written (not via sqlglot's generator) so that every identifier and literal is quoted by
rules we can read and test for each dialect:

=========  ======================  ===============================================  ==========
dialect    identifiers             string literals                                  NaN test
=========  ======================  ===============================================  ==========
duckdb     "x" (" doubled)         '...' (' doubled; backslash is plain)            isnan(x)
postgres   "x" (" doubled)         '...' (' doubled; standard_conforming_strings)   x = 'NaN'
bigquery   `x` (backslash escapes) '...' (backslash escapes, \\n for newlines)       IS_NAN(x)
snowflake  x, or "X" when needed   '...' (' doubled and backslash doubled)          x = 'NaN'
spark      `x` (` doubled)         '...' (backslash escapes)                        isnan(x)
=========  ======================  ===============================================  ==========

Snowflake folds unquoted names to upper case, so a plain lower-case name (``orders_90d``) is
left unquoted to find a column created without quotes; any other name is quoted as written.

Semantics match :mod:`toolkit.rules.compile_polars`: comparisons are false on null and on
NaN (engines disagree on NaN ordering, so NaN is excluded explicitly), and ``not x`` is
``NOT COALESCE(x, FALSE)`` so unknown never leaks through a negation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from toolkit.errors import SegkitError
from toolkit.rules.nodes import (
    And, Between, Compare, Const, InList, IsMissing, Node, Not, Or, Value,
)

DIALECTS = ("duckdb", "postgres", "bigquery", "snowflake", "spark")
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SNOWFLAKE_PLAIN = re.compile(r"[a-z_][a-z0-9_]*\Z")
# Words that cannot be left unquoted in Snowflake (its reserved list, plus a few safe extras).
_SNOWFLAKE_RESERVED = frozenset("""
account all alter and any as between by case cast check column connect connection constraint
create cross current current_date current_time current_timestamp current_user database delete
distinct drop else exists false following for from full grant group gscluster having ilike in
increment inner insert intersect into is issue join lateral left like localtime localtimestamp
minus natural not null of on or order organization qualify regexp revoke right rlike row rows
sample schema select set some start table tablesample then to trigger true try_cast union unique
update using values view when whenever where with
""".split())


def _double_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_BACKSLASH_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _backslash_escape(text: str, quote: str, control) -> str:
    """``text`` with backslash escapes for backslash, ``quote``, newline, CR and tab;
    ``control(ch)`` gives the escape of any other character (None: keep it), since BigQuery
    and Spark write the remaining control characters differently."""
    out = []
    for ch in text:
        if ch in _BACKSLASH_ESCAPES:
            out.append(_BACKSLASH_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + quote)
        else:
            escaped = control(ch)
            out.append(ch if escaped is None else escaped)
    return "".join(out)


def _bq_escape(text: str, quote: str) -> str:
    def control(ch: str) -> str | None:
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            return f"\\x{ord(ch):02x}" if quote == "'" else f"\\u{ord(ch):04x}"
        return None

    return _backslash_escape(text, quote, control)


def _spark_escape(text: str, quote: str) -> str:
    return _backslash_escape(text, quote, lambda ch: f"\\u{ord(ch):04x}" if ord(ch) < 0x20 else None)


@dataclass(frozen=True)
class Dialect:
    name: str
    ident: Callable[[str], str]
    string: Callable[[str], str]
    is_nan: Callable[[str], str]  # SQL text that is TRUE on NaN for a non-null numeric value


def _snowflake_ident(name: str) -> str:
    if _SNOWFLAKE_PLAIN.match(name) and name not in _SNOWFLAKE_RESERVED:
        return name
    return _double_quote(name)


_DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect(
        "duckdb", _double_quote, lambda s: "'" + s.replace("'", "''") + "'",
        lambda c: f"isnan(CAST({c} AS DOUBLE))"),
    "postgres": Dialect(
        "postgres", _double_quote, lambda s: "'" + s.replace("'", "''") + "'",
        lambda c: f"(CAST({c} AS DOUBLE PRECISION) = CAST('NaN' AS DOUBLE PRECISION))"),
    "bigquery": Dialect(
        "bigquery", lambda s: "`" + _bq_escape(s, "`") + "`", lambda s: "'" + _bq_escape(s, "'") + "'",
        lambda c: f"IS_NAN(CAST({c} AS FLOAT64))"),
    "snowflake": Dialect(
        "snowflake", _snowflake_ident,
        lambda s: "'" + s.replace("\\", "\\\\").replace("'", "''") + "'",
        lambda c: f"(CAST({c} AS DOUBLE) = CAST('NaN' AS DOUBLE))"),
    "spark": Dialect(
        "spark", lambda s: "`" + s.replace("`", "``") + "`", lambda s: "'" + _spark_escape(s, "'") + "'",
        lambda c: f"isnan(CAST({c} AS DOUBLE))"),
}


def get_dialect(name: str) -> Dialect:
    """The quoting rules of one SQL dialect (one of :data:`DIALECTS`)."""
    key = (name or "").strip().lower()
    if key in ("postgresql", "pg"):
        key = "postgres"
    if key in ("databricks", "sparksql", "spark_sql"):
        key = "spark"
    if key not in _DIALECTS:
        raise SegkitError(f"unknown SQL dialect '{name}'; choose one of {', '.join(DIALECTS)}")
    return _DIALECTS[key]


def quote_identifier(name: str, dialect: str = "duckdb") -> str:
    """``name`` quoted as a column name of ``dialect`` (no value can break out of the quotes)."""
    _check_text(name, "a column name")
    if not name:
        raise SegkitError("empty column name")
    return get_dialect(dialect).ident(name)


def quote_table(name: str, dialect: str = "duckdb") -> str:
    """A possibly qualified table name (``schema.table``): each dot-separated part quoted."""
    parts = name.split(".")
    if not name or any(not p for p in parts):
        raise SegkitError(f"bad table name {name!r}")
    return ".".join(quote_identifier(p, dialect) for p in parts)


def quote_string(value: str, dialect: str = "duckdb") -> str:
    """``value`` as a string literal of ``dialect``."""
    _check_text(value, "a text value")
    return get_dialect(dialect).string(value)


def _check_text(value: str, what: str) -> None:
    if "\x00" in value:
        raise SegkitError(f"{what} cannot contain the NUL character")


def literal(v: Value, dialect: Dialect) -> str:
    if v.kind == "string":
        _check_text(str(v.value), "a text value")
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
    d = dialect if isinstance(dialect, Dialect) else get_dialect(dialect)
    return _SqlCompiler(d, set(nan_columns)).expr(node)


class _SqlCompiler:
    def __init__(self, dialect: Dialect, nan_columns: set[str]):
        self.d = dialect
        self.nan = nan_columns

    def col(self, name: str) -> str:
        _check_text(name, "a column name")
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
