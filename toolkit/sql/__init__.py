"""SQL output: one dialect table (:mod:`toolkit.sql.dialects`) read by both SQL compilers,
and the scorecard compiler (:mod:`toolkit.sql.scorecard`, behind ``Scorecard.to_sql``).

The rule compiler stays with the rule language (:mod:`toolkit.rules.compile_sql`) and
imports its dialects from here. This package imports only :mod:`toolkit.errors` at import
time; the scorecard compiler (which needs sqlglot) is loaded when first used.
"""

from __future__ import annotations

from toolkit.sql.dialects import (
    DIALECT_NAMES, DIALECTS, Dialect, get_dialect, quote_identifier, quote_string, quote_table,
)

__all__ = ["Dialect", "DIALECTS", "DIALECT_NAMES", "get_dialect", "quote_identifier", "quote_string",
           "quote_table"]
