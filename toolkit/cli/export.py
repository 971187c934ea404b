"""`segkit export dbt`: a run's scorecard and ruleset as a dbt project (toolkit.engines.dbt)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from toolkit.cli import app

export_app = typer.Typer(help="Export a run for other tools (dbt).", no_args_is_help=True)
app.add_typer(export_app, name="export")
console = Console(highlight=False)


@export_app.command("dbt")
def dbt_cmd(
    run: Path = typer.Option(..., "--run", help="Run folder with scorecard.json (and segments.yaml)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the dbt project files into."),
    dialect: str = typer.Option("duckdb", "--dialect",
                                help="SQL dialect of the warehouse: duckdb, postgres, bigquery, snowflake, spark."),
    source: str = typer.Option(None, "--source", help="Input as {{ source() }}: source_name.table_name "
                               "(default segkit.customers, declared in sources.yml)."),
    ref: str = typer.Option(None, "--ref", help="Input as {{ ref() }}: an upstream dbt model instead of a source."),
) -> None:
    """Write dbt models for the scores and the segments, with schema.yml data tests."""
    from toolkit.engines.dbt import relation_jinja, write_dbt_project

    paths = write_dbt_project(run, out, dialect=dialect, source=source, ref=ref)
    console.print(f"Wrote {len(paths)} dbt files to [bold]{escape(str(out))}[/]:")
    for path in paths:
        console.print(f"  {escape(str(path.relative_to(out)))}")
    console.print(f"Input relation: {escape(relation_jinja(source, ref))}; then `dbt build --select segkit` "
                  "runs the models and their tests.")
