"""The model's headline metrics judged in words: against the run's targets (the brief's bars on
its sample, declared targets elsewhere, :mod:`toolkit.policy`) or against its baselines.

Shared by the TUI's Model tab and anything else that shows a run's verdict.
"""

from __future__ import annotations

from toolkit import policy
from toolkit.policy import BarCheck


def bar_checks(metrics: dict | None) -> list[BarCheck]:
    """The test metrics of ``metrics.json`` against the run's targets (:func:`toolkit.policy.targets_for`):
    the brief's bars on the brief's sample, the declared targets (``segkit train --target-auc``)
    otherwise; empty when neither applies (then :func:`baseline_verdict` is the verdict)."""
    return policy.target_checks(metrics)


def baseline_verdict(metrics: dict | None, metric: str = "roc_auc") -> str:
    """The model against its baselines in words ("beats logistic regression by 0.012 AUC (0.779);
    beats the base rate by 0.291 AUC (0.500)"); "" when the run has no baselines."""
    unit = {"roc_auc": "AUC", "f1": "F1"}.get(metric, metric)
    parts = []
    for gap in policy.baseline_gaps(metrics, metric):
        word = "beats" if gap.gain > 0 else ("trails" if gap.gain < 0 else "ties")
        by = f" by {abs(gap.gain):.3f} {unit}" if gap.gain else ""
        parts.append(f"{word} {gap.label}{by} ({gap.baseline_value:.3f})")
    return "; ".join(parts)


def target_words(check: BarCheck) -> str:
    """Where a target comes from, for a verdict line: "the brief's bar" or "the declared target"."""
    return "the declared target" if check.source == policy.DECLARED else "the brief's bar"


METRIC_KEYS = ("roc_auc", "pr_auc", "f1", "precision", "recall", "brier")


def model_rows(metrics: dict | None) -> list[tuple[str, dict]]:
    """(label, metrics) for the EBM then each baseline, as metrics.json holds them."""
    if not metrics:
        return []
    rows = [("EBM (segkit)", metrics.get("test") or {})]
    for name, m in (metrics.get("baselines") or {}).items():
        rows.append((name.replace("_", " "), m or {}))
    return rows
