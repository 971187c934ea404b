"""`segkit snapshot` as a user runs it: the installed script, a fresh process, 80 columns."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest

from test_e2e_commands import cli, one_error_line

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "snapshot"))
from logmaker import make_logs, write_logs  # noqa: E402


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("snapshot_e2e")
    write_logs(folder / "logs", make_logs(customers=300, days=420, seed=4))
    return folder


def test_snapshot_from_a_logs_folder(logs):
    proc = cli(logs, "snapshot", "--logs", "logs", "--out", "customers.parquet")
    info = json.loads((logs / "logs" / "logs.json").read_text())
    frame = pl.read_parquet(logs / "customers.parquet")
    side = json.loads((logs / "customers.parquet.snapshot.json").read_text())
    assert side["as_of"] == info["default_as_of"] and side["label"] == "purchased_next_30d"
    assert side["rows"] == frame.height == 300
    assert f"Wrote a snapshot of {frame.height:,} customers at {side['as_of']}" in proc.stdout
    assert f"({side['positives']:,} of {frame.height:,})" in proc.stdout
    assert "behavioral 12, transactional 17, marketing 6, profile 7" in proc.stdout
    assert set(side["sources"]) == {"orders", "sessions", "marketing", "profiles"}


def test_scoring_snapshot_from_an_orders_csv(logs):
    pl.read_parquet(logs / "logs" / "orders.parquet").select(
        pl.col("customer_id").alias("user"), pl.col("ordered_at").dt.strftime("%Y-%m-%dT%H:%M:%S").alias("ts"),
        pl.col("amount").alias("total")).write_csv(logs / "orders.csv")
    last = pl.read_csv(logs / "orders.csv").get_column("ts").max()[:10]
    proc = cli(logs, "snapshot", "--orders", "orders.csv", "--as-of", last, "--id-column", "user",
               "--time-column", "ts", "--amount-column", "total", "--out", "score.csv")
    assert "scoring snapshot (no label)" in proc.stdout and "No label" in proc.stdout
    frame = pl.read_csv(logs / "score.csv")
    assert "purchased_next_30d" not in frame.columns and "orders_90d" in frame.columns
    assert "sessions_30d" not in frame.columns  # no sessions table: no behavioral group
    assert json.loads((logs / "score.csv.snapshot.json").read_text())["label"] is None


@pytest.mark.parametrize("args, needles", [
    (["--orders", "logs/orders.parquet", "--as-of", "2025-02-30"], ["--as-of", "not a date"]),
    (["--orders", "logs/orders.parquet", "--as-of", "2020-01-01"], ["no orders at or before"]),
    (["--orders", "logs/orders.parquet", "--as-of", "2025-06-01", "--horizon-days", "0"], ["positive"]),
    (["--orders", "logs/orders.parquet", "--as-of", "2025-06-01", "--time-column", "order_time"],
     ["missing order time column", "did you mean 'ordered_at'"]),
    (["--as-of", "2025-06-01"], ["--orders FILE", "--logs DIR"]),
])
def test_snapshot_user_errors_are_one_line(logs, args, needles):
    proc = cli(logs, "snapshot", *args, "--out", "bad.parquet", codes=(2,))
    one_error_line(proc, *needles)
    assert not (logs / "bad.parquet").exists()


def test_snapshot_refuses_to_overwrite_an_input(logs):
    proc = cli(logs, "snapshot", "--orders", "logs/orders.parquet", "--as-of", "2025-06-01",
               "--out", "logs/orders.parquet", codes=(2,))
    one_error_line(proc, "is the input file")
