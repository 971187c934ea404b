"""Drift monitoring: PSI math on hand-made examples, new categories, the run-level check, the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import toolkit.cli
from report_fixtures import build_small_run
from toolkit.cli import main
from toolkit.errors import DataError, SegkitError
from toolkit.data.generate import generate
from toolkit.monitor import (ACT, EPSILON, MIN_ROWS, STRICT_EXIT_CODE, UNTRUSTED, WATCH, categorical_drift,
                             chance_psi, column_drift, monitor_frames, monitor_run, numeric_drift, psi,
                             segment_shift, status_of, training_reference)

toolkit.cli._register()


# ---- PSI math ------------------------------------------------------------------------------


def test_psi_identical_is_zero_and_known_shift_is_known():
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0
    assert psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(0.1 * math.log(1.2) - 0.1 * math.log(0.8))
    assert psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(0.0405465, abs=1e-7)
    # an empty bucket is floored at EPSILON: large but finite
    assert psi([1.0, 0.0], [0.5, 0.5]) == pytest.approx(
        (0.5 - 1.0) * math.log(0.5 / 1.0) + (0.5 - EPSILON) * math.log(0.5 / EPSILON))
    assert psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(psi([0.6, 0.4], [0.5, 0.5]))  # symmetric


def test_status_thresholds():
    assert status_of(0.0) == "ok" and status_of(WATCH) == "ok"
    assert status_of(0.1001) == "watch" and status_of(ACT) == "watch"
    assert status_of(0.2501) == "act" and status_of(float("nan")) == "ok"


def test_numeric_identical_columns_have_zero_psi():
    s = pl.Series(np.arange(1000, dtype=float))
    d = numeric_drift("x", s, s.clone())
    assert d.psi == 0.0 and d.status == "ok"
    assert len(d.buckets) == 11  # ten deciles + missing
    assert all(b["reference"] == pytest.approx(0.1) for b in d.buckets[:10])


def test_numeric_known_shift_over_reference_deciles():
    ref = pl.Series(np.arange(1000, dtype=float))
    cur = pl.Series(np.tile(np.arange(500, dtype=float), 2))     # only the lower half, twice
    d = numeric_drift("x", ref, cur)
    expected = 5 * (0.2 - 0.1) * math.log(0.2 / 0.1) + 5 * (EPSILON - 0.1) * math.log(EPSILON / 0.1)
    assert d.psi == pytest.approx(expected)
    assert d.status == "act"
    assert [b["current"] for b in d.buckets[:10]] == pytest.approx([0.2] * 5 + [0.0] * 5)


def test_missing_is_its_own_bucket_and_nan_counts_as_missing():
    ref = pl.Series([1.0, 2.0, 3.0, 4.0] * 50)
    cur = pl.Series([1.0, None, 3.0, float("nan")] * 50)
    d = numeric_drift("x", ref, cur)
    assert d.missing_reference == 0.0 and d.missing_current == 0.5
    assert d.buckets[-1] == {"bucket": "(missing)", "reference": 0.0, "current": 0.5}
    assert d.status == "act" and any("missing share 0.0% -> 50.0%" in n for n in d.notes)


def test_new_categories_are_detected():
    ref = pl.Series(["US", "GB", "DE", None] * 100)
    cur = pl.Series(["US", "GB", "MX", "BR"] * 100)
    d = categorical_drift("country", ref, cur)
    assert d.new_categories == ["BR", "MX"]
    assert {b["bucket"] for b in d.buckets} == {"DE", "GB", "US", "BR", "MX", "(missing)"}
    assert d.status == "act" and "new value(s) not seen in the reference: BR, MX" in d.notes
    # a small new category alone makes an otherwise stable column 'watch'
    cur2 = pl.Series(["US", "GB", "DE", None] * 100 + ["MX"])
    d2 = categorical_drift("country", ref, cur2)
    assert d2.psi < WATCH and d2.status == "watch" and d2.new_categories == ["MX"]


def test_booleans_are_categories_and_text_in_numbers_is_noted():
    d = column_drift("flag", pl.Series([True, False] * 10), pl.Series([True, False] * 10))
    assert d.kind == "categorical" and d.psi == 0.0
    d = column_drift("n", pl.Series([1, 2, 3] * 10), pl.Series(["1", "x", "3"] * 10))
    assert d.kind == "numeric" and any("10 value(s) are not numbers" in n for n in d.notes)


def test_segment_shift():
    ref = pl.Series(["a"] * 50 + ["b"] * 50)
    cur = pl.Series(["a"] * 60 + ["b"] * 30 + ["c"] * 10)
    g = segment_shift(ref, cur, order=["a", "b", "c"])
    assert [r["segment"] for r in g.shares] == ["a", "b", "c"]
    assert g.shares[0]["change"] == pytest.approx(0.1)
    assert g.psi == pytest.approx(psi([0.5, 0.5, 0], [0.6, 0.3, 0.1]))


def test_monitor_frames_without_model_uses_shared_columns():
    ref = pl.DataFrame({"a": np.arange(1000.0), "b": ["x", "y"] * 500})
    report = monitor_frames(ref, ref.with_columns(pl.col("a") + 1000))
    assert [f.name for f in report.features] == ["a", "b"]     # sorted: act first
    assert report.status == "act" and report.score is None and report.segments is None
    with pytest.raises(DataError, match="no rows"):
        monitor_frames(ref, ref.head(0))


# ---- against a run -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return build_small_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("monitor_batches")
    fresh, _ = generate(3000, 123)
    drifted = fresh.with_columns(
        (pl.col("days_since_last_purchase") * 4).alias("days_since_last_purchase"),
        pl.when(pl.col("country") == "US").then(pl.lit("MX")).otherwise(pl.col("country")).alias("country"),
    )
    out = {"fresh": folder / "fresh.parquet", "drifted": folder / "drifted.csv"}
    fresh.write_parquet(out["fresh"])
    drifted.write_csv(out["drifted"])
    return out


def test_reference_is_the_training_split(run):
    ref = training_reference(run)
    split = pl.read_parquet(run / "split.parquet")
    assert ref.height == split.filter(pl.col("split") == "train").height


def test_fresh_batch_is_stable_and_drifted_batch_acts(run, batches):
    fresh = monitor_run(run, batches["fresh"])
    assert fresh.score is not None and fresh.score.status == "ok"
    assert fresh.count("act") == 0
    names = {f.name for f in fresh.features}
    assert "days_since_last_purchase" in names and "spend_per_order_365d" in names  # derived too
    if (run / "segments.yaml").exists():
        assert fresh.segments is not None and fresh.segments.status == "ok"
    drifted = monitor_run(run, batches["drifted"])
    by_name = {f.name: f for f in drifted.features}
    assert by_name["country"].new_categories == ["MX"] and by_name["country"].status == "act"
    assert by_name["days_since_last_purchase"].status == "act"
    assert drifted.status == "act"
    assert drifted.score.psi > fresh.score.psi
    payload = json.loads(json.dumps(drifted.to_dict()))
    assert payload["status"] == "act" and payload["thresholds"]["strict_exit_code"] == STRICT_EXIT_CODE


def test_explicit_reference_and_missing_columns(run, batches, tmp_path):
    same = monitor_run(run, batches["fresh"], reference=batches["fresh"])
    assert all(f.psi == 0.0 for f in same.features) and same.score.psi == 0.0
    lacking = tmp_path / "lacking.parquet"
    pl.read_parquet(batches["fresh"]).drop("orders_90d").write_parquet(lacking)
    with pytest.raises(SegkitError, match="orders_90d"):
        monitor_run(run, lacking)


# ---- CLI -----------------------------------------------------------------------------------


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code or 0


def test_cli_strict_exit_code_and_json(run, batches, tmp_path, capsys):
    out = tmp_path / "drift.json"
    args = ["monitor", "--run", str(run), "--data", str(batches["drifted"]), "--json", str(out)]
    assert _exit_code(args) == 0                       # drift alone does not fail without --strict
    assert json.loads(out.read_text())["status"] == "act"
    assert _exit_code(args + ["--strict"]) == STRICT_EXIT_CODE
    printed = capsys.readouterr().out
    assert "country" in printed and "act" in printed
    fresh = ["monitor", "--run", str(run), "--data", str(batches["fresh"]), "--json", str(out), "--strict"]
    assert _exit_code(fresh) == 0
    assert _exit_code(["monitor", "--run", str(run), "--data", str(tmp_path / "nope.csv")]) == 2


def test_cli_report(run, capsys):
    assert _exit_code(["report", "--run", str(run), "--no-sql"]) == 0
    assert "report.html" in capsys.readouterr().out
    assert (run / "report.md").exists()


# ---- too few rows and infinite values (issue 8) ---------------------------------------------


def test_one_row_batch_is_not_judged_and_strict_passes(run, batches, tmp_path, capsys):
    one = tmp_path / "one.parquet"
    pl.read_csv(batches["drifted"]).head(1).write_parquet(one)
    report = monitor_run(run, one)
    assert report.count("act") == 0 and report.count("watch") == 0
    assert report.count(UNTRUSTED) == len(report.lines()) and report.status == UNTRUSTED
    assert report.warnings and "the new batch has 1 row" in report.warnings[0]
    payload = report.to_dict()
    assert payload["too_few_rows"] == len(report.lines()) and payload["act"] == 0
    assert payload["thresholds"]["min_rows"] == MIN_ROWS
    out = tmp_path / "one.json"
    code = _exit_code(["monitor", "--run", str(run), "--data", str(one), "--json", str(out), "--strict"])
    printed = " ".join(capsys.readouterr().out.split())   # the console wraps at its width
    assert code == 0 and "Warning:" in printed and "not judged (too few rows)" in printed
    assert json.loads(out.read_text())["status"] == UNTRUSTED


def test_many_buckets_need_more_rows_than_deciles():
    rng = np.random.default_rng(0)
    n = 600
    ref = pl.DataFrame({"x": rng.normal(size=5000), "cat": [f"c{i % 60}" for i in range(5000)]})
    cur = pl.DataFrame({"x": rng.normal(size=n), "cat": [f"c{i}" for i in rng.integers(0, 60, n)]})
    report = monitor_frames(ref, cur)
    by_name = {f.name: f for f in report.features}
    assert chance_psi(60, 5000, n) > WATCH / 2 > chance_psi(11, 5000, n)
    assert by_name["cat"].status == UNTRUSTED and "not judged" in by_name["cat"].notes[-1]
    assert by_name["x"].status == "ok"
    assert report.status == UNTRUSTED and "too few rows for the number of buckets" in report.warnings[0]


def test_infinite_reference_values_are_missing_and_edges_are_finite():
    values = np.concatenate([np.arange(800.0), np.full(100, np.inf), np.full(100, -np.inf)])
    ref = pl.DataFrame({"x": values})
    drift = numeric_drift("x", ref.get_column("x"), ref.get_column("x"))
    labels = [b["bucket"] for b in drift.buckets]
    assert not any("nan" in label or "inf" in label for label in labels)
    assert len(labels) == 11 and drift.psi == 0.0
    assert drift.missing_reference == pytest.approx(0.2)
    assert "infinite values counted as missing: 200 new, 200 reference" in drift.notes
    finite = pl.DataFrame({"x": np.arange(1000.0)})
    report = monitor_frames(finite, ref)                 # infinities in the batch: missing too
    assert report.features[0].missing_current == pytest.approx(0.2)
    assert math.isfinite(report.features[0].psi)
