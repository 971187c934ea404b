"""`segkit rules check|apply|export|diff|flow`: thin commands over toolkit.ruleset(_ops).

Exit codes: 0 fine; 1 ``check`` found problems in the ruleset on the data (empty or
unreachable segments); 2 a user error (bad file, bad rule, missing column: one message).
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from toolkit.cli import app
from toolkit.data.files import atomic_write_frame, atomic_write_text, frame_format
from toolkit.data.outputs import check_outputs
from toolkit.schema import ID_COLUMN

rules_app = typer.Typer(help="Rulesets: segments as ordered, human-editable rules.",
                        no_args_is_help=True)
app.add_typer(rules_app, name="rules")
console = Console(highlight=False)

_RULESET = typer.Argument(..., help="Ruleset YAML file.", show_default=False, metavar="RULESET")
_ID = typer.Option(ID_COLUMN, "--id", help="Customer id column.")


def _load_ruleset(path: Path):
    from toolkit.ruleset import Ruleset

    return Ruleset.load(path)


def _load_data(path: Path) -> pl.DataFrame:
    from toolkit.data.io import load_table

    return load_table(path)


def _write_frame(frame: pl.DataFrame, out: Path) -> None:
    atomic_write_frame(out, frame)  # Parquet or CSV by extension, atomically


@rules_app.command("check")
def check_cmd(
    ruleset: Path = _RULESET,
    data: Path = typer.Option(None, "--data", help="Customer table (.csv or .parquet)."),
    id_column: str = _ID,
) -> None:
    """Coverage of each segment, overlaps, empty and unreachable segments (exit 1 if any)."""
    from toolkit.ruleset.ops import check, require_id_column

    rs = _load_ruleset(ruleset)
    if data is None:
        console.print(f"[green]OK[/] {escape(str(ruleset))}: {len(rs.segments)} segments parse; "
                      f"columns used: {escape(', '.join(rs.columns) or '(none)')}")
        console.print("Give --data to check coverage, overlaps and columns on a table.")
        return
    frame = _load_data(data)
    require_id_column(frame, id_column)
    report = check(rs, frame)
    table = check_table(rs.name, report, console.width)
    console.print(table)
    pairs = report.overlapping_pairs()
    if pairs:
        console.print("Overlaps (customers matched by both rules; the earlier segment keeps them):"
                      if report.overlap_exact else "Overlaps (customers a later rule matches that an "
                      "earlier segment takes; pairs not counted above 256 segments):")
        for a, b, n in pairs[:10]:
            console.print(f"  {escape(a)} & {escape(b)}: {n:,}")
        if len(pairs) > 10:
            console.print(f"  ... and {len(pairs) - 10} more pairs")
    if report.problems:
        for p in report.problems:
            console.print(f"[bold red]problem:[/] {escape(p)}")
        raise typer.Exit(1)
    console.print("[green]No problems found.[/]")


def check_table(name: str, report, width: int) -> Table:
    """Coverage per segment; numbers are never cut: on narrow terminals the segment name is
    left out and long ids end in an ellipsis."""
    from toolkit.summary import NARROW, room_for_text

    rows = []
    for s in report.segments:
        rows.append(["-" if s.position is None else str(s.position), s.id, s.name, f"{s.matched:,}",
                     f"{s.assigned:,}", f"{s.share:.1%}",
                     "" if s.position is None else f"{s.taken_by_earlier:,}"])
    headers = ["#", "segment", "name", "matches\nalone", "assigned", "share", "taken\nearlier"]
    numeric = [0, 3, 4, 5, 6]
    show_name = width >= NARROW
    room = room_for_text(width, [[headers[i], *(r[i] for r in rows)] for i in numeric],
                         2 if show_name else 1)
    table = Table(title=f"{escape(name)} on {report.rows:,} customers")
    for i, header in enumerate(headers):
        if i in numeric:
            table.add_column(header, justify="right", no_wrap=True)
        elif i == 1:
            table.add_column(header, no_wrap=True, overflow="ellipsis",
                             max_width=max(8, room - 12) if show_name else room)
        elif show_name:
            table.add_column(header, overflow="fold", min_width=min(12, room))
    for s, r in zip(report.segments, rows):
        style = "red" if s.id in report.empty or s.id in report.unreachable else None
        cells = [escape(c) for j, c in enumerate(r) if show_name or j != 2]
        table.add_row(*cells, style=style)
    return table


@rules_app.command("apply")
def apply_cmd(
    ruleset: Path = _RULESET,
    data: Path = typer.Option(..., "--data", help="Customer table (.csv or .parquet)."),
    out: Path = typer.Option(..., "--out", help="Output file (.parquet or .csv): id, segment."),
    id_column: str = _ID,
    names: bool = typer.Option(False, "--names", help="Also write segment_name."),
) -> None:
    """Assign every customer a segment; writes id and segment in input order."""
    from toolkit.ruleset.ops import assign

    frame_format(out)  # an unsupported extension fails before the work, not after it
    check_outputs(inputs=[ruleset, data], outputs=[out])
    rs = _load_ruleset(ruleset)
    frame = _load_data(data)
    result = assign(rs, frame, id_column, names=names)
    _write_frame(result, out)
    counts = dict(result.group_by("segment").len().iter_rows())
    summary = ", ".join(f"{escape(i)} {counts.get(i, 0):,}" for i in rs.ids)
    console.print(f"Assigned {result.height:,} customers -> [bold]{escape(str(out))}[/] ({summary})")


@rules_app.command("export")
def export_cmd(
    ruleset: Path = _RULESET,
    fmt: str = typer.Option("sql", "--format", "-f", help="sql, json, markdown, csv or dbt."),
    dialect: str = typer.Option("duckdb", "--dialect",
                                help="SQL dialect: duckdb, postgres, bigquery, snowflake, spark."),
    data: Path = typer.Option(None, "--data", help="Customer table: needed for csv; adds sizes "
                              "to markdown and column types to sql/dbt."),
    out: Path = typer.Option(None, "--out", help="File to write (default: standard output)."),
    table: str = typer.Option("customers", "--table", help="Table the SQL reads (schema.table allowed)."),
    id_column: str = _ID,
    ref: str = typer.Option("customers", "--ref",
                            help="dbt: upstream model for ref(), or source_name.table for source()."),
    run: Path = typer.Option(None, "--run", help="Run folder: column types for sql/dbt from its "
                             "data or scorecard (NaN tests only on float columns)."),
) -> None:
    """Export the ruleset as SQL, JSON, Markdown, a customer CSV or a dbt model."""
    from toolkit.ruleset.export import column_types_for_run, export
    from toolkit.ruleset.ops import require_id_column

    check_outputs(inputs=[ruleset, data], outputs=[out])
    rs = _load_ruleset(ruleset)
    frame = _load_data(data) if data is not None else None
    if frame is not None and fmt.lower() == "csv":
        require_id_column(frame, id_column)
    types = column_types_for_run(run) if run is not None and frame is None else None
    text = export(rs, fmt, dialect=dialect, frame=frame, table=table, id_column=id_column, ref=ref,
                  column_types=types)
    if out is None:
        typer.echo(text, nl=False)
    else:
        atomic_write_text(out, text)
        Console(stderr=True, highlight=False).print(f"Wrote {escape(str(out))}")


@rules_app.command("diff")
def diff_cmd(
    a: Path = typer.Argument(..., help="The old ruleset.", show_default=False, metavar="OLD"),
    b: Path = typer.Argument(..., help="The new ruleset.", show_default=False, metavar="NEW"),
    data: Path = typer.Option(None, "--data", help="Customer table: count who moves where."),
) -> None:
    """What changed between two rulesets, and (with --data) who moves between segments."""
    from toolkit.ruleset.ops import diff

    ra, rb = _load_ruleset(a), _load_ruleset(b)
    frame = _load_data(data) if data is not None else None
    d = diff(ra, rb, frame)
    if d.identical:
        console.print("No changes to segments or rules.")
    for sid in d.added:
        console.print(f"[green]+ added[/]    {escape(sid)}: {escape(rb.segment(sid).rule)}")
    for sid in d.removed:
        console.print(f"[red]- removed[/]  {escape(sid)}: {escape(ra.segment(sid).rule)}")
    for sid, old, new in d.renamed:
        console.print(f"[yellow]~ renamed[/]  {escape(sid)}: {escape(old)!r} -> {escape(new)!r}")
    for sid, old, new in d.changed_rules:
        console.print(f"[yellow]~ rule[/]     {escape(sid)}:\n    - {escape(old)}\n    + {escape(new)}")
    for sid, what in d.changed_text:
        console.print(f"[dim]~ {what}[/] {escape(sid)}")
    if d.reordered:
        console.print(f"[yellow]~ order[/]    {escape(' > '.join(d.order_a))}\n"
                      f"        ->  {escape(' > '.join(d.order_b))}")
    if d.default_changed:
        console.print(f"[yellow]~ default[/]  {escape(ra.default.id)} -> {escape(rb.default.id)}")
    if d.transitions is not None:
        moved = d.transitions.filter(pl.col("from") != pl.col("to"))
        share = (d.moved or 0) / d.rows if d.rows else 0.0
        console.print(f"{d.moved:,} of {d.rows:,} customers ({share:.1%}) change segment.")
        if moved.height:
            t = Table(title="Customers moving between segments")
            t.add_column("from", no_wrap=True, overflow="ellipsis")
            t.add_column("to", no_wrap=True, overflow="ellipsis")
            t.add_column("customers", justify="right", no_wrap=True, min_width=9)
            for row in moved.iter_rows(named=True):
                t.add_row(escape(row["from"]), escape(row["to"]), f"{row['customers']:,}")
            console.print(t)


@rules_app.command("flow")
def flow_cmd(
    ruleset: Path = _RULESET,
    data: Path = typer.Option(..., "--data", help="First snapshot (A), .csv or .parquet."),
    then: Path = typer.Option(..., "--then", help="Second snapshot (B) of the same customers."),
    id_column: str = _ID,
    json_out: Path = typer.Option(None, "--json", help="Also write the flow as JSON."),
    run: Path = typer.Option(None, "--run",
                             help="Record the flow in this run folder (flow.json): the TUI's "
                                  "Movement view and the report's Movement section read it."),
) -> None:
    """Who moved between segments from one snapshot to the next (new and gone included),
    and the campaign each big flow suggests."""
    from toolkit.data.files import atomic_write_json
    from toolkit.ruleset.flow import flow
    from toolkit.run.folder import FLOW, Run
    from toolkit.run.provenance import flow_document, record_flow

    if run is not None:
        run = Run.of(run).path  # an existing folder, before any work
    check_outputs(inputs=[ruleset, data, then],
                  outputs=[json_out, run / FLOW if run is not None else None])
    rs = _load_ruleset(ruleset)
    f = flow(rs, _load_data(data), _load_data(then), id_column)
    doc = flow_document(f, rs, data, then)
    dates = doc["as_of"]
    if dates["before"] and dates["after"]:
        console.print(f"Snapshots as of {dates['before']} (A) and {dates['after']} (B).")
    console.print(flow_table(f, console.width))
    moves = doc["biggest"][:3]
    if moves:
        console.print("Biggest moves:")
        for m in moves:
            console.print(f"  {escape(m['text'])}")
            if m.get("campaign"):  # wrapped lines stay under the flow they belong to
                console.print(Padding(f"-> {escape(m['campaign']['text'])}", (0, 0, 0, 4), expand=False))
    else:
        console.print("Nobody moved between segments.")
    if json_out is not None:
        atomic_write_json(json_out, doc, allow_nan=False)
        console.print(f"Wrote {escape(str(json_out))}")
    if run is not None:
        written = record_flow(run, doc)
        console.print(f"Recorded in {escape(str(written))} (the run's Movement view and report)")


def flow_table(f, width: int) -> Table:
    """Counts from each segment at A (rows) to each at B (columns) and the share who stayed.
    Numbers and ids are never cut: the first layout that fits ``width`` is used -- ids as
    headers, then columns numbered like the rows in a compact table, then one line per flow."""
    from rich import box

    def stayed(s: str) -> str:
        share = f.stayed_share.get(s)
        return "" if share is None else f"{share:.0%}"

    def fits(table: Table) -> bool:
        probe = Console(width=10_000, file=io.StringIO(), highlight=False)
        return probe.measure(table).maximum <= width

    title = f"{escape(f.ruleset)}: segment at A (rows) -> at B (columns)"
    numbered = {s: (f"{i + 1} {s}" if s in f.segments else s) for i, s in enumerate(f.rows)}
    for headers, labels, compact in (
        (f.columns, {s: s for s in f.rows}, False),
        ([str(i + 1) for i in range(len(f.segments))] + [f.gone], numbered, True),
    ):
        table = Table(title=title, box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD,
                      pad_edge=not compact, padding=(0, 0) if compact else (0, 1))
        table.add_column("from", no_wrap=True)
        for h in headers:
            table.add_column(escape(h), justify="right", no_wrap=True)
        table.add_column("stayed", justify="right", no_wrap=True)
        for s in f.rows:
            table.add_row(escape(labels[s]), *(f"{f.matrix[s][t]:,}" for t in f.columns), stayed(s))
        if fits(table):
            return table
    table = Table(title=f"{escape(f.ruleset)}: customers from each segment at A to each at B")
    table.add_column("from", no_wrap=True)
    table.add_column("to", no_wrap=True)
    table.add_column("customers", justify="right", no_wrap=True, min_width=9)
    for s in f.rows:
        for t in f.columns:
            if f.matrix[s][t]:
                table.add_row(escape(s), escape(t), f"{f.matrix[s][t]:,}")
    return table
