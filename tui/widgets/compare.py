"""The Compare tab: supervised vs unsupervised for this run (toolkit.run.compare)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Label, Static

from toolkit.run.compare import ComparisonRow
from tui.format import escape


class ComparePane(VerticalScroll):
    """Rows of :func:`toolkit.run.compare.compare_approaches`, the two sides next to each other."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="compare-head"):
            yield Label("Purchase model (supervised)", classes="compare-side")
            yield Label("Segments (unsupervised)", classes="compare-side")
        yield Static("", id="compare-edited")
        yield Static("Loading…", id="compare-status")

    def on_mount(self) -> None:
        self.query_one("#compare-edited", Static).display = False

    def show_saved_rules(self, ruleset, rows, fidelity: float | None, figures=None) -> None:
        """The rules were edited and saved in the Rules tab: the segments side's figures for
        the saved rules, measured now. With ``figures`` (:class:`RunView.ruleset_figures`) the
        rows below quote them too; without, they come from segments.json and say so."""
        from toolkit.run.compare import pct

        rates = [r.purchase_rate for r in rows if r.purchase_rate is not None]
        customers = sum(r.size for r in rows)
        parts = [f"{len(ruleset.segments)} rules + default"]
        if figures is not None and figures.fidelity is not None:
            where = "held-out" if figures.held_out else "all"
            parts.append(f"fidelity to the clusters {pct(figures.fidelity)} (on {where} "
                         f"{figures.rows:,} customers)")
        elif fidelity is not None:
            parts.append(f"fidelity to the clusters {pct(fidelity)} (on all {customers:,} customers)")
        else:
            parts.append("fidelity not measured (no clusters or customers loaded)")
        if rates:
            parts.append(f"purchase rate {pct(min(rates))} to {pct(max(rates))} across segments")
        box = self.query_one("#compare-edited", Static)
        box.update(Content.from_markup(
            "[b]Saved rules (edited in the Rules tab)[/]: " + escape("; ".join(parts)) + ".\n"
            + ("[dim]Fidelity, coverage and cost ratio below are the saved rules'; stability "
               "describes the rules as distilled by segkit segment.[/]" if figures is not None else
               "[dim]The segmentation figures below (stability, held-out fidelity) describe the "
               "rules as distilled by segkit segment.[/]")))
        box.display = True

    def show_rows(self, rows: list[ComparisonRow]) -> None:
        self.query_one("#compare-status", Static).display = False
        for old in self.query(".compare-row"):
            old.remove()
        widgets = []
        for r in rows:
            widgets.append(Label(r.aspect, classes="compare-row compare-aspect"))
            widgets.append(Horizontal(Static(r.supervised, classes="compare-cell", markup=False),
                                      Static(r.unsupervised, classes="compare-cell", markup=False),
                                      classes="compare-row compare-pair"))
        self.mount_all(widgets)

    def show_message(self, text: str) -> None:
        status = self.query_one("#compare-status", Static)
        status.display = True
        status.update(text)
