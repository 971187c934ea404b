"""Every rule that turns a value into text, in one place, so a figure reads the same everywhere.

Two kinds of text come out of segkit:

* **figures about a run** (metrics, shares, counts): :func:`num` (fixed decimals, whole
  numbers with thousands separators), :func:`pct`; '-' when absent. The report, Compare, the
  CLI tables and the TUI print them.
* **a customer's values and log-odds**, in the scorecard's reasons (``reason_1``, built as
  Polars expressions while scoring millions of rows) and on the TUI's Customer tab (one
  customer, in Python). Each rule therefore exists twice: for one value (:func:`value_text`,
  :func:`signed`) and as a Polars expression (:func:`value_expr`, :func:`signed_expr`; for
  a Series :func:`value_texts`, :func:`signed_texts`), computed with the same floating-point
  operations in the same order, and the text is built from integers (never Python's or
  Polars' float printing, which differ: ``1e-07`` against ``1e-7``). ``tests/unit/foundation/test_fmt.py``
  checks that the two versions agree on arbitrary floats, integers and categories.

The value rule (:func:`value_text`): missing (null, NaN) reads ``missing``; a whole number
below :data:`HUGE` in magnitude reads as an integer (``45``, ``-3``); other numbers from 1 up
to :data:`HUGE` are rounded to cents without trailing zeros (``1234.5``, ``1234.57``,
``3.999`` -> ``4``); numbers below 1 keep three significant digits (``0.123``, ``0.5``,
``0.000123``); below :data:`TINY` (0.0001) and from :data:`HUGE` on they are written
``1.23e-7``, ``1e20``. Rounding is half to even on the binary value, as Polars' ``round``
does.
Categories read as their text (``GB``, ``true``). The log-odds rule (:func:`signed`): a sign
and two decimals (``+0.82``, ``-1.05``), from 1e12 on three significant digits (``+1e308``).

Everything that prints a customer's value or a run's figure imports from here; this module
imports nothing from segkit, so anything may import it. A new formatting rule goes here, with
its Python and column versions side by side and a property test that they agree.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import polars as pl

MISSING = "missing"
ABSENT = "-"
HUGE = 1e15            # from here on numbers are too long to read digit by digit: scientific
TINY = 1e-4            # below this (and above 0) a value reads in scientific form too
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
# a customer's value and a log-odds, one value at a time


# decimals by magnitude: cents from 1 on, three significant digits below (down to TINY)
_DECIMALS = ((1e-3, 6), (1e-2, 5), (0.1, 4), (1.0, 3))
_MAX_DECIMALS = 6


def _decimals(a: float) -> int:
    return next((d for below, d in _DECIMALS if a < below), 2)


def _rounded(negative: bool, a: float) -> str:
    """``a`` rounded to :func:`_decimals` places, written from the integer: no float printing."""
    d = _decimals(a)
    whole, frac = divmod(round(a * 10.0 ** d), 10 ** d)
    digits = f"{frac * 10 ** (_MAX_DECIMALS - d):0{_MAX_DECIMALS}d}".rstrip("0")
    return ("-" if negative else "") + str(whole) + ("." + digits if digits else "")


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


def _scientific(sign: str, a: float) -> str:
    """``1.23e-7``: three significant digits, no trailing zeros, for finite ``a`` > 0."""
    n, e = _three_digits(a)
    digits = str(n).rstrip("0")
    return sign + digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + f"e{e}"


def _is_scientific(a: float) -> bool:
    return 0 < a < TINY or HUGE <= a


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
    a = abs(x)
    if _is_scientific(a):
        return _scientific("-" if x < 0 else "", a)
    if x == math.floor(x):
        return str(int(x))
    return _rounded(x < 0, a)


def signed(value: Any) -> str:
    """Log-odds with a sign and two decimals (+0.82, -1.05); '-' when absent (see module doc)."""
    if value is None:
        return ABSENT
    x = float(value)
    if math.isnan(x):
        return ABSENT
    sign, a = ("-" if x < 0 else "+"), abs(x)
    if math.isinf(a):
        return sign + "inf"
    if a >= HUGE_LOG_ODDS:
        return _scientific(sign, a)
    whole, cents = divmod(round(a * 100), 100)
    return f"{sign}{whole}.{cents:02d}"


# ---------------------------------------------------------------------------------------
# the same rules for a column, for the reasons of millions of customers
#
# The numbers are computed in numpy, each once, and the text in one Polars pass over the
# integer columns (a single Polars expression recomputes every shared sub-expression, e.g.
# the magnitude, in each branch: scoring with reasons ran 60 % slower). The text is built
# from integers: never Polars' float printing, nor a float division (Polars' ``x / 100.0``
# multiplies by the reciprocal: 188.0 / 100 read 1.8800000000000001). The rare scientific
# case (below 1e-4, from 1e15; log-odds from 1e12) is computed only for the rows needing it.

_POW10_ARRAY = np.array(_POW10, dtype=np.float64)


@functools.lru_cache(maxsize=8)
def _nulls(n: int) -> pl.Series:
    return pl.repeat(None, n, dtype=pl.Utf8, eager=True)


def _scientific_column(a: np.ndarray, negative: np.ndarray) -> pl.Series:
    """:func:`_scientific` for arrays of finite magnitudes ``a`` > 0 and their signs."""
    tiny = a < _SCALE_BELOW
    scaled = a.copy()
    scaled[tiny] *= 1e300
    e = np.clip(np.floor(np.log10(scaled)), _LOW, _HIGH).astype(np.int64)
    below = scaled < _POW10_ARRAY[e - _LOW]
    above = ~below & (scaled >= _POW10_ARRAY[e + 1 - _LOW])
    e = np.clip(e - below + above, _LOW, _HIGH)
    n = np.round(scaled / _POW10_ARRAY[e - _LOW] * 100)
    carry = n >= 1000
    n = np.where(carry, 100, n).astype(np.int64)
    e = e + carry - 300 * tiny
    n = np.where(n % 100 == 0, n // 100, np.where(n % 10 == 0, n // 10, n))   # no trailing zeros
    digits = pl.col("n").cast(pl.Utf8)
    return pl.DataFrame({"n": n, "e": e, "negative": negative}).select(pl.concat_str([
        pl.when(pl.col("negative")).then(pl.lit("-")).otherwise(pl.lit("")), digits.str.slice(0, 1),
        pl.when(pl.col("n") >= 10).then(pl.concat_str([pl.lit("."), digits.str.slice(1)])).otherwise(pl.lit("")),
        pl.lit("e"), pl.col("e").cast(pl.Utf8)])).to_series()


def _scientific_rows(x: np.ndarray, tiny: float, huge: float) -> pl.Series:
    """Scientific texts where 0 < |x| < ``tiny`` or ``huge`` <= |x| < inf, null elsewhere."""
    a = np.abs(x)
    with np.errstate(invalid="ignore"):
        rows = np.flatnonzero(np.isfinite(x) & (((a > 0) & (a < tiny)) | (a >= huge)))
    if not len(rows):
        return _nulls(len(x))
    out = _nulls(len(x)).clone()
    out.scatter(rows, _scientific_column(a[rows], x[rows] < 0))
    return out


_SCALE_ARRAY = np.array([10.0 ** d for d in range(_MAX_DECIMALS + 1)])
_UNIT_ARRAY = np.array([10 ** d for d in range(_MAX_DECIMALS + 1)], dtype=np.int64)
_BOUNDS = np.array([below for below, _ in _DECIMALS])
_BOUND_DECIMALS = np.array([d for _, d in _DECIMALS] + [2], dtype=np.int64)


@functools.lru_cache(maxsize=1)
def _number_text() -> pl.Expr:
    """Text of the columns ``negative``, ``whole`` and ``frac`` (the digits after the point,
    as an integer of :data:`_MAX_DECIMALS` places) and the ``missing``/``inf``/``sci`` cases."""
    frac = pl.col("frac").cast(pl.Utf8).str.zfill(_MAX_DECIMALS).str.strip_chars_end("0")
    return (
        pl.when(pl.col("case") == 0).then(pl.lit(MISSING))
        .when(pl.col("case") == 1).then(pl.when(pl.col("negative")).then(pl.lit("-inf")).otherwise(pl.lit("inf")))
        .when(pl.col("case") == 2).then(pl.col("sci"))
        .otherwise(pl.concat_str([
            pl.when(pl.col("negative")).then(pl.lit("-")).otherwise(pl.lit("")), pl.col("whole").cast(pl.Utf8),
            pl.when(pl.col("frac") != 0).then(pl.concat_str([pl.lit("."), frac])).otherwise(pl.lit(""))]))
        .alias("t"))


@functools.lru_cache(maxsize=1)
def _signed_text() -> pl.Expr:
    sign = pl.when(pl.col("negative")).then(pl.lit("-")).otherwise(pl.lit("+"))
    return (
        pl.when(pl.col("case") == 0).then(pl.lit(None, dtype=pl.Utf8))
        .when(pl.col("case") == 1).then(pl.concat_str([sign, pl.lit("inf")]))
        .when(pl.col("case") == 2).then(pl.concat_str([
            pl.when(pl.col("negative")).then(pl.lit("")).otherwise(pl.lit("+")), pl.col("sci")]))
        .otherwise(pl.concat_str([sign, (pl.col("cents") // 100).cast(pl.Utf8), pl.lit("."),
                                  (pl.col("cents") % 100).cast(pl.Utf8).str.zfill(2)]))
        .alias("t"))


def value_texts(values: pl.Series, kind: str = "continuous") -> pl.Series:
    """:func:`value_text` for every value of a Series (what :func:`value_expr` runs per batch):
    the numbers in numpy, the text in one Polars pass over the resulting integer columns."""
    if kind == "nominal":
        return values.cast(pl.Utf8).fill_null(MISSING).alias(values.name)
    x = values.cast(pl.Float64).to_numpy()          # null -> NaN: both read "missing"
    a = np.abs(x)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(x)
        scientific = finite & (((a > 0) & (a < TINY)) | (a >= HUGE))
        plain = finite & ~scientific
        whole = plain & (x == np.floor(x))
    d = _BOUND_DECIMALS[np.searchsorted(_BOUNDS, np.where(plain, a, 1.0), side="right")]
    k = np.round(np.where(plain, a, 0.0) * _SCALE_ARRAY[d]).astype(np.int64)
    unit = _UNIT_ARRAY[d]
    digits = np.where(whole, np.where(whole, a, 0.0).astype(np.int64), k // unit)
    if whole.all() and not (x < 0).any():   # counts and days: the common case, one cast
        return pl.Series(values.name, digits).cast(pl.Utf8)
    frame = pl.DataFrame({
        "case": np.select([np.isnan(x), ~finite, scientific], [0, 1, 2], 3),
        "negative": x < 0,
        "whole": digits,
        "frac": np.where(whole, 0, (k % unit) * _UNIT_ARRAY[_MAX_DECIMALS - d]),
        "sci": _scientific_rows(x, TINY, HUGE),
    })
    return frame.select(_number_text()).to_series().alias(values.name)


def signed_texts(values: pl.Series) -> pl.Series:
    """:func:`signed` for every value of a Series (null and NaN give null)."""
    x = values.cast(pl.Float64).to_numpy()
    a = np.abs(x)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(x)
        scientific = finite & (a >= HUGE_LOG_ODDS)
    frame = pl.DataFrame({
        "case": np.select([np.isnan(x), ~finite, scientific], [0, 1, 2], 3),
        "negative": x < 0,
        "cents": np.round(np.where(finite & ~scientific, a, 0.0) * 100).astype(np.int64),
        "sci": _scientific_rows(x, 0.0, HUGE_LOG_ODDS),
    })
    return frame.select(_signed_text()).to_series().alias(values.name)


def value_expr(col: pl.Expr, kind: str = "continuous") -> pl.Expr:
    """:func:`value_text` as a Polars expression (what the scorecard's reasons are built from)."""
    if kind == "nominal":
        return col.cast(pl.Utf8).fill_null(pl.lit(MISSING))
    return col.map_batches(value_texts, return_dtype=pl.Utf8, is_elementwise=True)


def signed_expr(col: pl.Expr) -> pl.Expr:
    """:func:`signed` as a Polars expression (null and NaN stay null)."""
    return col.map_batches(signed_texts, return_dtype=pl.Utf8, is_elementwise=True)
