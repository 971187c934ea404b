"""A segment in detail: rule, description, provenance, profile, profile mix, customers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from toolkit import schema
from toolkit.rules import to_english
from toolkit.run.records import Page
from tui.format import bar, count, escape, num, pct
from tui.messages import CustomerRequested, EditRule, ExportRequested, PageRequested, ProfileRequested
from tui.state import RunState
from tui.widgets.footer import SegkitFooter

PAGE_ROWS = 50
MIX_FIELDS = ("country", "device_type", "loyalty_tier", "acquisition_channel")
SAMPLE_HEADERS = {"purchase_probability": "Probability", "will_purchase": "Likely buyer",
                  "reason_1": "Main reason", "customer_id": "Customer"}


class SegmentDetailScreen(Screen):
    """Who is in one segment and what to do with them.

    Reads the run's ``state`` (segment rows, saved ruleset, segments.json) when it draws;
    asks the app for the slow parts (profile, pages of customers) and for everything that
    leaves the screen (export, edit the rule, explain a customer) with messages.
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "audience", "Audience"),
        Binding("x", "audience", "Audience", show=False),  # the app's Export key, here an audience
        Binding("e", "edit_rule", "Edit rule"),
        Binding("n", "page(1)", "Page", key_display="n/p"),  # one footer entry: fits 80 columns
        Binding("p", "page(-1)", "Previous page", show=False),
        Binding("enter", "customer", "Explain customer", show=False),
    ]

    def __init__(self, segment_id: str, state: RunState) -> None:
        super().__init__()
        self.segment_id = segment_id
        self.state = state
        self.page_offset = 0
        self.page_info: Page | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-title")
            yield Label("Rule", classes="section")
            yield Static("", id="detail-rule")
            yield Label("About", classes="section")
            yield Static("", id="detail-about")
            yield Label("What sets them apart (vs everyone else)", classes="section")
            yield Static("Computing the profile…", id="detail-profile")
            yield Label("Profile mix (share in segment, lift vs all customers)", classes="section")
            yield Static("", id="detail-mix")
            yield Static("Loading customers…", id="detail-page-title", classes="section")
            yield DataTable(id="detail-sample", cursor_type="row", zebra_stripes=True)
        yield SegkitFooter()

    def on_mount(self) -> None:
        self.refresh_all()

    # -- filling ---------------------------------------------------------------------------
    def refresh_all(self) -> None:
        rs = self.state.saved_ruleset
        row = self.state.row(self.segment_id)
        title = self.query_one("#detail-title", Static)
        if row is None:
            title.update(f"Segment {escape(self.segment_id)} is not in the saved ruleset.")
            return
        self.sub_title = row.name
        position = "default segment (everyone no rule matches)" if row.is_default else \
            f"rule {row.position} of {len(rs.segments) if rs else '?'}"
        title.update(Content.from_markup(
            f"[b]{escape(row.name)}[/] [dim]({escape(row.id)})[/] · {position}\n"
            f"[b]{count(row.size)}[/] customers ({pct(row.share)}) · bought in the next 30 days "
            f"[b]{pct(row.purchase_rate)}[/] · mean predicted probability [b]{pct(row.mean_probability)}[/]"))
        self._fill_rule(rs)
        self._fill_about(rs)
        self.post_message(ProfileRequested(self.segment_id))
        self.post_message(PageRequested(self.segment_id, self.page_offset, PAGE_ROWS))

    def _fill_rule(self, rs) -> None:
        box = self.query_one("#detail-rule", Static)
        if rs is None:
            box.update("No ruleset: segments come from the scores file.")
            return
        if self.segment_id == rs.default.id:
            box.update(Content.from_markup("[i]everyone the rules above do not match[/]"))
            return
        seg = rs.segment(self.segment_id)
        box.update(Content.from_markup(f"[b]{escape(seg.rule)}[/]\n[dim]in words:[/] {escape(to_english(seg.node))}"))

    def _fill_about(self, rs) -> None:
        box = self.query_one("#detail-about", Static)
        if rs is None:
            box.update("-")
            return
        seg = rs.default if self.segment_id == rs.default.id else rs.segment(self.segment_id)
        lines = [escape(seg.description or "(no description)")]
        if seg.campaign:
            lines.append(f"campaign: [b]{escape(seg.campaign)}[/]")
        facts = [f"{label}{':' if label in ('source', 'run') else ''} {escape(text)}"
                 for label, text in rs.provenance.facts()]
        summary = self.state.segments_json or {}
        stab = summary.get("stability") or {}
        cj = (stab.get("cluster_jaccard") or {}).get(self.segment_id)
        rj = (stab.get("rules_jaccard") or {}).get(self.segment_id)
        if cj is not None or rj is not None:
            facts.append(f"bootstrap Jaccard: cluster {num(cj, 2)}, rules {num(rj, 2)}")
        lines.append("[dim]" + " · ".join(facts) + "[/]")
        box.update(Content.from_markup("\n".join(lines)))

    def show_profile(self, profile) -> None:
        box = self.query_one("#detail-profile", Static)
        if profile is None:
            box.update("No profile (no customers in this segment).")
            self.query_one("#detail-mix", Static).update("")
            return
        diffs = profile.differences[:8]
        peak = max((abs(d.smd) for d in diffs), default=0.0) or 1.0
        lines = []
        for d in diffs:
            colour = "$success" if d.smd > 0 else "$error"
            word = "higher" if d.smd > 0 else "lower"
            col = schema.describe(d.feature)
            unit = f" {col.unit}" if col is not None and col.unit and col.kind not in ("rate", "money") else ""
            text = d.text.replace(" overall", f"{unit} overall")
            lines.append(f"[{colour}]{bar(d.smd, peak, 10).ljust(10)}[/] {word:6} {escape(text)}")
        for name, m in list(profile.missing.items())[:3]:
            lines.append(f"[dim]{escape(name)} is missing for {pct(m['share'])} vs {pct(m['overall'])} overall[/]")
        box.update(Content.from_markup("\n".join(lines) or "No numeric differences."))
        mix_lines = []
        for field in MIX_FIELDS:
            items = [i for i in profile.mix.get(field, []) if i["value"] != "(missing)"][:4]
            if not items:
                continue
            cells = []
            for i in items:
                lift = i.get("lift")
                mark = "" if lift is None else (f" [$success]×{lift:.1f}[/]" if lift >= 1.25 else
                                                f" [$error]×{lift:.1f}[/]" if lift <= 0.8 else f" ×{lift:.1f}")
                cells.append(f"{escape(i['value'])} {pct(i['share'], 0)}{mark}")
            mix_lines.append(f"[b]{field.replace('_', ' ')}[/]: " + ", ".join(cells))
        self.query_one("#detail-mix", Static).update(Content.from_markup("\n".join(mix_lines) or "-"))

    def show_page(self, page: Page) -> None:
        self.page_info = page
        self.page_offset = page.offset
        table = self.query_one("#detail-sample", DataTable)
        table.clear(columns=True)
        for col in page.rows.columns:
            table.add_column(SAMPLE_HEADERS.get(col, col.replace("_", " ")), key=col)
        for row in page.rows.iter_rows():
            table.add_row(*[self._cell(v) for v in row], key=str(row[0]))
        first = page.offset + 1 if page.total else 0
        last = page.offset + page.rows.height
        self.query_one("#detail-page-title", Static).update(Content.from_markup(
            f"[b]Customers {count(first)}–{count(last)} of {count(page.total)}[/] · page {page.number} of "
            f"{page.pages} · highest probability first [dim](n/p: next/previous page, Enter: explain)[/]"))

    @staticmethod
    def _cell(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 10 else f"{value:,.0f}"
        return str(value)

    # -- actions ---------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss()

    def action_audience(self) -> None:
        self.post_message(ExportRequested("audience", segment=self.segment_id))

    def action_edit_rule(self) -> None:
        self.post_message(EditRule(self.segment_id))  # the app closes this screen

    def action_page(self, step: int) -> None:
        if self.page_info is None:
            return
        new = self.page_offset + step * PAGE_ROWS
        if new < 0 or new >= self.page_info.total:
            self.app.notify("No more pages that way", title="Customers")
            return
        self.page_offset = new
        self.post_message(PageRequested(self.segment_id, new, PAGE_ROWS))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(CustomerRequested(event.row_key.value))  # the app closes this screen

    def action_customer(self) -> None:
        table = self.query_one("#detail-sample", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key:
                self.post_message(CustomerRequested(key))
