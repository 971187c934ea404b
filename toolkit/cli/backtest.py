"""`segkit backtest`: out-of-time validation from raw logs (train at one date, judge at a later one)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from toolkit.cli import app
from toolkit.errors import SegkitError
from toolkit.schema import ID_COLUMN

console = Console(log_path=False)


@app.command("backtest")
def backtest_command(
    logs: Path = typer.Option(None, "--logs", help="A logs folder as written by `segkit generate --logs` "
                                                  "(its truth.parquet adds the oracle)."),
    orders: Path = typer.Option(None, "--orders", help="Orders table (.csv or .parquet): customer id, order time, amount."),
    sessions: Path = typer.Option(None, "--sessions", help="Sessions table (adds the behavioral features)."),
    marketing: Path = typer.Option(None, "--marketing", help="Marketing events (adds the marketing features)."),
    profiles: Path = typer.Option(None, "--profiles", help="Customer profile table (adds the profile features)."),
    id_column: str = typer.Option(ID_COLUMN, "--id-column", help="Customer id column (every table)."),
    time_column: str = typer.Option("ordered_at", "--time-column", help="Order date or timestamp column."),
    amount_column: str = typer.Option("amount", "--amount-column", help="Order amount column."),
    as_of: list[str] = typer.Option([], "--as-of", metavar="YYYY-MM-DD",
                                    help="As-of dates YYYY-MM-DD, in order, at least two (repeat): each "
                                         "consecutive pair is a fold. Default with --logs: the last 3 of "
                                         "logs.json's as_of_dates that make valid folds."),
    horizon_days: int = typer.Option(30, "--horizon-days", help="Label window: an order in (as-of, as-of + H days]."),
    out: Path = typer.Option(..., "--out", help="Folder for backtest.json and backtest.png."),
    run: Path = typer.Option(None, "--run", help="Also write backtest.json into this run folder."),
    truth: Path = typer.Option(None, "--truth", help="True probabilities (customer_id, as_of, true_probability) "
                                                    "for the oracle; default: the logs folder's truth.parquet."),
    seed: int = typer.Option(42, help="Seed for each fold's split and model."),
    outer_bags: int = typer.Option(4, help="EBM outer bags (more: slower, slightly smoother)."),
    interactions: int = typer.Option(10, help="EBM pairwise interaction terms."),
) -> None:
    """Out-of-time validation: train at each --as-of date, judge at the next.

    Judged on a period the model never saw, against recency, RFM, BG/NBD and the oracle.
    """
    from toolkit.backtest import (BacktestConfig, count_steps, default_dates, load_truth, output_paths,
                                  plan_folds, run_backtest, write_backtest)
    from toolkit.backtest.folds import check_horizon
    from toolkit.backtest.table import backtest_lines, backtest_table
    from toolkit.data.outputs import check_outputs
    from toolkit.snapshot import load_sources

    if logs is None and orders is None:
        raise SegkitError("give --logs DIR or --orders FILE")
    check_horizon(horizon_days)
    if as_of:
        plan_folds(as_of, horizon_days)          # date mistakes before reading any file
    elif logs is None:
        raise SegkitError("give at least two --as-of dates (without --logs there is no logs.json to "
                          "take them from)")
    inputs = [p for p in (orders, sessions, marketing, profiles, truth) if p is not None]
    if logs is not None and logs.is_dir():
        inputs += sorted(logs.iterdir())
    check_outputs(inputs=inputs, outputs=output_paths(out, run),
                  folders=[out] + ([run] if run is not None else []))

    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                  BarColumn(bar_width=12), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("Reading and checking the logs", total=None)
        sources = load_sources(logs, orders=orders, sessions=sessions, marketing=marketing,
                               profiles=profiles, id_column=id_column, time_column=time_column,
                               amount_column=amount_column)
        if as_of:
            dates = list(as_of)
        elif sources.logs_info is None:
            raise SegkitError(f"{logs}: no logs.json to take the as-of dates from; give at least "
                              "two --as-of dates")
        else:
            listed = sources.logs_info.get("as_of_dates") or []
            dates = default_dates(listed, horizon_days, logs_end=sources.end)
        folds = plan_folds(dates, horizon_days, logs_end=sources.end)
        truth_file = truth if truth is not None else (
            logs / "truth.parquet" if logs is not None and (logs / "truth.parquet").exists() else None)
        truth_frame = load_truth(truth_file) if truth_file is not None else None
        progress.update(task, total=count_steps(folds), completed=0)
        state = {"started": False}

        def step(message: str) -> None:
            if state["started"]:
                progress.advance(task)
            state["started"] = True
            progress.update(task, description=escape(message))

        def say(message: str) -> None:
            progress.update(task, description=escape(message))

        config = BacktestConfig(horizon_days=horizon_days, seed=seed, outer_bags=outer_bags,
                                interactions=interactions)
        document = run_backtest(sources, folds, config, truth=truth_frame, say=say, step=step)
        document["truth"] = str(truth_file) if truth_file is not None else None
        progress.update(task, description="Writing backtest.json and backtest.png")
        written = write_backtest(document, out, run)
        progress.update(task, completed=count_steps(folds))
    seconds = time.perf_counter() - started

    console.print(backtest_table(document))
    for line in backtest_lines(document):
        console.print(escape(line), highlight=False)
    console.print(f"{len(folds)} fold(s) in {seconds:.0f} s -> "
                  + ", ".join(f"[bold]{escape(str(p))}[/]" for p in written), highlight=False)
