"""toolkit.policy: every verdict threshold in one place, one pass/fail rule against the bars."""

from __future__ import annotations

import math

import pytest
from rich.console import Console

from toolkit import monitor, policy, summary
from toolkit.model import leakage, model_input, train_plan
from toolkit.run import compare
from toolkit.run import view as run_view
from toolkit.segments import clustering


def test_bar_checks_pass_at_the_bar_and_fail_when_absent():
    checks = policy.bar_checks({"roc_auc": 0.82, "f1": 0.6799})
    assert [(c.metric, c.value, c.bar, c.passed) for c in checks] == [
        ("roc_auc", 0.82, 0.82, True), ("f1", 0.6799, 0.68, False)]
    assert [c.passed for c in policy.bar_checks({"roc_auc": None, "f1": math.nan})] == [False, False]
    assert [c.passed for c in policy.bar_checks(None)] == [False, False]
    assert policy.bars_met({"roc_auc": 0.9, "f1": 0.7}) and not policy.bars_met({"roc_auc": 0.9})
    assert policy.scoring_within_budget(599.9) and not policy.scoring_within_budget(600)


def test_modules_read_their_thresholds_from_policy():
    """Before: 0.75 was written in compare, clustering and the CLI; 0.02/0.9 in the report."""
    assert compare.STABLE_JACCARD is policy.STABLE_JACCARD and clustering.STABLE is policy.STABLE_JACCARD
    assert clustering.HIGHLY_STABLE is policy.HIGHLY_STABLE_JACCARD
    assert compare.GOOD_FIDELITY is policy.GOOD_FIDELITY and compare.SMALL_AUC_GAIN is policy.SMALL_AUC_GAIN
    assert (monitor.WATCH, monitor.ACT, monitor.MISSING_WATCH, monitor.MIN_ROWS, monitor.MAX_NOISE) == (
        policy.PSI_WATCH, policy.PSI_ACT, policy.MISSING_WATCH, policy.MONITOR_MIN_ROWS, policy.MONITOR_MAX_NOISE)
    assert model_input.UNSEEN_WARN_SHARE is policy.UNSEEN_WARN_SHARE
    assert leakage.MAX_SINGLE_FEATURE_AUC is policy.MAX_SINGLE_FEATURE_AUC
    assert (train_plan.MAX_CATEGORY_LEVELS, train_plan.SQL_STATEMENT_LIMIT) == (
        policy.MAX_CATEGORY_LEVELS, policy.SQL_STATEMENT_LIMIT)


def test_values_are_the_documented_ones():
    assert policy.BARS == {"roc_auc": 0.82, "f1": 0.68}
    assert (policy.SCORING_BUDGET_SECONDS, policy.SCORING_TARGET_ROWS) == (600, 180_000)
    assert (policy.STABLE_JACCARD, policy.HIGHLY_STABLE_JACCARD, policy.GOOD_FIDELITY) == (0.75, 0.85, 0.90)
    assert (policy.PSI_WATCH, policy.PSI_ACT, policy.MONITOR_MAX_NOISE) == (0.10, 0.25, 0.05)


@pytest.fixture()
def stricter_bars(monkeypatch):
    monkeypatch.setattr(policy, "BARS", {"roc_auc": 0.9, "f1": 0.5})


def test_run_view_and_summary_judge_by_the_one_rule(stricter_bars):
    """Before: run_view and summary each compared with their own copy of the bars."""
    metrics = {"test": {"roc_auc": 0.85, "f1": 0.6, "pr_auc": 0.5, "precision": 0.5, "recall": 0.7,
                        "brier": 0.1, "threshold": 0.3}}
    assert [(c.metric, c.bar, c.passed) for c in run_view.bar_checks(metrics)] == [
        ("roc_auc", 0.9, False), ("f1", 0.5, True)]
    console = Console(width=200, record=True, color_system=None)
    console.print(summary.metrics_table(metrics))
    text = " ".join(console.export_text().split())
    assert "ROC-AUC 0.850 < 0.9 FAIL" in text and "F1 0.600 >= 0.5 pass" in text


def test_the_id_column_default_is_written_once():
    """Before: "customer_id" was the default of 13 signatures beside schema.ID_COLUMN."""
    import ast
    from pathlib import Path

    import toolkit
    from toolkit import schema

    root = Path(toolkit.__file__).parent
    literal = [f"{path.relative_to(root)}:{node.lineno}" for path in sorted(root.rglob("*.py"))
               if path.name != "schema.py"
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and node.value == schema.ID_COLUMN]
    assert literal == []
