"""Each baseline on small simulated orders: what it ranks by and what it may read."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from backtest_data import hand_snapshot, simulate_orders
from toolkit.backtest.baselines import BGNBDBaseline, Oracle, Recency, RFMLogistic, Unavailable
from toolkit.backtest.evaluate import score_metrics
from toolkit.backtest.history import Period, order_history
from toolkit.model.bgnbd import BGNBD

TRAIN, TEST = date(2025, 12, 31), date(2026, 3, 31)
LABEL = "purchased_next_30d"


@pytest.fixture(scope="module")
def orders() -> pl.DataFrame:
    return simulate_orders()


def period(orders: pl.DataFrame, as_of: date, truth: pl.DataFrame | None = None) -> Period:
    return Period(as_of, hand_snapshot(orders, as_of), LABEL, orders=orders, truth=truth)


def rows_of(p: Period, share: float = 0.6, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(p.frame.height) < share


def test_recency_auc_equals_the_auc_of_minus_days_since_last_purchase(orders):
    train, test = period(orders, TRAIN), period(orders, TEST)
    scorer = Recency()
    scorer.fit(train, rows_of(train))
    score = scorer.score(test)
    days = test.frame.get_column("days_since_last_purchase").to_numpy()
    assert roc_auc_score(test.y, score) == pytest.approx(roc_auc_score(test.y, -days), abs=1e-12)
    assert score_metrics(test.y, score, 0.5)["roc_auc"] == pytest.approx(roc_auc_score(test.y, -days))
    # more recent = higher score, strictly
    order = np.argsort(days)
    assert np.all(np.diff(score[order]) <= 0)


def test_recency_ranks_customers_without_a_value_last():
    frame = pl.DataFrame({"customer_id": ["a", "b", "c"],
                          "days_since_last_purchase": [3.0, None, 400.0], LABEL: [1, 0, 0]})
    p = Period(TEST, frame, LABEL)
    scorer = Recency()
    scorer.fit(p, np.ones(3, bool))
    s = scorer.score(p)
    assert s[0] > s[2] > s[1] == 0.0


def test_rfm_logistic_learns_only_from_the_fit_rows(orders):
    train, test = period(orders, TRAIN), period(orders, TEST)
    rows = rows_of(train)
    first = RFMLogistic()
    first.fit(train, rows)
    # flip every label outside the fit rows: the fitted model must not change
    flipped = train.frame.with_columns(
        pl.when(pl.Series(rows)).then(pl.col(LABEL)).otherwise(1 - pl.col(LABEL)).alias(LABEL))
    second = RFMLogistic()
    second.fit(Period(TRAIN, flipped, LABEL), rows)
    np.testing.assert_allclose(first.score(test), second.score(test))
    assert roc_auc_score(test.y, first.score(test)) > 0.6


def test_rfm_logistic_without_the_columns_is_unavailable():
    frame = pl.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0], LABEL: [1, 0]})
    with pytest.raises(Unavailable, match="rfm_logistic"):
        RFMLogistic().fit(Period(TEST, frame, LABEL), np.ones(2, bool))


def test_order_history_counts_distinct_days_up_to_as_of():
    orders = pl.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "c"],
        "ordered_at": [datetime(2026, 1, 1, 9), datetime(2026, 1, 1, 18), datetime(2026, 1, 11, 8),
                       datetime(2026, 2, 20, 23, 59), datetime(2026, 1, 31, 23, 59),
                       datetime(2026, 2, 1, 0, 0)],
    })
    h = order_history(orders, date(2026, 1, 31)).sort("customer_id")
    assert h.get_column("customer_id").to_list() == ["a", "b"]     # c's first order is later
    assert h.get_column("frequency").to_list() == [1.0, 0.0]         # two days for a, one for b
    assert h.get_column("recency").to_list() == [10.0, 0.0]
    assert h.get_column("T").to_list() == [30.0, 0.0]                # the as-of day counts


def test_bgnbd_matches_the_model_fitted_on_orders_up_to_the_train_date(orders):
    train, test = period(orders, TRAIN), period(orders, TEST)
    scorer = BGNBDBaseline(30)
    scorer.fit(train, rows_of(train))
    h = order_history(orders, TRAIN)
    direct = BGNBD().fit(h["frequency"].to_numpy(), h["recency"].to_numpy(), h["T"].to_numpy())
    np.testing.assert_allclose(scorer.model.params_, direct.params_)
    at_test = (test.frame.select("customer_id")
               .join(order_history(orders, TEST), on="customer_id", how="left", maintain_order="left"))
    expected = direct.prob_any_purchase(30, at_test["frequency"].to_numpy(),
                                        at_test["recency"].to_numpy(), at_test["T"].to_numpy())
    np.testing.assert_allclose(scorer.score(test), expected, rtol=1e-9)
    assert roc_auc_score(test.y, scorer.score(test)) > 0.6


def test_bgnbd_uses_only_history_up_to_the_scored_date(orders):
    train, test = period(orders, TRAIN), period(orders, TEST)
    scorer = BGNBDBaseline(30)
    scorer.fit(train, rows_of(train))
    before = scorer.score(test)
    ids = test.frame.get_column("customer_id").head(200).to_list()
    later = pl.DataFrame({"customer_id": ids * 5,          # the day after the test date
                          "ordered_at": [datetime(2026, 4, 1, 0, 0)] * 1000,
                          "amount": [1e6] * 1000}).with_columns(pl.col("ordered_at").cast(pl.Datetime("us")))
    extended = pl.concat([orders, later])
    after = scorer.score(Period(TEST, test.frame, LABEL, orders=extended))
    np.testing.assert_array_equal(before, after)
    # ...and the same rows dated on the test day do change the scores (the test has teeth)
    same_day = later.with_columns(pl.lit(datetime(2026, 3, 31, 23, 0)).cast(pl.Datetime("us")).alias("ordered_at"))
    changed = scorer.score(Period(TEST, test.frame, LABEL, orders=pl.concat([orders, same_day])))
    assert not np.allclose(before, changed)


def test_bgnbd_fit_ignores_orders_after_the_train_date(orders):
    train = period(orders, TRAIN)
    a = BGNBDBaseline(30)
    a.fit(train, rows_of(train))
    future = orders.filter(pl.col("ordered_at").cast(pl.Date) > TRAIN).with_columns(
        pl.col("customer_id") + "x")   # different customers, all in the future
    b = BGNBDBaseline(30)
    b.fit(Period(TRAIN, train.frame, LABEL, orders=pl.concat([orders, future])), rows_of(train))
    np.testing.assert_array_equal(a.model.params_, b.model.params_)


def test_bgnbd_gives_customers_without_orders_the_train_period_rate(orders):
    train = period(orders, TRAIN)
    extra = pl.DataFrame({"customer_id": [f"N{i}" for i in range(10)],
                          LABEL: [1, 1, 0, 0, 0, 1, 0, 0, 1, 1]}).with_columns(pl.col(LABEL).cast(pl.Int8))
    frame = pl.concat([train.frame, extra], how="diagonal_relaxed")
    p = Period(TRAIN, frame, LABEL, orders=orders)
    rows = np.ones(frame.height, bool)
    rows[-2:] = False                 # the last two new customers are not training rows
    scorer = BGNBDBaseline(30)
    scorer.fit(p, rows)
    s = scorer.score(p)
    assert s[-10:] == pytest.approx([0.375] * 10)   # 3 buyers among the 8 training rows


def test_oracle_is_the_truth_at_the_date_and_refuses_gaps():
    frame = pl.DataFrame({"customer_id": ["b", "a"], LABEL: [1, 0]})
    truth = pl.DataFrame({"customer_id": ["a", "b"], "true_probability": [0.2, 0.9]})
    oracle = Oracle()
    assert oracle.score(Period(TEST, frame, LABEL, truth=truth)).tolist() == [0.9, 0.2]
    with pytest.raises(Unavailable, match="1 customers"):
        oracle.score(Period(TEST, frame, LABEL, truth=truth.head(1)))
    with pytest.raises(Unavailable, match="no truth"):
        oracle.fit(Period(TEST, frame, LABEL), np.ones(2, bool))


def test_lift_of_the_top_decile():
    y = np.array([1] * 10 + [0] * 90)
    score = np.linspace(1, 0, 100)        # the ten buyers first
    m = score_metrics(y, score, 0.5)
    assert m["lift_top_decile"] == pytest.approx(10.0)
    assert m["roc_auc"] == 1.0 and set(m) >= {"roc_auc", "pr_auc", "f1", "lift_top_decile"}
