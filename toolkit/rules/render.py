"""AST -> text: the canonical rule text (parses back to the same AST) and plain English.

Code that builds rules (the distillation of a tree into segments) should build text with
:func:`format_column` / :func:`format_value`, or build AST nodes and call :func:`format_rule`,
so odd column names and quotes in values can never produce a broken or different rule.
"""

from __future__ import annotations

import re

from toolkit.rules.lexer import KEYWORDS
from toolkit.rules.nodes import (
    And, Between, Compare, Const, InList, IsMissing, Node, Not, Or, Value,
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def format_column(name: str) -> str:
    """A column name as written in a rule: bare when possible, else in backquotes."""
    if _NAME.match(name) and name.lower() not in KEYWORDS:
        return name
    return "`" + name.replace("`", "``") + "`"


def format_value(value: int | float | str | bool) -> str:
    """A Python value as a rule literal (numbers, text in double quotes, true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("rules cannot hold NaN or infinite numbers")
        return repr(value)
    if isinstance(value, str):
        escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                   .replace("\t", "\\t").replace("\r", "\\r"))
        return f'"{escaped}"'
    raise TypeError(f"cannot write {type(value).__name__} in a rule")


def _v(v: Value) -> str:
    return format_value(v.value)


def format_rule(node: Node) -> str:
    """Canonical text of a rule: ``parse(format_rule(n)) == n`` for every AST ``n``."""
    return _fmt(node, 0)


# precedence: or=1, and=2, not=3, predicate=4
def _fmt(node: Node, parent: int) -> str:
    if isinstance(node, Or):
        # children of `or` that are `or` themselves need parens to keep the same tree
        text = " or ".join(f"({_fmt(n, 0)})" if isinstance(n, Or) else _fmt(n, 1) for n in node.operands)
        return f"({text})" if parent >= 1 else text
    if isinstance(node, And):
        text = " and ".join(f"({_fmt(n, 0)})" if isinstance(n, (And, Or)) else _fmt(n, 2)
                            for n in node.operands)
        return f"({text})" if parent >= 2 else text
    if isinstance(node, Not):
        inner = node.operand
        if isinstance(inner, Not):
            return f"not {_fmt(inner, 3)}"
        return f"not ({_fmt(inner, 0)})"
    if isinstance(node, Const):
        return "true" if node.value else "false"
    col = format_column(node.column)  # type: ignore[union-attr]
    if isinstance(node, Compare):
        return f"{col} {node.op} {_v(node.value)}"
    if isinstance(node, InList):
        return f"{col} {'not in' if node.negated else 'in'} [{', '.join(_v(v) for v in node.values)}]"
    if isinstance(node, Between):
        kw = "not between" if node.negated else "between"
        return f"{col} {kw} {_v(node.low)} and {_v(node.high)}"
    if isinstance(node, IsMissing):
        return f"{col} is {'not ' if node.negated else ''}missing"
    raise TypeError(f"not a rule node: {node!r}")


_ENGLISH_OPS = {"<": "is less than", "<=": "is at most", ">": "is more than", ">=": "is at least",
                "==": "is", "!=": "is not"}


def _ev(v: Value) -> str:
    if v.kind == "string":
        return f'"{v.value}"'
    if v.kind == "boolean":
        return "yes" if v.value else "no"
    return f"{v.value:,}" if isinstance(v.value, int) else f"{v.value:g}"


def to_english(node: Node) -> str:
    """A readable sentence for marketers, e.g. ``orders_90d is at least 3 and ...``.

    The grouping of ``and`` / ``or`` is always visible: every ``and``/``or`` inside another
    is in parentheses, and an ``or`` that is nested or holds a group reads "either ... or
    ...", so ``a or b and c`` reads "either a or (b and c)" and ``(a or b) and c`` reads
    "(either a or b) and c". Ranges read "from 1 to 5" and lists are bracketed, so no
    condition's own "and" or comma can be mistaken for a join.
    """
    return _eng(node, nested=False)


def _group(node: Node) -> str:
    return f"({_eng(node, nested=True)})" if isinstance(node, (And, Or)) else _eng(node, nested=True)


def _eng(node: Node, nested: bool) -> str:
    if isinstance(node, Or):
        text = " or ".join(_group(n) for n in node.operands)
        either = nested or any(isinstance(n, (And, Or)) for n in node.operands)
        return f"either {text}" if either else text
    if isinstance(node, And):
        return " and ".join(_group(n) for n in node.operands)
    if isinstance(node, Not):
        return f"not ({_eng(node.operand, nested=True)})"
    if isinstance(node, Const):
        return "everyone" if node.value else "nobody"
    col = node.column  # type: ignore[union-attr]
    if isinstance(node, Compare):
        return f"{col} {_ENGLISH_OPS[node.op]} {_ev(node.value)}"
    if isinstance(node, InList):
        items = ", ".join(_ev(v) for v in node.values)
        return f"{col} is {'not ' if node.negated else ''}one of [{items}]"
    if isinstance(node, Between):
        return (f"{col} is {'not ' if node.negated else ''}from {_ev(node.low)} to "
                f"{_ev(node.high)}")
    if isinstance(node, IsMissing):
        return f"{col} is {'known' if node.negated else 'missing'}"
    raise TypeError(f"not a rule node: {node!r}")
