"""Recursive-descent parser of the rule language (tokens -> AST). Nothing is ever eval'd.

Grammar (keywords are case-insensitive; ``and`` binds tighter than ``or``; ``not`` tighter
than both)::

    rule       := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | primary
    primary    := "(" or_expr ")" | "true" | "false" | column test
    test       := cmp_op value
                | ["not"] "in" "[" [value ("," value)* [","]] "]"
                | ["not"] "between" value "and" value
                | "is" ["not"] "missing"
    cmp_op     := "<" | "<=" | ">" | ">=" | "==" | "!="
    column     := NAME | "`" any text, `` for a backquote "`"
    value      := NUMBER | STRING | "true" | "false"
    NAME       := [A-Za-z_][A-Za-z0-9_]*   (not a keyword; backquote a column named like one)
    NUMBER     := -?(digits[.digits] | .digits)([eE][+-]?digits)?
    STRING     := '...' or "..." with escapes \\ \' \" \n \t \r
"""

from __future__ import annotations

from toolkit.rules.errors import RuleSyntaxError
from toolkit.rules.lexer import Token, tokenize
from toolkit.rules.nodes import (
    ORDERING_OPS, And, Between, Compare, Const, InList, IsMissing, Node, Not, Or, Value,
)

MAX_DEPTH = 60
_VALUE_HINT = "a number, a quoted text such as \"US\", true or false"
_TEST_HINT = "one of < <= > >= == != in, not in, between, is missing, is not missing"


def parse(text: str) -> Node:
    """Parse one rule. Raises :class:`RuleSyntaxError` (with line, col and caret) if invalid."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- helpers -----------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def at(self, kind: str, value: object = None) -> bool:
        t = self.tok
        return t.kind == kind and (value is None or t.value == value)

    def error(self, message: str, token: Token | None = None) -> RuleSyntaxError:
        t = token or self.tok
        return RuleSyntaxError(message, self.text, t.pos.line, t.pos.col)

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the rule is nested too deeply (more than {MAX_DEPTH} levels)", token)

    # -- grammar -----------------------------------------------------------------------
    def parse(self) -> Node:
        if self.at("eof"):
            raise self.error("the rule is empty; write a condition such as orders_90d >= 3")
        node = self.or_expr()
        if not self.at("eof"):
            t = self.tok
            if t.kind == "punct" and t.value == ")":
                raise self.error("this ')' has no matching '('")
            raise self.error(f"unexpected {t.describe()} after a complete condition; "
                             "join conditions with 'and' or 'or'")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.at("keyword", "or"):
            op = self.advance()
            items.append(self.and_expr_after(op))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.at("keyword", "and"):
            op = self.advance()
            items.append(self.not_expr_after(op))
        return items[0] if len(items) == 1 else And(tuple(items))

    def and_expr_after(self, op: Token) -> Node:
        self.expect_condition(op)
        return self.and_expr()

    def not_expr_after(self, op: Token) -> Node:
        self.expect_condition(op)
        return self.not_expr()

    def expect_condition(self, op: Token) -> None:
        t = self.tok
        if t.kind == "eof" or (t.kind == "keyword" and t.value in ("and", "or")) or (
                t.kind == "punct" and t.value in ")],") or t.kind in ("op", "number", "string"):
            raise self.error(f"expected a condition after '{op.raw}', found {t.describe()}")

    def not_expr(self) -> Node:
        if self.at("keyword", "not"):
            op = self.advance()
            self.enter(op)
            self.expect_condition(op)
            inner = self.not_expr()
            self.depth -= 1
            return Not(inner, op.pos)
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "punct" and t.value == "(":
            self.advance()
            self.enter(t)
            if self.at("punct", ")"):
                raise self.error("empty parentheses: expected a condition inside '( )'")
            self.expect_condition(t)
            node = self.or_expr()
            self.depth -= 1
            if not self.at("punct", ")"):
                if self.at("eof"):
                    raise self.error("this '(' is never closed", t)
                raise self.error(f"expected ')' to close the '(' at col {t.pos.col}"
                                 f"{'' if t.pos.line == self.tok.pos.line else f' of line {t.pos.line}'}"
                                 f", found {self.tok.describe()}")
            self.advance()
            return node
        if t.kind == "keyword" and t.value in ("true", "false"):
            self.advance()
            return Const(t.value == "true", t.pos)
        if t.kind == "ident":
            self.advance()
            return self.test(t)
        if t.kind == "keyword":
            raise self.error(f"expected a column name, found the keyword {t.describe()} "
                             f"(write `{t.raw}` in backquotes for a column with that name)")
        if t.kind in ("number", "string"):
            raise self.error(f"expected a column name, found the value {t.describe()}; "
                             "write the column first, as in orders_90d >= 3")
        if t.kind == "eof":
            raise self.error("expected a condition, found the end of the rule")
        raise self.error(f"expected a condition, found {t.describe()}")

    def test(self, col: Token) -> Node:
        name = str(col.value)
        t = self.tok
        if t.kind == "op":
            self.advance()
            value = self.value(f"after '{t.raw}'")
            if t.value in ORDERING_OPS and value.kind != "number":
                raise self.error(f"'{t.raw}' compares numbers; {value.kind} values can only use "
                                 "==, != or in", self.tokens[self.i - 1])
            return Compare(name, t.value, value, col.pos)  # type: ignore[arg-type]
        negated = False
        if t.kind == "keyword" and t.value == "not":
            negated = True
            self.advance()
            t = self.tok
            if not (t.kind == "keyword" and t.value in ("in", "between")):
                raise self.error(f"expected 'in' or 'between' after '{name} not', found {t.describe()}"
                                 "; to negate a condition put 'not' before it: not (x == 1)")
        if t.kind == "keyword" and t.value == "in":
            self.advance()
            return InList(name, self.value_list(), negated, col.pos)
        if t.kind == "keyword" and t.value == "between":
            self.advance()
            low = self.value("after 'between'", numeric=True)
            if not self.at("keyword", "and"):
                raise self.error(f"expected 'and' in 'between {low_text(low)} and ...', "
                                 f"found {self.tok.describe()}")
            self.advance()
            high = self.value("after 'between ... and'", numeric=True)
            if high.value < low.value:  # type: ignore[operator]
                raise self.error(f"the lower bound {low_text(low)} is greater than the upper bound "
                                 f"{low_text(high)}, so this matches nobody", self.tokens[self.i - 1])
            return Between(name, low, high, negated, col.pos)
        if t.kind == "keyword" and t.value == "is":
            self.advance()
            neg = False
            if self.at("keyword", "not"):
                self.advance()
                neg = True
            if not self.at("keyword", "missing"):
                found = self.tok
                hint = ""
                if found.kind == "ident" and str(found.value).lower() in ("null", "none", "nan", "na", "empty"):
                    hint = "; write 'is missing' for null or NaN values"
                raise self.error(f"expected 'missing' after '{'is not' if neg else 'is'}', "
                                 f"found {found.describe()}{hint}")
            self.advance()
            return IsMissing(name, neg, col.pos)
        if t.kind == "eof":
            raise self.error(f"expected a comparison after '{col.raw}' ({_TEST_HINT})")
        raise self.error(f"expected a comparison after '{col.raw}' ({_TEST_HINT}), found {t.describe()}")

    def value(self, where: str, numeric: bool = False) -> Value:
        t = self.tok
        if t.kind == "number":
            self.advance()
            return Value(t.value, "number", t.pos)  # type: ignore[arg-type]
        if t.kind == "string" and not numeric:
            self.advance()
            return Value(t.value, "string", t.pos)  # type: ignore[arg-type]
        if t.kind == "keyword" and t.value in ("true", "false") and not numeric:
            self.advance()
            return Value(t.value == "true", "boolean", t.pos)
        expected = "a number" if numeric else "a value"
        hint = "" if numeric else f" ({_VALUE_HINT})"
        if t.kind == "ident":
            low = str(t.value).lower()
            if low in ("null", "none", "nan", "na"):
                hint = "; to find missing values write 'column is missing'"
            elif not numeric:
                hint = (f"; text values need quotes, as in \"{t.value}\" "
                        "(comparing two columns is not supported)")
        if t.kind == "eof":
            return self._raise(f"expected {expected} {where}{hint}")
        return self._raise(f"expected {expected} {where}, found {t.describe()}{hint}")

    def _raise(self, message: str) -> Value:
        raise self.error(message)

    def value_list(self) -> tuple[Value, ...]:
        if not self.at("punct", "["):
            raise self.error(f"expected '[' to start the list after 'in', found {self.tok.describe()}"
                             " (write in [\"US\", \"CA\"])")
        open_tok = self.advance()
        values: list[Value] = []
        while not self.at("punct", "]"):
            if self.at("eof"):
                raise self.error("this '[' is never closed", open_tok)
            v = self.value("in the list")
            if values and v.kind != values[0].kind:
                raise self.error(f"a list holds values of one kind: this {v.kind} follows "
                                 f"{values[0].kind} values", self.tokens[self.i - 1])
            values.append(v)
            if self.at("punct", ","):
                self.advance()
            elif not self.at("punct", "]"):
                if self.at("eof"):
                    raise self.error("this '[' is never closed", open_tok)
                raise self.error(f"expected ',' or ']' in the list, found {self.tok.describe()}")
        self.advance()
        return tuple(values)


def low_text(v: Value) -> str:
    return repr(v.value) if v.kind == "string" else str(v.value)
