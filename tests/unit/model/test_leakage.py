import numpy as np
import polars as pl
import pytest

from toolkit.model import leakage
from toolkit.errors import LeakageError


def _audit(frame, features, allow=()):
    y = frame.get_column("purchased_next_30d").to_numpy()
    types = {f: ("nominal" if frame.schema[f] in (pl.Utf8, pl.Boolean) else "continuous") for f in features}
    return leakage.audit(frame, y, features, types, id_column="customer_id",
                         target="purchased_next_30d", allow=allow)


def test_clean_features_pass(toy_table):
    features = ["orders_90d", "days_since_last_purchase", "acquisition_channel", "email_opens_30d"]
    report = _audit(toy_table, features)
    assert report.refused == []
    leakage.raise_if_refused(report)
    assert 0.5 <= report.single_feature_auc["orders_90d"] < 0.95


def test_injected_leaky_column_is_caught(toy_table):
    rng = np.random.default_rng(0)
    y = toy_table.get_column("purchased_next_30d").to_numpy()
    # e.g. a refund amount on the next order: zero unless the customer bought.
    leaky = toy_table.with_columns(pl.Series("refund_amount", y * rng.uniform(5, 50, len(y))))
    report = _audit(leaky, ["orders_90d", "refund_amount"])
    assert [f.feature for f in report.refused] == ["refund_amount"]
    with pytest.raises(LeakageError, match="(?s)refund_amount: alone separates.*--allow-feature refund_amount"):
        leakage.raise_if_refused(report)
    assert _audit(leaky, ["orders_90d", "refund_amount"], allow=["refund_amount"]).refused == []


def test_future_names_and_target_and_id_refused(toy_table):
    frame = toy_table.with_columns(pl.col("orders_90d").alias("orders_next_month"),
                                   pl.col("orders_90d").alias("spend_after_signup_window"))
    report = _audit(frame, ["orders_next_month", "spend_after_signup_window", "customer_id",
                            "purchased_next_30d"])
    reasons = {f.feature: f.reason for f in report.refused}
    assert "future" in reasons["orders_next_month"]
    assert "future" in reasons["spend_after_signup_window"]
    assert "customer id" in reasons["customer_id"]
    assert "target itself" in reasons["purchased_next_30d"]
    with pytest.raises(LeakageError) as err:
        leakage.raise_if_refused(report)
    assert "--allow-feature customer_id" not in str(err.value)


def test_nominal_leak_via_category(toy_table):
    y = toy_table.get_column("purchased_next_30d").to_numpy()
    frame = toy_table.with_columns(pl.Series("order_status", np.where(y == 1, "shipped", "none")))
    report = _audit(frame, ["order_status", "acquisition_channel"])
    assert [f.feature for f in report.refused] == ["order_status"]


def test_unique_text_per_customer_is_not_flagged_by_memorisation(toy_table):
    frame = toy_table.with_columns(pl.col("customer_id").alias("email_hash"))
    report = _audit(frame, ["email_hash"])
    assert report.refused == []
