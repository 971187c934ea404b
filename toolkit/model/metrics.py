"""Binary classification metrics for a purchase model, as plain JSON-ready dicts.

Everything here takes true labels and predicted probabilities as numpy arrays; the threshold
is always passed in (chosen on validation data by :func:`best_f1_threshold`), never tuned here.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def best_f1_threshold(y_true: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    """The threshold maximising F1 on these rows, and that F1.

    Meant for validation rows only: choosing it on test rows would flatter the test F1.
    """
    precision, recall, thresholds = skm.precision_recall_curve(y_true, proba)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    if not len(thresholds):
        return 0.5, 0.0
    return float(thresholds[best]), float(f1[best])


def _decile_split(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by probability, highest first (ties keep row order), and the 11 cut points
    of that order into ten near-equal deciles: the one split every decile figure uses."""
    order = np.argsort(-proba, kind="stable")
    edges = np.linspace(0, len(proba), 11).round().astype(int)
    return order, edges


def decile_of(proba: np.ndarray) -> np.ndarray:
    """Propensity decile per row (1 = highest 10 %), the same split as :func:`headline`'s
    deciles, so a table built from these labels (the report's segment x decile table)
    adds up to metrics.json's decile rows."""
    proba = np.asarray(proba, dtype=float)
    order, edges = _decile_split(proba)
    out = np.empty(len(proba), dtype=np.int64)
    for d in range(10):
        out[order[edges[d]:edges[d + 1]]] = d + 1
    return out


def _deciles(y_true: np.ndarray, proba: np.ndarray) -> list[dict]:
    """Lift and cumulative gains by decile of predicted probability, highest first."""
    order, edges = _decile_split(proba)
    y_sorted = y_true[order]
    p_sorted = proba[order]
    n = len(y_true)
    base = y_true.mean() if n else 0.0
    total_pos = y_true.sum()
    rows = []
    for d in range(10):
        lo, hi = edges[d], edges[d + 1]
        part = y_sorted[lo:hi]
        rate = float(part.mean()) if len(part) else 0.0
        rows.append({
            "decile": d + 1,
            "customers": int(hi - lo),
            "min_probability": float(p_sorted[hi - 1]) if hi > lo else None,
            "max_probability": float(p_sorted[lo]) if hi > lo else None,
            "purchase_rate": rate,
            "lift": float(rate / base) if base > 0 else None,
            "cumulative_gain": float(y_sorted[:hi].sum() / total_pos) if total_pos else None,
        })
    return rows


def _calibration(y_true: np.ndarray, proba: np.ndarray, bins: int = 10) -> list[dict]:
    """Observed purchase rate against mean predicted probability in equal-width bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(proba, edges[1:-1], right=False), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        rows.append({
            "bin": b + 1,
            "lower": float(edges[b]),
            "upper": float(edges[b + 1]),
            "customers": count,
            "mean_predicted": float(proba[mask].mean()) if count else None,
            "observed_rate": float(y_true[mask].mean()) if count else None,
        })
    return rows


def headline(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> dict:
    """The numbers people compare models by, at a given threshold."""
    y_true = np.asarray(y_true).astype(int)
    proba = np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    pred = (proba >= threshold).astype(int)
    single_class = len(np.unique(y_true)) < 2
    eps = 1e-15
    return {
        "rows": int(len(y_true)),
        "positive_rate": float(y_true.mean()) if len(y_true) else None,
        "roc_auc": None if single_class else float(skm.roc_auc_score(y_true, proba)),
        "pr_auc": None if single_class else float(skm.average_precision_score(y_true, proba)),
        "f1": float(skm.f1_score(y_true, pred, zero_division=0)),
        "precision": float(skm.precision_score(y_true, pred, zero_division=0)),
        "recall": float(skm.recall_score(y_true, pred, zero_division=0)),
        "accuracy": float(skm.accuracy_score(y_true, pred)),
        "brier": float(skm.brier_score_loss(y_true, proba)),
        "log_loss": float(skm.log_loss(y_true, np.clip(proba, eps, 1 - eps), labels=[0, 1])),
        "threshold": float(threshold),
    }


def full_report(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> dict:
    """Headline metrics plus calibration, lift/gains by decile and the confusion matrix."""
    y_true = np.asarray(y_true).astype(int)
    proba = np.asarray(proba, dtype=float)
    out = headline(y_true, proba, threshold)
    pred = (proba >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y_true, pred, labels=[0, 1]).ravel()
    out["confusion_matrix"] = {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)}
    out["calibration"] = _calibration(y_true, proba)
    out["deciles"] = _deciles(y_true, proba)
    return out
