"""`segkit demo --from-logs`: the whole chain from raw logs, as a shop would run it.

generate logs -> backtest (out-of-time folds against recency, RFM, BG/NBD and the oracle)
-> snapshot at the latest as-of -> train, segment, score -> snapshot a month earlier and the
flow between the two -> report. Everything lands in one run folder, so the TUI's Movement
tab and the report's backtest and movement sections read what a production run would write.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from rich.console import Console

from toolkit.run import folder as runs
from toolkit.schema import ID_COLUMN

LOGS = "logs"
"""The generated logs, inside the run folder."""
BACKTEST_DIR = "backtest"
EARLIER = "snapshot_earlier.parquet"
"""The snapshot one as-of date before the run's own: the flow's starting point."""


def run_demo_from_logs(out: str | Path, *, rows: int = 180_000, seed: int = 42,
                       console: Console | None = None, outer_bags: int = 4,
                       interactions: int = 10, bootstraps: int = 20) -> Path:
    """Build a complete run folder in ``out`` from generated raw logs and print a summary."""
    from toolkit.backtest import (BacktestConfig, default_dates, load_truth, plan_folds,
                                  run_backtest, write_backtest)
    from toolkit.backtest.table import backtest_lines, backtest_table
    from toolkit.data.generate_logs import write_logs
    from toolkit.model.scoring import score_file
    from toolkit.model.train import TrainConfig, train_file
    from toolkit.run.demo import _print_segments, _report, _segment, _write_timings
    from toolkit.run.provenance import record_snapshot
    from toolkit.snapshot import build_snapshot, load_sources, write_snapshot
    from toolkit.summary import live_status, metrics_table

    console = console or Console(log_path=False)
    run = Path(out)
    run.mkdir(parents=True, exist_ok=True)
    logs = run / LOGS
    timings: dict[str, float] = {}

    started = time.perf_counter()
    with live_status(console, f"Generating {rows:,} customers' orders, sessions and marketing "
                              f"events (seed {seed})") as say:
        info = write_logs(logs, customers=rows, seed=seed, progress=say)
    timings["generate_logs"] = time.perf_counter() - started
    console.log(f"Generated logs {info['start']} .. {info['end']} -> {logs}")

    sources = load_sources(logs)
    horizon = int(info.get("horizon_days", 30))
    as_of_dates = [dt.date.fromisoformat(d) for d in info["as_of_dates"]]
    latest = dt.date.fromisoformat(info["default_as_of"])
    earlier = max(d for d in as_of_dates if d < latest)

    started = time.perf_counter()
    folds = plan_folds(default_dates(as_of_dates, horizon, logs_end=sources.end), horizon,
                       logs_end=sources.end)
    config = BacktestConfig(horizon_days=horizon, seed=seed, outer_bags=outer_bags,
                            interactions=interactions)
    truth = load_truth(logs / "truth.parquet")
    with live_status(console, "Backtesting: train at each as-of date, judge on the next") as say:
        document = run_backtest(sources, folds, config, truth=truth, say=say)
        document["truth"] = str(logs / "truth.parquet")
        write_backtest(document, run / BACKTEST_DIR, run)
    timings["backtest"] = time.perf_counter() - started
    console.log(f"Backtest: {len(folds)} fold(s) in {timings['backtest']:.0f} s -> "
                f"{run / BACKTEST_DIR}")

    started = time.perf_counter()
    with live_status(console, f"Snapshots at {earlier} and {latest}") as say:
        data_path = write_snapshot(build_snapshot(sources, latest, horizon, progress=say),
                                   run / runs.DATA)
        before_path = write_snapshot(build_snapshot(sources, earlier, horizon, progress=say),
                                     run / EARLIER)
    timings["snapshot"] = time.perf_counter() - started
    console.log(f"Snapshots as of {earlier} and {latest} -> {before_path}, {data_path}")

    label = f"purchased_next_{horizon}d"
    train_config = TrainConfig(target=label, id_column=ID_COLUMN, seed=seed,
                               outer_bags=outer_bags, interactions=interactions)
    started = time.perf_counter()
    with live_status(console, f"Training the purchase model on the snapshot at {latest}") as say:
        result = train_file(data_path, train_config, run, progress=say)
    record_snapshot(run, data_path, sum(result.metrics["training"]["rows"].values()))
    timings["train"] = time.perf_counter() - started

    segmented = _segment(run, data_path, seed=seed, bootstraps=bootstraps, console=console)
    if segmented is not None:
        timings["segment"] = segmented

    ruleset = runs.Run(run).ruleset()
    started = time.perf_counter()
    with live_status(console, "Scoring the customers"):
        scored = score_file(result.scorecard, data_path, run / runs.SCORES, ruleset=ruleset)
    timings["score"] = time.perf_counter() - started
    console.log(f"Scored {scored:,} customers in {timings['score']:.1f} s -> {run / runs.SCORES}")

    moves = _record_flow(run, ruleset, before_path, data_path)

    _write_timings(run, rows, seed, timings, from_logs=True)
    reported = _report(run, console=console)
    if reported is not None:
        timings["report"] = reported
        _write_timings(run, rows, seed, timings, from_logs=True)

    console.print(backtest_table(document))
    for line in backtest_lines(document):
        console.print(line, highlight=False, markup=False)
    console.print(metrics_table(result.metrics))
    _print_segments(run, console)
    for line in moves:
        console.print(line, highlight=False, markup=False)
    console.print(f"\nRun folder: [bold]{run}[/]   next: [bold]segkit tui --run {run}[/]")
    return run


def _record_flow(run: Path, ruleset, before: Path, after: Path) -> list[str]:
    """RUN/flow.json between the two snapshots; the three biggest moves, in words."""
    if ruleset is None:
        return []
    import polars as pl

    from toolkit.ruleset.flow import flow
    from toolkit.run.provenance import flow_document, record_flow

    doc = flow_document(flow(ruleset, pl.read_parquet(before), pl.read_parquet(after),
                             ID_COLUMN), ruleset, before, after)
    record_flow(run, doc)
    lines = [f"Movement {doc['as_of']['before']} -> {doc['as_of']['after']} "
             f"({run / runs.FLOW}):"]
    for move in doc["biggest"][:3]:
        campaign = move.get("campaign") or {}
        lines.append(f"  {move['text']}" + (f"  -> {campaign['title']}" if campaign.get("title") else ""))
    return lines

