"""The exact frame the EBM sees, built the same way at training and at scoring time.

Numeric features become Float64 (null -> NaN, which the EBM treats as missing); categorical
features become strings by Polars' own cast (booleans "true"/"false", integers "3"), so the
scorecard can reproduce the categories without interpret's string rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd
import polars as pl

FeatureType = Literal["continuous", "nominal"]


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    type: FeatureType


def feature_exprs(specs: list[FeatureSpec]) -> list[pl.Expr]:
    """One expression per feature, casting it to what the model expects."""
    out = []
    for s in specs:
        if s.type == "nominal":
            out.append(pl.col(s.name).cast(pl.Utf8).alias(s.name))
        else:
            out.append(pl.col(s.name).cast(pl.Float64).alias(s.name))
    return out


def to_model_input(frame: pl.DataFrame, specs: list[FeatureSpec]) -> pd.DataFrame:
    """A pandas frame for interpret: floats with NaN for missing, object strings with None."""
    selected = frame.select(feature_exprs(specs))
    data = {}
    for s in specs:
        col = selected.get_column(s.name)
        if s.type == "nominal":
            data[s.name] = pd.Series(col.to_list(), dtype=object)
        else:
            data[s.name] = col.fill_null(float("nan")).to_numpy()
    return pd.DataFrame(data)


# --------------------------------------------------------------------------------------------
# infinite values: one policy for every command

INFINITE_POLICY = "treated as missing"


def infinite_to_missing(frame: pl.DataFrame, columns: list[str] | None = None
                        ) -> tuple[pl.DataFrame, dict[str, int]]:
    """``frame`` with +inf and -inf replaced by null in ``columns`` (default: all), and the counts.

    Why one function: an infinite value is almost always a broken upstream computation (a
    division by zero, an overflow), not a real measurement, and the statistics segkit fits
    (logistic baseline, leakage audit, k-means, trees) cannot use it. Training, segmenting,
    scoring and monitoring all call this, so a value means the same in every command: missing,
    which the EBM scores with the learned *missing* bin. Returns ``{column: count}`` for the
    columns that held any (empty when none did); the frame is returned unchanged then.
    """
    names = frame.columns if columns is None else [c for c in columns if c in frame.columns]
    floats = [c for c in names if frame.schema[c].is_float()]
    if not floats or frame.height == 0:
        return frame, {}
    row = frame.select([pl.col(c).is_infinite().sum().alias(c) for c in floats]).row(0, named=True)
    counts = {c: int(n) for c, n in row.items() if n}
    if not counts:
        return frame, {}
    frame = frame.with_columns([
        pl.when(pl.col(c).is_infinite()).then(None).otherwise(pl.col(c)).alias(c) for c in counts])
    return frame, counts


def describe_infinite(counts: dict[str, int], verb: str = "are " + INFINITE_POLICY) -> str | None:
    """One line for people: '3 infinite values in 2 columns (x: 2, y: 1) are treated as missing'."""
    if not counts:
        return None
    total = sum(counts.values())
    shown = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(f"{c}: {n:,}" for c, n in shown[:8]) + (", ..." if len(shown) > 8 else "")
    values = "value" if total == 1 else "values"
    columns = "column" if len(counts) == 1 else "columns"
    if total == 1:
        verb = verb.replace("are ", "is ", 1).replace("were ", "was ", 1)
    return f"{total:,} infinite {values} in {len(counts)} {columns} ({listed}) {verb}"


def merge_counts(into: dict[str, int], counts: dict[str, int]) -> dict[str, int]:
    """Add ``counts`` into ``into`` (batches of one file); returns ``into``."""
    for c, n in counts.items():
        into[c] = into.get(c, 0) + n
    return into
