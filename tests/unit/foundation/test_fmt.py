"""toolkit.fmt: the one value-to-text rule, its Python and Polars versions agreeing."""

from __future__ import annotations

import math
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from toolkit.fmt import MISSING, num, pct, signed, signed_expr, value_expr, value_text


def polars_values(values: list, dtype=pl.Float64, kind: str = "continuous") -> list[str]:
    frame = pl.DataFrame({"v": pl.Series(values, dtype=dtype)})
    return frame.select(value_expr(pl.col("v"), kind)).to_series().to_list()


def polars_signed(values: list[float]) -> list[str]:
    return pl.DataFrame({"v": pl.Series(values, dtype=pl.Float64)}).select(signed_expr(pl.col("v"))).to_series().to_list()


# ---------------------------------------------------------------------------------------
# the rule, pinned


@pytest.mark.parametrize("value, text", [
    (45, "45"), (45.0, "45"), (-3.0, "-3"), (0.0, "0"), (-0.0, "0"), (1_234_567.0, "1234567"),
    (1234.5, "1234.5"),           # before: 1234.5 in reason_1 but 1234.50 on the Customer tab
    (1234.567, "1234.57"), (3.999, "4"), (-1234.5, "-1234.5"), (12345678.9, "12345678.9"),
    (0.123456, "0.123"), (0.5, "0.5"), (0.1, "0.1"), (0.9996, "1"), (0.000123, "0.000123"),
    (0.000099996, "1e-4"), (0.0099996, "0.01"), (0.0000123, "1.23e-5"), (1e-7, "1e-7"), (-2.5e-9, "-2.5e-9"),
    (1e15, "1e15"), (1.5e15, "1.5e15"), (1e20, "1e20"), (-1.7976931348623157e308, "-1.8e308"),
    (5e-324, "4.94e-324"), (math.inf, "inf"), (-math.inf, "-inf"),
    (None, MISSING), (math.nan, MISSING), (True, "1"), (False, "0"),
])
def test_value_text_rule(value, text):
    assert value_text(value) == text


@pytest.mark.parametrize("value, text", [
    ("GB", "GB"), (None, MISSING), (True, "true"), (3, "3"),
])
def test_nominal_values_read_as_their_text(value, text):
    assert value_text(value, "nominal") == text


@pytest.mark.parametrize("value, text", [
    (0.824, "+0.82"), (-1.054, "-1.05"), (0.0, "+0.00"), (-0.0, "+0.00"), (-0.001, "-0.00"),
    (0.125, "+0.12"), (123456.789, "+123456.79"), (1e11, "+100000000000.00"), (-9.99e13, "-9.99e13"),
    (1e15, "+1e15"), (-1e308, "-1e308"), (math.inf, "+inf"), (None, "-"), (math.nan, "-"),
])
def test_signed_rule(value, text):
    assert signed(value) == text


def test_figures():
    assert num(0.12345) == "0.123" and num(1234) == "1,234" and num(None) == "-" and num(math.nan) == "-"
    assert num(1.5, 2) == "1.50" and pct(0.2794) == "27.9%" and pct(None) == "-"


# ---------------------------------------------------------------------------------------
# the Python and Polars versions agree


FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(min_value=-1, max_value=1),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.integers(min_value=-10**6, max_value=10**6).map(lambda i: i / 100),   # cents, ties
    st.integers(min_value=-10**6, max_value=10**6).map(lambda i: i / 1000 + 0.0005),
    st.integers(min_value=-20, max_value=20).map(lambda e: 10.0 ** e),
    st.integers(min_value=1, max_value=999).map(lambda n: n * 1e-5 - 5e-9),  # rounding to the next power
    st.floats(min_value=9.99e14, max_value=1.01e15),                         # around HUGE
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(st.none(), FLOATS), min_size=1, max_size=40))
@example([0.9995, 0.99949999, 0.000099995, 999.995, 2.675, 1.005, 5e-324, 2.2250738585072014e-308, 1e-290,
          9.999999999999999e-291, 1e15 - 0.125, -0.0, 1e308, 0.1 + 0.2])
def test_value_text_python_and_polars_agree(values):
    expected = [value_text(v) for v in values]
    assert polars_values(values) == expected
    for v, text in zip(values, expected):
        if v is None or math.isnan(v) or math.isinf(v) or v == 0:
            continue
        back, exact = Decimal(text), Decimal(v)
        # whole numbers exact, cents to half a cent, else three significant digits (+ carry)
        assert abs(back - exact) <= max(Decimal("0.005"), Decimal("0.0051") * abs(exact)), (v, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(min_value=-(2**53), max_value=2**53)), min_size=1, max_size=30))
def test_integer_columns_agree(values):
    assert polars_values(values, pl.Int64) == [value_text(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=1, max_size=30))
def test_category_columns_agree(values):
    assert polars_values(values, pl.Utf8, "nominal") == [value_text(v, "nominal") for v in values]


def test_boolean_columns_agree():
    values = [True, False, None]
    assert polars_values(values, pl.Boolean, "nominal") == ["true", "false", MISSING]
    assert polars_values(values, pl.Boolean) == [value_text(v) for v in values] == ["1", "0", MISSING]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=True),
                          st.floats(min_value=-20, max_value=20),
                          st.integers(min_value=-10**5, max_value=10**5).map(lambda i: i / 100 + 0.005)),
                min_size=1, max_size=40))
@example([0.125, 0.135, -0.001, 1e12, 1e12 - 0.01, -9.99e13, 1e308])
def test_signed_python_and_polars_agree(values):
    assert polars_signed(values) == [signed(v) for v in values]


def test_signed_expr_keeps_null():
    assert polars_signed([None, math.nan, 1.0]) == [None, None, "+1.00"]


# ---------------------------------------------------------------------------------------
# where the rule is used: the reasons of scoring and the Customer tab read the same


def test_customer_tab_words_values_as_the_reasons_do():
    """Before: a spend of 1234.5 read `1234.5` in reason_1 and `1234.50` on the Customer tab."""
    from tui_run import build_run
    from toolkit.run.view import RunView

    view = RunView(build_run())
    card = view.scorecard()
    frame = view.frame()
    money = [f["name"] for f in card.features if f["type"] != "nominal"]
    # customers with a value like 52.30 first: the old rules disagreed there
    cents = [(pl.col(c).abs() * 100).round(0) for c in money if c in frame.schema and frame.schema[c].is_float()]
    odd = frame.filter(pl.any_horizontal([(c % 10 == 0) & (c % 100 != 0) & (c >= 100) for c in cents]))
    ids = odd.get_column(card.id_column).head(15).to_list() + frame.get_column(card.id_column).head(5).to_list()
    assert len(ids) > 5
    compared = 0
    for cid in ids:
        e = view.explain_customer(str(cid))
        worded = [f"{c.values} ({signed(c.score)})" for c in e.contributions if c.score != 0]
        assert e.reasons == worded[:len(e.reasons)], cid      # the run's reason_1..3
        row = frame.filter(pl.col(card.id_column) == cid)
        scored = card.score(row, top_reasons=len(card.terms)).row(0, named=True)
        every = [v for k, v in scored.items() if k.startswith("reason_") and v is not None]
        assert every == worded, cid                          # and every term, not only the top 3
        compared += len(worded)
    assert compared >= len(card.terms) * len(ids) // 2


@pytest.mark.parametrize("values", [[0.0, 3.0, 45.0, 1e14], [-0.0, 2.0], [1.0, -2.0, 3.0], [5.0, 0.5]])
def test_whole_number_batches_agree(values):
    """Columns of counts take a shortcut (one cast); with a negative or a fraction they do not."""
    assert polars_values(values) == [value_text(v) for v in values]


def test_the_tui_words_log_odds_with_the_one_rule():
    """The Customer and Model tabs print log-odds with fmt's rule (0.015 reads +0.02 there too)."""
    from tui import format as tui_format

    assert tui_format.signed is signed
    assert tui_format.signed(0.015) == "+0.02"
