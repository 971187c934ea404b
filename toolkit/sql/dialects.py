r"""The SQL dialects segkit writes: one frozen :class:`Dialect` record per engine.

Both SQL compilers read this table and nothing else about a dialect: the rule compiler
(:mod:`toolkit.rules.compile_sql`, behind ``Ruleset.to_sql``) and the scorecard compiler
(:mod:`toolkit.sql.scorecard`, behind ``Scorecard.to_sql``). So ``card.to_sql(d)`` and
``ruleset.to_sql(d)`` accept the same names (:func:`get_dialect`), quote a column the same
way (:meth:`Dialect.ident`) and test NaN the same way. A new dialect is one entry in
:data:`_RECORDS` plus whatever new field value the compilers must learn to read.

=========  ==================  ==================  ================================  ============
dialect    also accepted       identifiers         string literals                   NaN test
=========  ==================  ==================  ================================  ============
duckdb                         "x" (" doubled)     '...' (' doubled; \ is plain)     isnan(x)
postgres   postgresql, pg      "x" (" doubled)     '...' (' doubled; standard        x = 'NaN'
                                                   conforming strings)
bigquery                       `x` (\ escapes)     '...' (\ escapes, \n for newline) IS_NAN(x)
snowflake                      x, or "x" if needed '...' (' and \ doubled)           x = 'NaN'
spark      databricks,         `x` (` doubled)     '...' (\ escapes)                 isnan(x)
           sparksql, spark_sql
=========  ==================  ==================  ================================  ============

Names are matched case-insensitively, surrounding spaces ignored.

**Identifier policy** (one per dialect, the same in both compilers). Every name segkit
writes - the user's columns, the table and its schema, the output columns and the scorecard
query's internal column aliases - goes through :meth:`Dialect.ident` (only the scorecard
query's fixed subquery aliases, ``__segkit_cast`` ..., plain words never referenced, are
written bare everywhere). The rule: the SQL must find the columns of a table created the
ordinary way in that engine, and no name can break out of its quotes.

* DuckDB, BigQuery and Spark resolve column names case-insensitively, quoted or not, so
  every name is quoted: it costs nothing and makes reserved words (``select``, ``order``)
  and odd names (``order count``, ``a"b``) safe.
* PostgreSQL folds *unquoted* names to lower case, so an ordinary ``CREATE TABLE t
  (orders_90d int)`` holds ``orders_90d``, which the quoted ``"orders_90d"`` finds. Every
  name is quoted; a mixed-case ``"Orders"`` then finds the column of that exact name (a
  table declared with quoted names, as loaders that keep a file's names do).
* Snowflake folds *unquoted* names to **upper** case: an ordinary ``CREATE TABLE t
  (orders_90d int)`` holds ``ORDERS_90D``, which the quoted ``"orders_90d"`` does *not*
  find. So a plain lower-case name (``[a-z_][a-z0-9_]*`` and not a Snowflake reserved word;
  segkit's own names and the usual snake_case) is written bare and resolves to
  ``ORDERS_90D``. Any other name is quoted exactly as written: ``"ORDERS"`` is the same as
  bare ``ORDERS``; names with spaces, quotes or reserved words must be quoted anyway; and a
  mixed-case ``"Orders"`` finds a column created with that exact name (a table declared
  with quoted names, as loaders that keep a file's names make it). Writing ``Orders`` bare
  instead would merge ``Orders``, ``ORDERS`` and ``orders`` (distinct columns in a Polars
  frame) into one. A column the table lacks is Snowflake's ``invalid identifier`` error,
  never another column read silently; the fix is a lower-case name in the data segkit
  trains on, or a view. Consequence: the result columns of both queries come back
  upper-cased (``CUSTOMER_ID``, ``SEGMENT``, ``PURCHASE_PROBABILITY``), like any Snowflake
  column created without quotes. (An account with ``QUOTED_IDENTIFIERS_IGNORE_CASE =
  TRUE`` resolves both spellings alike.)

A name holding NUL is refused (:class:`~toolkit.errors.SegkitError`), as is an empty name;
quotes, backquotes, backslashes and newlines inside a name are escaped, never refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from toolkit.errors import SegkitError

# --------------------------------------------------------------------------------------------
# quoting and escaping primitives

_SNOWFLAKE_PLAIN = re.compile(r"[a-z_][a-z0-9_]*\Z")
# Words that cannot be left unquoted in Snowflake (its reserved list, plus a few safe extras).
SNOWFLAKE_RESERVED = frozenset("""
account all alter and any as between by case cast check column connect connection constraint
create cross current current_date current_time current_timestamp current_user database delete
distinct drop else exists false following for from full grant group gscluster having ilike in
increment inner insert intersect into is issue join lateral left like localtime localtimestamp
minus natural not null of on or order organization qualify regexp revoke right rlike row rows
sample schema select set some start table tablesample then to trigger true try_cast union unique
update using values view when whenever where with
""".split())

_BACKSLASH_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _double_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _backslash_escape(text: str, quote: str, control: Callable[[str], str | None]) -> str:
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


def _snowflake_ident(name: str) -> str:
    if _SNOWFLAKE_PLAIN.match(name) and name not in SNOWFLAKE_RESERVED:
        return name
    return _double_quote(name)


def _doubled_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------
# the record


@dataclass(frozen=True)
class Dialect:
    """Everything the two SQL compilers need to know about one engine.

    ``name`` is the canonical name (also sqlglot's name for the dialect). Field values are
    plain data or small quoting functions, so this module needs no SQL library.
    """

    name: str
    aliases: tuple[str, ...]
    # text -> quoted identifier, by the policy in the module docstring (NUL checked by ident())
    quote_ident: Callable[[str], str] = field(repr=False)
    # text -> string literal
    quote_string: Callable[[str], str] = field(repr=False)
    # the SQL name of the 64-bit float type (in casts written as text by the rule compiler)
    double_type: str
    # function that is TRUE on NaN (``isnan``, ``IS_NAN``); None: the engine has none but
    # NaN equals itself there (PostgreSQL, Snowflake), so the test is ``x = 'NaN'``
    nan_function: str | None
    # a plain decimal literal (``0.5``) is read as a double exactly (BigQuery: FLOAT64;
    # PostgreSQL: numeric, converted to float8 by correct rounding). Elsewhere it is a
    # DECIMAL / NUMBER, so doubles are written with an exponent (``5e-1``).
    plain_doubles: bool
    # arrays written as one string cast to an array type, in these brackets ("[]" / "{}");
    # "split": one string split on commas and cast (Spark: the analyser sees one literal
    # instead of one expression per item; constant-folded once); None: the array constructor
    array_text: str | None
    # constructor arrays of doubles are cast to ARRAY<DOUBLE> (BigQuery, Spark)
    typed_double_arrays: bool
    # how ``arr[i]`` (1-based i) is written: "bracket" ``(arr)[i]``, "ordinal"
    # ``arr[ORDINAL(i)]``, "element_at" ``ELEMENT_AT(arr, i)``, "try_element_at"
    # ``TRY_ELEMENT_AT(arr, i)`` (Spark: the same value for an index in range, which segkit's
    # always are, and ~4x faster per row than ANSI mode's ELEMENT_AT on a folded array),
    # "get0" ``GET(arr, i - 1)`` (0-based, returns VARIANT: cast to the item type)
    subscript: str
    # how a continuous feature finds its bin: "grid" (a grid lookup and a few branchless
    # binary-search steps, plain arithmetic and subscripts; :mod:`toolkit.model.scorecard_grid`)
    # or "width_bucket" (PostgreSQL's native ``width_bucket(x, cuts_array)``, a binary search
    # in C: one function call instead of a subquery level per step)
    search: str = "grid"
    # grid search only: the largest grid (cells) a feature may get; None: plan_grid's
    # default (up to 8 cells a cut), which keeps the text small where statements are capped
    grid_cells: int | None = None
    # grid search only: every array is declared once, as a column of a one-row derived table
    # cross-joined below the bin levels and carried up, instead of a literal in the
    # expression (DuckDB copies a constant list into every 2,048-row vector it evaluates)
    array_columns: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """Every name :func:`get_dialect` accepts for this dialect."""
        return (self.name, *self.aliases)

    def ident(self, name: str) -> str:
        """``name`` as an identifier (a column, a table part or an alias), by this dialect's
        policy; no name can break out of the quotes."""
        if not isinstance(name, str) or not name:
            raise SegkitError(f"empty or non-text column name {name!r}")
        check_text(name, "a column name")
        return self.quote_ident(name)

    def string(self, value: str) -> str:
        """``value`` as a string literal."""
        check_text(value, "a text value")
        return self.quote_string(value)

    def table(self, name: str) -> str:
        """A table name: ``table``, ``schema.table`` or ``catalog.schema.table``, each part
        quoted by :meth:`ident`."""
        return ".".join(self.ident(p) for p in table_parts(name))

    def is_nan(self, sql: str) -> str:
        """SQL text that is TRUE when the numeric, non-null value ``sql`` is NaN."""
        value = f"CAST({sql} AS {self.double_type})"
        if self.nan_function is None:
            return f"({value} = CAST('NaN' AS {self.double_type}))"
        return f"{self.nan_function}({value})"


_RECORDS: tuple[Dialect, ...] = (
    Dialect("duckdb", (), _double_quote, _doubled_string, "DOUBLE", "isnan",
            plain_doubles=False, array_text="[]", typed_double_arrays=False, subscript="bracket",
            grid_cells=16384, array_columns=True),
    Dialect("postgres", ("postgresql", "pg"), _double_quote, _doubled_string, "DOUBLE PRECISION", None,
            plain_doubles=True, array_text="{}", typed_double_arrays=False, subscript="bracket",
            search="width_bucket"),
    Dialect("bigquery", (), lambda s: "`" + _bq_escape(s, "`") + "`", lambda s: "'" + _bq_escape(s, "'") + "'",
            "FLOAT64", "IS_NAN",
            plain_doubles=True, array_text=None, typed_double_arrays=True, subscript="ordinal"),
    Dialect("snowflake", (), _snowflake_ident, lambda s: "'" + s.replace("\\", "\\\\").replace("'", "''") + "'",
            "DOUBLE", None,
            plain_doubles=False, array_text=None, typed_double_arrays=False, subscript="get0"),
    Dialect("spark", ("databricks", "sparksql", "spark_sql"), lambda s: "`" + s.replace("`", "``") + "`",
            lambda s: "'" + _spark_escape(s, "'") + "'", "DOUBLE", "isnan",
            plain_doubles=False, array_text="split", typed_double_arrays=True, subscript="try_element_at"),
)

# canonical names, in the order they are offered (CLI help, TUI export dialog)
DIALECTS: tuple[str, ...] = tuple(d.name for d in _RECORDS)
_BY_NAME: dict[str, Dialect] = {n: d for d in _RECORDS for n in d.names}
# every accepted name: canonical names and aliases
DIALECT_NAMES: tuple[str, ...] = tuple(_BY_NAME)


def _choices() -> str:
    return ", ".join(d.name + (f" (or {', '.join(d.aliases)})" if d.aliases else "") for d in _RECORDS)


def get_dialect(name: str | Dialect) -> Dialect:
    """The record of a dialect by name or alias (case-insensitive); a record is returned as is."""
    if isinstance(name, Dialect):
        return name
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in _BY_NAME:
        raise SegkitError(f"unknown SQL dialect {name!r} (not supported); choose one of {_choices()}")
    return _BY_NAME[key]


# --------------------------------------------------------------------------------------------
# checks and quoting by dialect name


def check_text(value: str, what: str) -> None:
    """Refuse NUL, which no engine keeps inside a quoted name or a string literal."""
    if "\x00" in value:
        raise SegkitError(f"{what} cannot contain the NUL character")


def table_parts(name: str) -> list[str]:
    """The dot-separated parts of a table name (1 to 3, none empty, no NUL)."""
    parts = name.split(".") if isinstance(name, str) else []
    if not parts or any(not p for p in parts) or len(parts) > 3:
        raise SegkitError(f"table name {name!r} must be 'table', 'schema.table' or 'catalog.schema.table'")
    if "\x00" in name:
        raise SegkitError(f"table name {name!r} cannot contain the NUL character")
    return parts


def quote_identifier(name: str, dialect: str | Dialect = "duckdb") -> str:
    """``name`` quoted as a column name of ``dialect`` (no value can break out of the quotes)."""
    return get_dialect(dialect).ident(name)


def quote_table(name: str, dialect: str | Dialect = "duckdb") -> str:
    """A possibly qualified table name (``schema.table``): each dot-separated part quoted."""
    return get_dialect(dialect).table(name)


def quote_string(value: str, dialect: str | Dialect = "duckdb") -> str:
    """``value`` as a string literal of ``dialect``."""
    return get_dialect(dialect).string(value)
