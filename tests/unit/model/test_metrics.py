import numpy as np
import pytest

from toolkit.model import metrics


def test_best_f1_threshold_matches_brute_force():
    rng = np.random.default_rng(1)
    y = (rng.random(500) < 0.3).astype(int)
    p = np.clip(y * 0.3 + rng.random(500) * 0.7, 0, 1)
    threshold, f1 = metrics.best_f1_threshold(y, p)
    best = max(metrics.headline(y, p, t)["f1"] for t in np.unique(p))
    assert f1 == pytest.approx(best)
    assert metrics.headline(y, p, threshold)["f1"] == pytest.approx(best)


def test_full_report_shapes_and_consistency():
    rng = np.random.default_rng(2)
    y = (rng.random(1000) < 0.28).astype(int)
    p = np.clip(0.28 + (y - 0.28) * 0.4 + rng.normal(0, 0.15, 1000), 0, 1)
    r = metrics.full_report(y, p, 0.4)
    cm = r["confusion_matrix"]
    assert sum(cm.values()) == 1000
    assert r["precision"] == pytest.approx(cm["tp"] / (cm["tp"] + cm["fp"]))
    assert len(r["deciles"]) == 10 and len(r["calibration"]) == 10
    assert sum(d["customers"] for d in r["deciles"]) == 1000
    assert r["deciles"][-1]["cumulative_gain"] == pytest.approx(1.0)
    assert r["deciles"][0]["lift"] > 1.5
    assert sum(b["customers"] for b in r["calibration"]) == 1000


def test_constant_prediction_is_reported_not_crashing():
    y = np.array([0, 1, 0, 0])
    r = metrics.headline(y, np.full(4, 0.25), 0.25)
    assert r["roc_auc"] == 0.5 and r["recall"] == 1.0
