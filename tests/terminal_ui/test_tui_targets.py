"""The Model tab judges a run by its own targets (issue 10): the brief's bars only on the
brief's sample; declared targets or the baselines on any other table.

Before: "✗ below the bar 0.82" on every table."""

from __future__ import annotations

import json

from textual.widgets import Static

import tui_run
from tui.app import SegkitApp
from tui_run import copy_run, settle


def _verdict(run) -> str:
    seen: list[str] = []

    async def steps(app, pilot):
        await pilot.press("2")
        await settle(app, pilot)
        seen.append(str(app.query_one("#model-verdict", Static).render()))

    tui_run.drive(SegkitApp(run, watch_disk=None), steps, (160, 32))
    return seen[0]


def _with_targets(tmp_path, targets: dict):
    run = copy_run(tmp_path / "demo")
    path = run / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["targets"] = targets
    path.write_text(json.dumps(metrics))
    return run, metrics


def test_model_tab_without_targets_speaks_of_baselines(tmp_path):
    run, metrics = _with_targets(tmp_path, {"roc_auc": None, "f1": None, "source": "none", "brief_sample": False})
    verdict = " ".join(_verdict(run).split())
    assert "0.82" not in verdict and "below" not in verdict
    gain = metrics["test"]["roc_auc"] - metrics["baselines"]["logistic_regression"]["roc_auc"]
    assert f"logistic regression by {abs(gain):.3f} AUC" in verdict
    assert "no targets declared" in verdict


def test_model_tab_with_declared_targets(tmp_path):
    run, metrics = _with_targets(tmp_path, {"roc_auc": 0.5, "f1": 0.99, "source": "declared", "brief_sample": False})
    verdict = " ".join(_verdict(run).split())
    assert "0.82" not in verdict
    assert "meets the declared target 0.5" in verdict and "below the declared target 0.99" in verdict
