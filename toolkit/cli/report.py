"""`segkit report` and `segkit monitor`: thin shells over toolkit.report.build and toolkit.monitor."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from toolkit.cli import app
from toolkit.policy import PSI_ACT

console = Console(log_path=False)
STATUS_STYLE = {"ok": "green", "watch": "yellow", "act": "bold red", "too few rows": "dim"}


@app.command("report")
def report_command(
    run: Path = typer.Option(..., "--run", help="Run folder (from `segkit demo` or `segkit train`)."),
    sql: bool = typer.Option(True, "--sql/--no-sql",
                             help="Compile the scorecard to SQL for the deployment section (cached)."),
    data: Path = typer.Option(None, "--data", help="The customer table the run was built from, "
                              "when the run folder has no data.parquet (runs made by `segkit train`)."),
) -> None:
    """Write RUN/report.md and a self-contained RUN/report.html (charts in RUN/report_files/)."""
    from toolkit.data.outputs import check_outputs
    from toolkit.report.build import build_report

    check_outputs(folders=[run], outputs=[Path(run) / "report.md", Path(run) / "report.html"])
    from toolkit.summary import live_status

    started = time.perf_counter()
    with live_status(console, "Writing the report"):
        paths = build_report(run, sql=sql, data=data)
    console.print(f"Report written in {time.perf_counter() - started:.1f} s -> "
                  + ", ".join(f"[bold]{p}[/]" for p in paths))


def _status(text: str) -> str:
    return f"[{STATUS_STYLE.get(text, '')}]{text}[/]"


def monitor_table(report, width: int = 200) -> Table:
    """The monitor result as a rich table: score and segments first, then features by PSI.

    Numbers are never cut and feature names never broken: below ``summary.NARROW`` columns
    the notes leave the table (print :func:`monitor_notes` below it)."""
    from rich.markup import escape

    from toolkit.monitor import ACT, WATCH
    from toolkit.summary import NARROW, room_for_text

    rows = []  # (what, psi, status, missing, notes)
    if report.score is not None:
        s = report.score
        rows.append(("score (purchase_probability)", f"{s.psi:.3f}", s.status, "", ""))
    if report.segments is not None:
        g = report.segments
        rows.append(("segment shares", f"{g.psi:.3f}", g.status, "", _segment_moves(g)))
    for f in report.features:
        rows.append((f.name, f"{f.psi:.3f}", f.status,
                     f"{f.missing_reference:.1%} -> {f.missing_current:.1%}", "; ".join(f.notes)))
    show_notes = width >= NARROW
    headers = ("what", "PSI", "status", "missing\nref -> new", "notes")
    fixed = [[headers[i], *(r[i] for r in rows)] for i in (1, 2)]
    fixed.append(["ref -> new", *(r[3] for r in rows)])  # one token per cell: keep it whole
    room = room_for_text(width, fixed, 2 if show_notes else 1)
    longest = max((len(r[0]) for r in rows), default=10)
    table = Table(title=f"Drift: {report.current} ({report.current_rows:,} rows) vs "
                        f"{report.reference} ({report.reference_rows:,} rows)", title_justify="left")
    table.add_column("what", no_wrap=True, overflow="ellipsis",
                     max_width=min(longest, room - 16) if show_notes else room)
    table.add_column("PSI", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column(headers[3], justify="right", no_wrap=True)
    if show_notes:
        table.add_column("notes", overflow="fold", min_width=16)
    for i, (what, psi, status, missing, notes) in enumerate(rows):
        label = escape(what) if i >= (report.score is not None) + (report.segments is not None) \
            else f"[bold]{escape(what)}[/]"
        cells = [label, psi, _status(status), missing] + ([escape(notes)] if show_notes else [])
        table.add_row(*cells)
    untrusted = report.count("too few rows")
    table.caption = (f"PSI > {WATCH}: watch, > {ACT}: act. {report.count('act')} act, "
                     f"{report.count('watch')} watch"
                     + (f", {untrusted} not judged (too few rows)." if untrusted else "."))
    table.caption_justify = "left"
    return table


def _segment_moves(g) -> str:
    moved = sorted(g.shares, key=lambda r: -abs(r["change"]))[:3]
    return "; ".join(f"{r['segment']} {r['reference']:.1%} -> {r['current']:.1%}" for r in moved)


def monitor_notes(report) -> list[str]:
    """The notes column as lines ``name: note`` (for narrow terminals)."""
    out = []
    if report.segments is not None:
        out.append(f"segment shares: {_segment_moves(report.segments)}")
    out += [f"{f.name}: {'; '.join(f.notes)}" for f in report.features if f.notes]
    return out


@app.command("monitor")
def monitor_command(
    run: Path = typer.Option(..., "--run", help="Run folder with scorecard.json and/or segments.yaml."),
    data: Path = typer.Option(..., "--data", help="New batch of customers (.csv or .parquet)."),
    reference: Path = typer.Option(None, "--reference",
                                   help="Reference table (default: the run's training customers)."),
    strict: bool = typer.Option(False, "--strict",
                                help=f"Exit with code 3 when anything is at 'act' (PSI > {PSI_ACT})."),
    json_out: Path = typer.Option(None, "--json", help="Write the full result as JSON here "
                                  "(default: RUN/monitor.json)."),
) -> None:
    """Compare a new batch with the training data: PSI per feature and score, segment shares.

    Exit codes: 0 done (also with drift unless --strict), 2 user error, 3 --strict and at
    least one line at 'act'. Lines from fewer than 500 rows read 'too few rows' and never
    fail --strict.
    """
    from toolkit.data.files import atomic_write_json
    from toolkit.monitor import STRICT_EXIT_CODE, monitor_run
    from toolkit.data.outputs import check_outputs

    from toolkit.run.folder import MONITOR, Run

    out = json_out or Run(run).file(MONITOR)
    check_outputs(inputs=[data, reference], outputs=[out])
    from toolkit.summary import live_status

    with live_status(console, "Comparing the new batch with the reference"):
        result = monitor_run(run, data, reference=reference)
    from rich.markup import escape

    from toolkit.summary import NARROW

    console.print(monitor_table(result, console.width))
    if console.width < NARROW:
        for line in monitor_notes(result):
            console.print(escape(line), highlight=False)
    atomic_write_json(out, result.to_dict())
    for warning in result.warnings:
        console.print(f"[bold yellow]Warning:[/] {warning}")
    console.print(f"Overall: {_status(result.status)}; JSON written to [bold]{out}[/]")
    if strict and result.status == "act":
        raise typer.Exit(code=STRICT_EXIT_CODE)
