"""A shop's own customer table for tests (issue 10): not the brief's sample, so its model is
judged by declared targets and baselines, and reports must speak of its own columns."""

from __future__ import annotations

import numpy as np
import polars as pl


def foreign_table(rows: int = 3_000, seed: int = 7) -> pl.DataFrame:
    """A shop's own columns, ~6% buyers, a categorical and an MNAR-missing marketing column."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(3, rows)
    basket = rng.lognormal(3.5, 0.6, rows)
    days = rng.integers(0, 365, rows)
    region = rng.choice(["north", "south", "east", "west"], rows)
    logit = -3.1 + 0.35 * visits - 0.006 * days + 0.3 * (region == "north")
    bought = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    clicks = rng.poisson(2 + 2 * bought, rows).astype(float)
    clicks[rng.random(rows) < np.where(visits < 2, 0.5, 0.1)] = np.nan   # missing mostly for rare visitors
    return pl.DataFrame({"cust_ref": [f"c{i:05d}" for i in range(rows)], "visits_4w": visits,
                         "basket_value_avg": basket, "days_since_visit": days, "region": region,
                         "promo_clicks": clicks, "bought_within_30d": bought})
