"""Out-of-time evaluation: train at one date, judge at a later one, against the baselines.

For each fold (``Di``, ``Dj``) the model is trained on the snapshot at ``Di`` exactly as
``segkit train`` trains (:func:`toolkit.model.train.train`: split fixed first, leakage
audit, EBM, threshold chosen on that period's validation rows) and scored on *every* row of
the snapshot at ``Dj``. The baselines (:mod:`toolkit.backtest.baselines`) are fitted on the
same training rows of ``Di`` and their F1 thresholds chosen on the same validation rows. The
test period's labels are read once, to compute the metrics; nothing is tuned on them.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Callable, Sequence

import numpy as np
import polars as pl

from toolkit.backtest.baselines import BASELINES, Scorer, Unavailable, make_baselines
from toolkit.backtest.folds import Fold, check_horizon
from toolkit.backtest.history import Period, truth_at
from toolkit.errors import DataError
from toolkit.model import metrics
from toolkit.schema import ID_COLUMN

Say = Callable[[str], None]
METRIC_KEYS = ("roc_auc", "pr_auc", "f1", "lift_top_decile")
ORACLE_TOLERANCE = 0.01
"""The issue's goal: on generated logs, the model's out-of-time ROC-AUC within this of the oracle's."""


@dataclass(frozen=True)
class BacktestConfig:
    """How each fold's model is trained (the ``segkit train`` options that set its size)."""

    horizon_days: int = 30
    seed: int = 42
    outer_bags: int = 4
    interactions: int = 10
    n_jobs: int = 2


def score_metrics(y: np.ndarray, score: np.ndarray, threshold: float) -> dict:
    """ROC-AUC, PR-AUC, F1 (at ``threshold``, chosen elsewhere), precision, recall and the lift
    of the top decile (:func:`toolkit.model.metrics.decile_of`'s split) for one scorer."""
    y = np.asarray(y).astype(int)
    score = np.asarray(score, dtype=float)
    head = metrics.headline(y, score, threshold)
    top = metrics.decile_of(score) == 1
    base = float(y.mean()) if len(y) else 0.0
    lift = float(y[top].mean() / base) if base > 0 and top.any() else None
    return {"roc_auc": head["roc_auc"], "pr_auc": head["pr_auc"], "f1": head["f1"],
            "lift_top_decile": lift, "precision": head["precision"], "recall": head["recall"],
            "threshold": float(threshold)}


def judge(scorer: Scorer, train: Period, test: Period, fit_rows: np.ndarray,
          valid_rows: np.ndarray) -> dict:
    """Fit ``scorer`` on the train period's ``fit_rows``, choose its F1 threshold on its
    ``valid_rows``, then measure it on every row of the test period."""
    scorer.fit(train, fit_rows)
    in_period = scorer.score(train)
    threshold, _ = metrics.best_f1_threshold(train.y[valid_rows], in_period[valid_rows])
    return score_metrics(test.y, scorer.score(test), threshold)


def _train_model(train: Period, config: BacktestConfig, say: Say):
    from toolkit.model.train import TrainConfig
    from toolkit.model.train import train as fit

    settings = TrainConfig(target=train.label, id_column=train.id_column, seed=config.seed,
                           outer_bags=config.outer_bags, interactions=config.interactions,
                           n_jobs=config.n_jobs)
    return fit(train.frame, settings, progress=say)


def evaluate_fold(train: Period, test: Period, config: BacktestConfig, *,
                  baselines: Sequence[Scorer] | None = None, say: Say | None = None,
                  step: Say | None = None) -> dict:
    """One fold's entry of backtest.json (see the module docstring for what is fitted where)."""
    say = say or (lambda message: None)
    step = step or say
    if test.label != train.label:
        raise DataError(f"the two snapshots have different labels ({train.label}, {test.label})")
    started = time.perf_counter()
    step(f"Training the model on {train.as_of.isoformat()} ({train.frame.height:,} rows)")
    result = _train_model(train, config, say)
    split = result.split.get_column("split").to_numpy()
    fit_rows, valid_rows = split == "train", split == "validation"
    p_test = np.asarray(result.scorecard.predict_proba(test.frame), dtype=float)
    model = score_metrics(test.y, p_test, result.scorecard.threshold)
    model["in_period_roc_auc"] = result.metrics["test"]["roc_auc"]   # Di's own held-out rows
    fit_seconds = time.perf_counter() - started

    step(f"Baselines for {train.as_of.isoformat()} -> {test.as_of.isoformat()}")
    judged: dict[str, dict] = {}
    notes: list[str] = []
    if baselines is None:
        # no truth at either date (logs that are not generated): no oracle, and nothing to note
        with_oracle = train.truth is not None or test.truth is not None
        baselines = [b for b in make_baselines(config.horizon_days, config.seed)
                     if with_oracle or b.name != "oracle"]
    for scorer in baselines:
        say(f"Baseline {scorer.name}")
        try:
            judged[scorer.name] = judge(scorer, train, test, fit_rows, valid_rows)
        except Unavailable as exc:
            notes.append(str(exc))
    y = test.y
    fold = {
        "train_as_of": train.as_of.isoformat(),
        "test_as_of": test.as_of.isoformat(),
        "rows": int(len(y)),
        "positives": int(y.sum()),
        "model": model,
        "baselines": judged,
        "train_rows": int(train.frame.height),
        "train_positives": int(train.y.sum()),
        "seconds": round(time.perf_counter() - started, 2),
        "model_seconds": round(fit_seconds, 2),
    }
    if notes:
        fold["notes"] = notes
    return fold


def verdict(folds: list[dict]) -> dict:
    """The issue's goal, from the folds: the model's out-of-time ROC-AUC above every
    (non-oracle) baseline on every fold, and within :data:`ORACLE_TOLERANCE` of the oracle."""
    margins, gaps = [], []
    for fold in folds:
        auc = fold["model"]["roc_auc"]
        for name, m in fold["baselines"].items():
            if m.get("roc_auc") is None or auc is None:
                continue
            if name == "oracle":
                gaps.append(m["roc_auc"] - auc)
            else:
                margins.append(auc - m["roc_auc"])
    out = {
        "beats_every_baseline": bool(margins) and min(margins) > 0,
        "smallest_margin_over_baselines": round(min(margins), 4) if margins else None,
    }
    if gaps:
        out["largest_gap_to_oracle"] = round(max(gaps), 4)
        out["within_oracle_tolerance"] = max(gaps) <= ORACLE_TOLERANCE
        out["oracle_tolerance"] = ORACLE_TOLERANCE
    return out


def result_document(folds: list[dict], config: BacktestConfig, *, label: str,
                    sources: dict | None = None, seconds: float | None = None) -> dict:
    """backtest.json: ``folds`` (the contract's keys) plus what produced them."""
    return {
        "folds": folds,
        "horizon_days": config.horizon_days,
        "label": label,
        "metrics": list(METRIC_KEYS),
        "baselines": {
            "recency": "ranks by days since the last order (more recent = higher); F1 threshold "
                       "chosen on the train period",
            "rfm_logistic": "logistic regression on log1p recency, orders_365d, total_spend_365d, "
                            "fitted on the train period",
            "bgnbd": "BG/NBD fitted on orders up to the train date; ranks by P(at least one "
                     "purchase in the horizon) given each customer's orders up to the scored date",
            "oracle": "the generator's true probability (generated logs only)",
        },
        "verdict": verdict(folds),
        "settings": asdict(config),
        "sources": sources,
        "seconds": round(seconds, 2) if seconds is not None else None,
    }


def run_backtest(sources, folds: Sequence[Fold], config: BacktestConfig, *,
                 truth: pl.DataFrame | None = None, say: Say | None = None,
                 step: Say | None = None) -> dict:
    """Every fold from raw logs (a :class:`toolkit.snapshot.LogSources`); the backtest.json dict.

    Each date's snapshot is built once (the middle dates are a test period, then a train
    period). ``truth`` (``customer_id``, ``as_of``, ``true_probability``) adds the oracle.
    """
    from toolkit.snapshot import build_snapshot

    say = say or (lambda message: None)
    step = step or say
    check_horizon(config.horizon_days)
    started = time.perf_counter()
    orders = _orders_of(sources)
    periods: dict[date, Period] = {}
    info: dict | None = None

    def period(as_of: date) -> Period:
        nonlocal info
        if as_of not in periods:
            step(f"Snapshot at {as_of.isoformat()}")
            snap = build_snapshot(sources, as_of, config.horizon_days, progress=say)
            if snap.label is None:
                raise DataError(f"the snapshot at {as_of.isoformat()} has no label: the logs do not "
                                f"cover the {config.horizon_days} days after it")
            info = info or dict(snap.info)
            id_column = ID_COLUMN if ID_COLUMN in snap.frame.columns else snap.frame.columns[0]
            periods[as_of] = Period(as_of, snap.frame, snap.label, id_column, orders=orders,
                                    truth=truth_at(truth, as_of))
        return periods[as_of]

    results = []
    label = None
    for fold in folds:
        train, test = period(fold.train_as_of), period(fold.test_as_of)
        label = train.label
        results.append(evaluate_fold(train, test, config, say=say, step=step))
        periods.pop(fold.train_as_of, None)   # never needed again: free the memory
    sources_info = (info or {}).get("sources")
    return result_document(results, config, label=label or "", sources=sources_info,
                           seconds=time.perf_counter() - started)


def count_steps(folds: Sequence[Fold]) -> int:
    """Progress steps :func:`run_backtest` reports: one per snapshot, two per fold."""
    dates = {f.train_as_of for f in folds} | {f.test_as_of for f in folds}
    return len(dates) + 2 * len(folds)


def _orders_of(sources) -> pl.DataFrame:
    """The order log of a :class:`toolkit.snapshot.LogSources` (already mapped to the canonical
    ``customer_id`` / ``ordered_at`` names), read once: BG/NBD cuts it at each date. Rows the
    snapshot does not count as orders (negative amounts: refunds) are left out, as there."""
    from toolkit.backtest.history import ORDER_ID, ORDER_TIME
    from toolkit.snapshot.features import ORDER

    table = sources.orders
    return (table.frame.filter(ORDER).select(pl.col(ORDER_ID), pl.col(table.time).alias(ORDER_TIME))
            .collect())


__all__ = ["BASELINES", "BacktestConfig", "count_steps", "evaluate_fold", "judge",
           "result_document", "run_backtest", "score_metrics", "verdict"]
