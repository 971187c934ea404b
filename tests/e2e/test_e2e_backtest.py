"""`segkit backtest` as a user runs it: the installed script, a fresh process, 80 columns.

The logs are written to the logs contract by tests/unit/backtest/backtest_data.py (orders,
logs.json and a stand-in truth.parquet), small, so a fold trains in seconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest

from test_e2e_commands import cli, one_error_line

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "backtest"))
from backtest_data import write_logs  # noqa: E402

SMALL = ("--outer-bags", "1", "--interactions", "2")
DATES = ("--as-of", "2025-12-31", "--as-of", "2026-01-31", "--as-of", "2026-03-31")


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bt_e2e")
    write_logs(folder / "logs", customers=1200, seed=11)
    return folder


def test_backtest_writes_json_chart_run_copy_and_a_table(logs):
    proc = cli(logs, "backtest", "--logs", "logs", *DATES, "--horizon-days", "30",
               "--out", "bt", "--run", "run", *SMALL)
    data = json.loads((logs / "bt" / "backtest.json").read_text())
    assert [(f["train_as_of"], f["test_as_of"]) for f in data["folds"]] == [
        ("2025-12-31", "2026-01-31"), ("2026-01-31", "2026-03-31")]
    for fold in data["folds"]:
        assert {"train_as_of", "test_as_of", "rows", "positives", "model", "baselines"} <= set(fold)
        assert set(fold["baselines"]) == {"recency", "rfm_logistic", "bgnbd", "oracle"}
        for m in [fold["model"], *fold["baselines"].values()]:
            assert {"roc_auc", "pr_auc", "f1", "lift_top_decile"} <= set(m)
    assert (logs / "bt" / "backtest.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((logs / "run" / "backtest.json").read_text()) == data
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    first = data["folds"][0]
    assert f"{first['model']['roc_auc']:.3f}" in proc.stdout
    assert f"{first['rows']:,}" in proc.stdout and "BG/NBD" in proc.stdout


def test_backtest_defaults_to_the_logs_latest_valid_dates(logs):
    cli(logs, "backtest", "--logs", "logs", "--out", "bt_default", *SMALL)
    data = json.loads((logs / "bt_default" / "backtest.json").read_text())
    # logs.json ends 2026-06-30: 2026-05-31 + 30 is covered, and the month-ends before it
    # are 30+ days apart
    assert [f["test_as_of"] for f in data["folds"]] == ["2026-04-30", "2026-05-31"]


def test_backtest_from_an_orders_csv_with_other_column_names(logs, tmp_path):
    orders = pl.read_parquet(logs / "logs" / "orders.parquet").rename(
        {"customer_id": "client", "ordered_at": "when", "amount": "paid"})
    orders.write_csv(tmp_path / "orders.csv")
    cli(tmp_path, "backtest", "--orders", "orders.csv", "--id-column", "client",
        "--time-column", "when", "--amount-column", "paid", "--as-of", "2026-01-31",
        "--as-of", "2026-03-31", "--out", "bt", *SMALL)
    fold = json.loads((tmp_path / "bt" / "backtest.json").read_text())["folds"][0]
    assert set(fold["baselines"]) == {"recency", "rfm_logistic", "bgnbd"}   # no truth: no oracle


@pytest.mark.parametrize("args, needle", [
    (("--as-of", "2026-01-31", "--as-of", "2026-02-28"), "overlap"),
    (("--as-of", "2026-01-31"), "at least two --as-of dates"),
    (("--as-of", "2026-03-31", "--as-of", "2026-01-31"), "increasing order"),
    (("--as-of", "2026-04-30", "--as-of", "2026-06-15"), "the logs end on 2026-06-30"),
    (("--as-of", "2026-01-31", "--as-of", "2026-03-31", "--horizon-days", "0"), "--horizon-days must be > 0"),
    (("--as-of", "2026-01-31", "--as-of", "31/03/2026"), "not a date"),
])
def test_bad_dates_are_one_line_errors(logs, args, needle):
    proc = cli(logs, "backtest", "--logs", "logs", *args, "--out", "bt_bad", *SMALL, codes=(2,))
    one_error_line(proc, needle)
    assert not (logs / "bt_bad" / "backtest.json").exists()


def test_no_dates_and_no_logs_json_is_one_line(logs, tmp_path):
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "orders.parquet").write_bytes((logs / "logs" / "orders.parquet").read_bytes())
    proc = cli(tmp_path, "backtest", "--logs", "bare", "--out", "bt", codes=(2,))
    one_error_line(proc, "no logs.json", "--as-of")
    proc = cli(tmp_path, "backtest", "--orders", "bare/orders.parquet", "--out", "bt", codes=(2,))
    one_error_line(proc, "at least two --as-of dates")


def test_backtest_on_generated_logs_has_the_oracle_on_every_fold(tmp_path):
    """Logs from the generator (its write_logs, what `segkit generate --logs` writes): the
    oracle comes from its truth.parquet, and no scorer beats it."""
    from toolkit.data.generate_logs import write_logs as generate_logs

    generate_logs(tmp_path / "logs", customers=3000, seed=5)
    proc = cli(tmp_path, "backtest", "--logs", "logs", "--out", "bt", *SMALL)
    data = json.loads((tmp_path / "bt" / "backtest.json").read_text())
    assert len(data["folds"]) == 2 and data["truth"].endswith("truth.parquet")
    for fold in data["folds"]:
        oracle = fold["baselines"]["oracle"]["roc_auc"]
        assert oracle >= max(m["roc_auc"] for m in [fold["model"], *fold["baselines"].values()])
    assert "oracle" in proc.stdout
