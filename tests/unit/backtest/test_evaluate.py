"""Fold evaluation: the test period never tunes anything; backtest.json, chart and table."""

from __future__ import annotations

import io
import json
from datetime import date

import numpy as np
import polars as pl
import pytest
from rich.console import Console

from backtest_data import hand_snapshot, simulate_orders
from toolkit.backtest import BacktestConfig, Period, evaluate_fold, result_document, write_backtest
from toolkit.backtest.evaluate import verdict
from toolkit.backtest.table import backtest_lines, backtest_table
from toolkit.run.folder import BACKTEST

TRAIN, TEST = date(2025, 12, 31), date(2026, 3, 31)
LABEL = "purchased_next_30d"
SMALL = BacktestConfig(horizon_days=30, outer_bags=1, interactions=0, n_jobs=1)
FOLD_KEYS = {"train_as_of", "test_as_of", "rows", "positives", "model", "baselines"}
METRIC_KEYS = {"roc_auc", "pr_auc", "f1", "lift_top_decile"}


@pytest.fixture(scope="module")
def orders() -> pl.DataFrame:
    return simulate_orders(2000, seed=5)


def truth_for(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """A stand-in oracle: a noisy copy of the label (what matters here is the plumbing)."""
    rng = np.random.default_rng(seed)
    y = frame.get_column(LABEL).to_numpy()
    return pl.DataFrame({"customer_id": frame.get_column("customer_id"),
                         "true_probability": np.clip(0.6 * y + 0.4 * rng.random(len(y)), 0, 1)})


@pytest.fixture(scope="module")
def periods(orders):
    train_frame, test_frame = hand_snapshot(orders, TRAIN), hand_snapshot(orders, TEST)
    return (Period(TRAIN, train_frame, LABEL, orders=orders, truth=truth_for(train_frame, 1)),
            Period(TEST, test_frame, LABEL, orders=orders, truth=truth_for(test_frame, 2)))


@pytest.fixture(scope="module")
def fold(periods):
    return evaluate_fold(*periods, SMALL)


def thresholds(fold: dict) -> dict:
    return {"model": fold["model"]["threshold"],
            **{name: m["threshold"] for name, m in fold["baselines"].items()}}


def test_fold_has_the_contract_keys(fold, periods):
    assert FOLD_KEYS <= set(fold)
    assert fold["train_as_of"] == "2025-12-31" and fold["test_as_of"] == "2026-03-31"
    test = periods[1]
    assert fold["rows"] == test.frame.height and fold["positives"] == int(test.y.sum())
    assert set(fold["baselines"]) == {"recency", "rfm_logistic", "bgnbd", "oracle"}
    for m in [fold["model"], *fold["baselines"].values()]:
        assert METRIC_KEYS <= set(m)
        assert 0.5 < m["roc_auc"] <= 1.0
    assert "notes" not in fold


def test_changing_test_labels_leaves_every_threshold_unchanged(fold, periods):
    train, test = periods
    rng = np.random.default_rng(9)
    shuffled = test.frame.with_columns(pl.Series(LABEL, rng.permutation(test.y)).cast(pl.Int8))
    other = evaluate_fold(train, Period(TEST, shuffled, LABEL, orders=test.orders, truth=test.truth), SMALL)
    assert thresholds(other) == thresholds(fold)
    # the labels did reach the metrics (so this test could fail)
    assert other["model"]["roc_auc"] < fold["model"]["roc_auc"] - 0.1


def test_changing_train_labels_moves_thresholds(fold, periods):
    """The converse: thresholds are chosen on the train period, so its labels matter."""
    train, test = periods
    rng = np.random.default_rng(4)
    y = train.y.copy()
    flip = rng.random(len(y)) < 0.3
    y[flip] = 1 - y[flip]
    noisy = train.frame.with_columns(pl.Series(LABEL, y).cast(pl.Int8))
    other = evaluate_fold(Period(TRAIN, noisy, LABEL, orders=train.orders, truth=train.truth), test, SMALL)
    assert thresholds(other)["recency"] != thresholds(fold)["recency"]


def test_without_truth_there_is_no_oracle(periods):
    train, test = periods
    plain = evaluate_fold(Period(TRAIN, train.frame, LABEL, orders=train.orders),
                          Period(TEST, test.frame, LABEL, orders=test.orders), SMALL)
    assert set(plain["baselines"]) == {"recency", "rfm_logistic", "bgnbd"}
    assert "notes" not in plain


def test_truth_missing_at_one_date_leaves_the_oracle_out_with_a_note(periods):
    train, test = periods
    half = evaluate_fold(Period(TRAIN, train.frame, LABEL, orders=train.orders), test, SMALL)
    assert "oracle" not in half["baselines"]
    assert half["notes"] == ["oracle: no truth at 2025-12-31"]


def test_backtest_json_chart_and_run_copy(fold, tmp_path):
    document = result_document([fold, fold], SMALL, label=LABEL, sources={"orders": "x"})
    written = write_backtest(document, tmp_path / "bt", run=tmp_path / "run")
    assert {p.name for p in written} == {"backtest.json", "backtest.png"}
    data = json.loads((tmp_path / "bt" / "backtest.json").read_text())
    assert list(data)[0] == "folds" and len(data["folds"]) == 2
    for f in data["folds"]:
        assert FOLD_KEYS <= set(f)
        assert set(f["baselines"]) == {"recency", "rfm_logistic", "bgnbd", "oracle"}
    assert data["horizon_days"] == 30 and "P(at least one purchase" in data["baselines"]["bgnbd"]
    assert json.loads((tmp_path / "run" / BACKTEST).read_text()) == data
    png = (tmp_path / "bt" / "backtest.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    # the run gets the chart too: its report shows it beside the fold table
    assert (tmp_path / "run" / "backtest.png").read_bytes() == png
    assert len(written) == 4


def test_table_fits_80_columns_with_whole_numbers(fold):
    big = {**fold, "rows": 180_000, "train_rows": 179_000, "positives": 50_400}
    document = result_document([fold, fold, big], SMALL, label=LABEL)
    console = Console(width=80, file=io.StringIO(), color_system=None)
    console.print(backtest_table(document))
    for line in backtest_lines(document):
        console.print(line)
    text = console.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert f"{fold['model']['roc_auc']:.3f}" in text
    assert "BG/NBD" in text and "oracle" in text
    assert "(180,000 rows, 50,400 buyers)" in text     # on one line, whole
    assert "segkit" in text and "baseline" in text


def test_verdict_compares_the_model_with_every_baseline_on_every_fold():
    def f(model, **base):
        return {"model": {"roc_auc": model}, "baselines": {k: {"roc_auc": v} for k, v in base.items()}}

    good = verdict([f(0.90, recency=0.85, bgnbd=0.88, oracle=0.905), f(0.89, recency=0.84, oracle=0.895)])
    assert good["beats_every_baseline"] and good["within_oracle_tolerance"]
    assert good["smallest_margin_over_baselines"] == pytest.approx(0.02)
    bad = verdict([f(0.90, recency=0.85, oracle=0.93), f(0.88, bgnbd=0.885)])
    assert not bad["beats_every_baseline"] and not bad["within_oracle_tolerance"]
    assert bad["largest_gap_to_oracle"] == pytest.approx(0.03)
