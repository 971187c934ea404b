"""The backtest for the terminal: a rich table with one row per scorer, ROC-AUC (and F1 when
there is room) per fold, fitting 80 columns, and the lines printed under it."""

from __future__ import annotations

from rich.table import Table

from toolkit.backtest.output import LABELS
from toolkit.fmt import num

WIDE_FOLDS = 3
"""Up to this many folds the table shows F1 beside ROC-AUC; beyond it, ROC-AUC only (80 columns)."""


def backtest_table(document: dict) -> Table:
    """Scorers x folds; each fold's column names its test date (train date in the caption)."""
    folds = document["folds"]
    with_f1 = len(folds) <= WIDE_FOLDS
    table = Table(title=f"Out-of-time backtest ({document.get('horizon_days')}-day purchase)",
                  title_justify="left")
    table.add_column("scorer", no_wrap=True)
    for i, fold in enumerate(folds, 1):
        table.add_column(f"{i}: AUC\n{fold['test_as_of']}", justify="right", no_wrap=True)
        if with_f1:
            table.add_column(f"{i}: F1", justify="right", no_wrap=True)
    names = ["model"] + [n for n in LABELS if n != "model"
                         and any(n in f["baselines"] for f in folds)]
    for name in names:
        cells = []
        for fold in folds:
            m = fold["model"] if name == "model" else fold["baselines"].get(name)
            cells.append(num(m.get("roc_auc")) if m else "-")
            if with_f1:
                cells.append(num(m.get("f1")) if m else "-")
        table.add_row(LABELS[name], *cells, style="bold" if name == "model" else None)
    return table


def backtest_lines(document: dict) -> list[str]:
    """What each fold trained and tested on, then the verdict: lines printed under the table
    (a caption would wrap at the table's width)."""
    lines = [f"fold {i}: {f['train_as_of']} ({f['train_rows']:,} rows) -> "
             f"{f['test_as_of']} ({f['rows']:,} rows, {f['positives']:,} buyers)"
             for i, f in enumerate(document["folds"], 1)]
    for i, f in enumerate(document["folds"], 1):
        lines.extend(f"fold {i}: {note}" for note in f.get("notes", []))
    lines.append(_verdict_words(document.get("verdict") or {}))
    return lines


def _verdict_words(v: dict) -> str:
    if v.get("smallest_margin_over_baselines") is None:
        return "no baseline could be measured"
    margin = v["smallest_margin_over_baselines"]
    words = (f"segkit beats every baseline on every fold (by >= {margin:.3f} AUC)"
             if v.get("beats_every_baseline")
             else f"segkit does NOT beat every baseline on every fold (worst: {margin:+.3f} AUC)")
    if v.get("largest_gap_to_oracle") is not None:
        words += f"\nlargest gap to the oracle: {v['largest_gap_to_oracle']:+.3f} AUC"
    return words
