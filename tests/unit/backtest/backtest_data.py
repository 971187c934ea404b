"""Small hand-made logs for the backtest tests: orders simulated per customer, and a snapshot
built from them by the contract's time rule (features up to as-of, label in (as-of, as-of+H]).

The real snapshot (toolkit.snapshot) is tested on its own; these frames keep the backtest's
tests independent of it and fast.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

START = date(2025, 1, 1)
END = date(2026, 6, 30)


def simulate_orders(customers: int = 1500, seed: int = 3) -> pl.DataFrame:
    """Orders of ``customers`` buyers: a Gamma-distributed daily rate, a first order in the
    first year, and a random lifetime after which they stop (so recency matters)."""
    rng = np.random.default_rng(seed)
    span = (END - START).days
    rows_id, rows_day, rows_amount = [], [], []
    for i in range(customers):
        rate = rng.gamma(0.8, 1 / 25)                  # mean ~1 order a month, heavy tail
        first = int(rng.integers(0, 365))
        life = first + int(rng.exponential(300))
        day = first
        while day <= min(life, span):
            rows_id.append(f"C{i:07d}")
            rows_day.append(day)
            rows_amount.append(float(np.round(rng.gamma(2.0, 30.0) + 1, 2)))
            day += int(rng.exponential(1 / max(rate, 1e-3))) + 1
    start = datetime(START.year, START.month, START.day, 10, 30)
    return pl.DataFrame({
        "customer_id": rows_id,
        "ordered_at": [start + timedelta(days=d) for d in rows_day],
        "amount": rows_amount,
    }).with_columns(pl.col("ordered_at").cast(pl.Datetime("us")))


def hand_snapshot(orders: pl.DataFrame, as_of: date, horizon: int = 30) -> pl.DataFrame:
    """The transactional part of a snapshot at ``as_of``, labelled, for customers with an order
    on or before it."""
    day = pl.col("ordered_at").cast(pl.Date)
    past = orders.filter(day <= as_of)
    feats = past.group_by("customer_id").agg(
        (pl.lit(as_of) - day.max()).dt.total_days().cast(pl.Float64).alias("days_since_last_purchase"),
        (day > as_of - timedelta(days=90)).sum().cast(pl.Int64).alias("orders_90d"),
        (day > as_of - timedelta(days=365)).sum().cast(pl.Int64).alias("orders_365d"),
        pl.col("amount").filter(day > as_of - timedelta(days=365)).sum().alias("total_spend_365d"),
        (pl.lit(as_of) - day.min()).dt.total_days().cast(pl.Float64).alias("days_since_first_purchase"),
    )
    label = f"purchased_next_{horizon}d"
    buyers = (orders.filter((day > as_of) & (day <= as_of + timedelta(days=horizon)))
              .select("customer_id").unique().with_columns(pl.lit(1).cast(pl.Int8).alias(label)))
    return (feats.join(buyers, on="customer_id", how="left")
            .with_columns(pl.col(label).fill_null(0))
            .sort("customer_id"))


AS_OF_DATES = ("2025-10-31", "2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28",
               "2026-03-31", "2026-04-30", "2026-05-31")


def write_logs(folder, customers: int = 1500, seed: int = 3) -> dict:
    """A logs folder to the contract (orders.parquet, logs.json, truth.parquet), small.

    The truth here is a stand-in (the label blurred with noise), enough to exercise the oracle's
    plumbing; the generated logs' truth is the simulation's own probability.
    """
    import json
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    orders = simulate_orders(customers, seed)
    orders = orders.with_columns(pl.format("O{}", pl.int_range(pl.len())).alias("order_id"))
    orders.select("order_id", "customer_id", "ordered_at", "amount").write_parquet(folder / "orders.parquet")
    rng = np.random.default_rng(seed)
    truth = []
    for text in AS_OF_DATES:
        day = date.fromisoformat(text)
        snap = hand_snapshot(orders, day)
        y = snap.get_column("purchased_next_30d").to_numpy()
        truth.append(pl.DataFrame({
            "customer_id": snap.get_column("customer_id"),
            "as_of": [day] * snap.height,
            "true_probability": np.clip(0.55 * y + 0.45 * rng.random(len(y)), 0.0, 1.0),
            "latent_type": ["any"] * snap.height,
        }))
    pl.concat(truth).write_parquet(folder / "truth.parquet")
    info = {"generator": "tests", "seed": seed, "customers": customers,
            "start": START.isoformat(), "end": END.isoformat(), "as_of_dates": list(AS_OF_DATES),
            "default_as_of": AS_OF_DATES[-1], "horizon_days": 30,
            "files": {"orders": "orders.parquet", "truth": "truth.parquet"}}
    (folder / "logs.json").write_text(json.dumps(info, indent=2))
    return info
