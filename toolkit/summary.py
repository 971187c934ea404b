"""Rich tables summarising a run for the terminal (CLI and demo)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

from toolkit import policy
from toolkit.fmt import num as _fmt


def metrics_table(metrics: dict) -> Table:
    """EBM test metrics against the baselines and the run's targets (:func:`toolkit.policy.targets_for`)."""
    table = Table(title="Purchase model on held-out test rows", title_justify="left")
    table.add_column("model")
    for key in ("roc_auc", "pr_auc", "f1", "precision", "recall", "brier"):
        table.add_column(key.replace("_", "-").upper() if key != "brier" else "Brier", justify="right")
    rows = [("EBM (segkit)", metrics["test"])] + [
        (name.replace("_", " "), m) for name, m in metrics.get("baselines", {}).items()
    ]
    for name, m in rows:
        table.add_row(name, *(_fmt(m.get(k)) for k in ("roc_auc", "pr_auc", "f1", "precision", "recall", "brier")))
    from toolkit.run.verdicts import bar_checks, baseline_verdict, target_words

    test = metrics["test"]
    verdicts = []
    for check in bar_checks(metrics):   # the brief's bars on its sample, else declared targets
        ok = check.passed
        verdicts.append(f"{check.metric.upper().replace('_', '-')} {_fmt(check.value)} {'>=' if ok else '<'} "
                        f"{check.bar:g} [{'green' if ok else 'red'}]{'pass' if ok else 'FAIL'}[/] ({target_words(check)})")
    versus = baseline_verdict(metrics)
    if versus:
        verdicts.append(f"ROC-AUC {_fmt(test.get('roc_auc'))} {versus}")
    if policy.targets_for(metrics).source == policy.NONE:
        verdicts.append("no targets declared (segkit train --target-auc/--target-f1): judged by its baselines")
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


NARROW = 100  # below this console width tables drop descriptive columns (names, notes, rules)


def room_for_text(width: int, fixed: list[list[str]], text_columns: int = 1) -> int:
    """Characters left for a table's ``text_columns`` text columns when the other columns
    (numbers, short codes; each given as [header, *cells], the header's lines split on
    newlines, the cells kept whole) must show in full. Box tables take one border per
    column plus one, and two padding per column. Numbers are never cut; names are."""
    used = 1
    for header, *cells in fixed:
        used += 3 + max([len(line) for line in header.split("\n")] + [len(c) for c in cells])
    return max(8, width - used - 3 * text_columns)


def segments_table(summary: dict, *, width: int, rules_from: int = 140) -> Table:
    """A run's segments (id, name, size, share, Jaccard; the rule when ``width >= rules_from``)
    for a terminal ``width`` wide: numbers whole, ids never broken (an ellipsis at worst);
    below :data:`NARROW` the name is left out (print the rules below the table)."""
    from rich.markup import escape

    stab = summary.get("stability", {})
    title = (f"{summary.get('k')} segments: fidelity {summary.get('fidelity', 0):.3f}, "
             f"cost ratio {summary.get('cost_ratio', 0):.3f}, rules ARI "
             f"{(stab.get('rules_ari') or 0):.3f} ({stab.get('bootstraps')} bootstraps)")
    segments = summary.get("segments", [])

    def jac(value) -> str:
        return f"{value:.2f}" if value is not None else "-"

    numbers = [[f"{s['size']:,}", f"{s['share']:.1%}", jac(s.get("cluster_jaccard")),
                jac(s.get("rules_jaccard"))] for s in segments]
    headers = ["size", "share", "Jaccard", "rules\nJ."]
    show_name, show_rule = width >= NARROW, width >= rules_from
    room = room_for_text(width, [[h, *(n[i] for n in numbers)] for i, h in enumerate(headers)],
                         1 + show_name + show_rule)
    if show_rule:
        room -= 30
    table = Table(title=title, show_lines=show_rule, expand=False)
    longest_id = max((len(s["id"]) for s in segments), default=8)
    table.add_column("segment", no_wrap=True, overflow="ellipsis",
                     max_width=min(longest_id, room - 14) if show_name else room)
    if show_name:
        table.add_column("name", overflow="fold", min_width=12)
    for h in headers:
        table.add_column(h, justify="right", no_wrap=True)
    if show_rule:
        table.add_column("rule", overflow="fold", min_width=30, ratio=1)
    for s, nums in zip(segments, numbers):
        cells = [escape(s["id"])] + ([escape(s["name"])] if show_name else []) + nums
        if show_rule:
            rule = s.get("rule")
            cells.append(_rule_lines(rule) if rule else "[dim](everyone else)[/]")
        table.add_row(*cells)
    return table


def _rule_lines(rule: str) -> str:
    """The rule with each top-level ``or`` branch on its own line (display only)."""
    from rich.markup import escape

    from toolkit.rules import format_rule, parse
    from toolkit.rules.nodes import Or

    node = parse(rule)
    if isinstance(node, Or):
        return escape("\nor ".join(format_rule(n) for n in node.operands))
    return escape(rule)
