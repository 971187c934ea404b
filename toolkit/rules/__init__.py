"""The rule language: readable conditions on customer columns, compiled to Polars and SQL.

Example: ``orders_90d >= 3 and country in ["US", "CA"] and not (loyalty_tier == "none")``.

Pipeline: :func:`parse` (tokenizer + recursive-descent parser, never eval) -> AST
(:mod:`toolkit.rules.nodes`) -> :func:`validate` against the table's columns ->
:func:`to_polars` / :func:`to_sql`. See :mod:`toolkit.rules.parser` for the grammar and
:mod:`toolkit.rules.compile_polars` for the missing-value semantics shared by both engines.
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
