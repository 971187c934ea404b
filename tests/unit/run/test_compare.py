"""compare_approaches: rows built from a run's files, 'not run' for a missing side."""

from __future__ import annotations

import json

import pytest

from toolkit.run.compare import (NOT_RUN, ComparisonRow, as_dicts, calibration_error, compare_approaches,
                             fmt, pct)
from toolkit.errors import SegkitError

METRICS = {
    "test": {
        "rows": 1200, "positive_rate": 0.28, "roc_auc": 0.8766, "pr_auc": 0.7, "f1": 0.6912,
        "precision": 0.6, "recall": 0.8, "threshold": 0.3333, "brier": 0.12,
        "calibration": [
            {"bin": 1, "customers": 100, "mean_predicted": 0.05, "observed_rate": 0.07},
            {"bin": 2, "customers": 300, "mean_predicted": 0.50, "observed_rate": 0.46},
            {"bin": 3, "customers": 0, "mean_predicted": None, "observed_rate": None},
        ],
        "deciles": [{"decile": i + 1, "lift": 3.1 - 0.3 * i, "purchase_rate": 0.9 - 0.08 * i,
                     "cumulative_gain": 0.3 * (i + 1)} for i in range(10)],
    },
    "baselines": {"logistic_regression": {"roc_auc": 0.8701, "f1": 0.68},
                  "oracle": {"roc_auc": 0.899, "f1": 0.72}},
    "training": {"features": {"orders_90d": "continuous", "country": "nominal",
                              "spend_per_order_365d": "continuous"},
                 "derived_features": [{"name": "spend_per_order_365d"}], "terms": 5,
                 "target": "purchased_next_30d"},
}
SEGMENTS = {
    "k": 3,
    "stability": {"bootstraps": 5, "cluster_ari": 0.91, "rules_ari": 0.88,
                  "cluster_jaccard": {"a": 0.95, "b": 0.62, "c": 0.8}},
    "fidelity": 0.87, "cost_ratio": 1.0834, "coverage": 0.9, "held_out_rows": 800,
    "settings": {"features": ["orders_90d", "sessions_30d"]},
    "profiles": [{"id": "a", "purchase_rate": 0.05}, {"id": "b", "purchase_rate": 0.61},
                 {"id": "c", "purchase_rate": None}],
}


def _write(tmp_path, metrics=True, segments=True):
    if metrics:
        (tmp_path / "metrics.json").write_text(json.dumps(METRICS))
    if segments:
        (tmp_path / "segments.json").write_text(json.dumps(SEGMENTS))
    return tmp_path


def _row(rows: list[ComparisonRow], key: str) -> ComparisonRow:
    return next(r for r in rows if r.key == key)


def test_rows_cover_every_aspect_and_quote_the_run(tmp_path):
    rows = compare_approaches(_write(tmp_path))
    assert [r.key for r in rows] == ["question", "inputs", "objective", "outputs", "evaluation",
                                     "failure", "users", "when"]
    ev = _row(rows, "evaluation")
    assert "0.877" in ev.supervised and "0.870" in ev.supervised and "0.691" in ev.supervised
    assert "0.333" in ev.supervised and "3.10x" in ev.supervised
    assert ev.supervised_figures["roc_auc"] == 0.8766
    assert ev.supervised_figures["calibration_error"] == pytest.approx((100 * 0.02 + 300 * 0.04) / 400)
    assert "0.870" in ev.unsupervised and "1.083" in ev.unsupervised and "0.620" in ev.unsupervised
    assert ev.unsupervised_figures["min_cluster_jaccard"] == 0.62
    assert "5.0% to 61.0%" in ev.unsupervised
    inputs = _row(rows, "inputs")
    assert "3 features" in inputs.supervised and "derived/other 1" in inputs.supervised
    assert inputs.unsupervised_figures == {"labels": None, "features": 2}


def test_failure_text_is_conditioned_on_the_numbers(tmp_path):
    fail = _row(compare_approaches(_write(tmp_path)), "failure")
    assert "only 0.007 AUC" in fail.supervised          # 0.8766 - 0.8701 is a small gain
    assert "1 segment(s) fall below Jaccard 0.75: b" in fail.unsupervised
    assert "fidelity 0.870 is below 0.9" in fail.unsupervised
    assert fail.unsupervised_figures["unstable_segments"] == ["b"]


def test_missing_side_reads_not_run(tmp_path):
    rows = compare_approaches(_write(tmp_path, segments=False))
    assert all(r.unsupervised == NOT_RUN and r.unsupervised_figures == {} for r in rows)
    assert all(r.supervised != NOT_RUN for r in rows)
    other = tmp_path / "segments_only"
    other.mkdir()
    rows = compare_approaches(_write(other, metrics=False))
    assert all(r.supervised == NOT_RUN for r in rows)
    assert json.dumps(as_dicts(rows))  # plain data


def test_errors_and_formats(tmp_path):
    with pytest.raises(SegkitError, match="neither metrics.json nor segments.json"):
        compare_approaches(tmp_path)
    with pytest.raises(SegkitError, match="no such run folder"):
        compare_approaches(tmp_path / "absent")
    assert fmt(None) == "-" and fmt(float("nan")) == "-" and fmt(12000) == "12,000"
    assert fmt(0.12345) == "0.123" and pct(0.2794) == "27.9%"
    assert calibration_error([]) is None


def test_report_and_compare_share_the_missing_results_error(tmp_path):
    from toolkit.report.build import build_report

    for load in (compare_approaches, build_report):
        with pytest.raises(SegkitError, match="neither metrics.json nor segments.json found"):
            load(tmp_path)
