"""Property tests: any text either parses or raises RuleSyntaxError, and ASTs round-trip."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from toolkit.rules import RuleSyntaxError, format_rule, parse
from toolkit.rules.nodes import (
    And, Between, Compare, Const, InList, IsMissing, Node, Not, Or, Value,
)

SOUP = ["a", "orders_90d", "`x y`", "`", "and", "or", "not", "in", "between", "is", "missing",
        "true", "false", "(", ")", "[", "]", ",", "<", "<=", ">", ">=", "==", "!=", "=", "!",
        "1", "-2", "3.5", "1e3", "1e", ".", "-", "'s'", '"t"', "'", '"', "\\", "#", "null",
        "\n", "\t", "é", "\x00", "&&", "<>", "9" * 30]


def _parse_or_syntax_error(text: str) -> None:
    try:
        node = parse(text)
    except RuleSyntaxError as exc:
        assert exc.line >= 1 and exc.col >= 1
        str(exc)  # renders
        return
    # whatever parses has a canonical text that parses back to the same tree
    assert parse(format_rule(node)) == node


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_random_text_parses_or_raises_syntax_error(text):
    _parse_or_syntax_error(text)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(SOUP), max_size=25), st.sampled_from(["", " ", "  "]))
def test_token_soup_parses_or_raises_syntax_error(tokens, sep):
    _parse_or_syntax_error(sep.join(tokens))


names = st.one_of(st.sampled_from(["a", "orders_90d", "_x1"]),
                  st.text(min_size=1, max_size=8).filter(lambda s: "\x00" not in s))
numbers = st.one_of(st.integers(-(2**63) + 1, 2**63 - 1),
                    st.floats(allow_nan=False, allow_infinity=False))
strings = st.text(max_size=10).filter(lambda s: "\x00" not in s)
num_values = numbers.map(lambda v: Value(v, "number"))
values = st.one_of(num_values, strings.map(lambda v: Value(v, "string")),
                   st.booleans().map(lambda v: Value(v, "boolean")))
ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])


@st.composite
def compare(draw):
    op = draw(ops)
    value = draw(num_values if op in ("<", "<=", ">", ">=") else values)
    return Compare(draw(names), op, value)


@st.composite
def in_list(draw):
    kind = draw(st.sampled_from(["number", "string", "boolean"]))
    strat = {"number": num_values, "string": strings.map(lambda v: Value(v, "string")),
             "boolean": st.booleans().map(lambda v: Value(v, "boolean"))}[kind]
    return InList(draw(names), tuple(draw(st.lists(strat, max_size=4))), draw(st.booleans()))


@st.composite
def between(draw):
    a, b = sorted([draw(numbers), draw(numbers)])
    return Between(draw(names), Value(a, "number"), Value(b, "number"), draw(st.booleans()))


leaves = st.one_of(compare(), in_list(), between(),
                   st.builds(IsMissing, names, st.booleans()), st.builds(Const, st.booleans()))
trees = st.recursive(leaves, lambda kids: st.one_of(
    st.builds(Not, kids),
    st.lists(kids, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
    st.lists(kids, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs)))), max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_every_ast_round_trips_through_its_text(node: Node):
    assert parse(format_rule(node)) == node
