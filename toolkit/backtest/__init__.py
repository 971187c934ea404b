"""Out-of-time validation from raw logs: train at one as-of date, judge at a later one.

``folds`` checks the dates (in order, never overlapping, labels covered by the logs);
``history`` holds one period's data and the order history BG/NBD needs; ``baselines`` the
recency, RFM-logistic, BG/NBD and oracle scorers; ``evaluate`` the folds and backtest.json;
``output`` the files (JSON, chart) and ``table`` the terminal table.
"""

from toolkit.backtest.baselines import BASELINES
from toolkit.backtest.evaluate import (BacktestConfig, count_steps, evaluate_fold, result_document,
                                       run_backtest, score_metrics, verdict)
from toolkit.backtest.folds import Fold, default_dates, parse_date, plan_folds
from toolkit.backtest.history import Period, load_truth, order_history, truth_at
from toolkit.backtest.output import chart_png, output_paths, write_backtest

__all__ = ["BASELINES", "BacktestConfig", "Fold", "Period", "chart_png", "count_steps",
           "default_dates", "evaluate_fold", "load_truth", "order_history", "output_paths",
           "parse_date", "plan_folds", "result_document", "run_backtest", "score_metrics",
           "truth_at", "verdict", "write_backtest"]
