"""The rule language: every construct, precedence, canonical text, and errors with line/col."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from toolkit.errors import SegkitError
from toolkit.rules import (
    RuleColumnError, RuleSyntaxError, RuleTypeError, format_rule, parse, to_english, validate,
)
from toolkit.rules.nodes import (
    And, Between, Compare, Const, InList, IsMissing, Not, Or, Value, columns,
)


def num(v):
    return Value(v, "number")


def txt(v):
    return Value(v, "string")


@pytest.mark.parametrize("text, expected", [
    ("orders_90d >= 3", Compare("orders_90d", ">=", num(3))),
    ("a < 1", Compare("a", "<", num(1))),
    ("a <= -2.5", Compare("a", "<=", num(-2.5))),
    ("a > 1e3", Compare("a", ">", num(1000.0))),
    ("a>=.5", Compare("a", ">=", num(0.5))),
    ("a == 'x'", Compare("a", "==", txt("x"))),
    ('a != "x"', Compare("a", "!=", txt("x"))),
    ("flag == true", Compare("flag", "==", Value(True, "boolean"))),
    ("flag == FALSE", Compare("flag", "==", Value(False, "boolean"))),
    ('country in ["US", "CA"]', InList("country", (txt("US"), txt("CA")))),
    ("n in [1, 2, 3,]", InList("n", (num(1), num(2), num(3)))),
    ("n in []", InList("n", ())),
    ('c not in ["x"]', InList("c", (txt("x"),), negated=True)),
    ("age between 18 and 30", Between("age", num(18), num(30))),
    ("age not between -1 and 1.5", Between("age", num(-1), num(1.5), negated=True)),
    ("x is missing", IsMissing("x")),
    ("x IS NOT MISSING", IsMissing("x", negated=True)),
    ("true", Const(True)),
    ("`odd col` == 1", Compare("odd col", "==", num(1))),
    ("`a``b` == 1", Compare("a`b", "==", num(1))),
    ("`and` == 1", Compare("and", "==", num(1))),
    (r"""s == 'it\'s \\ "q" \n'""", Compare("s", "==", txt('it\'s \\ "q" \n'))),
    (r's == "tab\there"', Compare("s", "==", txt("tab\there"))),
])
def test_constructs(text, expected):
    assert parse(text) == expected


def test_precedence_and_binds_tighter_than_or():
    a, b, c = (Compare(x, ">", num(1)) for x in "abc")
    assert parse("a > 1 or b > 1 and c > 1") == Or((a, And((b, c))))
    assert parse("a > 1 and b > 1 or c > 1") == Or((And((a, b)), c))
    assert parse("(a > 1 or b > 1) and c > 1") == And((Or((a, b)), c))


def test_not_binds_tighter_than_and():
    a, b = Compare("a", ">", num(1)), Compare("b", ">", num(1))
    assert parse("not a > 1 and b > 1") == And((Not(a), b))
    assert parse("not (a > 1 and b > 1)") == Not(And((a, b)))
    assert parse("not not a > 1") == Not(Not(a))


def test_between_and_does_not_swallow_the_next_condition():
    assert parse("x between 1 and 5 and y > 2") == And((Between("x", num(1), num(5)),
                                                        Compare("y", ">", num(2))))


def test_multiline_rules_and_keywords_in_any_case():
    node = parse("orders_90d >= 3\n  AND Country IN ['US']\n  Or x Is Missing")
    assert isinstance(node, Or) and columns(node) == ["orders_90d", "Country", "x"]


def test_positions_do_not_affect_equality_but_are_kept():
    a, b = parse("x  >  1"), parse("x > 1")
    assert a == b
    assert parse("  \n  x > 1").pos.line == 2 and parse("  \n  x > 1").pos.col == 3


@pytest.mark.parametrize("text", [
    "orders_90d >= 3 and days_since_last_purchase < 20",
    'country in ["US", "CA"] and not (loyalty_tier == "none")',
    "a > 1 or b > 1 and c > 1",
    "(a > 1 or b > 1) and not (c is missing or d between 1 and 2)",
    "not not x == true",
    r'`we"ird col` == "a\"b\\c\nd" or `and` not in [1, 2.5, -3e-07]',
    "true or false",
])
def test_format_rule_round_trips(text):
    node = parse(text)
    assert parse(format_rule(node)) == node


def test_to_english_reads_like_a_sentence():
    text = to_english(parse('orders_90d >= 3 and country in ["US", "CA"] and x is missing'))
    assert text == 'orders_90d is at least 3 and country is one of ["US", "CA"] and x is missing'


@pytest.mark.parametrize("rule, words", [
    ("a == 1 or b == 1 and c == 1", "either a is 1 or (b is 1 and c is 1)"),
    ("(a == 1 or b == 1) and c == 1", "(either a is 1 or b is 1) and c is 1"),
    ("a == 1 and b == 1 or c == 1", "either (a is 1 and b is 1) or c is 1"),
    ("a == 1 or b == 1 or c == 1", "a is 1 or b is 1 or c is 1"),
    ("a == 1 and (b == 1 or c == 1 and d == 1)", "a is 1 and (either b is 1 or (c is 1 and d is 1))"),
    ("not (a == 1 or b == 1) and c == 1", "not (either a is 1 or b is 1) and c is 1"),
    ("x between 1 and 5 and y == 2", "x is from 1 to 5 and y is 2"),
    ("x not between 1 and 5 or y in [1, 2]", "x is not from 1 to 5 or y is one of [1, 2]"),
])
def test_to_english_shows_how_and_or_group(rule, words):
    assert to_english(parse(rule)) == words


def _english_back_to_rule(words: str) -> str:
    """Undo the wording for rules made of `<col> == 1` atoms: groups must survive."""
    return re.sub(r"\b([a-e]) is 1\b", r"\1 == 1", words.replace("either ", ""))


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.sampled_from("abcde").map(lambda c: parse(f"{c} == 1")),
                    lambda kids: st.one_of(
                        st.lists(kids, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
                        st.lists(kids, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs)))),
                    max_leaves=8))
def test_english_of_any_and_or_tree_has_exactly_one_reading(node):
    words = to_english(node)
    assert parse(_english_back_to_rule(words)) == node


@pytest.mark.parametrize("text, line, col, fragment", [
    ("orders_90d >= and x", 1, 15, "expected a value after '>='"),
    ("", 1, 1, "the rule is empty"),
    ("a = 3", 1, 3, "use '=='"),
    ("a <> 3", 1, 3, "use '!='"),
    ("a > 1 && b > 2", 1, 7, "use 'and'"),
    ("(a > 1", 1, 1, "never closed"),
    ("a > 1)", 1, 6, "no matching '('"),
    ("a > 1 b > 2", 1, 7, "join conditions with 'and' or 'or'"),
    ("a in [1, 'x']", 1, 10, "one kind"),
    ("a in [1 2]", 1, 9, "expected ',' or ']'"),
    ("a in 1", 1, 6, "expected '['"),
    ("a is null", 1, 6, "is missing"),
    ("a == null", 1, 6, "is missing"),
    ("a == US", 1, 6, 'quotes, as in "US"'),
    ("a > 'x'", 1, 5, "compares numbers"),
    ("x between 5 and 1", 1, 17, "greater than the upper bound"),
    ("x between 'a' and 'b'", 1, 11, "expected a number"),
    ("a > 1 and", 1, 10, "expected a condition after 'and'"),
    ("a > 1 or or b > 1", 1, 10, "expected a condition after 'or'"),
    ("3 > a", 1, 1, "write the column first"),
    ("'abc", 1, 1, "never closed"),
    ("a == 'x\\q'", 1, 8, "unknown escape"),
    ("a > 12abc", 1, 7, "right after the number"),
    ("a > 99999999999999999999", 1, 5, "too large"),
    ("a > 1e999", 1, 5, "too large"),
    ("a > 1 # note", 1, 7, "comments"),
    ("a not 3", 1, 7, "expected 'in' or 'between'"),
    ("()", 1, 2, "empty parentheses"),
    ("x > 1 and\n  y >= ", 2, 8, "expected a value after '>='"),
    ("`open", 1, 1, "never closed"),
    ("a ~ 1", 1, 3, "unexpected character"),
    ("and > 1", 1, 1, "backquotes"),
])
def test_syntax_errors_point_at_the_problem(text, line, col, fragment):
    with pytest.raises(RuleSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.col) == (line, col), str(err)
    assert fragment in str(err)
    assert isinstance(err, SegkitError)


def test_error_message_has_a_caret_under_the_column():
    with pytest.raises(RuleSyntaxError) as info:
        parse("orders_90d >= and x")
    assert str(info.value) == (
        "line 1, col 15: expected a value after '>=', found 'and' "
        "(a number, a quoted text such as \"US\", true or false)\n"
        "  orders_90d >= and x\n"
        "                ^")


def test_caret_on_the_right_line_of_a_multiline_rule():
    with pytest.raises(RuleSyntaxError) as info:
        parse("x > 1 and\ny == ")
    assert str(info.value).endswith("  y == \n       ^")


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(RuleSyntaxError, match="nested too deeply"):
        parse("(" * 500 + "a > 1" + ")" * 500)
    with pytest.raises(RuleSyntaxError, match="nested too deeply"):
        parse("not " * 500 + "a > 1")


def test_unknown_column_suggests_the_closest_name():
    node = parse("orders_90d >= 3 and days_since_last_purchse < 20")
    with pytest.raises(RuleColumnError) as info:
        validate(node, ["orders_90d", "days_since_last_purchase"], "orders_90d >= 3 and days_since_last_purchse < 20")
    err = info.value
    assert "did you mean 'days_since_last_purchase'?" in str(err)
    assert (err.line, err.col) == (1, 21) and err.suggestions == ("days_since_last_purchase",)
    with pytest.raises(RuleColumnError, match="did you mean 'Country'"):
        validate(parse("country == 'US'"), ["Country"])
    with pytest.raises(RuleColumnError) as info:
        validate(parse("zzz > 1"), ["orders_90d"])
    assert "did you mean" not in str(info.value)


def test_type_errors_with_known_column_types():
    import polars as pl

    types = {"n": pl.Int64, "f": pl.Float64, "s": pl.String, "b": pl.Boolean, "d": pl.Date}
    validate(parse("n > 1 and f <= 2.5 and s in ['a'] and b == true and d is missing"), types)
    with pytest.raises(RuleTypeError, match="'n' is a whole-number column"):
        validate(parse("n == 'x'"), types)
    with pytest.raises(RuleTypeError, match="'s' is a text column: compare it with quoted text"):
        validate(parse("s in [1, 2]"), types)
    with pytest.raises(RuleTypeError, match="true or false"):
        validate(parse("b == 1"), types)
    with pytest.raises(RuleTypeError, match="only 'is missing'"):
        validate(parse("d > 3"), types)
    # type names from a schema or SQL work too; unknown kinds only check names
    validate(parse("n > 1 and s == 'x'"), {"n": "count", "s": "varchar"})
    validate(parse("n == 'x'"), {"n": "mystery"})
