"""`segkit report` and `segkit monitor`: thin shells over toolkit.report and toolkit.monitor."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from toolkit.cli import app

console = Console(log_path=False)
STATUS_STYLE = {"ok": "green", "watch": "yellow", "act": "bold red"}


@app.command("report")
def report_command(
    run: Path = typer.Option(..., "--run", help="Run folder (from `segkit demo` or `segkit train`)."),
    sql: bool = typer.Option(True, "--sql/--no-sql",
                             help="Compile the scorecard to SQL for the deployment section (cached)."),
    data: Path = typer.Option(None, "--data", help="The customer table the run was built from, "
                              "when the run folder has no data.parquet (runs made by `segkit train`)."),
) -> None:
    """Write RUN/report.md and a self-contained RUN/report.html (charts in RUN/report_files/)."""
    from toolkit.outputs import check_outputs
    from toolkit.report import build_report

    check_outputs(folders=[run], outputs=[Path(run) / "report.md", Path(run) / "report.html"])
    from toolkit.summary import live_status

    started = time.perf_counter()
    with live_status(console, "Writing the report"):
        paths = build_report(run, sql=sql, data=data)
    console.print(f"Report written in {time.perf_counter() - started:.1f} s -> "
                  + ", ".join(f"[bold]{p}[/]" for p in paths))


def _status(text: str) -> str:
    return f"[{STATUS_STYLE.get(text, '')}]{text}[/]"


def monitor_table(report) -> Table:
    """The monitor result as a rich table: score and segments first, then features by PSI."""
    from toolkit.monitor import ACT, WATCH

    table = Table(title=f"Drift: {report.current} ({report.current_rows:,} rows) vs "
                        f"{report.reference} ({report.reference_rows:,} rows)", title_justify="left")
    for col, just in (("what", "left"), ("PSI", "right"), ("status", "left"),
                      ("missing ref -> new", "right"), ("notes", "left")):
        table.add_column(col, justify=just, overflow="fold")
    if report.score is not None:
        s = report.score
        table.add_row("[bold]score[/] (purchase_probability)", f"{s.psi:.3f}", _status(s.status), "", "")
    if report.segments is not None:
        g = report.segments
        moved = sorted(g.shares, key=lambda r: -abs(r["change"]))[:3]
        notes = "; ".join(f"{r['segment']} {r['reference']:.1%} -> {r['current']:.1%}" for r in moved)
        table.add_row("[bold]segment shares[/]", f"{g.psi:.3f}", _status(g.status), "", notes)
    for f in report.features:
        table.add_row(f.name, f"{f.psi:.3f}", _status(f.status),
                      f"{f.missing_reference:.1%} -> {f.missing_current:.1%}", "; ".join(f.notes))
    table.caption = (f"PSI > {WATCH}: watch, > {ACT}: act. {report.count('act')} act, "
                     f"{report.count('watch')} watch.")
    table.caption_justify = "left"
    return table


@app.command("monitor")
def monitor_command(
    run: Path = typer.Option(..., "--run", help="Run folder with scorecard.json and/or segments.yaml."),
    data: Path = typer.Option(..., "--data", help="New batch of customers (.csv or .parquet)."),
    reference: Path = typer.Option(None, "--reference",
                                   help="Reference table (default: the run's training customers)."),
    strict: bool = typer.Option(False, "--strict",
                                help="Exit with code 3 when anything is at 'act' (PSI > 0.25)."),
    json_out: Path = typer.Option(None, "--json", help="Write the full result as JSON here "
                                  "(default: RUN/monitor.json)."),
) -> None:
    """Compare a new batch with the training data: PSI per feature and score, segment shares.

    Exit codes: 0 done (also with drift unless --strict), 2 user error, 3 --strict and at
    least one line at 'act'.
    """
    from toolkit.fileio import atomic_write_json
    from toolkit.monitor import STRICT_EXIT_CODE, monitor_run
    from toolkit.outputs import check_outputs

    check_outputs(inputs=[data, reference], outputs=[json_out or Path(run) / "monitor.json"])
    from toolkit.summary import live_status

    with live_status(console, "Comparing the new batch with the reference"):
        result = monitor_run(run, data, reference=reference)
    console.print(monitor_table(result))
    out = json_out or (Path(run) / "monitor.json")
    atomic_write_json(out, result.to_dict())
    console.print(f"Overall: {_status(result.status)}; JSON written to [bold]{out}[/]")
    if strict and result.status == "act":
        raise typer.Exit(code=STRICT_EXIT_CODE)
