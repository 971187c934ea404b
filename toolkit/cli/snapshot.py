"""`segkit snapshot`: raw logs -> the customer table at a date (point in time, with its label)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from toolkit.cli import app
from toolkit.errors import SegkitError
from toolkit.schema import ID_COLUMN

console = Console(log_path=False)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise SegkitError(f"{option} {value!r} is not a date; use YYYY-MM-DD (e.g. 2026-06-30)") from None


@app.command("snapshot")
def snapshot_command(
    orders: Path = typer.Option(None, "--orders", help="Orders table (.csv or .parquet): customer id, order time, amount."),
    logs: Path = typer.Option(None, "--logs", help="A logs folder as written by `segkit generate --logs` "
                                                  "(orders/sessions/marketing/customers.parquet, logs.json)."),
    as_of: str = typer.Option(None, "--as-of", help="Snapshot date YYYY-MM-DD: features use rows up to the end "
                                                    "of this day (default with --logs: logs.json's default_as_of)."),
    horizon_days: int = typer.Option(30, "--horizon-days", help="Label window: an order in (as-of, as-of + H days]."),
    out: Path = typer.Option(..., "--out", help="Customer table to write (.parquet or .csv); the sidecar "
                                                "<out>.snapshot.json goes beside it."),
    sessions: Path = typer.Option(None, "--sessions", help="Sessions table (adds the behavioral features)."),
    marketing: Path = typer.Option(None, "--marketing", help="Marketing events (adds the marketing features)."),
    profiles: Path = typer.Option(None, "--profiles", help="Customer profile table (adds the profile features "
                                                           "and the consents that gate marketing features)."),
    id_column: str = typer.Option(ID_COLUMN, "--id-column", help="Customer id column (every table)."),
    time_column: str = typer.Option("ordered_at", "--time-column", help="Order date or timestamp column."),
    amount_column: str = typer.Option("amount", "--amount-column",
                                      help="Order amount column (negative amounts are refunds)."),
    schema_only: bool = typer.Option(False, "--schema-only",
                                     help="Keep only the 35 schema features (no extras such as gap_ratio)."),
) -> None:
    """Build the customer table at a date from raw logs: point-in-time features and label.

    Features use rows at or before --as-of; purchased_next_<H>d: an order in (as-of, as-of + H].
    """
    from toolkit.data.files import frame_format
    from toolkit.data.outputs import check_outputs
    from toolkit.snapshot import build_snapshot, load_sources, sidecar_path, write_snapshot

    if logs is None and orders is None:
        raise SegkitError("give --orders FILE (with --as-of) or --logs DIR")
    frame_format(out)
    day = _date(as_of, "--as-of")
    if horizon_days <= 0:
        raise SegkitError(f"--horizon-days must be a positive number of days, got {horizon_days}")
    inputs = [p for p in (orders, sessions, marketing, profiles) if p is not None]
    if logs is not None and logs.is_dir():
        inputs += sorted(logs.iterdir())
    check_outputs(inputs=inputs, outputs=[out, sidecar_path(out)])

    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("Reading and checking the logs", total=None)

        def say(message: str) -> None:
            progress.update(task, description=message)

        sources = load_sources(logs, orders=orders, sessions=sessions, marketing=marketing,
                               profiles=profiles, id_column=id_column, time_column=time_column,
                               amount_column=amount_column)
        if day is None:
            day = sources.default_as_of
            if day is None:
                raise SegkitError("give --as-of DATE (YYYY-MM-DD)"
                                  + ("" if logs is None else f": {logs} has no logs.json default_as_of"))
        snap = build_snapshot(sources, day, horizon_days, schema_only=schema_only, progress=say)
        say(f"Writing {out}")
        write_snapshot(snap, out)
    seconds = time.perf_counter() - started

    info = snap.info
    kind = "snapshot" if snap.label else "scoring snapshot (no label)"
    console.print(f"Wrote a {kind} of {info['rows']:,} customers at {info['as_of']} in {seconds:.1f} s "
                  f"-> [bold]{escape(str(out))}[/]")
    if snap.label:
        start, end = info["label_window"]
        console.print(f"Label {snap.label}: orders {start} .. {end}; positive rate "
                      f"[bold]{info['positive_rate']:.1%}[/] ({info['positives']:,} of {info['rows']:,})")
    else:
        console.print(f"No label: {escape(info['label_missing_reason'])}")
    groups = ", ".join(f"{g} {len(names)}" for g, names in info["groups"].items())
    extras = sum(1 for d in info["features"] if not d["schema"])
    console.print(f"Features: {groups} ({extras} beyond the schema); sidecar "
                  f"{escape(str(sidecar_path(out)))}", highlight=False)
    for note in info["notes"]:
        if note != info["label_missing_reason"]:
            console.print(f"note: {escape(note)}", highlight=False)
