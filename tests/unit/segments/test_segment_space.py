"""The clustering space: column choice, log1p, robust scaling, imputation, indicators."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from toolkit.errors import DataError
from toolkit.segments.space import SegmentSpace, default_features, fit_space, select_features


def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "customer_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "orders_90d": [0, 1, 1, 2, 3, 5, 8, 40],                       # count -> log1p
        "total_spend_365d": [0.0, 10.0, 25.5, 40.0, 80.0, 160.0, 900.0, -20.0],  # money (one refund)
        "cart_add_rate": [0.0, 0.1, 0.2, 0.1, 0.3, 0.05, 0.5, 0.9],     # rate -> as is
        "email_opens_30d": [1, None, 3, None, 5, 0, 2, 4],             # missing (no consent)
        "country": ["US", "DE", "US", "FR", "US", "DE", "US", "FR"],    # profile: never clustered
    })


def _iqr_scaled(v: np.ndarray) -> np.ndarray:
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return (v - med) / (q3 - q1)


def test_default_features_are_behaviour_not_profile():
    names = default_features()
    assert "orders_90d" in names and "email_opens_30d" in names and "cart_add_rate" in names
    assert "country" not in names and "age" not in names and "account_age_days" not in names
    assert default_features(["orders_90d", "country", "age"]) == ["orders_90d"]


def test_log1p_for_counts_and_money_rates_as_is_robust_scaling():
    f = _frame()
    space = fit_space(f, clip=None)
    X = space.transform(f)
    assert space.features == ["cart_add_rate", "orders_90d", "total_spend_365d", "email_opens_30d"]
    by = {t.name: t for t in space.transforms}
    assert by["orders_90d"].log and by["total_spend_365d"].log and not by["cart_add_rate"].log
    col = {name: X[:, i] for i, name in enumerate(space.dimensions)}
    orders = np.log1p(f["orders_90d"].to_numpy().astype(float))
    np.testing.assert_allclose(col["orders_90d"], _iqr_scaled(orders), atol=1e-12)
    spend = f["total_spend_365d"].to_numpy()
    signed = np.sign(spend) * np.log1p(np.abs(spend))  # negative net spend stays finite
    np.testing.assert_allclose(col["total_spend_365d"], _iqr_scaled(signed), atol=1e-12)
    np.testing.assert_allclose(col["cart_add_rate"], _iqr_scaled(f["cart_add_rate"].to_numpy()), atol=1e-12)
    assert np.isfinite(X).all()


def test_median_imputation_and_nan_counts_as_missing():
    f = _frame().with_columns(pl.col("cart_add_rate").cast(pl.Float64))
    f = f.with_columns(pl.when(pl.col("customer_id") == 3).then(float("nan"))
                       .otherwise(pl.col("cart_add_rate")).alias("cart_add_rate"))
    space = fit_space(f, clip=None)
    by = {t.name: t for t in space.transforms}
    opens = by["email_opens_30d"]
    present = np.array([1, 3, 5, 0, 2, 4], dtype=float)
    assert opens.impute == np.median(present) == 2.5
    assert math.isclose(opens.missing_share, 2 / 8)
    X = space.transform(f)
    j = space.dimensions.index("email_opens_30d")
    # a missing value lands exactly where the median would
    expected = (math.log1p(2.5) - opens.center) / opens.scale
    assert math.isclose(X[1, j], expected) and math.isclose(X[3, j], expected)
    rate = by["cart_add_rate"]
    assert math.isclose(rate.missing_share, 1 / 8)  # the NaN
    assert rate.impute == float(np.median([0.0, 0.1, 0.1, 0.3, 0.05, 0.5, 0.9]))


def test_indicators_only_on_request_and_only_for_columns_with_missing():
    f = _frame()
    assert fit_space(f).dimensions == fit_space(f).features  # default: no indicators
    space = fit_space(f, indicators=True)
    assert space.dimensions[-1] == "email_opens_30d__missing"
    assert len(space.dimensions) == len(space.features) + 1
    X = space.transform(f)
    assert X[:, -1].tolist() == [0, 1, 0, 1, 0, 0, 0, 0]


def test_zero_iqr_falls_back_to_std_then_unit():
    f = pl.DataFrame({"support_tickets_90d": [0] * 18 + [1, 3], "refund_rate": [0.0] * 20})
    space = fit_space(f, clip=None)
    by = {t.name: t for t in space.transforms}
    assert by["support_tickets_90d"].scale_source == "std"
    v = np.log1p(np.array([0] * 18 + [1, 3], dtype=float))
    assert math.isclose(by["support_tickets_90d"].scale, float(pl.Series(v).std()))
    assert by["refund_rate"].scale_source == "unit" and by["refund_rate"].scale == 1.0
    assert np.isfinite(space.transform(f)).all()


def test_clip_limits_extreme_values():
    f = _frame()
    X = fit_space(f, clip=2.0).transform(f)
    assert X.max() <= 2.0 and X.min() >= -2.0
    assert (np.abs(fit_space(f, clip=None).transform(f)) > 2.0).any()


def test_stored_as_plain_data_and_reapplied_identically():
    import json

    f = _frame()
    space = fit_space(f, indicators=True)
    data = json.loads(json.dumps(space.to_dict()))
    again = SegmentSpace.from_dict(data)
    np.testing.assert_array_equal(space.transform(f), again.transform(f))
    assert {"name", "log", "impute", "center", "scale", "clip"} <= set(data["features"][0])


def test_centroids_back_to_human_units():
    f = _frame()
    space = fit_space(f, clip=None)
    X = space.transform(f)
    human = space.centroids_to_human(X[4])[0]
    assert math.isclose(human["orders_90d"], 3.0, rel_tol=1e-9)
    assert math.isclose(human["total_spend_365d"], 80.0, rel_tol=1e-9)
    assert math.isclose(human["cart_add_rate"], 0.3, rel_tol=1e-9)


def test_unknown_column_logged_only_when_skewed():
    rng = np.random.default_rng(0)
    f = pl.DataFrame({"visits": rng.lognormal(1, 1.2, 500), "score": rng.normal(0, 1, 500)})
    by = {t.name: t for t in fit_space(f, ["visits", "score"]).transforms}
    assert by["visits"].log and not by["score"].log


def test_clear_errors():
    f = _frame()
    with pytest.raises(DataError, match="nosuch"):
        select_features(f, ["orders_90d", "nosuch"])
    with pytest.raises(DataError, match="numeric.*'country'"):
        select_features(f, ["orders_90d", "country"])
    with pytest.raises(DataError, match="without any value"):
        select_features(f.with_columns(pl.lit(None, dtype=pl.Float64).alias("orders_90d")),
                        ["orders_90d", "cart_add_rate"])
    with pytest.raises(DataError, match="fewer than 2"):
        select_features(pl.DataFrame({"a": [1, 2], "orders_90d": [1, 2]}))
