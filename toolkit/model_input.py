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
