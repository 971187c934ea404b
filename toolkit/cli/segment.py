"""`segkit segment`: stable clusters distilled into a readable ruleset (a thin shell over
:func:`toolkit.segments.pipeline.run_segmentation`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from toolkit.cli import app
from toolkit.policy import STABLE_JACCARD
from toolkit.schema import ID_COLUMN

console = Console(log_path=False)


def _split(values: list[str]) -> list[str] | None:
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None


@app.command("segment")
def segment_command(
    data: Path = typer.Option(..., "--data", help="Customer table (.csv or .parquet)."),
    id_column: str = typer.Option(None, "--id",
                                  help=f"Customer id column (default: {ID_COLUMN}, else the one "
                                       "column that looks like an id)."),
    out: Path = typer.Option(..., "--out", help="Run folder to write segments.yaml/.json into."),
    k_min: int = typer.Option(4, "--k-min", help="Fewest segments to try."),
    k_max: int = typer.Option(8, "--k-max", help="Most segments to try."),
    bootstraps: int = typer.Option(20, "--bootstraps", help="Bootstrap refits for the chosen k."),
    candidate_bootstraps: int = typer.Option(8, "--candidate-bootstraps",
                                             help="Bootstrap refits per candidate k."),
    seed: int = typer.Option(42, "--seed", help="Seed for the split, k-means and bootstraps."),
    features: list[str] = typer.Option([], "--features",
                                       help="Columns to cluster on (comma-separated or repeated); "
                                            "default: the numeric behaviour columns (counts, money, "
                                            "days, rates)."),
    describe: list[str] = typer.Option([], "--describe",
                                       help="Columns that describe segments in their profiles "
                                            "(comma-separated or repeated); default: categorical "
                                            "and demographic columns."),
    roles: Path = typer.Option(None, "--roles",
                               help='Column roles file (JSON or YAML): {"segment": [...], '
                                    '"describe": [...], "ignore": [...], "id": ..., "target": ...}.'),
    target: str = typer.Option(None, "--target",
                               help="Outcome column, never clustered (default: the roles file's, "
                                    "else the one segkit train used in --out, else "
                                    "purchased_next_30d, else the one 0/1 column named like an "
                                    "outcome, such as bought_within_30d)."),
    max_conditions: int = typer.Option(3, "--max-conditions", help="Conditions per rule path."),
    leaves: int = typer.Option(0, "--leaves", help="Tree leaf budget (0: choose from k..3k)."),
    held_out: float = typer.Option(0.2, "--held-out", help="Share of customers held out."),
    indicators: bool = typer.Option(False, "--indicators/--no-indicators",
                                    help="Add missing-value indicators to the clustering space."),
    workers: int = typer.Option(0, "--workers", help="Parallel refits (0: one per core, up to 4)."),
) -> None:
    """Cluster customers, check stability, distill the clusters into rules (segments.yaml)."""
    from toolkit.run.folder import SCORECARD, Run
    from toolkit.segments.pipeline import SegmentConfig, run_segmentation
    from toolkit.summary import segments_table

    config = SegmentConfig(id_column=id_column, features=_split(features), describe=_split(describe),
                           roles=str(roles) if roles is not None else None, target=target,
                           k_min=k_min, k_max=k_max,
                           bootstraps=bootstraps, candidate_bootstraps=candidate_bootstraps, seed=seed,
                           held_out=held_out, leaves=leaves or None, max_conditions=max_conditions,
                           indicators=indicators, workers=workers or None)
    # profiles quote the mean predicted probability when the run folder has a trained model
    scorecard = Run(out).existing(SCORECARD)

    with Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                  BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("Reading the customer table", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        # the columns used, printed above the progress bar as soon as the table is read
        result = run_segmentation(data, out, config, scorecard=scorecard, progress=progress,
                                  notify=lambda line: bar.console.print(escape(line), soft_wrap=True))
    s = result.summary
    from toolkit.model.model_input import describe_infinite

    infinite = describe_infinite(s.get("infinite_values") or {})
    if infinite:
        console.print(f"[yellow]{escape(infinite)}[/]")
    console.print(f"[bold]k = {s['k']}[/]  {s['k_reason']}")
    wide = console.width >= 120
    console.print(segments_table(s, width=console.width, rules_from=120))
    if not wide:
        for seg in s["segments"]:
            console.print(f"[bold]{escape(seg['id'])}[/]: " + (escape(seg["rule"]) if seg["rule"] else
                                                      "[dim]everyone else (default)[/]"))
    stab = s["stability"]
    unstable = [sid for sid, j in stab["cluster_jaccard"].items() if j is not None and j < STABLE_JACCARD]
    if unstable:
        console.print(f"[yellow]not stable (bootstrap Jaccard < {STABLE_JACCARD}):[/] {', '.join(unstable)}")
    console.print(
        f"held-out: fidelity {s['fidelity']:.3f} (before rounding {s['fidelity_unrounded']:.3f}), "
        f"cost ratio {s['cost_ratio']:.3f}, coverage {s['coverage']:.3f}; cluster ARI "
        f"{stab['cluster_ari']:.3f}, rules ARI {stab['rules_ari']:.3f}; "
        f"{s['timings']['total']:.0f} s")
    goal = s.get("goal") or {}
    if goal.get("statement"):
        console.print(("[green]" if goal.get("reached") else "[yellow]") + escape(goal["statement"]) + "[/]")
    console.print(f"Wrote [bold]{result.paths['yaml']}[/], {result.paths['json'].name}, "
                  f"{result.paths['assignments'].name}")
