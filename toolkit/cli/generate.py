"""`segkit generate`: write the synthetic customer table and its truth file, or (``--logs DIR``)
the same world as raw logs with an oracle per as-of date."""

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
    out: Path = typer.Option(None, "--out", show_default="customers.parquet",
                             help="Customer table to write (.parquet, or .csv); the truth goes "
                                  "beside it as <stem>.truth.parquet."),
    logs: Path = typer.Option(None, "--logs", metavar="DIR",
                              help="Write raw logs into this folder instead of the table: "
                                   "customers, orders, sessions, marketing, truth (.parquet) "
                                   "and logs.json, 24 months; see sample_data/logs.py."),
) -> None:
    """Generate a synthetic customer table (35 features + purchased_next_30d) with known truth.

    Six latent customer types, a documented purchase propensity (~28 % positives) and realistic missing values; see sample_data/generator.py for the recipe. With --logs DIR: the same world as raw logs (for segkit snapshot / backtest) with the true 30-day purchase probability at 12 month-end as-of dates.
    """
    if logs is not None:
        if out is not None:
            from toolkit.errors import SegkitError
            raise SegkitError("--out names the customer table and --logs a logs folder; give one of them")
        _generate_logs(logs, rows, seed)
        return
    out = out if out is not None else Path("customers.parquet")
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


def _generate_logs(folder: Path, rows: int, seed: int) -> None:
    """`segkit generate --logs DIR`: simulate, write, print what was written."""
    import toolkit.data.generate_logs as gl

    gl.check_logs_dir(folder)  # before the work, not after it
    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                  BarColumn(), TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"Simulating {rows:,} customers", total=len(gl.STAGES) + 1)

        def say(message: str) -> None:
            progress.update(task, description=message, completed=_stage_index(message, gl))

        info = gl.write_logs(folder, customers=rows, seed=seed, progress=say)
        progress.update(task, completed=len(gl.STAGES) + 1)
    seconds = time.perf_counter() - started
    console.print(f"Wrote logs of {rows:,} customers (seed {seed}) in {seconds:.1f} s -> "
                  f"[bold]{folder}[/]", highlight=False)
    paths = gl.output_paths(folder)
    for name, entry in info["files"].items():
        console.print(f"  {entry['file']:<18} {entry['rows']:>12,} rows  {_size(paths[name])}",
                      highlight=False)
    dates = info["as_of_dates"]
    console.print(f"Logs cover {info['start']} .. {info['end']}; as-of dates (month ends, "
                  f"30-day label inside the logs): {dates[0]} .. {dates[-1]} ({len(dates)}), "
                  f"default {info['default_as_of']}", highlight=False)
    console.print(f"Oracle: {gl.INFO_FILE} and truth.parquet (true_probability, latent_type, "
                  f"state per as-of). Next: segkit snapshot --logs {folder} --out customers.parquet",
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
