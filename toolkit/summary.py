"""Rich tables summarising a run for the terminal (CLI and demo)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

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


class ElapsedText:
    """A status line whose seconds are computed each time it is drawn, so a spinner that
    redraws ~12 times a second shows the time advancing while one long step (a 20 s fit)
    runs, not the time at which the step started."""

    def __init__(self, message: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.message = message

    def __rich__(self) -> Text:
        seconds = max(0.0, self.clock() - self.started)
        return Text.from_markup(f"{self.message}  [dim]({seconds:.0f} s)[/]")


@contextmanager
def live_status(console: Console, title: str, *,
                clock: Callable[[], float] = time.monotonic) -> Iterator[Callable[[str], None]]:
    """A spinner line for a long step; yields ``say(message)``, which changes the line's text
    (the seconds since the start keep counting on every redraw) and logs the message, ready
    to pass as ``progress=``."""
    line = ElapsedText(title, clock)
    with console.status(line):

        def say(message: str) -> None:
            line.message = message
            console.log(message)

        yield say
