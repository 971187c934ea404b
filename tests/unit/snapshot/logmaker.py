"""Small random raw logs for the snapshot tests (vectorised numpy, seconds at most)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl

START = dt.datetime(2025, 1, 1)
CATEGORIES = ("books", "toys", "garden", "shoes", "beauty", "games")


def _times(rng: np.random.Generator, n: int, days: int) -> np.ndarray:
    seconds = rng.integers(0, days * 86400, n)
    return np.datetime64(START, "us") + seconds.astype("timedelta64[s]").astype("timedelta64[us]")


def make_logs(customers: int = 300, days: int = 420, seed: int = 0) -> dict[str, pl.DataFrame]:
    """Orders, sessions, marketing and customers tables covering ``days`` days from START."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:07d}" for i in range(customers)])
    signup = _times(rng, customers, days // 2)
    n_orders = customers * 6
    o_cust = rng.integers(0, customers, n_orders)
    orders = pl.DataFrame({
        "order_id": [f"O{i:08d}" for i in range(n_orders)],
        "customer_id": ids[o_cust],
        "ordered_at": _times(rng, n_orders, days),
        "amount": np.round(rng.lognormal(3.5, 0.6, n_orders), 2),
        "items": rng.integers(1, 5, n_orders).astype(np.int32),
        "category": rng.choice(CATEGORIES, n_orders),
        "discount": rng.random(n_orders) < 0.3,
        "refunded": rng.random(n_orders) < 0.05,
    })
    n_s = customers * 20
    s_cust = rng.integers(0, customers, n_s)
    pv = rng.integers(1, 20, n_s)
    prv = rng.integers(0, pv + 1)
    sessions = pl.DataFrame({
        "customer_id": ids[s_cust], "started_at": _times(rng, n_s, days),
        "duration_s": rng.exponential(300, n_s), "page_views": pv.astype(np.int32),
        "product_views": prv.astype(np.int32),
        "searches": rng.integers(0, 4, n_s).astype(np.int32),
        "cart_adds": rng.integers(0, prv + 1).astype(np.int32),
        "checkout_starts": rng.integers(0, 2, n_s).astype(np.int32),
        "wishlist_adds": rng.integers(0, 2, n_s).astype(np.int32),
        "reviews_written": (rng.random(n_s) < 0.05).astype(np.int32),
        "support_tickets": (rng.random(n_s) < 0.03).astype(np.int32),
        "device": rng.choice(["mobile", "desktop", "tablet"], n_s),
        "is_app": rng.random(n_s) < 0.4,
    })
    n_m = customers * 15
    marketing = pl.DataFrame({
        "customer_id": ids[rng.integers(0, customers, n_m)], "event_at": _times(rng, n_m, days),
        "channel": rng.choice(["email", "push", "sms"], n_m),
        "event": rng.choice(["sent", "open", "click", "redeem"], n_m, p=[0.5, 0.25, 0.15, 0.1]),
    })
    profiles = pl.DataFrame({
        "customer_id": ids, "signup_at": signup,
        "country": rng.choice(["US", "GB", "DE"], customers),
        "device_type": rng.choice(["mobile", "desktop", "tablet"], customers),
        "acquisition_channel": rng.choice(["organic", "social"], customers),
        "loyalty_tier": rng.choice(["none", "gold"], customers),
        "newsletter_subscriber": rng.random(customers) < 0.5,
        "age": rng.integers(18, 80, customers).astype(np.int16),
        "email_consent": rng.random(customers) < 0.9, "push_enabled": rng.random(customers) < 0.7,
        "sms_opt_in": rng.random(customers) < 0.5, "offers_opt_in": rng.random(customers) < 0.9,
    })
    return {"orders": orders, "sessions": sessions, "marketing": marketing, "customers": profiles}


def write_logs(folder: Path, tables: dict[str, pl.DataFrame], days: int = 420,
               default_as_of: dt.date | None = None) -> Path:
    """The tables as a logs folder (``<name>.parquet`` + logs.json), like `segkit generate --logs`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.write_parquet(folder / f"{name}.parquet")
    end = (START + dt.timedelta(days=days - 1)).date()
    as_of = default_as_of or end - dt.timedelta(days=60)
    (folder / "logs.json").write_text(json.dumps({
        "generator": "tests", "seed": 0, "customers": tables["customers"].height,
        "start": START.date().isoformat(), "end": end.isoformat(),
        "as_of_dates": [as_of.isoformat()], "default_as_of": as_of.isoformat(),
        "horizon_days": 30, "files": {n: f"{n}.parquet" for n in tables}}))
    return folder
