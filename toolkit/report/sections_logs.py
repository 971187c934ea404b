"""The report's words for a run built from logs: where its rows come from (the snapshot's
as-of date and horizon), the out-of-time backtest (quoted first in Validation) and the
Movement section (who moved between segments, and the campaign each big flow suggests).

Each part reads what :mod:`toolkit.run.provenance` recorded in the run folder
(snapshot.json, backtest.json and backtest.png, flow.json) through
:class:`toolkit.report.tables.Figures`, and writes nothing when the run has no such file.
"""

from __future__ import annotations

import shutil

from toolkit.fmt import num as fmt, pct
from toolkit.report.sections import Page, _table
from toolkit.report.tables import Figures
from toolkit.run import provenance

MOVEMENT_TITLE = "Movement"
BIGGEST_IN_REPORT = 3
BASELINE_LABELS = {"recency": "Recency", "rfm_logistic": "RFM logistic", "bgnbd": "BG/NBD",
                   "oracle": "Oracle"}


def rows_from(page: Page, fig: Figures) -> None:
    """Under the title: which as-of date and label horizon the run's rows are from."""
    if fig.snapshot is None:
        return
    sentence = provenance.snapshot_sentence(fig.snapshot).rstrip(".")
    page.add(f"**Rows**: this run was trained on {sentence} (snapshot.json, copied from the "
             "table's sidecar by `segkit train`).", "")


def backtest(page: Page, fig: Figures) -> None:
    """Validation, first: trained on the past, judged on a later period it never saw."""
    bt = fig.backtest
    if bt is None:
        return
    names = bt.baseline_names
    header = ["Fold", "Trained at", "Tested at", "Customers", "Positive", "Model AUC",
              *[f"{BASELINE_LABELS.get(n, n)} AUC" for n in names], "Beats every baseline"]
    rows = []
    for i, f in enumerate(bt.folds, start=1):
        verdict = f.beats()
        rate = f.positives / f.rows if f.rows and f.positives is not None else None
        rows.append([i, f.train_as_of, f.test_as_of, fmt(f.rows), pct(rate),
                     f"**{fmt(f.model.get('roc_auc'))}**",
                     *[fmt(f.baselines.get(n, {}).get("roc_auc")) for n in names],
                     "-" if verdict is None else ("yes" if verdict else "no")])
    verdicts = [f.beats() for f in bt.folds]
    judged = [v for v in verdicts if v is not None]
    page.add("### Out-of-time backtest", "",
             "The honest test for a model that will score next month's customers: for each "
             "fold the model is trained on the snapshot at one date (threshold chosen on part "
             "of that period) and judged on the snapshot at a later date whose label window "
             "it never saw (backtest.json, from `segkit backtest`). ROC AUC per fold, the "
             "model against its baselines (recency: days since the last order; RFM logistic: "
             "a logistic regression on recency, frequency and spend; BG/NBD: the classic "
             "transaction model; oracle: the true probabilities, where known):", "",
             *_table(header, rows))
    if judged:
        gaps = [f.model["roc_auc"] - f.baselines["oracle"]["roc_auc"] for f in bt.folds
                if f.model.get("roc_auc") is not None
                and (f.baselines.get("oracle") or {}).get("roc_auc") is not None]
        text = (f"The model beats every baseline (oracle aside) on {sum(judged)} of "
                f"{len(judged)} folds.")
        if gaps:
            text += f" Largest gap below the oracle: {fmt(max(-g for g in gaps))} AUC."
        page.add(text, "")
    chart = fig.run.existing(provenance.BACKTEST_CHART)
    if chart is not None:
        page.files.mkdir(parents=True, exist_ok=True)
        target = page.files / provenance.BACKTEST_CHART
        shutil.copyfile(chart, target)  # report_files/ holds every picture the report shows
        page.image(target, "ROC AUC per backtest fold")
    page.add("The split and figures below are within one period (the rows of this run); the "
             "backtest above is across periods.", "")


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def movement(page: Page, fig: Figures, number: int) -> None:
    """Section ``number``: the transition matrix and the biggest flows with their campaigns."""
    moved = fig.movement
    if moved is None:
        return
    f = moved.flow
    page.add(f"## {number}. {MOVEMENT_TITLE}", "",
             f"One ruleset (`{f.ruleset or 'segments'}`) applied to two snapshots of the "
             f"customers, {moved.period} (flow.json, from `segkit rules flow --run`): "
             f"{f.rows_before:,} customers at the first, {f.rows_after:,} at the second. Each "
             "row is a segment at the first snapshot; each cell counts its customers by "
             f"segment at the second, with the row share. `{f.new}`: customers only in the "
             f"second snapshot; `{f.gone}`: only in the first.", "")
    header = ["From \\ to", *[f.names.get(t, t) for t in f.columns], "Stayed"]
    rows = []
    for s in f.rows:
        total = f.row_total(s)
        cells = [f"{f.matrix[s][t]:,} ({f.matrix[s][t] / total:.0%})" if f.matrix[s][t] else "0"
                 for t in f.columns]
        stayed = f.stayed_share.get(s) if s in f.segments else None
        rows.append([f.names.get(s, s), *cells, _share(stayed)])
    page.add(*_table(header, rows))
    biggest = moved.biggest(BIGGEST_IN_REPORT)
    if not biggest:
        page.add("Nobody moved between segments.", "")
        return
    page.add(f"The {len(biggest)} biggest flows between segments, and the campaign each suggests:", "")
    for i, (move, campaign) in enumerate(biggest, start=1):
        line = f"{i}. **{move.text}**"
        if f.row_total(move.source):
            line += f" ({move.customers / f.row_total(move.source):.0%} of {f.names[move.source]})"
        if campaign:
            line += f". {campaign.get('text', '')}"
            if campaign.get("why"):
                line += f" *Why: {campaign['why']}.*"
        else:
            line += ". (No campaign recorded: run `segkit rules flow --run` again.)"
        page.add(line)
    page.add("", "Campaigns follow each flow's direction, read from the segments' names and "
             "campaigns in the ruleset: into a lapsed or at-risk segment, win-back; out of one, "
             "welcome back; up into a high-value segment, loyalty / VIP; out of one, retention; "
             "from or into a new-customer segment, onboarding (the second purchase).", "")
