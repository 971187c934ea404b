"""`segkit generate`: write the synthetic customer table and its truth file."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from toolkit.cli import app

console = Console()


@app.command("generate")
def generate_command(
    rows: int = typer.Option(180_000, "--rows", min=1, help="Customers to generate."),
    seed: int = typer.Option(42, "--seed", min=0, help="Random seed: the same seed gives the same table."),
    out: Path = typer.Option(Path("customers.parquet"), "--out",
                             help="Customer table to write (.parquet, or .csv); the truth goes "
                                  "beside it as <stem>.truth.parquet."),
) -> None:
    """Generate a synthetic customer table (35 features + purchased_next_30d) with known truth.

    Six latent customer types, a documented purchase propensity (~28 % positives) and realistic missing values; see sample_data/generator.py for the recipe.
    """
    import toolkit.data.generate as gen
    from toolkit.data.outputs import check_outputs
    from toolkit.schema import TARGET_COLUMN

    check_outputs(outputs=[out, gen.truth_path(out)])  # before generating, not after

    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                  BarColumn(), TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"Generating {rows:,} customers", total=len(gen.STAGES) + 1)

        def say(message: str) -> None:
            progress.update(task, description=message, completed=_stage_index(message, gen))

        customers, truth = gen.generate(rows, seed, progress=say)
        data_path, truth_path = gen.write_tables(customers, truth, out, progress=say)
        progress.update(task, completed=len(gen.STAGES) + 1)
    seconds = time.perf_counter() - started

    positives = customers.get_column(TARGET_COLUMN)
    mix = truth.get_column("latent_type").value_counts(normalize=True)
    shares = dict(zip(mix.get_column("latent_type").to_list(), mix.get_column("proportion").to_list()))
    console.print(f"Wrote {customers.height:,} customers (seed {seed}) in {seconds:.1f} s -> "
                  f"[bold]{data_path}[/] ({_size(data_path)})")
    console.print(f"Truth (true_probability, latent_type) -> [bold]{truth_path}[/]")
    console.print(f"Positive rate ({TARGET_COLUMN}): [bold]{positives.mean():.1%}[/] "
                  f"({int(positives.sum()):,} of {customers.height:,})")
    console.print("Latent types: " + ", ".join(f"{name} {shares.get(name, 0.0):.0%}" for name in gen.TYPE_NAMES),
                  highlight=False)


def _stage_index(message: str, gen) -> int:
    stages = list(gen.STAGES) + [gen.WRITING]
    return stages.index(message) if message in stages else 0


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
