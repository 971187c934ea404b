"""The Movement tab: who moved between segments from one snapshot to the next.

Shows what ``segkit rules flow --run RUN`` recorded in RUN/flow.json, read through
:meth:`toolkit.run.view.RunView.movement`: the transition matrix (counts and row shares,
with customers only in the second snapshot as the last row and those only in the first as
the last column), the share of each segment that stayed, and the biggest flows in words
with the campaign each suggests. The tab is shown only for runs with a flow (the app hides
it otherwise and says which command records one).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Label, Static

from tui.format import escape


def cell(n: int, share: float | None) -> str:
    """A matrix cell: the count and its row share; a bare 0 when nobody moved there."""
    if not n:
        return "0"
    return f"{n:,} ({share:.0%})" if share is not None else f"{n:,}"


class MovementPane(VerticalScroll):
    """The recorded flow (a :class:`toolkit.run.provenance.Movement`), as a table and words."""

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="movement-title")
        yield Label("Segment at the first snapshot (rows) → at the second (columns): customers "
                    "(row share)", classes="section", id="movement-matrix-label")
        # the segment and its stayed share stay in view while wide matrices scroll sideways
        yield DataTable(id="movement-table", cursor_type="row", zebra_stripes=True, fixed_columns=2)
        yield Label("Biggest moves, and the campaign each suggests", classes="section")
        yield Vertical(id="movement-flows")

    def show(self, movement) -> None:
        """Fill the tab from a :class:`toolkit.run.provenance.Movement`."""
        f = movement.flow
        shares = f.shares
        self.query_one("#movement-title", Static).update(Content.from_markup(
            f"[b]{escape(f.ruleset or 'segments')}[/], {escape(movement.period)}: "
            f"{f.rows_before:,} customers at the first snapshot, {f.rows_after:,} at the second. "
            f"[dim]{escape(f.new)}: only in the second; {escape(f.gone)}: only in the first.[/]"))
        table = self.query_one("#movement-table", DataTable)
        table.clear(columns=True)
        table.add_column("from", key="from")
        table.add_column("stayed", key="stayed")
        for t in f.columns:
            table.add_column(t, key=f"to:{t}")
        for s in f.rows:
            stayed = f.stayed_share.get(s) if s in f.segments else None
            table.add_row(f.names.get(s, s), "" if stayed is None else f"{stayed:.0%}",
                          *(cell(f.matrix[s][t], shares[s][t]) for t in f.columns), key=s)
        widgets = []
        for move, campaign in movement.biggest(10):
            total = f.row_total(move.source)
            share = f" ({move.customers / total:.0%} of {escape(f.names[move.source])})" if total else ""
            widgets.append(Static(Content.from_markup(f"[b]{escape(move.text)}[/]{share}"),
                                  classes="movement-move"))
            if campaign:
                why = f" [dim](why: {escape(campaign['why'])})[/]" if campaign.get("why") else ""
                text = f"→ {escape(campaign.get('text', ''))}{why}"
            else:
                text = "[dim]no campaign recorded: run `segkit rules flow --run` again[/]"
            widgets.append(Static(Content.from_markup(text), classes="movement-campaign"))
        if not widgets:
            widgets.append(Static("Nobody moved between segments.", classes="movement-move"))
        flows = self.query_one("#movement-flows", Vertical)
        flows.remove_children()
        flows.mount_all(widgets)

    def show_message(self, text: str) -> None:
        """No flow to show (yet): say why and how to record one."""
        self.query_one("#movement-title", Static).update(text)
        self.query_one("#movement-table", DataTable).clear(columns=True)
        self.query_one("#movement-flows", Vertical).remove_children()
