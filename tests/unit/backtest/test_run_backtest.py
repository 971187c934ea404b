"""run_backtest from raw logs through the real snapshot builder (toolkit.snapshot)."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from backtest_data import write_logs
from toolkit.backtest import BacktestConfig, plan_folds, run_backtest
from toolkit.backtest.evaluate import _orders_of, count_steps
from toolkit.snapshot import load_sources

SMALL = BacktestConfig(horizon_days=30, outer_bags=1, interactions=0, n_jobs=1)


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bt_run") / "logs"
    write_logs(folder, customers=900, seed=21)
    return folder


def test_each_date_is_built_once_and_every_step_is_reported(logs, monkeypatch):
    import toolkit.snapshot as snapshot

    built = []
    real = snapshot.build_snapshot

    def counting(sources, as_of, horizon_days=30, **kw):
        built.append(as_of)
        return real(sources, as_of, horizon_days, **kw)

    monkeypatch.setattr(snapshot, "build_snapshot", counting)
    folds = plan_folds(["2026-01-31", "2026-03-31", "2026-04-30"], 30)
    steps = []
    document = run_backtest(load_sources(logs), folds, SMALL, step=steps.append)
    assert built == [date(2026, 1, 31), date(2026, 3, 31), date(2026, 4, 30)]
    assert len(steps) == count_steps(folds) == 7
    assert [f["test_as_of"] for f in document["folds"]] == ["2026-03-31", "2026-04-30"]
    assert document["label"] == "purchased_next_30d" and "orders" in document["sources"]
    for fold in document["folds"]:
        assert fold["model"]["roc_auc"] > 0.6
        assert set(fold["baselines"]) == {"recency", "rfm_logistic", "bgnbd"}   # no truth given


def test_bgnbd_reads_orders_as_the_snapshot_counts_them(tmp_path):
    """A negative amount is a refund row in the snapshot, not an order; BG/NBD agrees."""
    orders = pl.DataFrame({
        "customer_id": ["a", "a", "b"],
        "ordered_at": [datetime(2026, 1, 1), datetime(2026, 1, 5), datetime(2026, 1, 2)],
        "amount": [20.0, -20.0, 15.0],
    })
    orders.write_csv(tmp_path / "orders.csv")
    read = _orders_of(load_sources(orders=tmp_path / "orders.csv"))
    assert read.columns == ["customer_id", "ordered_at"]
    assert sorted(read.get_column("customer_id").to_list()) == ["a", "b"]
