"""Small schema-shaped customer tables with known clusters, for the segmentation tests.

Each latent type has its own typical value for every numeric feature of the schema (drawn on
a log scale, so the columns are skewed like real customer data); ``separation`` sets how far
apart the types are. Marketing fields are missing for ~25% of customers (no consent).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from toolkit import schema
from toolkit.segments.space import default_features


def blobs(rows: int = 3000, k: int = 4, seed: int = 0, separation: float = 3.0,
          missing: float = 0.25) -> tuple[pl.DataFrame, np.ndarray]:
    """(customers, true type per row). Types are well separated for separation >= 3."""
    rng = np.random.default_rng(seed)
    feats = default_features()
    truth = rng.integers(0, k, rows)
    # a type differs from the others on a few "signature" features, strongly
    centers = rng.normal(0, 1, (k, len(feats))) * 0.3
    for t in range(k):
        sig = rng.choice(len(feats), 4, replace=False)
        centers[t, sig] += rng.choice([-1, 1], 4) * separation * 0.5
    z = centers[truth] + rng.normal(0, 0.35, (rows, len(feats)))
    data: dict[str, object] = {schema.ID_COLUMN: np.arange(1, rows + 1)}
    for j, name in enumerate(feats):
        kind = schema.BY_NAME[name].kind
        v = z[:, j]
        if kind == "rate":
            col = 1 / (1 + np.exp(-(v * 1.5 - 1)))
        elif kind in ("count", "days"):
            col = np.round(np.expm1(np.clip(v + 2.5, 0, None))).astype(np.int64)
        else:  # money, seconds
            col = np.round(np.expm1(np.clip(v + 4, 0, None)), 2)
        data[name] = col
    frame = pl.DataFrame(data)
    no_email = rng.random(rows) < missing
    no_push = rng.random(rows) < missing
    frame = frame.with_columns(
        *[pl.when(pl.Series(no_email)).then(None).otherwise(pl.col(c)).alias(c)
          for c in ("email_opens_30d", "email_clicks_30d", "days_since_last_email_click")],
        pl.when(pl.Series(no_push)).then(None).otherwise(pl.col("push_click_rate")).alias("push_click_rate"),
    )
    frame = frame.with_columns(
        pl.Series("country", rng.choice(schema.COUNTRIES, rows)),
        pl.Series("device_type", np.where(truth % 2 == 0, "mobile", rng.choice(schema.DEVICES, rows))),
        pl.Series("loyalty_tier", rng.choice(schema.LOYALTY_TIERS, rows)),
        pl.Series("newsletter_subscriber", rng.random(rows) < 0.4),
        pl.Series("age", rng.integers(18, 80, rows)),
        pl.Series(schema.TARGET_COLUMN, (rng.random(rows) < 0.1 + 0.15 * (truth % 3)).astype(np.int8)),
    )
    return frame, truth
