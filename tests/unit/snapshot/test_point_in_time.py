"""Point in time by construction: rows after as-of change nothing but the label.

A snapshot is built, then every table gets arbitrary rows after as-of (the first instant
after it, extreme amounts and counts, refunds, new customers, new categories, channels and
events, sign-ups after as-of) and the snapshot is rebuilt: every feature of every customer
must be identical and no customer may appear.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from logmaker import make_logs, write_logs

from toolkit.snapshot import build_snapshot, load_sources

AS_OF = dt.date(2025, 9, 30)


def _future(frame: pl.DataFrame, time: str, rng: np.random.Generator, n: int = 400) -> pl.DataFrame:
    """``n`` rows after as-of: half copy existing rows (same customers) with new times and
    extreme values, half belong to new customers."""
    first = dt.datetime.combine(AS_OF, dt.time()) + dt.timedelta(days=1)
    sample = frame.sample(n, with_replacement=True, seed=int(rng.integers(1 << 30)))
    offsets = rng.integers(0, 200 * 86400, n)
    offsets[:5] = 0  # exactly the first instant after the as-of day
    times = [first + dt.timedelta(seconds=int(s)) for s in offsets]
    new_ids = [f"NEW{i:05d}" for i in range(n)]
    ids = [new_ids[i] if i % 2 else cid for i, cid in enumerate(sample.get_column("customer_id"))]
    out = sample.with_columns(pl.Series("customer_id", ids), pl.Series(time, times).cast(frame.schema[time]))
    extreme = {}
    for name, dtype in frame.schema.items():
        if name in ("customer_id", time):
            continue
        if dtype.is_float():
            extreme[name] = pl.Series(name, rng.choice([1e12, -1e9, 0.0], n)).cast(dtype)
        elif dtype.is_integer():
            extreme[name] = pl.Series(name, rng.choice([0, 30000], n)).cast(dtype)
        elif dtype == pl.String:
            extreme[name] = pl.Series(name, rng.choice(["never-seen-before", "fax", "click", "redeem"], n))
        elif dtype == pl.Boolean:
            extreme[name] = pl.Series(name, rng.random(n) < 0.5)
    return out.with_columns(**extreme).select(frame.columns)


@pytest.mark.parametrize("seed", [0, 1])
def test_rows_after_as_of_change_no_feature_and_add_no_customer(tmp_path, seed):
    tables = make_logs(customers=200, days=420, seed=seed)
    before_dir = write_logs(tmp_path / "before", tables)
    rng = np.random.default_rng(seed + 100)
    times = {"orders": "ordered_at", "sessions": "started_at", "marketing": "event_at"}
    after = {name: pl.concat([frame, _future(frame, times[name], rng)]) for name, frame in tables.items()
             if name in times}
    late = tables["customers"].head(50).with_columns(
        pl.format("LATE{}", pl.int_range(50)).alias("customer_id"),
        pl.lit(dt.datetime.combine(AS_OF, dt.time()) + dt.timedelta(days=1)).cast(pl.Datetime("us")).alias("signup_at"))
    after["customers"] = pl.concat([tables["customers"], late])
    after_dir = write_logs(tmp_path / "after", after)

    a = build_snapshot(load_sources(before_dir), AS_OF, 30)
    b = build_snapshot(load_sources(after_dir), AS_OF, 30)
    assert a.frame.columns == b.frame.columns
    assert a.frame.height == b.frame.height > 100
    features = [c for c in a.frame.columns if c != a.label]
    assert len(features) == 1 + 42  # every feature of all four tables is under test
    assert a.frame.select(features).equals(b.frame.select(features))  # nulls compare equal
    # the label does read later rows: new orders after as-of can only add positives
    assert b.frame.get_column(b.label).sum() >= a.frame.get_column(a.label).sum()


def test_orders_only_snapshot_is_point_in_time_too(tmp_path):
    tables = make_logs(customers=150, seed=3)
    orders = tables["orders"].drop("refunded", "discount", "items", "category", "order_id")
    before = tmp_path / "o1.csv"
    orders.write_csv(before)
    rng = np.random.default_rng(5)
    after = tmp_path / "o2.csv"
    pl.concat([orders, _future(orders, "ordered_at", rng)]).write_csv(after)
    a = build_snapshot(load_sources(orders=before), AS_OF, 30)
    b = build_snapshot(load_sources(orders=after), AS_OF, 30)
    cols = [c for c in a.frame.columns if c != a.label]
    assert a.frame.select(cols).equals(b.frame.select(cols))
