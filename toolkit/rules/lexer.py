"""Tokenizer of the rule language: text -> list of tokens, each with its line and column.

Anything that is not a token of the language is a :class:`RuleSyntaxError` pointing at it;
common habits from other languages (``=``, ``<>``, ``&&``, ``||``, ``!``) get a hint.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from toolkit.rules.errors import RuleSyntaxError
from toolkit.rules.nodes import Pos

TokenKind = Literal["ident", "number", "string", "op", "keyword", "punct", "eof"]

KEYWORDS = frozenset({"and", "or", "not", "in", "between", "is", "missing", "true", "false"})
OPERATORS = ("<=", ">=", "==", "!=", "<", ">")
PUNCT = "()[],"
INT64_MAX = 2**63 - 1
MAX_RULE_LENGTH = 20_000

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_WORDCHAR = re.compile(r"[A-Za-z0-9_.]")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_HINTS = {
    "=": "'=' is not an operator; use '==' to compare",
    "<>": "'<>' is not an operator; use '!=' for 'not equal'",
    "&&": "'&&' is not an operator; use 'and'",
    "||": "'||' is not an operator; use 'or'",
    "!": "'!' is not an operator; use 'not' (or '!=' for 'not equal')",
    "&": "'&' is not an operator; use 'and'",
    "|": "'|' is not an operator; use 'or'",
}


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    value: object  # keyword/op/punct text, identifier name, parsed number or string
    raw: str  # the exact source text of the token
    pos: Pos

    def describe(self) -> str:
        """How the token is named in an error message."""
        if self.kind == "eof":
            return "the end of the rule"
        raw = self.raw if len(self.raw) <= 30 else self.raw[:27] + "..."
        return f"'{raw}'"


class _Positions:
    """Offset -> (line, col) in O(log n)."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> Pos:
        import bisect

        i = bisect.bisect_right(self.starts, offset) - 1
        return Pos(offset, i + 1, offset - self.starts[i] + 1)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; the last one is always ``eof``."""
    if not isinstance(text, str):
        raise RuleSyntaxError(f"a rule must be text, not {type(text).__name__}")
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(f"the rule is longer than {MAX_RULE_LENGTH} characters", text, 1, 1)
    where = _Positions(text)
    tokens: list[Token] = []
    i, n = 0, len(text)

    def fail(message: str, offset: int) -> RuleSyntaxError:
        p = where.at(offset)
        return RuleSyntaxError(message, text, p.line, p.col)

    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == "#":
            raise fail("comments are not allowed inside a rule (put them in the YAML file)", i)
        start = i
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _IDENT.match(text, i)
            assert m is not None
            word = m.group()
            i = m.end()
            lower = word.lower()
            if lower in KEYWORDS:
                tokens.append(Token("keyword", lower, word, where.at(start)))
            else:
                tokens.append(Token("ident", word, word, where.at(start)))
            continue
        if ch.isdigit() or ch == "." or (ch == "-" and i + 1 < n and (text[i + 1].isdigit() or text[i + 1] == ".")):
            m = _NUMBER.match(text, i)
            if m is None:
                raise fail(f"unexpected character {ch!r}", i)
            raw = m.group()
            i = m.end()
            if i < n and _WORDCHAR.match(text[i]):
                raise fail(f"unexpected {text[i]!r} right after the number {raw}", i)
            tokens.append(Token("number", _number(raw, lambda msg: fail(msg, start)), raw, where.at(start)))
            continue
        if ch in "'\"":
            value, i = _string(text, i, fail)
            tokens.append(Token("string", value, text[start:i], where.at(start)))
            continue
        if ch == "`":
            end = i + 1
            parts = []
            while True:
                j = text.find("`", end)
                if j < 0:
                    raise fail("this quoted column name (`...`) is never closed", start)
                parts.append(text[end:j])
                if j + 1 < n and text[j + 1] == "`":
                    parts.append("`")
                    end = j + 2
                    continue
                end = j + 1
                break
            name = "".join(parts)
            if not name:
                raise fail("empty column name ``", start)
            i = end
            tokens.append(Token("ident", name, text[start:i], where.at(start)))
            continue
        two = text[i:i + 2]
        if two in _HINTS:
            raise fail(_HINTS[two], i)
        if two in OPERATORS:
            tokens.append(Token("op", two, two, where.at(start)))
            i += 2
            continue
        if ch in "<>":
            tokens.append(Token("op", ch, ch, where.at(start)))
            i += 1
            continue
        if ch in PUNCT:
            tokens.append(Token("punct", ch, ch, where.at(start)))
            i += 1
            continue
        if ch in _HINTS:
            raise fail(_HINTS[ch], i)
        raise fail(f"unexpected character {ch!r}", i)
    tokens.append(Token("eof", None, "", where.at(n)))
    return tokens


def _number(raw: str, fail) -> int | float:
    if re.fullmatch(r"-?\d+", raw):
        value = int(raw)
        if abs(value) > INT64_MAX:
            raise fail(f"the number {raw} is too large (at most {INT64_MAX})")
        return value
    value = float(raw)
    if not math.isfinite(value):
        raise fail(f"the number {raw} is too large")
    return value


def _string(text: str, i: int, fail) -> tuple[str, int]:
    quote = text[i]
    start = i
    i += 1
    out: list[str] = []
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\":
            if i + 1 >= n:
                break
            esc = text[i + 1]
            if esc not in _ESCAPES:
                raise fail(f"unknown escape '\\{esc}' in text (use \\\\ for a backslash)", i)
            out.append(_ESCAPES[esc])
            i += 2
            continue
        if ch == "\x00":
            raise fail("text values cannot contain the NUL character", i)
        out.append(ch)
        i += 1
    raise fail(f"this text ({quote}...) is never closed", start)
