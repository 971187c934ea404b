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
    with live_status(console, "Loading data") as say:
        result = train_file(data, config, out, progress=say)

    from rich.markup import escape

    from toolkit.model.model_input import describe_infinite

    infinite = describe_infinite(result.metrics["training"].get("infinite_values") or {})
    if infinite:
        console.print(f"[yellow]{escape(infinite)}[/]")
    ignored = result.metrics["training"]["roles"]["ignored"]
    if ignored:
        console.print(f"not used as features ({escape(spec.source)}): {escape(', '.join(ignored))}")
    console.print(metrics_table(result.metrics))
    console.print(f"Run written to [bold]{out}[/]")


@app.command("score")
def score_command(
    run: Path = typer.Option(..., "--run", help="Run folder with scorecard.json."),
    data: Path = typer.Option(..., "--data", help="Customers to score (.csv or .parquet)."),
    out: Path = typer.Option(..., "--out", help="Scores file (.parquet or .csv)."),
    batch_rows: int = typer.Option(250_000, help="Rows per streaming batch."),
) -> None:
    """Score customers: id, purchase_probability, will_purchase, top 3 reasons (and segment)."""
    from rich.markup import escape

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


@app.command("demo")
def demo_command(
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Run folder to write."),
    rows: int = typer.Option(180_000, help="Customers to generate."),
    seed: int = typer.Option(42, help="Seed for data, split and models."),
    outer_bags: int = typer.Option(4, help="EBM outer bags (fewer: faster)."),
    interactions: int = typer.Option(10, help="EBM pairwise interaction terms (fewer: faster)."),
    bootstraps: int = typer.Option(20, help="Bootstrap refits that measure segment stability."),
) -> None:
    """Generate the sample, train, score, segment and report, all into --out."""
    from toolkit.run.demo import run_demo
    from toolkit.data.outputs import check_outputs

    check_outputs(folders=[out])
    run_demo(out, rows=rows, seed=seed, console=console, outer_bags=outer_bags,
             interactions=interactions, bootstraps=bootstraps)

