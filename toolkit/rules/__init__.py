r"""The rule language: readable conditions on customer columns, compiled to Polars and SQL.

Example: ``orders_90d >= 3 and country in ["US", "CA"] and not (loyalty_tier == "none")``.

Language (full grammar in :mod:`toolkit.rules.parser`):

* comparisons ``< <= > >= == !=`` between a column and a value; ``< <= > >=`` take numbers;
* ``col in [v, ...]``, ``col not in [...]`` (values of one kind), ``col between a and b``
  (both ends included), ``col not between a and b``, ``col is missing``, ``col is not missing``;
* ``and``, ``or``, ``not`` (precedence not > and > or), parentheses, ``true`` / ``false``;
* values: numbers (``3``, ``-2.5``, ``1e3``), text in ``'...'`` or ``"..."`` (escapes
  ``\\ \' \" \n \t \r``), ``true`` / ``false``; keywords are case-insensitive;
* columns: ``[A-Za-z_][A-Za-z0-9_]*`` or any name in backquotes (```odd name```, ```` `` ```` for
  a backquote).

Missing values (the same in Polars and in every SQL dialect, tested against DuckDB):

* a value is *missing* when it is null, or NaN in a float column (``is missing`` finds both);
* every comparison is **false** on a missing value, ``!=`` and ``not in`` included;
* ``not``, ``and``, ``or`` are ordinary two-valued logic over that: ``not (x == 3)`` is true for
  customers whose ``x`` is missing, ``x != 3`` is not.

NaN is only recognised where the compiler knows the column may hold floats: pass the table's
column types (``Ruleset.apply`` does; ``Ruleset.to_sql(column_types=...)`` and the CLI's
``--data`` do). Without types, columns compared with a number are NaN-tested and a column used
only in ``is missing`` tests null alone.

Pipeline: :func:`parse` (tokenizer + recursive-descent parser, never eval) -> AST
(:mod:`toolkit.rules.nodes`) -> :func:`validate` against the table's columns (unknown names
with suggestions, value kinds) -> :func:`to_polars` / :func:`to_sql`. To build rules in code,
build AST nodes and call :func:`format_rule`, or quote pieces with :func:`format_column` and
:func:`format_value`.
"""

from __future__ import annotations

from toolkit.rules.columns import column_kind, column_kinds, may_be_nan, suggest, validate
from toolkit.rules.compile_polars import to_polars
from toolkit.rules.compile_sql import DIALECTS, quote_identifier, quote_string, quote_table, to_sql
from toolkit.rules.errors import RuleColumnError, RuleError, RuleSyntaxError, RuleTypeError
from toolkit.rules.nodes import Node, columns, predicates, walk
from toolkit.rules.parser import parse
from toolkit.rules.render import format_column, format_rule, format_value, to_english

__all__ = [
    "parse", "validate", "to_polars", "to_sql", "format_rule", "format_column", "format_value",
    "to_english", "columns", "predicates", "walk", "Node", "column_kind", "column_kinds",
    "may_be_nan", "suggest", "DIALECTS", "quote_identifier", "quote_string", "quote_table",
    "RuleError", "RuleSyntaxError", "RuleColumnError", "RuleTypeError",
]
