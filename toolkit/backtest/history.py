"""One period of a backtest (the snapshot at a date, its labels, the orders, the oracle) and
the per-customer order history at that date that the BG/NBD baseline needs.

Time rule (the snapshot's, docs in toolkit/snapshot): an order counts at ``as_of`` when its
date is on or before ``as_of``; days are whole calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from toolkit.errors import DataError, SegkitError
from toolkit.schema import ID_COLUMN

ORDER_ID = ID_COLUMN
ORDER_TIME = "ordered_at"
TRUTH_COLUMNS = (ID_COLUMN, "as_of", "true_probability")


@dataclass
class Period:
    """Everything the scorers may read about one as-of date.

    ``frame`` is the snapshot (id, features, label); ``orders`` the whole order log
    (``customer_id``, ``ordered_at``; a scorer must cut it at ``as_of`` itself, which
    :func:`order_history` does); ``truth`` the generator's true probabilities at ``as_of``
    (``customer_id``, ``true_probability``) when the logs came with them.
    """

    as_of: date
    frame: pl.DataFrame
    label: str
    id_column: str = ID_COLUMN
    orders: pl.DataFrame | pl.LazyFrame | None = None
    truth: pl.DataFrame | None = None

    def __post_init__(self) -> None:
        for column in (self.id_column, self.label):
            if column not in self.frame.columns:
                raise DataError(f"the snapshot at {self.as_of.isoformat()} has no column {column!r}")

    @property
    def y(self) -> np.ndarray:
        """The 0/1 labels, one per snapshot row."""
        return self.frame.get_column(self.label).cast(pl.Int8).to_numpy().astype(int)

    @property
    def ids(self) -> pl.Series:
        return self.frame.get_column(self.id_column)


def order_history(orders: pl.DataFrame | pl.LazyFrame, as_of: date) -> pl.DataFrame:
    """Per customer with at least one order on or before ``as_of``: the BG/NBD statistics in
    days, ``frequency`` (distinct order days after the first), ``recency`` (first to last order
    day) and ``T`` (first order day to ``as_of``). Later orders are never read."""
    day = pl.col(ORDER_TIME).cast(pl.Date)
    return (
        orders.lazy()
        .select(pl.col(ORDER_ID), day.alias("_day"))
        .filter(pl.col("_day") <= pl.lit(as_of))
        .group_by(ORDER_ID)
        .agg(pl.col("_day").min().alias("_first"), pl.col("_day").max().alias("_last"),
             pl.col("_day").n_unique().alias("_days"))
        .select(
            pl.col(ORDER_ID),
            (pl.col("_days") - 1).cast(pl.Float64).alias("frequency"),
            (pl.col("_last") - pl.col("_first")).dt.total_days().cast(pl.Float64).alias("recency"),
            (pl.lit(as_of) - pl.col("_first")).dt.total_days().cast(pl.Float64).alias("T"),
        )
        .sort(ORDER_ID)   # a fixed order: the BG/NBD fit sums in it, so reruns agree exactly
        .collect()
    )


def load_truth(path) -> pl.DataFrame:
    """``truth.parquet`` as written by ``segkit generate --logs``: checked columns, as_of a Date."""
    try:
        truth = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a bad file
        raise DataError(f"{path}: cannot read the truth file ({type(exc).__name__})") from None
    missing = [c for c in TRUTH_COLUMNS if c not in truth.columns]
    if missing:
        raise DataError(f"{path}: the truth file has no column {', '.join(map(repr, missing))}")
    return truth.with_columns(pl.col("as_of").cast(pl.Date))


def truth_at(truth: pl.DataFrame | None, as_of: date) -> pl.DataFrame | None:
    """The true probabilities at one date (``customer_id``, ``true_probability``), or None."""
    if truth is None:
        return None
    rows = truth.filter(pl.col("as_of") == pl.lit(as_of)).select(ID_COLUMN, "true_probability")
    if rows.height == 0:
        return None
    if rows.get_column(ID_COLUMN).is_duplicated().any():
        raise SegkitError(f"the truth file has several rows per customer at {as_of.isoformat()}")
    return rows
