"""The end-to-end job on the bundled sample: generate, train, score, segment, report.

Everything lands in one run folder so the TUI (`segkit tui --run runs/demo`) and the report
read the same artifacts a production run would produce.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from toolkit.run import folder as runs
from toolkit.data.files import atomic_write_json
from toolkit.schema import ID_COLUMN, TARGET_COLUMN


def run_demo(out: str | Path, *, rows: int = 180_000, seed: int = 42, console: Console | None = None,
             outer_bags: int = 4, interactions: int = 10, bootstraps: int = 20) -> Path:
    """Build a complete run folder in ``out`` and print a summary."""
    from toolkit.data.generate import write_sample
    from toolkit.model.scoring import score_file
    from toolkit.summary import live_status, metrics_table
    from toolkit.model.train import TrainConfig, train_file

    console = console or Console(log_path=False)
    run = Path(out)
    run.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    def step(message: str) -> None:
        console.log(message)

    with live_status(console, f"Generating {rows:,} customers (seed {seed})"):
        started = time.perf_counter()
        data_path, _ = write_sample(rows, seed, run / runs.DATA)
        timings["generate"] = time.perf_counter() - started
    step(f"Generated {rows:,} customers -> {data_path}")

    config = TrainConfig(target=TARGET_COLUMN, id_column=ID_COLUMN, seed=seed,
                         outer_bags=outer_bags, interactions=interactions)
    started = time.perf_counter()
    with live_status(console, "Training the purchase model") as say:
        result = train_file(data_path, config, run, progress=say)
    timings["train"] = time.perf_counter() - started

    segmented = _segment(run, data_path, seed=seed, bootstraps=bootstraps, console=console)
    if segmented is not None:
        timings["segment"] = segmented

    started = time.perf_counter()
    ruleset = runs.Run(run).ruleset()
    scores = run / runs.SCORES
    with live_status(console, f"Scoring {rows:,} customers"):
        scored = score_file(result.scorecard, data_path, scores, ruleset=ruleset)
    timings["score"] = time.perf_counter() - started
    step(f"Scored {scored:,} customers in {timings['score']:.1f} s -> {scores}")

    # The report reads the scoring time from timings.json, so write it before the report
    # and again afterwards with the report's own time.
    _write_timings(run, rows, seed, timings)
    reported = _report(run, console=console)
    if reported is not None:
        timings["report"] = reported
        _write_timings(run, rows, seed, timings)
    console.print(metrics_table(result.metrics))
    _print_segments(run, console)
    console.print(f"\nRun folder: [bold]{run}[/]   next: [bold]segkit tui --run {run}[/]")
    return run


def _segment(run: Path, data_path: Path, *, seed: int, bootstraps: int, console: Console) -> float | None:
    """Run the segmentation into the run folder when the segments module is installed."""
    try:
        from toolkit.segments.pipeline import run_segmentation
    except ModuleNotFoundError:
        return None
    from toolkit.summary import live_status

    started = time.perf_counter()
    with live_status(console, "Segmenting customers (clusters, stability, rules)"):
        # the model trained just before: profiles quote each segment's mean probability
        run_segmentation(data_path, run, id_column=ID_COLUMN, seed=seed, bootstraps=bootstraps,
                         scorecard=runs.Run(run).existing(runs.SCORECARD))
    seconds = time.perf_counter() - started
    console.log(f"Segmented customers in {seconds:.0f} s -> {run / runs.RULESET}")
    return seconds


def _write_timings(run: Path, rows: int, seed: int, timings: dict[str, float], **extra: object) -> None:
    atomic_write_json(run / runs.TIMINGS,
                      {"rows": rows, "seed": seed, **extra,
                       "seconds": {k: round(v, 2) for k, v in timings.items()}})


def _report(run: Path, *, console: Console) -> float | None:
    try:
        from toolkit.report.build import build_report
    except ModuleNotFoundError:
        return None
    from toolkit.summary import live_status

    started = time.perf_counter()
    with live_status(console, "Writing the report"):
        paths = build_report(run)
    seconds = time.perf_counter() - started
    console.log(f"Report written -> {', '.join(str(p) for p in paths)}")
    return seconds


def _print_segments(run: Path, console: Console) -> None:
    summary = runs.Run(run).segments_summary()
    if not summary:
        return
    from toolkit.summary import segments_table

    wide = console.width >= 140
    console.print(segments_table(summary, width=console.width, rules_from=140))
    if not wide:
        console.print(f"Rules: {run / runs.RULESET}  (readable: segkit rules export "
                      f"{run / runs.RULESET} --format markdown)")
