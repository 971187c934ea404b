"""`segkit demo --from-logs`, run as a new user runs it (installed console script, fresh
process, empty folder, 80 columns): the whole chain from raw logs lands in one run folder."""

from __future__ import annotations

import json

import polars as pl

from test_e2e_commands import cli


def test_demo_from_logs_builds_the_whole_chain(tmp_path):
    proc = cli(tmp_path, "demo", "--from-logs", "--rows", "2500", "--outer-bags", "1",
               "--interactions", "2", "--bootstraps", "3", "--out", "run", timeout=600)
    run = tmp_path / "run"
    for name in ("logs/orders.parquet", "logs/truth.parquet", "backtest/backtest.json",
                 "backtest/backtest.png", "backtest.json", "backtest.png", "data.parquet",
                 "snapshot.json", "snapshot_earlier.parquet", "scorecard.json", "segments.yaml",
                 "scores.parquet", "flow.json", "report.md", "report.html"):
        assert (run / name).exists(), name

    logs = json.loads((run / "logs" / "logs.json").read_text())
    snapshot = json.loads((run / "snapshot.json").read_text())
    assert snapshot["as_of"] == logs["default_as_of"] and snapshot["horizon_days"] == 30
    backtest = json.loads((run / "backtest.json").read_text())
    assert len(backtest["folds"]) == 2
    for fold in backtest["folds"]:
        assert set(fold["baselines"]) == {"recency", "rfm_logistic", "bgnbd", "oracle"}
        assert 0.5 < fold["model"]["roc_auc"] <= 1
    assert backtest["folds"][-1]["test_as_of"] == logs["default_as_of"]

    flow = json.loads((run / "flow.json").read_text())
    assert flow["as_of"] == {"before": logs["as_of_dates"][-2], "after": logs["default_as_of"]}
    # every customer of the later snapshot is in the flow (new or from a segment): none lost
    after = pl.read_parquet(run / "data.parquet").height
    assert sum(s["after"] for s in flow["segments"]) == after

    report = (run / "report.md").read_text()
    assert f"as of {logs['default_as_of']}" in report
    assert "Out-of-time backtest" in report and "Movement" in report
    assert "became" in proc.stdout and "oracle" in proc.stdout and "Out-of-time" in proc.stdout
