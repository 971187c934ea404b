"""Shared fixtures: small generated tables, so unit tests stay fast."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest


@pytest.fixture(scope="session")
def toy_table() -> pl.DataFrame:
    """2,000 customers with a numeric, a nominal, a boolean and a missing-heavy column."""
    rng = np.random.default_rng(7)
    n = 2000
    orders = rng.poisson(2.0, n)
    recency = rng.integers(0, 200, n).astype(float)
    channel = rng.choice(["organic", "paid", "social"], n)
    consent = rng.random(n) < 0.9
    opens = np.where(consent, rng.poisson(3, n), -1)
    logit = -1.2 + 0.6 * orders - 0.015 * recency + (channel == "social") * 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return pl.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)],
        "orders_90d": orders,
        "days_since_last_purchase": recency,
        "acquisition_channel": channel,
        "newsletter_subscriber": rng.random(n) < 0.4,
        "email_opens_30d": pl.Series(opens).cast(pl.Int64).replace(-1, None),
        "purchased_next_30d": y,
    })
