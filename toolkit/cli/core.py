"""`segkit train`, `segkit score` and `segkit demo`."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from toolkit.cli import app
from toolkit.schema import ID_COLUMN, TARGET_COLUMN

console = Console(log_path=False)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                    BarColumn(), TextColumn("{task.completed:,.0f} rows"),
                    TimeElapsedColumn(), console=console, transient=False)


@app.command("train")
def train_command(
    data: Path = typer.Option(..., "--data", help="Customer table (.csv or .parquet)."),
    target: str = typer.Option(None, "--target",
                               help=f"Binary outcome column (default: the roles file's, else {TARGET_COLUMN})."),
    id_column: str = typer.Option(None, "--id",
                                  help=f"Customer id column (default: the roles file's, else {ID_COLUMN})."),
    roles: Path = typer.Option(None, "--roles",
                               help="Column roles file (JSON or YAML), the one segkit segment reads: "
                                    "its id and target apply unless --id/--target are given; its "
                                    "ignore list is never used as features."),
    out: Path = typer.Option(Path("runs/latest"), "--out", help="Run folder to write."),
    allow_feature: list[str] = typer.Option([], "--allow-feature",
                                            help="Keep a feature the leakage audit refused."),
    feature: list[str] = typer.Option([], "--feature", help="Use only these features (repeat)."),
    seed: int = typer.Option(42, help="Seed for the split and the model."),
    outer_bags: int = typer.Option(4, help="EBM outer bags (more: slower, slightly smoother)."),
    interactions: int = typer.Option(10, help="EBM pairwise interaction terms."),
    target_auc: float = typer.Option(None, "--target-auc",
                                     help="Test ROC AUC this model must reach (stored in the run)."),
    target_f1: float = typer.Option(None, "--target-f1",
                                    help="Test F1 this model must reach (stored in the run)."),
) -> None:
    """Train the purchase model and write scorecard.json and metrics.json to --out.

    The model is judged against --target-auc / --target-f1 when given; otherwise against the
    brief's bars on the brief's sample, and against its baselines on any other table."""
    from toolkit.data.roles_file import RolesSpec, read_roles_file
    from toolkit.summary import live_status, metrics_table
    from toolkit.model.train import TrainConfig, train_file

    spec = read_roles_file(roles) if roles is not None else RolesSpec()
    # explicit options win over the roles file: --feature over its ignore list too
    ignore = tuple(c for c in spec.ignore if c not in feature)
    config = TrainConfig(target=target or spec.target or TARGET_COLUMN,
                         id_column=id_column or spec.id or ID_COLUMN, features=list(feature) or None,
                         ignore=ignore, roles_file=str(roles) if roles is not None else None,
                         allow_features=tuple(allow_feature), seed=seed,
                         outer_bags=outer_bags, interactions=interactions,
                         target_auc=target_auc, target_f1=target_f1)
    from toolkit.run.provenance import read_sidecar, record_snapshot

    read_sidecar(data)  # a broken X.snapshot.json fails here, not after the fit
    with live_status(console, "Loading data") as say:
        result = train_file(data, config, out, progress=say)
    recorded, note = record_snapshot(out, data, sum(result.metrics["training"]["rows"].values()))

    from rich.markup import escape

    from toolkit.model.model_input import describe_infinite

    infinite = describe_infinite(result.metrics["training"].get("infinite_values") or {})
    if infinite:
        console.print(f"[yellow]{escape(infinite)}[/]")
    ignored = result.metrics["training"]["roles"]["ignored"]
    if ignored:
        console.print(f"not used as features ({escape(spec.source)}): {escape(', '.join(ignored))}")
    console.print(metrics_table(result.metrics))
    if recorded is not None:
        console.print(f"Rows from the snapshot as of {recorded.as_of} (recorded in snapshot.json)")
    if note:
        console.print(f"[yellow]{escape(note)}[/]")
    console.print(f"Run written to [bold]{out}[/]")


@app.command("score")
def score_command(
    run: Path = typer.Option(..., "--run", help="Run folder with scorecard.json."),
    data: Path = typer.Option(None, "--data", help="Customers to score (.csv or .parquet)."),
    out: Path = typer.Option(None, "--out", help="Scores file (.parquet or .csv)."),
    batch_rows: int = typer.Option(250_000, help="Rows per streaming batch."),
    db: str = typer.Option(None, "--db", help="Score inside a database instead: "
                           "postgresql://user@host/db or duckdb:///path/file.duckdb (with --table, --into)."),
    table: str = typer.Option(None, "--table", help="--db: the customer table (schema.table allowed)."),
    into: str = typer.Option(None, "--into", help="--db: the result table, created or replaced atomically."),
) -> None:
    """Score customers: id, purchase_probability, will_purchase, top 3 reasons (and segment).

    With --db the scorecard and the run's ruleset run as SQL inside the database: --table is
    read there and --into written there (no reasons), so customers never leave it."""
    from rich.markup import escape

    if db is not None or table is not None or into is not None:
        _score_in_database(run, db, table, into, data, out)
        return
    if data is None or out is None:
        from toolkit.errors import SegkitError

        raise SegkitError("segkit score needs --data and --out (a file), or --db, --table and --into "
                          "(score inside a database)")

    from toolkit.model.model_input import ScoringInputReport
    from toolkit.data.outputs import check_outputs
    from toolkit.run.folder import RULESET, SCORECARD, Run
    from toolkit.model.scoring import count_rows, score_file

    folder = Run(run)
    check_outputs(inputs=[data, folder.file(SCORECARD), folder.file(RULESET)], outputs=[out])
    folder = Run.of(folder)
    scorecard = folder.require_scorecard()
    ruleset = folder.ruleset()
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("Scoring", total=count_rows(data))
        report = ScoringInputReport()
        rows = score_file(scorecard, data, out, ruleset=ruleset, batch_rows=batch_rows,
                          on_batch=lambda n: progress.advance(task, n), report=report)
        progress.update(task, total=rows, completed=rows)
    seconds = time.perf_counter() - started
    console.print(f"Scored {rows:,} customers in {seconds:.1f} s -> [bold]{out}[/]")
    for warning in report.warnings():  # per-row details are in the scoring_note column
        label = "note" if warning.kind == "cast" else "warning"
        console.print(f"[yellow]{label}:[/] {escape(warning.message)}")


def _score_in_database(run: Path, db: str | None, table: str | None, into: str | None,
                       data: Path | None, out: Path | None) -> None:
    """`segkit score --db URL --table T --into S`: toolkit.engines.inplace, then a summary."""
    from rich.markup import escape

    from toolkit.engines.inplace import score_in_place
    from toolkit.errors import SegkitError
    from toolkit.summary import live_status

    if data is not None or out is not None:
        raise SegkitError("--db scores a table inside the database: give --table and --into, not --data/--out")
    absent = [flag for flag, value in (("--db", db), ("--table", table), ("--into", into)) if not value]
    if absent:
        raise SegkitError(f"scoring inside a database needs --db, --table and --into; missing {', '.join(absent)}")
    with live_status(console, "Connecting") as say:
        result = score_in_place(run, db, table, into, progress=say)
    share = result.positives / result.rows if result.rows else 0.0
    console.print(f"Scored {result.rows:,} customers of {escape(result.table)} in {result.seconds:.1f} s "
                  f"inside {escape(result.database)} -> [bold]{escape(result.into)}[/]")
    console.print(f"will_purchase: {result.positives:,} ({share:.1%})")
    if result.segments is not None:
        parts = ", ".join(f"{escape(s)} {n:,}" for s, n in result.segments.items())
        console.print(f"segments: {parts}")
    else:
        console.print("no segment column: the run has no ruleset (segments.yaml)")
    console.print(f"columns: {escape(', '.join(result.columns))} (no reasons: use --data for those)")
    if result.replaced:
        console.print(f"replaced the existing {escape(result.into)}: the new table was complete before "
                      "the old one was dropped, in one transaction")


@app.command("demo")
def demo_command(
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Run folder to write."),
    rows: int = typer.Option(180_000, help="Customers to generate."),
    seed: int = typer.Option(42, help="Seed for data, split and models."),
    outer_bags: int = typer.Option(4, help="EBM outer bags (fewer: faster)."),
    interactions: int = typer.Option(10, help="EBM pairwise interaction terms (fewer: faster)."),
    bootstraps: int = typer.Option(20, help="Bootstrap refits that measure segment stability."),
    from_logs: bool = typer.Option(False, "--from-logs",
                                   help="Start from raw logs instead of a customer table: generate "
                                        "orders, sessions and marketing events, backtest out of "
                                        "time, snapshot, train, segment, record the movement "
                                        "between two as-of dates, report."),
) -> None:
    """Generate the sample, train, score, segment and report, all into --out."""
    from toolkit.data.outputs import check_outputs

    check_outputs(folders=[out])
    if from_logs:
        from toolkit.run.demo_logs import run_demo_from_logs

        run_demo_from_logs(out, rows=rows, seed=seed, console=console, outer_bags=outer_bags,
                           interactions=interactions, bootstraps=bootstraps)
        return
    from toolkit.run.demo import run_demo

    run_demo(out, rows=rows, seed=seed, console=console, outer_bags=outer_bags,
             interactions=interactions, bootstraps=bootstraps)

