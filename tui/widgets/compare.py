"""The Compare tab: supervised vs unsupervised for this run (toolkit.compare)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static

from toolkit.compare import ComparisonRow


class ComparePane(VerticalScroll):
    """Rows of :func:`toolkit.compare.compare_approaches`, the two sides next to each other."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="compare-head"):
            yield Label("Purchase model (supervised)", classes="compare-side")
            yield Label("Segments (unsupervised)", classes="compare-side")
        yield Static("Loading…", id="compare-status")

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
