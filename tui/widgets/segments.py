"""The Segments tab: one row per segment, sortable, and a bar chart of sizes or purchase rates."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from rich.text import Text
from textual.widgets import DataTable, Static

from toolkit.run.records import SORT_KEYS, SegmentRow, sort_segment_rows
from tui.format import count, escape, pct
from tui.messages import EditRule, ExportRequested, OpenSegment
from tui.widgets.barchart import BarChart

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
# The rule is what a marketer reads: it takes the width left by the other columns and wraps.
# When it would get fewer than RULE_MIN cells, these columns go first (Share repeats
# Customers; Predicted is close to Bought), then long segment names wrap at NAME_WRAP.
DROP_ORDER = ("share", "mean_probability")
RULE_MIN = 36
NAME_MAX = 30
NAME_WRAP = 18
GUTTER = 2  # the table's vertical scrollbar (scrollbar-gutter: stable)


def right(text: str) -> Text:
    return Text(text, justify="right")


class SegmentTable(DataTable):
    """The segments table: Enter (or a click on a selected row) opens a segment."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]


class SegmentsPane(Vertical):
    """Segments of the saved ruleset with their size and purchase figures."""

    BINDINGS = [
        Binding("s", "sort", "Sort"),
        Binding("r", "reverse", "Reverse", show=False),  # the footer fits 80 columns; see help
        Binding("c", "chart", "Chart"),
        Binding("e", "edit_rule", "Edit"),
        Binding("a", "audience", "Audience"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[SegmentRow] = []
        self.sort_key = "position"
        self.descending = False
        self.chart = "size"
        self.total = 0
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Static("Loading segments…", id="segments-status", markup=True)
        table = SegmentTable(id="segments-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield BarChart(id="segments-chart")

    def on_mount(self) -> None:
        self.layout_widths: dict[str, int] = {}
        self._set_columns(self._widths(self.size.width or 80))

    def on_resize(self, event) -> None:
        if self._widths(event.size.width) != self.layout_widths:
            self._render_table()

    # -- responsive columns ----------------------------------------------------------------
    def _widths(self, width: int) -> dict[str, int]:
        """Content width per shown column (key -> cells) for a pane ``width`` cells wide.

        Numbers always get their full width; the rule gets the rest (it wraps), after
        dropping :data:`DROP_ORDER` columns and wrapping long names while it is too narrow.
        """
        rows = self.rows

        def need(header: str, texts) -> int:
            return max([len(header)] + [len(t) for t in texts])

        w = {
            "position": need("#", ["·" if r.is_default else str(r.position) for r in rows]),
            "name": min(NAME_MAX, need("Segment", [r.name for r in rows])),
            "size": need("Customers", [count(r.size) for r in rows]),
            "share": need("Share", [pct(r.share) for r in rows]),
            "purchase_rate": need("Bought", [pct(r.purchase_rate) for r in rows]),
            "mean_probability": need("Predicted", [pct(r.mean_probability) for r in rows]),
        }
        pad = 2  # DataTable cell_padding 1 on each side
        avail = width - GUTTER - 1

        def rule_room() -> int:
            return avail - sum(v + pad for v in w.values()) - pad

        for key in DROP_ORDER:
            if rule_room() >= RULE_MIN:
                break
            del w[key]
        if rule_room() < RULE_MIN and w["name"] > NAME_WRAP:
            w["name"] = NAME_WRAP
        w["rule"] = max(12, rule_room())
        return w

    def _set_columns(self, widths: dict[str, int]) -> None:
        self.layout_widths = widths
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key, header in COLUMNS:
            key = key or "rule"
            if key in widths:
                table.add_column(header, key=key, width=widths[key])

    @property
    def shown_columns(self) -> list[str]:
        """Keys of the columns the table shows at the current width."""
        return [k for k in self.layout_widths]

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
        widths = self._widths(self.size.width) if self.size.width else self.layout_widths
        if widths != self.layout_widths:
            self._set_columns(widths)
        for r in ordered:
            cells = {
                "position": "·" if r.is_default else str(r.position),
                "name": Text(r.name),
                "size": right(count(r.size)),
                "share": right(pct(r.share)),
                "purchase_rate": right(pct(r.purchase_rate)),
                "mean_probability": right(pct(r.mean_probability)),
                "rule": Text(r.rule),
            }
            table.add_row(*(cells[k] for k in self.layout_widths), key=r.id, height=None)
        if keep is not None:
            for i, r in enumerate(ordered):
                if r.id == keep:
                    table.move_cursor(row=i, animate=False)
                    break
        arrow = "↓" if self.descending else "↑"
        note = f" · {escape(self.note)}" if self.note else ""
        self.query_one("#segments-status", Static).update(
            f"[b]{len(self.rows)}[/] segments · [b]{count(self.total)}[/] customers · by "
            f"{SORT_LABELS[self.sort_key]} {arrow}{note}")

    def _render_chart(self) -> None:
        chart = self.query_one("#segments-chart", BarChart)
        rows = sort_segment_rows(self.rows, self.sort_key, self.descending)
        if not rows:
            chart.clear()
            return
        labels = [r.name for r in rows]
        if self.chart == "size" or all(r.purchase_rate is None for r in rows):
            chart.set_data("Customers per segment", labels, [r.size for r in rows],
                           [count(r.size) for r in rows])
        else:
            chart.set_data("Actual purchase rate per segment", labels,
                           [r.purchase_rate or 0.0 for r in rows], [pct(r.purchase_rate) for r in rows])

    # -- events and actions ----------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(OpenSegment(event.row_key.value))

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
            self.post_message(OpenSegment(self.highlighted))

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
            self.post_message(EditRule(self.highlighted))

    def action_audience(self) -> None:
        self.post_message(ExportRequested("audience", segment=self.highlighted))
