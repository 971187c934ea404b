"""The rule AST: small frozen dataclasses that both compilers (Polars, SQL) walk.

Positions (``pos``) are kept for error messages but ignored by ``==``, so two rules that
differ only in spacing compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Literal as _Lit, Union

ValueKind = _Lit["number", "string", "boolean"]
CompareOp = _Lit["<", "<=", ">", ">=", "==", "!="]
ORDERING_OPS = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class Pos:
    """Where a token starts in the rule text (offset 0-based, line and col 1-based)."""

    offset: int = 0
    line: int = 1
    col: int = 1


_NOPOS = Pos()


def _pos() -> Pos:
    return field(default=_NOPOS, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Value:
    """A literal: a number (int or float), a quoted text or true/false."""

    value: int | float | str | bool
    kind: ValueKind
    pos: Pos = _pos()


@dataclass(frozen=True)
class Compare:
    """``column op value``: false when the column is missing (null or NaN)."""

    column: str
    op: CompareOp
    value: Value
    pos: Pos = _pos()


@dataclass(frozen=True)
class InList:
    """``column in [v, ...]`` / ``column not in [...]``: false when the column is missing."""

    column: str
    values: tuple[Value, ...]
    negated: bool = False
    pos: Pos = _pos()


@dataclass(frozen=True)
class Between:
    """``column between low and high`` (both ends included): false when missing."""

    column: str
    low: Value
    high: Value
    negated: bool = False
    pos: Pos = _pos()


@dataclass(frozen=True)
class IsMissing:
    """``column is missing`` (null, or NaN in a float column) / ``is not missing``."""

    column: str
    negated: bool = False
    pos: Pos = _pos()


@dataclass(frozen=True)
class Const:
    """``true`` or ``false`` as a whole condition."""

    value: bool
    pos: Pos = _pos()


@dataclass(frozen=True)
class Not:
    """Plain boolean negation of a condition that is always true or false (never unknown)."""

    operand: "Node"
    pos: Pos = _pos()


@dataclass(frozen=True)
class And:
    operands: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    operands: tuple["Node", ...]


Predicate = Union[Compare, InList, Between, IsMissing]
Node = Union[Compare, InList, Between, IsMissing, Const, Not, And, Or]


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.operand)
    elif isinstance(node, (And, Or)):
        for child in node.operands:
            yield from walk(child)


def predicates(node: Node) -> Iterator[Predicate]:
    """The leaf conditions that read a column, in the order they are written."""
    for n in walk(node):
        if isinstance(n, (Compare, InList, Between, IsMissing)):
            yield n


def columns(node: Node) -> list[str]:
    """Column names the rule reads, in order of first appearance, without repeats."""
    seen: dict[str, None] = {}
    for p in predicates(node):
        seen.setdefault(p.column, None)
    return list(seen)


def values_of(p: Predicate) -> tuple[Value, ...]:
    if isinstance(p, Compare):
        return (p.value,)
    if isinstance(p, InList):
        return p.values
    if isinstance(p, Between):
        return (p.low, p.high)
    return ()
