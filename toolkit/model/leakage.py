"""The leakage audit that runs before every training.

A purchase model that sees the future looks brilliant in validation and useless in
production. The audit refuses, with a reason each:

- the id and the target themselves;
- names that point at the future (``next_``, ``future``, ``after_``): fields that are only
  known once the prediction window has passed;
- any feature that alone separates the training labels almost perfectly (single-feature
  ROC-AUC >= 0.95 on held-out training rows), the signature of a field derived from the
  outcome (a refund of the next order, a "last purchase" date updated after the snapshot).

``allow`` overrides a refusal for a named feature (``segkit train --allow-feature NAME``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from toolkit.errors import LeakageError
from toolkit.policy import MAX_SINGLE_FEATURE_AUC

FUTURE_NAME = re.compile(r"next_|future|after_", re.IGNORECASE)


@dataclass
class Finding:
    feature: str
    reason: str
    auc: float | None = None
    allowed: bool = False


@dataclass
class LeakageReport:
    findings: list[Finding] = field(default_factory=list)
    single_feature_auc: dict[str, float] = field(default_factory=dict)

    @property
    def refused(self) -> list[Finding]:
        return [f for f in self.findings if not f.allowed]

    def to_dict(self) -> dict:
        top = sorted(self.single_feature_auc.items(), key=lambda kv: -kv[1])
        return {
            "max_single_feature_auc": MAX_SINGLE_FEATURE_AUC,
            "findings": [f.__dict__ for f in self.findings],
            "single_feature_auc": dict(top),
        }


def _separating_auc(values: pl.Series, y: np.ndarray, is_nominal: bool, seed: int) -> float:
    """How well one feature alone ranks buyers, as max(AUC, 1 - AUC).

    Numeric features rank by value (missing as the median). Nominal features are encoded by
    their purchase rate on one half of the rows and scored on the other half, so a unique
    value per customer (an id in disguise) cannot look predictive through memorisation alone.
    """
    n = len(y)
    if is_nominal:
        rng = np.random.default_rng(seed)
        half = rng.random(n) < 0.5
        frame = pl.DataFrame({"v": values.cast(pl.Utf8).fill_null("\x00missing"), "y": y, "fit": half})
        rates = frame.filter(pl.col("fit")).group_by("v").agg(pl.col("y").mean().alias("rate"))
        base = float(y[half].mean()) if half.any() else float(y.mean())
        scored = frame.filter(~pl.col("fit")).join(rates, on="v", how="left")
        score = scored.get_column("rate").fill_null(base).to_numpy()
        truth = scored.get_column("y").to_numpy()
    else:
        x = values.cast(pl.Float64).fill_nan(None)
        median = x.median()
        score = x.fill_null(median if median is not None else 0.0).to_numpy()
        truth = y
    if len(np.unique(truth)) < 2 or len(np.unique(score)) < 2:
        return 0.5
    auc = float(roc_auc_score(truth, score))
    return max(auc, 1.0 - auc)


def audit(frame: pl.DataFrame, y: np.ndarray, features: list[str], feature_types: dict[str, str], *,
          id_column: str, target: str, allow: tuple[str, ...] | list[str] = (), seed: int = 0,
          max_rows: int = 50_000) -> LeakageReport:
    """Audit ``features`` of the training rows ``frame`` (labels ``y``); never sees test rows."""
    allowed = set(allow)
    report = LeakageReport()
    for name in features:
        if name in (id_column, target):
            what = "the customer id" if name == id_column else "the target itself"
            report.findings.append(Finding(name, f"is {what}", allowed=False))
        elif FUTURE_NAME.search(name):
            report.findings.append(Finding(
                name, "its name points at the future (next_/future/after_): such a field is "
                      "only known after the prediction window", allowed=name in allowed))
    if frame.height > max_rows:
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.choice(frame.height, size=max_rows, replace=False))
        frame, y = frame[idx], y[idx]
    for name in features:
        if name in (id_column, target):
            continue
        auc = _separating_auc(frame.get_column(name), y, feature_types[name] == "nominal", seed)
        report.single_feature_auc[name] = round(auc, 4)
        if auc >= MAX_SINGLE_FEATURE_AUC:
            report.findings.append(Finding(
                name, f"alone separates buyers from non-buyers with ROC-AUC {auc:.3f} "
                      f"(>= {MAX_SINGLE_FEATURE_AUC}): it is probably derived from the outcome",
                auc=round(auc, 4), allowed=name in allowed))
    return report


def raise_if_refused(report: LeakageReport) -> None:
    """One error listing every refused feature with its reason and the override."""
    refused = report.refused
    if not refused:
        return
    lines = [f"  - {f.feature}: {f.reason}" for f in refused]
    overridable = [f.feature for f in refused if "customer id" not in f.reason and "target itself" not in f.reason]
    hint = ""
    if overridable:
        hint = ("\nIf a feature is really known before the prediction window, allow it with "
                + " ".join(f"--allow-feature {n}" for n in overridable))
    raise LeakageError("the leakage audit refused " + str(len(refused)) + " feature"
                       + ("s" if len(refused) > 1 else "") + ":\n" + "\n".join(lines) + hint)
