"""Movement and provenance through the installed `segkit`, as a user runs them: a table that
is a snapshot (its sidecar beside it) trained into a run, `rules flow --run` recording the
flow to a later snapshot, and the report quoting the snapshot, the backtest and the flow."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from test_e2e_commands import RFM, cli, one_error_line

ROWS = 2000


def sidecar(table: Path, as_of: str, rows: int) -> dict:
    doc = {"as_of": as_of, "horizon_days": 30, "label": "purchased_next_30d", "rows": rows,
           "positives": None, "sources": {}, "features": []}
    (table.parent / (table.name + ".snapshot.json")).write_text(json.dumps(doc))
    return doc


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("e2e_movement")
    cli(folder, "generate", "--rows", str(ROWS), "--seed", "11", "--out", "june.parquet")
    june = pl.read_parquet(folder / "june.parquet")
    sidecar(folder / "june.parquet", "2026-06-30", june.height)
    july = pl.concat([june.slice(150).with_columns(pl.col("days_since_last_purchase") + 31),
                      june.head(40).with_columns(pl.col("customer_id") + "_new")])
    july.write_parquet(folder / "july.parquet")
    sidecar(folder / "july.parquet", "2026-07-31", july.height)
    return folder


@pytest.fixture(scope="module")
def run(work) -> Path:
    proc = cli(work, "train", "--data", "june.parquet", "--out", "run", "--outer-bags", "1",
               "--interactions", "0")
    assert "snapshot as of 2026-06-30" in proc.stdout
    return work / "run"


def test_train_keeps_the_snapshot_sidecar(work, run):
    assert (run / "snapshot.json").read_bytes() == (work / "june.parquet.snapshot.json").read_bytes()


def test_rules_flow_run_then_report(work, run):
    proc = cli(work, "rules", "flow", str(RFM), "--data", "june.parquet", "--then", "july.parquet",
               "--run", "run", "--json", "flow.json")
    assert "Snapshots as of 2026-06-30 (A) and 2026-07-31 (B)." in proc.stdout
    assert "Biggest moves:" in proc.stdout and "-> " in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    doc = json.loads((run / "flow.json").read_text())
    assert doc == json.loads((work / "flow.json").read_text())
    assert doc["as_of"] == {"before": "2026-06-30", "after": "2026-07-31"}
    assert all("campaign" in b for b in doc["biggest"])
    assert sum(doc["matrix"][doc["new"]].values()) == 40

    def m(auc):
        return {"roc_auc": auc, "pr_auc": 0.5, "f1": 0.4, "lift_top_decile": 2.0}

    (run / "backtest.json").write_text(json.dumps({"folds": [
        {"train_as_of": "2026-05-31", "test_as_of": "2026-06-30", "rows": 1900, "positives": 520,
         "model": m(0.86), "baselines": {"recency": m(0.8), "rfm_logistic": m(0.82), "bgnbd": m(0.83)}}]}))
    cli(work, "report", "--run", "run", "--data", "june.parquet", "--no-sql")
    md = (run / "report.md").read_text()
    assert "snapshot as of 2026-06-30" in md.split("## 1.")[0]
    validation = md.split("## 4. Validation")[1].split("## 5.")[0]
    assert validation.index("### Out-of-time backtest") < validation.index("### Purchase model")
    movement = md.split("## 10. Movement")[1]
    assert "2026-06-30 -> 2026-07-31" in movement
    assert doc["biggest"][0]["text"] in movement and doc["biggest"][0]["campaign"]["text"] in movement


def test_flow_errors_are_one_line(work, run):
    proc = cli(work, "rules", "flow", str(RFM), "--data", "july.parquet", "--then", "june.parquet",
               "--run", "run", codes=(2,))
    one_error_line(proc, "give the earlier snapshot as --data")
    proc = cli(work, "rules", "flow", str(RFM), "--data", "june.parquet", "--then", "july.parquet",
               "--run", "no_such_run", codes=(2,))
    one_error_line(proc, "no_such_run: no such run folder")
    assert not (work / "no_such_run").exists()
