"""Small fitted EBMs for the scorecard tests, built the way toolkit.model.train builds them.

``fitted()`` is cached per process, so test_scorecard.py and test_scorecard_sql.py share one
fit (a few seconds on 2 cores). The data has missing values (null and NaN), a nominal text
column with missing values, a boolean flag (nominal, as train treats flags), an integer
count, a derived ratio, and interactions strong enough for FAST to pick pairs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from toolkit.model.features import Ratio, add_derived
from toolkit.model.model_input import FeatureSpec, to_model_input

ID = "customer_id"
COUNTRIES = ["US", "GB", "DE", "FR", "ES"]
DERIVED = [Ratio("spend_per_order_365d", "total_spend_365d", "orders_365d", "spend per order")]
SPECS = [
    FeatureSpec("orders_90d", "continuous"),
    FeatureSpec("days_since_last_purchase", "continuous"),
    FeatureSpec("total_spend_365d", "continuous"),
    FeatureSpec("orders_365d", "continuous"),
    FeatureSpec("email_click_rate", "continuous"),
    FeatureSpec("country", "nominal"),
    FeatureSpec("newsletter_subscriber", "nominal"),
    FeatureSpec("spend_per_order_365d", "continuous"),
]
RAW_COLUMNS = [s.name for s in SPECS if s.name != "spend_per_order_365d"]


@dataclass(frozen=True)
class Fitted:
    ebm: object
    specs: list[FeatureSpec]
    derived: list[Ratio]
    frame: pl.DataFrame  # raw training frame (no derived columns)
    y: np.ndarray


def customers(rows: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """A raw customer frame (no derived columns) and a 0/1 target with interactions."""
    rng = np.random.default_rng(seed)
    orders_365 = rng.poisson(4.0, rows)
    orders_90 = np.minimum(rng.binomial(orders_365, 0.3), orders_365)
    recency = rng.gamma(2.0, 40.0, rows).round(1)
    spend = np.round(rng.lognormal(4.5, 1.0, rows) * (orders_365 > 0), 2)
    clicks = rng.beta(1.5, 8.0, rows)
    country = rng.choice(COUNTRIES, rows, p=[0.4, 0.2, 0.2, 0.1, 0.1])
    subscriber = rng.random(rows) < 0.35
    z = (-1.0 + 0.5 * orders_90 - 0.012 * recency + 0.004 * orders_90 * recency
         + 1.5 * (country == "DE") * (recency < 40) - 1.2 * (country == "FR") * (recency < 40)
         + 1.6 * subscriber * (clicks > 0.2) - 0.8 * subscriber * (clicks < 0.05) + 1.5 * clicks)
    y = (rng.random(rows) < 1 / (1 + np.exp(-z))).astype(np.int8)
    # missing values: null and NaN in numeric columns, null in text and flags
    recency_col = pl.Series(recency).set(pl.Series(rng.random(rows) < 0.06), None)
    recency_col = recency_col.to_frame("r").select(
        pl.when(pl.Series(rng.random(rows) < 0.04)).then(float("nan")).otherwise(pl.col("r"))).to_series()
    clicks_col = pl.Series(clicks).set(pl.Series(rng.random(rows) < 0.3), None)
    country_col = pl.Series(country.astype(object)).set(pl.Series(rng.random(rows) < 0.05), None)
    frame = pl.DataFrame({
        ID: [f"C{i:06d}" for i in range(rows)],
        "orders_90d": orders_90.astype(np.int64),
        "days_since_last_purchase": recency_col,
        "total_spend_365d": spend,
        "orders_365d": orders_365.astype(np.int64),
        "email_click_rate": clicks_col,
        "country": country_col.cast(pl.Utf8),
        "newsletter_subscriber": pl.Series(subscriber).set(pl.Series(rng.random(rows) < 0.03), None),
    })
    return frame, y


def fit(frame: pl.DataFrame, y: np.ndarray, specs: list[FeatureSpec], derived: list[Ratio], *,
        interactions=3, outer_bags: int = 2, seed: int = 0, **kwargs):
    """Fit exactly as toolkit.model.train does (add_derived, to_model_input, explicit types)."""
    from interpret.glassbox import ExplainableBoostingClassifier

    x = to_model_input(add_derived(frame, derived), specs)
    ebm = ExplainableBoostingClassifier(
        feature_names=[s.name for s in specs], feature_types=[s.type for s in specs],
        interactions=interactions, outer_bags=outer_bags, n_jobs=2, random_state=seed, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # interpret warns about missing values in visualisations
        ebm.fit(x, y)
    return ebm


def model_input(frame: pl.DataFrame, fitted: Fitted):
    return to_model_input(add_derived(frame, fitted.derived), fitted.specs)


def reference_proba(fitted: Fitted, frame: pl.DataFrame) -> np.ndarray:
    """interpret's own probabilities for ``frame``."""
    return fitted.ebm.predict_proba(model_input(frame, fitted))[:, 1]


@lru_cache(maxsize=None)
def fitted() -> Fitted:
    frame, y = customers(4000, seed=11)
    ebm = fit(frame, y, SPECS, DERIVED, interactions=3, outer_bags=2, seed=3)
    return Fitted(ebm, SPECS, DERIVED, frame, y)


def edge_frame(card, fitted: Fitted) -> pl.DataFrame:
    """Rows at every cut (and the doubles either side), missing, NaN, +-inf, huge, unseen."""
    rows: dict[str, list] = {c: [] for c in [ID, *RAW_COLUMNS]}
    base = fitted.frame.row(0, named=True)
    specials = [None, float("nan"), float("inf"), float("-inf"), 1.7976931348623157e308,
                -1.7976931348623157e308, 0.0, -0.0, 5e-324, -1e-300, 1e15 + 0.5]

    def add(**values):
        row = dict(base)
        row.update(values)
        row[ID] = f"E{len(rows[ID]):06d}"
        for c in rows:
            rows[c].append(row[c])

    for feat in card.features:
        name = feat["name"]
        if feat["type"] == "continuous":
            cuts = sorted({c for level in feat["bins"] for c in level})
            values = []
            for c in cuts:
                values += [c, float(np.nextafter(c, -np.inf)), float(np.nextafter(c, np.inf))]
            values += specials
            for v in values:
                if name == "spend_per_order_365d":  # reach the ratio through its inputs
                    add(total_spend_365d=v, orders_365d=1.0)
                else:
                    add(**{name: v})
        else:
            cats = list(feat["bins"][0])
            for v in cats + [None, "", "unseen-category", cats[0].lower() + " ", "O'Brien"]:
                if name == "newsletter_subscriber" and v not in (None,):
                    continue
                add(**{name: v})
    # ratio corner cases: zero, negative, missing and infinite denominators and numerators
    for num, den in [(10.0, 0.0), (10.0, -2.0), (None, 3.0), (5.0, None), (float("nan"), 2.0),
                     (4.0, float("nan")), (float("inf"), 2.0), (float("inf"), float("inf")),
                     (3.0, float("inf")), (-float("inf"), 1.0), (0.0, 0.0)]:
        add(total_spend_365d=num, orders_365d=den)
    # interaction corners: both features of each pair at extremes together
    for a in (None, float("-inf"), float("inf")):
        for b in (None, 0.0, float("nan")):
            add(orders_90d=a, days_since_last_purchase=b, email_click_rate=b)
    schema = {ID: pl.Utf8, "country": pl.Utf8, "newsletter_subscriber": pl.Boolean}
    return pl.DataFrame({c: pl.Series(c, v, dtype=schema.get(c, pl.Float64), strict=False)
                         for c, v in rows.items()})


def shape_bins(cuts, scores, missing: float = 0.0):
    """A continuous shape as the scorecard gives it: a 'missing' bin, then one bin per score
    between consecutive ``cuts`` (open at both ends), for tests of the shape describer."""
    from toolkit.model.scorecard import ShapeBin

    out = [ShapeBin("missing", None, None, missing)]
    edges = [None] + list(cuts) + [None]
    for i, s in enumerate(scores):
        out.append(ShapeBin(f"b{i}", edges[i], edges[i + 1], s))
    return out


# -- a model whose names try to break out of quotes (SQL tests on every engine) --------------

HOSTILE_NUM = 'spend"; DROP TABLE customers; --'
HOSTILE_DEN = "it's `odd` \\ name"
HOSTILE_CAT = "channel\" 'x'"
HOSTILE_ID = 'id"x'
HOSTILE_VALUES = ["O'Brien", "back\\slash", 'quo"te', "semi;colon", "--dash", "tick`s", "plain"]


@dataclass(frozen=True)
class Hostile:
    card: object
    frame: pl.DataFrame   # the training rows plus unseen / missing / huge values
    ebm: object
    specs: list
    derived: list


@lru_cache(maxsize=None)
def hostile() -> Hostile:
    """A model whose column names, ratio name and categories all try to break out of quotes."""
    from toolkit.model.scorecard import compile_ebm

    rng = np.random.default_rng(5)
    n = 1200
    cat = rng.choice(HOSTILE_VALUES, n)
    num = rng.gamma(2.0, 10.0, n)
    den = rng.integers(0, 5, n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.05 * num - 1 + (cat == "O'Brien") * 1.5
                                            + (cat == "back\\slash") * -1.0)))).astype(int)
    frame = pl.DataFrame({HOSTILE_ID: [f"r{i}" for i in range(n)], HOSTILE_NUM: num,
                          HOSTILE_DEN: den, HOSTILE_CAT: cat})
    derived = [Ratio("per'unit", HOSTILE_NUM, HOSTILE_DEN, "")]
    specs = [FeatureSpec(HOSTILE_NUM, "continuous"), FeatureSpec(HOSTILE_DEN, "continuous"),
             FeatureSpec(HOSTILE_CAT, "nominal"), FeatureSpec("per'unit", "continuous")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ebm = fit(frame, y, specs, derived, interactions=2, outer_bags=1, seed=1)
    card = compile_ebm(ebm, specs, derived, threshold=0.5, id_column=HOSTILE_ID, metadata={})
    extra = pl.DataFrame({HOSTILE_ID: ["u1", "u2", "u3"], HOSTILE_NUM: [None, float("nan"), 1e9],
                          HOSTILE_DEN: [0.0, None, 2.0], HOSTILE_CAT: ["o'brien", None, "'; --"]})
    return Hostile(card, pl.concat([frame, extra]), ebm, specs, derived)

