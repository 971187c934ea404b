"""Rich tables summarising a run for the terminal (CLI and demo)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.table import Table

# The brief's acceptance bars for the purchase model.
BARS = {"roc_auc": 0.82, "f1": 0.68}
SCORING_BUDGET_SECONDS = 600


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def metrics_table(metrics: dict) -> Table:
    """EBM test metrics against the baselines and the brief's bars."""
    table = Table(title="Purchase model on held-out test rows", title_justify="left")
    table.add_column("model")
    for key in ("roc_auc", "pr_auc", "f1", "precision", "recall", "brier"):
        table.add_column(key.replace("_", "-").upper() if key != "brier" else "Brier", justify="right")
    rows = [("EBM (segkit)", metrics["test"])] + [
        (name.replace("_", " "), m) for name, m in metrics.get("baselines", {}).items()
    ]
    for name, m in rows:
        table.add_row(name, *(_fmt(m.get(k)) for k in ("roc_auc", "pr_auc", "f1", "precision", "recall", "brier")))
    test = metrics["test"]
    verdicts = []
    for key, bar in BARS.items():
        ok = test.get(key) is not None and test[key] >= bar
        verdicts.append(f"{key.upper().replace('_', '-')} {_fmt(test.get(key))} {'>=' if ok else '<'} {bar}"
                        f" [{'green' if ok else 'red'}]{'pass' if ok else 'FAIL'}[/]")
    oracle = metrics.get("baselines", {}).get("oracle")
    if oracle and oracle.get("roc_auc") is not None:
        verdicts.append(f"gap to oracle AUC {oracle['roc_auc'] - test['roc_auc']:+.3f}")
    table.caption = (f"threshold {test['threshold']:.3f} chosen on validation rows; "
                     + "; ".join(verdicts))
    table.caption_justify = "left"
    return table


@contextmanager
def live_status(console: Console, title: str) -> Iterator[Callable[[str], None]]:
    """A spinner line for a long step; yields ``say(message)``, which updates the line
    (with the seconds elapsed) and logs the message, ready to pass as ``progress=``."""
    with console.status(title) as status:
        started = time.perf_counter()

        def say(message: str) -> None:
            status.update(f"{message}  [dim]({time.perf_counter() - started:.0f} s)[/]")
            console.log(message)

        yield say

