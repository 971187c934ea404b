"""Every threshold a verdict depends on, named once, with the reason for its value.

A verdict is a word segkit prints about a run or a table: "met" / "NOT met" against the
brief's bars, "stable", "below 0.9: check the rules", "watch" / "act", "probably a leak",
"too few rows". Each such word compares a figure with a number; the numbers live here so
the CLI, the report, the TUI, ``compare`` and ``monitor`` say the same thing about the same
figure, and a change of policy is one edit. Modules keep their historical names for these
values (``monitor.WATCH``, ``clustering.STABLE``, ``train_plan.MAX_CATEGORY_LEVELS``, ...)
as aliases of the constants below, so their documented import paths keep working.

This module imports nothing from segkit: anything may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

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
