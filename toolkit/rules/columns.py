"""Checking a rule against the columns of a table: names (with suggestions) and kinds.

Column kinds are coarse on purpose: ``int``, ``float`` (may hold NaN), ``number`` (decimal),
``string``, ``boolean``, ``other`` (dates, lists, ...: only ``is missing`` works on them) and
``unknown`` (no type information: only names are checked).
"""

from __future__ import annotations

import difflib
from typing import Iterable, Literal, Mapping

import polars as pl

from toolkit.rules.errors import RuleColumnError, RuleTypeError
from toolkit.rules.nodes import Between, Compare, InList, IsMissing, Node, Pos, predicates, values_of

ColumnKind = Literal["int", "float", "number", "string", "boolean", "other", "unknown"]
NUMERIC_KINDS = ("int", "float", "number")
ColumnsSpec = Mapping[str, object] | Iterable[str]

_NAME_KINDS: dict[str, ColumnKind] = {}
for _names, _kind in (
    ("int integer bigint smallint tinyint hugeint int8 int16 int32 int64 uint8 uint16 uint32 "
     "uint64 int2 int4 long short ubigint uinteger usmallint utinyint count days", "int"),
    ("float double real float4 float8 float32 float64 float16 double_precision "
     "rate money seconds years", "float"),
    ("decimal numeric bignumeric number", "number"),
    ("str string utf8 varchar text char bpchar category categorical enum", "string"),
    ("bool boolean flag logical", "boolean"),
):
    for _n in _names.split():
        _NAME_KINDS[_n] = _kind  # type: ignore[assignment]


def column_kind(dtype: object) -> ColumnKind:
    """The coarse kind of a Polars dtype, a type name (SQL, Polars, numpy) or a schema kind."""
    if dtype is None:
        return "unknown"
    if isinstance(dtype, str):
        key = dtype.strip().lower().replace(" ", "_").split("(")[0]
        return _NAME_KINDS.get(key, "unknown")
    try:
        if isinstance(dtype, type) and issubclass(dtype, pl.DataType):
            dtype = dtype()
    except TypeError:
        pass
    if isinstance(dtype, pl.DataType):
        if dtype == pl.Null:
            return "unknown"
        if dtype.is_float():
            return "float"
        if dtype.is_integer():
            return "int"
        if dtype.is_decimal():
            return "number"
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Categorical, pl.Enum)):
            return "string"
        if dtype == pl.Boolean:
            return "boolean"
        return "other"
    return "unknown"


def column_kinds(columns: ColumnsSpec) -> dict[str, ColumnKind]:
    """Name -> kind for a mapping of dtypes, a Polars schema or a plain list of names."""
    if isinstance(columns, Mapping):
        return {str(k): column_kind(v) for k, v in columns.items()}
    if isinstance(columns, str):
        raise TypeError("columns must be a list of names or a mapping of name -> dtype")
    return {str(c): "unknown" for c in columns}


def suggest(name: str, known: Iterable[str]) -> tuple[str, ...]:
    """Closest known column names for a misspelt one (case-insensitive match first)."""
    known = list(known)
    same_case = [k for k in known if k.lower() == name.lower()]
    if same_case:
        return tuple(same_case[:1])
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    return tuple(lowered[c] for c in close)


def unknown_column_message(name: str, known: Iterable[str]) -> str:
    hints = suggest(name, known)
    if hints:
        return f"unknown column '{name}'; did you mean " + " or ".join(f"'{h}'" for h in hints) + "?"
    return f"unknown column '{name}'"


_KIND_WORDS = {"int": "a whole-number", "float": "a numeric", "number": "a numeric",
               "string": "a text", "boolean": "a true/false", "other": "a"}
_VALUE_EXAMPLE = {"int": "a number such as 3", "float": "a number such as 2.5",
                  "number": "a number such as 2.5", "string": 'quoted text such as "US"',
                  "boolean": "true or false"}


def validate(node: Node, columns: ColumnsSpec, text: str = "") -> None:
    """Raise :class:`RuleColumnError` / :class:`RuleTypeError` if ``node`` does not fit ``columns``.

    ``columns`` is a list of names (names are checked) or a mapping name -> dtype (names and
    value kinds are checked: a text compared with a numeric column, ``<`` on text, ...).
    """
    kinds = column_kinds(columns)
    for p in predicates(node):
        if p.column not in kinds:
            raise RuleColumnError(unknown_column_message(p.column, kinds), text, p.pos.line,
                                  p.pos.col, column=p.column, suggestions=suggest(p.column, kinds))
        kind = kinds[p.column]
        if isinstance(p, IsMissing) or kind == "unknown":
            continue
        for v in values_of(p):
            _check_value(p.column, kind, v.kind, v.pos if v.pos != Pos() else p.pos, text)


def _check_value(column: str, kind: ColumnKind, value_kind: str, pos: Pos, text: str) -> None:
    if kind == "other":
        raise RuleTypeError(f"column '{column}' has a type rules cannot compare; only "
                            "'is missing' / 'is not missing' work on it", text, pos.line, pos.col)
    ok = ((value_kind == "number" and kind in NUMERIC_KINDS)
          or (value_kind == "string" and kind == "string")
          or (value_kind == "boolean" and kind == "boolean"))
    if not ok:
        raise RuleTypeError(f"'{column}' is {_KIND_WORDS[kind]} column: compare it with "
                            f"{_VALUE_EXAMPLE[kind]}, not a {value_kind} value",
                            text, pos.line, pos.col)


def may_be_nan(column: str, node_or_nodes: Node | Iterable[Node], kinds: Mapping[str, ColumnKind]) -> bool:
    """Whether comparisons on ``column`` need a NaN guard (float, or unknown but used as a number)."""
    kind = kinds.get(column, "unknown")
    if kind == "float":
        return True
    if kind != "unknown":
        return False
    nodes = [node_or_nodes] if not isinstance(node_or_nodes, (list, tuple)) else node_or_nodes
    for n in nodes:
        for p in predicates(n):  # type: ignore[arg-type]
            if p.column == column and any(v.kind == "number" for v in values_of(p)):
                return True
    return False


__all__ = ["ColumnKind", "column_kind", "column_kinds", "suggest", "validate", "may_be_nan",
           "unknown_column_message", "Compare", "InList", "Between"]
