import json

import numpy as np
import polars as pl
import pytest

from toolkit.errors import DataError, LeakageError
from toolkit.model.train import TrainConfig, save_run, split_rows, train

FAST = dict(outer_bags=1, interactions=2, n_jobs=1)


def test_split_is_stratified_disjoint_and_seeded():
    y = (np.random.default_rng(0).random(5000) < 0.28).astype(int)
    a = split_rows(y, seed=1, test_size=0.2, validation_size=0.2)
    b = split_rows(y, seed=1, test_size=0.2, validation_size=0.2)
    c = split_rows(y, seed=2, test_size=0.2, validation_size=0.2)
    assert (a == b).all() and not (a == c).all()
    for name, share in (("train", 0.6), ("validation", 0.2), ("test", 0.2)):
        mask = a == name
        assert mask.mean() == pytest.approx(share, abs=0.002)
        assert y[mask].mean() == pytest.approx(y.mean(), abs=0.005)


@pytest.fixture(scope="module")
def trained(toy_table):
    truth = toy_table.select("customer_id", pl.lit(0.3).alias("true_probability"))
    config = TrainConfig(target="purchased_next_30d", id_column="customer_id", seed=3, **FAST)
    return train(toy_table, config, truth=truth)


def test_train_reports_held_out_metrics_and_baselines(trained):
    m = trained.metrics
    assert m["test"]["rows"] == 400 and m["validation"]["rows"] == 400
    assert m["test"]["roc_auc"] > 0.7
    assert m["test"]["roc_auc"] > m["baselines"]["base_rate"]["roc_auc"]
    assert set(m["baselines"]) == {"base_rate", "recency", "logistic_regression", "oracle"}
    # The threshold is the one that maximises F1 on validation rows, not on test rows.
    assert m["validation"]["threshold"] == m["test"]["threshold"]
    assert m["validation"]["f1"] == pytest.approx(m["validation"]["best_f1"])
    assert m["scorecard_check"]["max_abs_difference_vs_interpret"] < 1e-9
    assert "spend_per_order_365d" not in m["training"]["features"]  # inputs absent in the toy table


def test_split_has_every_row_once(trained, toy_table):
    split = trained.split
    assert split.height == toy_table.height
    assert split.get_column("customer_id").to_list() == toy_table.get_column("customer_id").to_list()


def test_save_run_writes_artifacts(trained, tmp_path):
    save_run(trained, tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test"]["threshold"] == trained.metrics["test"]["threshold"]
    assert (tmp_path / "scorecard.json").exists()
    assert pl.read_parquet(tmp_path / "split.parquet").height == 2000


def test_leaky_feature_stops_training(toy_table):
    y = toy_table.get_column("purchased_next_30d")
    leaky = toy_table.with_columns((y * 10.0).alias("next_order_value"))
    config = TrainConfig(target="purchased_next_30d", id_column="customer_id", **FAST)
    with pytest.raises(LeakageError, match="next_order_value"):
        train(leaky, config)


def test_missing_target_is_a_data_error(toy_table):
    config = TrainConfig(target="purchased", id_column="customer_id", **FAST)
    with pytest.raises(DataError, match="did you mean 'purchased_next_30d'"):
        train(toy_table, config)


def test_too_few_rows_is_a_data_error(toy_table):
    config = TrainConfig(target="purchased_next_30d", id_column="customer_id", **FAST)
    with pytest.raises(DataError, match="too few rows to train"):
        train(toy_table.head(30), config)


def test_recency_baseline_ranks_by_days_since_the_last_purchase(trained, toy_table):
    """The recency baseline is the marketer's rule of thumb: more recent buyers first. Its test
    ROC-AUC is exactly that of ranking the test customers by -days_since_last_purchase."""
    from sklearn.metrics import roc_auc_score

    recency = trained.metrics["baselines"]["recency"]
    assert recency["column"] == "days_since_last_purchase"
    test_ids = trained.split.filter(pl.col("split") == "test").get_column("customer_id")
    test = toy_table.filter(pl.col("customer_id").is_in(test_ids.implode()))
    expected = roc_auc_score(test.get_column("purchased_next_30d").to_numpy(),
                             -test.get_column("days_since_last_purchase").to_numpy())
    assert recency["roc_auc"] == pytest.approx(expected, abs=1e-12)


def test_no_recency_baseline_without_a_recency_column(toy_table):
    from toolkit.model.train import recency_column

    assert recency_column(["orders_90d", "days_since_last_order"]) == "days_since_last_order"
    assert recency_column(["orders_90d", "days_since_last_visit", "days_since_last_email"]) is None
    table = toy_table.drop("days_since_last_purchase")
    config = TrainConfig(target="purchased_next_30d", id_column="customer_id", seed=3, **FAST)
    assert "recency" not in train(table, config).metrics["baselines"]
