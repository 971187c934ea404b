"""The Segments tab: one row per segment, sortable, and a bar chart of sizes or purchase rates."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from toolkit.run_view import SORT_KEYS, SegmentRow, sort_segment_rows
from tui.format import count, escape, pct

COLUMNS = [  # (sort key, header)
    ("position", "#"),
    ("name", "Segment"),
    ("size", "Customers"),
    ("share", "Share"),
    ("purchase_rate", "Bought"),
    ("mean_probability", "Predicted"),
    (None, "Rule"),
]
SORT_LABELS = {"position": "rule order", "name": "name", "size": "customers", "share": "share",
               "purchase_rate": "actual purchase rate", "mean_probability": "predicted probability"}


def right(text: str) -> Text:
    return Text(text, justify="right")


class SegmentTable(DataTable):
    """The segments table: Enter (or a click on a selected row) opens a segment."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]


class SegmentsPane(Vertical):
    """Segments of the saved ruleset with their size and purchase figures."""

    BINDINGS = [
        Binding("s", "sort", "Sort"),
        Binding("r", "reverse", "Reverse"),
        Binding("c", "chart", "Chart"),
        Binding("e", "edit_rule", "Edit rule"),
        Binding("a", "audience", "Audience"),
    ]

    class OpenSegment(Message):
        def __init__(self, segment_id: str) -> None:
            super().__init__()
            self.segment_id = segment_id

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[SegmentRow] = []
        self.sort_key = "position"
        self.descending = False
        self.chart = "size"
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Static("Loading segments…", id="segments-status", markup=True)
        table = SegmentTable(id="segments-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield PlotextPlot(id="segments-chart")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, header in COLUMNS:
            table.add_column(header, key=key or "rule")

    # -- data ------------------------------------------------------------------------------
    def show_rows(self, rows: list[SegmentRow], note: str = "") -> None:
        self.rows = list(rows)
        self.total = sum(r.size for r in rows)
        self.note = note
        self._render_table()
        self._render_chart()

    def show_message(self, text: str) -> None:
        self.query_one("#segments-status", Static).update(text)

    @property
    def highlighted(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.rows or table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return key.value

    def _render_table(self) -> None:
        table = self.query_one(DataTable)
        keep = self.highlighted
        table.clear()
        ordered = sort_segment_rows(self.rows, self.sort_key, self.descending)
        for r in ordered:
            table.add_row(
                "·" if r.is_default else str(r.position),
                r.name,
                right(count(r.size)),
                right(pct(r.share)),
                right(pct(r.purchase_rate)),
                right(pct(r.mean_probability)),
                r.rule,
                key=r.id,
            )
        if keep is not None:
            for i, r in enumerate(ordered):
                if r.id == keep:
                    table.move_cursor(row=i, animate=False)
                    break
        arrow = "↓" if self.descending else "↑"
        note = f" · {escape(self.note)}" if getattr(self, "note", "") else ""
        self.query_one("#segments-status", Static).update(
            f"[b]{len(self.rows)}[/] segments · [b]{count(self.total)}[/] customers · by "
            f"{SORT_LABELS[self.sort_key]} {arrow}{note}")

    def _render_chart(self) -> None:
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        rows = sort_segment_rows(self.rows, self.sort_key, self.descending)
        if not rows:
            plot.refresh()
            return
        labels = [(r.name if len(r.name) <= 22 else r.name[:21] + "…") for r in rows]
        if self.chart == "size" or all(r.purchase_rate is None for r in rows):
            values = [r.size for r in rows]
            plt.title("Customers per segment")
        else:
            values = [round(100 * (r.purchase_rate or 0.0), 1) for r in rows]
            plt.title("Actual purchase rate per segment (%)")
        plt.bar(labels[::-1], values[::-1], orientation="horizontal", width=0.4)
        plot.refresh()

    # -- events and actions ----------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.OpenSegment(event.row_key.value))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = event.column_key.value
        if key in SORT_KEYS:
            if key == self.sort_key:
                self.descending = not self.descending
            else:
                self.sort_key, self.descending = key, key not in ("position", "name")
            self._render_table()
            self._render_chart()

    def action_open(self) -> None:
        if self.highlighted:
            self.post_message(self.OpenSegment(self.highlighted))

    def action_sort(self) -> None:
        cycle = [k for k in SORT_KEYS if k != "share"]  # share sorts like size
        i = cycle.index(self.sort_key) if self.sort_key in cycle else cycle.index("size")
        self.sort_key = cycle[(i + 1) % len(cycle)]
        self.descending = self.sort_key not in ("position", "name")
        self._render_table()
        self._render_chart()

    def sort_by(self, key: str, descending: bool | None = None) -> None:
        self.sort_key = key
        self.descending = (key not in ("position", "name")) if descending is None else descending
        self._render_table()
        self._render_chart()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self._render_table()
        self._render_chart()

    def action_chart(self) -> None:
        self.chart = "rate" if self.chart == "size" else "size"
        self._render_chart()

    def action_edit_rule(self) -> None:
        if self.highlighted:
            self.app.edit_rule(self.highlighted)  # type: ignore[attr-defined]

    def action_audience(self) -> None:
        self.app.open_export("audience", segment=self.highlighted)  # type: ignore[attr-defined]
