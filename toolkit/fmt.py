"""Every rule that turns a value into text, in one place, so a figure reads the same everywhere.

Two kinds of text come out of segkit:

* **figures about a run** (metrics, shares, counts): :func:`num` (fixed decimals, whole
  numbers with thousands separators), :func:`pct`; '-' when absent. The report, Compare, the
  CLI tables and the TUI print them.
* **a customer's values and log-odds**, in the scorecard's reasons (``reason_1``, built as
  Polars expressions while scoring millions of rows) and on the TUI's Customer tab (one
  customer, in Python). Each rule therefore exists twice: for one value (:func:`value_text`,
  :func:`signed`) and for a column (:func:`value_texts` / :func:`value_expr`,
  :func:`signed_texts` / :func:`signed_expr`), computed with the same floating-point
  operations in the same order (never Python's or Polars' own float printing, which differ:
  ``1e-07`` against ``1e-7``), and ``tests/test_fmt.py`` checks that the two agree on
  arbitrary floats, integers and categories.

The value rule (:func:`value_text`): missing (null, NaN) reads ``missing``; a whole number
below :data:`HUGE` in magnitude reads as an integer (``45``, ``-3``); other numbers from 1 up
to :data:`HUGE` are rounded to cents without trailing zeros (``1234.5``, ``1234.57``,
``3.999`` -> ``4``); numbers below 1 keep three significant digits (``0.123``, ``0.5``,
``0.000123``); below 0.0001 and from :data:`HUGE` on they are written ``1.23e-7``,
``1e20``. Rounding is half to even on the binary value, as Polars' ``round`` does.
Categories read as their text (``GB``, ``true``). The log-odds rule (:func:`signed`): a sign
and two decimals (``+0.82``, ``-1.05``), from 1e12 on three significant digits (``+1e308``).

Everything that prints a customer's value or a run's figure imports from here; this module
imports nothing from segkit, so anything may import it. A new formatting rule goes here, with
its Python and column versions side by side and a property test that they agree.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import polars as pl

MISSING = "missing"
ABSENT = "-"
HUGE = 1e15            # from here on numbers are too long to read digit by digit: scientific
HUGE_LOG_ODDS = 1e12   # log-odds beyond this (a broken or hand-edited scorecard): scientific
_SCALE_BELOW = 1e-290  # tiny values are scaled by 1e300 first, so every power below is a normal float
_LOW, _HIGH = -300, 308
_POW10 = [10.0 ** e for e in range(_LOW, _HIGH + 1)] + [math.inf]   # index e - _LOW


# ---------------------------------------------------------------------------------------
# figures about a run


def num(value: Any, digits: int = 3) -> str:
    """A figure as the report prints it: fixed decimals, whole numbers with separators, '-' absent."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ABSENT
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def pct(value: Any, digits: int = 1) -> str:
    """A share as a percentage ('27.9%'; '-' when absent)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ABSENT
    return f"{100 * value:.{digits}f}%"


# ---------------------------------------------------------------------------------------
# a customer's value: Python


def _pow10(e: int) -> float:
    return _POW10[min(max(e, _LOW), _HIGH + 1) - _LOW]


def _three_digits(a: float) -> tuple[int, int]:
    """(n, e) with 100 <= n <= 999 and ``a`` ~ n * 10**(e - 2), for finite ``a`` > 0.

    The exponent is the one integer with 10**e <= a < 10**(e + 1) in the table's floats, so a
    last-bit difference between two libm's ``log10`` cannot change it.
    """
    shift = 0
    if a < _SCALE_BELOW:
        a, shift = a * 1e300, -300
    e = min(max(math.floor(math.log10(a)), _LOW), _HIGH)
    if a < _pow10(e):
        e = max(e - 1, _LOW)
    elif a >= _pow10(e + 1):
        e = min(e + 1, _HIGH)
    n = round(a / _pow10(e) * 100)
    if n >= 1000:
        n, e = 100, e + 1
    return n, e + shift


def _as_float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _significant(sign: str, a: float, positional: bool) -> str:
    n, e = _three_digits(a)
    digits = str(n).rstrip("0")
    if positional and -4 <= e <= 0:
        return sign + ("1" if e == 0 else "0." + "0" * (-e - 1) + digits)
    return sign + digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + f"e{e}"


def value_text(value: Any, kind: str = "continuous") -> str:
    """A customer's value as a marketer reads it (see the module doc): 45, 1234.5, 0.123, GB.

    ``kind`` is the scorecard feature type: ``"nominal"`` values read as their text, anything
    else as a number (booleans as 1 and 0, as the scorecard casts them).
    """
    if kind == "nominal":
        if value is None:
            return MISSING
        if isinstance(value, str):
            return value
        return pl.Series([value]).cast(pl.Utf8).item()  # exactly the scorecard's cast
    if value is None:
        return MISSING
    try:
        x = float(value)
    except (TypeError, ValueError):  # not a number at all: shown as it is
        return str(value)
    if math.isnan(x):
        return MISSING
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    sign, a = ("-" if x < 0 else ""), abs(x)
    if a < HUGE and x == math.floor(x):
        return str(int(x))
    if 1 <= a < HUGE:
        whole, cents = divmod(round(a * 100), 100)
        return sign + str(whole) + (("." + f"{cents:02d}".rstrip("0")) if cents else "")
    return _significant(sign, a, positional=a < 1)


def signed(value: Any) -> str:
    """Log-odds with a sign and two decimals (+0.82, -1.05); '-' when absent (see module doc)."""
    x = _as_float(value)
    if x is None:
        return ABSENT
    sign, a = ("-" if x < 0 else "+"), abs(x)
    if math.isinf(a):
        return sign + "inf"
    if a < HUGE_LOG_ODDS:
        whole, cents = divmod(round(a * 100), 100)
        return f"{sign}{whole}.{cents:02d}"
    return _significant(sign, a, positional=False)


# ---------------------------------------------------------------------------------------
# the same rules for a whole column, vectorised: each row goes through the one branch of the
# rule it needs, every intermediate computed once (an equivalent single expression
# recomputes shared sub-expressions per branch and was 10x slower on 540,000 values)


def _frame_select(columns: dict[str, pl.Series], expr: pl.Expr) -> pl.Series:
    return pl.DataFrame(columns).select(expr.alias("t")).to_series()


def _pow10_series(e: pl.Series) -> pl.Series:
    return pl.Series(_POW10, dtype=pl.Float64).gather(e.clip(_LOW, _HIGH + 1) - _LOW)


def _significant_series(sign: pl.Series, a: pl.Series, positional: bool) -> pl.Series:
    """:func:`_significant` for finite magnitudes ``a`` > 0 with their ``sign`` texts."""
    tiny = a < _SCALE_BELOW
    scaled = pl.select(pl.when(pl.lit(tiny)).then(pl.lit(a) * 1e300).otherwise(pl.lit(a))).to_series()
    e = scaled.log10().floor().clip(_LOW, _HIGH).cast(pl.Int64)
    below, above = scaled < _pow10_series(e), scaled >= _pow10_series(e + 1)
    e = (e - below.cast(pl.Int64) + above.cast(pl.Int64)).clip(_LOW, _HIGH)
    n = (scaled / _pow10_series(e) * 100).round(0)
    carry = n >= 1000
    n = pl.select(pl.when(pl.lit(carry)).then(100.0).otherwise(pl.lit(n))).to_series().cast(pl.Int64)
    e = e + carry.cast(pl.Int64) - 300 * tiny.cast(pl.Int64)
    digits = n.cast(pl.Utf8).str.strip_chars_end("0")
    cols = {"sign": sign, "digits": digits, "e": e}
    scientific = pl.concat_str([
        pl.col("sign"), pl.col("digits").str.slice(0, 1),
        pl.when(pl.col("digits").str.len_chars() > 1)
        .then(pl.concat_str([pl.lit("."), pl.col("digits").str.slice(1)])).otherwise(pl.lit("")),
        pl.lit("e"), pl.col("e").cast(pl.Utf8)])
    if not positional:
        return _frame_select(cols, scientific)
    decimal = pl.when(pl.col("e") == 0).then(pl.concat_str([pl.col("sign"), pl.lit("1")])).otherwise(
        pl.concat_str([pl.col("sign"), pl.lit("0."),
                       pl.lit("000").str.slice(0, (-pl.col("e") - 1).clip(0, 3)), pl.col("digits")]))
    return _frame_select(cols, pl.when((pl.col("e") >= -4) & (pl.col("e") <= 0)).then(decimal)
                         .otherwise(scientific))


def _cents_series(sign: pl.Series, a: pl.Series, strip: bool) -> pl.Series:
    """Sign, whole part, and the cents (``strip``: without trailing zeros, none when zero)."""
    cents = (a * 100).round(0).cast(pl.Int64)
    cols = {"sign": sign, "whole": (cents // 100).cast(pl.Utf8), "cents": cents % 100}
    text = pl.col("cents").cast(pl.Utf8).str.zfill(2)
    if strip:
        tail = pl.when(pl.col("cents") != 0).then(
            pl.concat_str([pl.lit("."), text.str.strip_chars_end("0")])).otherwise(pl.lit(""))
    else:
        tail = pl.concat_str([pl.lit("."), text])
    return _frame_select(cols, pl.concat_str([pl.col("sign"), pl.col("whole"), tail]))


def _by_branch(n: int, name: str, branch: pl.Series,
               texts: dict[int, str | Callable[[pl.Series], pl.Series]]) -> pl.Series:
    """One text per row: ``texts[k]`` (a string or a function of the row indices) for branch k."""
    out = pl.repeat(None, n, dtype=pl.Utf8, eager=True).alias(name)
    codes = branch.to_numpy()
    for k, make in texts.items():
        rows = np.flatnonzero(codes == k)
        if len(rows):
            out.scatter(rows, pl.Series([make] * len(rows), dtype=pl.Utf8) if isinstance(make, str)
                        else make(pl.Series(rows)))
    return out


def value_texts(values: pl.Series, kind: str = "continuous") -> pl.Series:
    """:func:`value_text` for every value of a Series (null stays readable: ``missing``)."""
    if kind == "nominal":
        return values.cast(pl.Utf8).fill_null(MISSING)
    x = values.cast(pl.Float64).fill_nan(None)
    a = x.abs()
    sign = pl.select(pl.when(pl.lit(x) < 0).then(pl.lit("-")).otherwise(pl.lit(""))).to_series()
    branch = pl.select(
        pl.when(pl.lit(x).is_null()).then(0)
        .when(pl.lit(x).is_infinite() & (pl.lit(x) > 0)).then(1)
        .when(pl.lit(x).is_infinite()).then(2)
        .when((pl.lit(a) < HUGE) & (pl.lit(x) == pl.lit(x).floor())).then(3)
        .when((pl.lit(a) >= 1) & (pl.lit(a) < HUGE)).then(4)
        .when(pl.lit(a) < 1).then(5)
        .otherwise(6)).to_series()
    return _by_branch(len(x), values.name, branch, {
        0: MISSING, 1: "inf", 2: "-inf",
        3: lambda r: x.gather(r).cast(pl.Int64).cast(pl.Utf8),
        4: lambda r: _cents_series(sign.gather(r), a.gather(r), strip=True),
        5: lambda r: _significant_series(sign.gather(r), a.gather(r), positional=True),
        6: lambda r: _significant_series(sign.gather(r), a.gather(r), positional=False),
    })


def signed_texts(values: pl.Series) -> pl.Series:
    """:func:`signed` for every value of a Series (null and NaN give null)."""
    x = values.cast(pl.Float64)
    a = x.abs()
    sign = pl.select(pl.when(pl.lit(x) < 0).then(pl.lit("-")).otherwise(pl.lit("+"))).to_series()
    branch = pl.select(
        pl.when(pl.lit(x).is_null() | pl.lit(x).is_nan()).then(0)
        .when(pl.lit(a).is_infinite()).then(1)
        .when(pl.lit(a) < HUGE_LOG_ODDS).then(2)
        .otherwise(3)).to_series()
    return _by_branch(len(x), values.name, branch, {
        1: lambda r: sign.gather(r) + "inf",
        2: lambda r: _cents_series(sign.gather(r), a.gather(r), strip=False),
        3: lambda r: _significant_series(sign.gather(r), a.gather(r), positional=False),
    })


def value_expr(col: pl.Expr, kind: str = "continuous") -> pl.Expr:
    """:func:`value_text` as a Polars expression (what the scorecard's reasons are built from)."""
    if kind == "nominal":
        return col.cast(pl.Utf8).fill_null(pl.lit(MISSING))
    return col.map_batches(lambda s: value_texts(s, kind), return_dtype=pl.Utf8, is_elementwise=True)


def signed_expr(col: pl.Expr) -> pl.Expr:
    """:func:`signed` as a Polars expression (null stays null)."""
    return col.map_batches(signed_texts, return_dtype=pl.Utf8, is_elementwise=True)
