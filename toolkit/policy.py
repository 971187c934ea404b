"""Every threshold a verdict depends on, named once, with the reason for its value.

A verdict is a word segkit prints about a run or a table: "met" / "NOT met" against the
brief's bars, "stable", "below 0.9: check the rules", "watch" / "act", "probably a leak",
"too few rows". Each such word compares a figure with a number; the numbers live here so
the CLI, the report, the TUI, ``compare`` and ``monitor`` say the same thing about the same
figure, and a change of policy is one edit. Modules keep their historical names for these
values (``monitor.WATCH``, ``clustering.STABLE``, ``train_plan.MAX_CATEGORY_LEVELS``, ...)
as aliases of the constants below, so their documented import paths keep working.

The brief's bars apply to the brief's sample only: :func:`targets_for` decides from the
data (the table's columns are the sample schema's) whether they apply, and otherwise judges a
model by the targets its user declared (``segkit train --target-auc``) or by its baselines.

This module imports only :mod:`toolkit.schema` (itself free of segkit imports): anything may
import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from toolkit import schema

# ---------------------------------------------------------------------------------------
# the brief's acceptance bars for the purchase model

#: Test metric -> the value it must reach (``>=``): the brief's bars for the purchase model.
BARS: dict[str, float] = {"roc_auc": 0.82, "f1": 0.68}
#: Scoring the target number of customers must take less than this (the brief: 10 minutes).
SCORING_BUDGET_SECONDS = 600
#: Customers the scoring budget is stated for (the brief's 180K); measured times scale linearly.
SCORING_TARGET_ROWS = 180_000

# ---------------------------------------------------------------------------------------
# the purchase model compared with its baselines

#: EBM AUC minus logistic-regression AUC below this: the gain is "small" (keep the EBM for its
#: shapes and reasons, not for accuracy).
SMALL_AUC_GAIN = 0.02
#: Oracle AUC minus EBM AUC below this: "little accuracy is left to win".
SMALL_ORACLE_GAP = 0.02
#: A single feature that alone ranks buyers at least this well (ROC AUC on training rows) is
#: probably derived from the outcome: the leakage audit flags it.
MAX_SINGLE_FEATURE_AUC = 0.95

# ---------------------------------------------------------------------------------------
# segments

#: Bootstrap Jaccard at or above which a cluster is "stable" (Hennig's clusterboot rule of
#: thumb; below it a cluster is not a finding). Also the bar every cluster of a k must reach
#: for that k to be preferred.
STABLE_JACCARD = 0.75
#: Bootstrap Jaccard at or above which a cluster is "highly stable" (Hennig).
HIGHLY_STABLE_JACCARD = 0.85
#: Held-out fidelity (share of customers the rules put in their cluster's segment) below
#: which the report and Compare warn that the rules describe other people than the clusters.
GOOD_FIDELITY = 0.90
#: The brief's targets for distilled rules on held-out customers (README "Segmentation",
#: ``bench/bench_segments.py``): fidelity at least this ...
TARGET_FIDELITY = 0.95
#: ... and a cost ratio (k-means cost of the rule segments over that of the clusters, the
#: "price of explainability") at most this.
TARGET_COST_RATIO = 1.10

# ---------------------------------------------------------------------------------------
# monitoring (population stability index, see toolkit.monitor)

#: PSI above this: "watch" (the usual credit-scoring convention).
PSI_WATCH = 0.10
#: PSI above this: "act"; ``segkit monitor --strict`` exits non-zero.
PSI_ACT = 0.25
#: A missing-rate change of at least this (5 points) makes an otherwise "ok" line "watch".
MISSING_WATCH = 0.05
#: Fewer rows than this in either table: a drift line is "too few rows", not judged.
MONITOR_MIN_ROWS = 500
#: A line whose chance-level PSI for its sample sizes exceeds this is not judged (half of
#: :data:`PSI_WATCH`: chance alone would otherwise make lines "watch").
MONITOR_MAX_NOISE = PSI_WATCH / 2

# ---------------------------------------------------------------------------------------
# model input and training plan

#: More than this share of rows with a category unseen in training always warrants a warning.
UNSEEN_WARN_SHARE = 0.02
#: A nominal feature with more distinct values keeps at most this many levels (the rest
#: become one "(other)" level): a 10,000-level category made a 52 MB scorecard.
MAX_CATEGORY_LEVELS = 100
#: A kept level must be seen in at least this many training rows.
MIN_LEVEL_ROWS = 10
#: With more features than this, interaction pairs are searched among the best few only ...
WIDE_FEATURES = 60
#: ... namely these many features that rank buyers best alone.
INTERACTION_CANDIDATES = 30
#: Bytes: BigQuery's and Snowflake's limit on one SQL statement; a larger scorecard SQL warns.
SQL_STATEMENT_LIMIT = 1_000_000


# ---------------------------------------------------------------------------------------
# the one pass/fail rule against the bars


@dataclass(frozen=True)
class BarCheck:
    """One test metric against its bar: ``passed`` is False when the value is absent."""

    metric: str
    value: float | None
    bar: float
    passed: bool
    source: str = "brief"   # where the bar comes from: "brief" or "declared" (Targets.source)


def meets_bar(metric: str, value: float | None) -> bool:
    """True when ``value`` reaches the bar of ``metric`` (:data:`BARS`); an absent value fails."""
    return value is not None and value >= BARS[metric]


def bar_checks(test: Mapping | None) -> list[BarCheck]:
    """Every bar of :data:`BARS` checked against the test metrics (``metrics.json["test"]``)."""
    test = test or {}
    return [BarCheck(key, test.get(key), bar, meets_bar(key, test.get(key))) for key, bar in BARS.items()]


def bars_met(test: Mapping | None) -> bool:
    """True when every bar of :data:`BARS` is met by the test metrics."""
    return all(check.passed for check in bar_checks(test))


def scoring_within_budget(seconds: float) -> bool:
    """True when scoring :data:`SCORING_TARGET_ROWS` customers took less than the budget."""
    return seconds < SCORING_BUDGET_SECONDS


# ---------------------------------------------------------------------------------------
# which targets a run is judged by: the brief's bars on the brief's sample, else declared ones

#: Targets.source values: the brief's bars, the user's declared targets, or none (baselines only).
BRIEF, DECLARED, NONE = "brief", "declared", "none"
#: Baselines a model is compared with when no target applies, in the order they are worded.
BASELINE_LABELS: dict[str, str] = {"logistic_regression": "logistic regression",
                                   "recency": "the recency baseline", "base_rate": "the base rate"}


@dataclass(frozen=True)
class Targets:
    """What a run's test metrics are judged against.

    ``values``: metric -> target (``>=``), empty when ``source`` is :data:`NONE` (then the verdict
    is relative to the baselines); ``scoring``: whether the brief's scoring budget (180K customers
    in 10 minutes) applies, i.e. only on the brief's sample."""

    values: dict[str, float]
    source: str
    brief_sample: bool = False   # the table is the brief's sample (its scoring budget applies)

    @property
    def scoring(self) -> bool:
        return self.brief_sample

    def to_dict(self) -> dict:
        """The form stored in metrics.json (``targets``)."""
        return {"roc_auc": self.values.get("roc_auc"), "f1": self.values.get("f1"), "source": self.source,
                "brief_sample": self.brief_sample}


def is_brief_sample(columns: Iterable[str], target: str | None) -> bool:
    """True when a table is the brief's sample: its columns (id column excluded) are exactly
    the sample schema's features plus its target. Decided from the data, never from a path."""
    cols = set(columns) - {schema.ID_COLUMN}
    return target == schema.TARGET_COLUMN and cols == set(schema.FEATURES) | {schema.TARGET_COLUMN}


def declare_targets(*, brief_sample: bool, roc_auc: float | None = None,
                    f1: float | None = None) -> Targets:
    """The targets a new run is judged by: declared ones win; else the brief's bars on the
    brief's sample; else none (baselines only)."""
    declared = {k: float(v) for k, v in (("roc_auc", roc_auc), ("f1", f1)) if v is not None}
    for key, value in declared.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"target {key} must be between 0 and 1, got {value:g}")
    if declared:
        return Targets(declared, DECLARED, brief_sample)
    if brief_sample:
        return Targets(dict(BARS), BRIEF, True)
    return Targets({}, NONE)


def targets_for(metrics: Mapping | None) -> Targets:
    """The targets of a run (metrics.json). Runs trained before targets were stored are judged
    by the brief's bars only when their features are the sample's (their table was the sample)."""
    metrics = metrics or {}
    stored = metrics.get("targets")
    if isinstance(stored, Mapping) and stored.get("source") in (BRIEF, DECLARED, NONE):
        values = {k: float(stored[k]) for k in BARS if stored.get(k) is not None}
        return Targets(values, stored["source"], bool(stored.get("brief_sample", stored["source"] == BRIEF)))
    training = metrics.get("training") or {}
    derived = {d.get("name") for d in training.get("derived_features") or []}
    features = [f for f in (training.get("features") or {}) if f not in derived]
    target = training.get("target")
    if not training:   # a bare metrics dict (tests, old tools): the historical behaviour
        return Targets(dict(BARS), BRIEF, True)
    sample = target == schema.TARGET_COLUMN and set(features) == set(schema.FEATURES)
    return Targets(dict(BARS), BRIEF, True) if sample else Targets({}, NONE)


def target_checks(metrics: Mapping | None) -> list[BarCheck]:
    """The run's test metrics against :func:`targets_for` (empty when only baselines apply)."""
    metrics = metrics or {}
    targets = targets_for(metrics)
    test = metrics.get("test") or {}
    return [BarCheck(key, test.get(key), bar, test.get(key) is not None and test[key] >= bar, targets.source)
            for key, bar in targets.values.items()]


@dataclass(frozen=True)
class BaselineGap:
    """The model's test metric minus a baseline's on the same split (positive: the model is better)."""

    baseline: str
    metric: str
    value: float
    baseline_value: float

    @property
    def gain(self) -> float:
        return self.value - self.baseline_value

    @property
    def label(self) -> str:
        return BASELINE_LABELS.get(self.baseline, self.baseline.replace("_", " "))


def baseline_gaps(metrics: Mapping | None, metric: str = "roc_auc") -> list[BaselineGap]:
    """``metric`` of the model against each baseline of :data:`BASELINE_LABELS` the run has."""
    metrics = metrics or {}
    value = (metrics.get("test") or {}).get(metric)
    base = metrics.get("baselines") or {}
    if value is None:
        return []
    return [BaselineGap(key, metric, value, base[key][metric]) for key in BASELINE_LABELS
            if isinstance(base.get(key), Mapping) and base[key].get(metric) is not None]
