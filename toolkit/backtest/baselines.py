"""The baselines a backtest judges segkit's model against, each fitted only on the train period.

Every baseline is a scorer: ``fit(period, rows)`` learns from the training period (``rows``
is the mask of that period's training rows; the labels of its validation rows are kept for
the threshold, chosen by the caller), and ``score(period)`` gives one number per snapshot row,
higher = more likely to buy in the horizon. None of them ever sees the test period's labels.

- ``recency``: days since the last order, nothing fitted (the lifecycle marketer's rule of
  thumb). The score is ``1 / (1 + days)``, so it ranks exactly like ``-days`` and stays in
  (0, 1]; a customer without the column's value ranks last.
- ``rfm_logistic``: a logistic regression on log1p of recency, frequency and monetary value
  (days since the last order, orders and spend in the last 365 days) with missing indicators.
- ``bgnbd``: the BG/NBD model (:mod:`toolkit.model.bgnbd`) fitted by maximum likelihood on
  every customer's orders up to the train date; each customer is ranked by
  **P(at least one purchase in the next H days)** given their own orders up to the date being
  scored (:meth:`~toolkit.model.bgnbd.BGNBD.prob_any_purchase`), not by the expected number of
  purchases. BG/NBD knows nothing of customers who never ordered; they get the purchase rate
  such customers had in the train period's training rows.
- ``oracle``: the generator's true probability at the date (only for generated logs).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import polars as pl

from toolkit.backtest.history import ORDER_ID, Period, order_history
from toolkit.errors import SegkitError
from toolkit.schema import ID_COLUMN
from toolkit.model.train import recency_column

FREQUENCY_COLUMN = "orders_365d"
MONETARY_COLUMN = "total_spend_365d"
BASELINES = ("recency", "rfm_logistic", "bgnbd", "oracle")


class Scorer(Protocol):
    name: str

    def fit(self, period: Period, rows: np.ndarray) -> None:
        """Learn from ``period`` (only ``rows`` of it when labels are used)."""

    def score(self, period: Period) -> np.ndarray:
        """One score per row of ``period.frame``; higher = more likely to buy."""


class Unavailable(SegkitError):
    """A baseline that cannot be computed on these inputs (recorded in the fold's notes)."""


def _numeric(frame: pl.DataFrame, column: str) -> np.ndarray:
    return frame.get_column(column).cast(pl.Float64).fill_nan(None).to_numpy().astype(float)


class Recency:
    """Ranks by days since the last order: more recent = higher score. Nothing to fit."""

    name = "recency"

    def __init__(self) -> None:
        self.column: str | None = None

    def fit(self, period: Period, rows: np.ndarray) -> None:
        self.column = recency_column([c for c in period.frame.columns
                                      if c not in (period.id_column, period.label)])
        if self.column is None:
            raise Unavailable("recency: the snapshot has no days-since-last-order column")

    def score(self, period: Period) -> np.ndarray:
        days = _numeric(period.frame, self.column)
        known = np.isfinite(days)
        return np.where(known, 1.0 / (1.0 + np.clip(np.where(known, days, 0.0), 0.0, None)), 0.0)


class RFMLogistic:
    """Logistic regression on log1p(recency), log1p(frequency), log1p(monetary) + missing flags."""

    name = "rfm_logistic"

    def __init__(self, seed: int = 42) -> None:
        self.seed = seed
        self.columns: list[str] = []
        self.model = None

    def _matrix(self, frame: pl.DataFrame) -> np.ndarray:
        parts = []
        for column in self.columns:
            values = _numeric(frame, column)
            missing = ~np.isfinite(values)
            parts.append(np.log1p(np.clip(np.where(missing, 0.0, values), 0.0, None)))
            parts.append(missing.astype(float))
        return np.column_stack(parts)

    def fit(self, period: Period, rows: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        recency = recency_column(period.frame.columns)
        columns = [recency, FREQUENCY_COLUMN, MONETARY_COLUMN]
        absent = [c for c in columns[1:] if c not in period.frame.columns]
        if recency is None or absent:
            raise Unavailable("rfm_logistic: the snapshot lacks "
                              + ", ".join(["days since last order"] * (recency is None) + absent))
        self.columns = columns
        self.model = make_pipeline(StandardScaler(),
                                   LogisticRegression(max_iter=1000, random_state=self.seed))
        self.model.fit(self._matrix(period.frame.filter(pl.Series(rows))), period.y[rows])

    def score(self, period: Period) -> np.ndarray:
        return self.model.predict_proba(self._matrix(period.frame))[:, 1]


class BGNBDBaseline:
    """BG/NBD fitted on the orders up to the train date; P(any purchase in H days) per customer."""

    name = "bgnbd"

    def __init__(self, horizon_days: int) -> None:
        self.horizon_days = horizon_days
        self.model = None
        self.no_history_rate = 0.0

    def _history(self, period: Period) -> tuple[np.ndarray, np.ndarray]:
        """(has history, [frequency, recency, T] rows aligned with the snapshot)."""
        if period.orders is None:
            raise Unavailable("bgnbd: no order log to fit on")
        history = order_history(period.orders, period.as_of)
        aligned = (period.frame.select(pl.col(period.id_column).alias(ORDER_ID))
                   .join(history, on=ORDER_ID, how="left", maintain_order="left"))
        stats = aligned.select("frequency", "recency", "T").to_numpy().astype(float)
        return np.isfinite(stats).all(axis=1), stats

    def fit(self, period: Period, rows: np.ndarray) -> None:
        from toolkit.model.bgnbd import BGNBD

        if period.orders is None:
            raise Unavailable("bgnbd: no order log to fit on")
        # every customer's orders up to the train date: the model uses no labels at all
        history = order_history(period.orders, period.as_of)
        if history.height == 0:
            raise Unavailable("bgnbd: no orders on or before the train date")
        self.model = BGNBD().fit(history.get_column("frequency").to_numpy(),
                                 history.get_column("recency").to_numpy(),
                                 history.get_column("T").to_numpy())
        has, _ = self._history(period)
        new = rows & ~has
        self.no_history_rate = float(period.y[new].mean()) if new.any() else 0.0

    def score(self, period: Period) -> np.ndarray:
        has, stats = self._history(period)
        out = np.full(len(has), self.no_history_rate, dtype=float)
        if has.any():
            s = stats[has]
            out[has] = self.model.prob_any_purchase(self.horizon_days, s[:, 0], s[:, 1], s[:, 2])
        return out


class Oracle:
    """The generator's own probability at the date: the ceiling any model can reach."""

    name = "oracle"

    def fit(self, period: Period, rows: np.ndarray) -> None:
        self.score(period)   # the threshold is chosen on the train period's truth

    def score(self, period: Period) -> np.ndarray:
        if period.truth is None:
            raise Unavailable(f"oracle: no truth at {period.as_of.isoformat()}")
        joined = (period.frame.select(pl.col(period.id_column).alias(ID_COLUMN))
                  .join(period.truth, on=ID_COLUMN, how="left", maintain_order="left"))
        p = joined.get_column("true_probability").cast(pl.Float64).to_numpy().astype(float)
        missing = int((~np.isfinite(p)).sum())
        if missing:
            raise Unavailable(f"oracle: {missing:,} customers at {period.as_of.isoformat()} "
                              "have no true probability")
        return p


def make_baselines(horizon_days: int, seed: int = 42) -> list[Scorer]:
    """The four baselines, in :data:`BASELINES` order."""
    return [Recency(), RFMLogistic(seed), BGNBDBaseline(horizon_days), Oracle()]
