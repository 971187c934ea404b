"""The Customer tab: look up an id; probability, decision, segment and every term's push."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Static

from toolkit.run.records import CustomerExplanation
from tui.format import bar, escape, pct, signed
from tui.messages import CustomerRequested


class CustomerPane(Vertical):
    """One customer, explained by the scorecard."""

    BINDINGS = [
        Binding("ctrl+l", "lookup", "Look up"),
        Binding("ctrl+r", "random", "Random customer"),
        Binding("escape", "leave_input", "Leave the id box", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="customer-bar"):
            yield Input(placeholder="Customer id (e.g. C0000042), then Enter", id="customer-id")
            yield Button("Look up", id="customer-go", variant="primary")
            yield Button("Random", id="customer-random")
        with VerticalScroll(id="customer-body"):
            yield Static("Type a customer id and press Enter, or press Ctrl+R for a random customer.",
                         id="customer-summary")
            yield Static("", id="customer-terms")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_lookup()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "customer-go":
            self.action_lookup()
        else:
            self.action_random()

    def action_lookup(self) -> None:
        """Ask the app to explain the typed id (it answers with :meth:`looking_up`, then
        :meth:`show` or :meth:`show_not_found`)."""
        value = self.query_one("#customer-id", Input).value.strip()
        if not value:
            self.app.notify("Type a customer id first", severity="warning")
            return
        self.post_message(CustomerRequested(value))

    def action_leave_input(self) -> None:
        """Esc in the id box: focus the results, so 1-5 switch tabs again."""
        self.query_one("#customer-body").focus()

    def action_random(self) -> None:
        self.post_message(CustomerRequested(None))

    def looking_up(self, customer_id: str) -> None:
        """The app is looking ``customer_id`` up: show it in the id box and say so."""
        box = self.query_one("#customer-id", Input)
        if box.value.strip() != customer_id:
            box.value = customer_id
        self.query_one("#customer-summary", Static).update(f"Looking up {escape(customer_id)}…")

    def show_not_found(self, message: str) -> None:
        self.query_one("#customer-summary", Static).update(Content.from_markup(f"[$error]{escape(message)}[/]"))
        self.query_one("#customer-terms", Static).update("")

    def show(self, e: CustomerExplanation) -> None:
        decision = ("[$success b]likely to buy[/]" if e.decision else "[b]not expected to buy[/]")
        segment = f"[b]{escape(e.segment_name)}[/] ({escape(e.segment)})" if e.segment else "-"
        actual = "" if e.actual is None else f" · bought in the next 30 days: [b]{'yes' if e.actual else 'no'}[/]"
        summary = (f"[b]{escape(e.id)}[/]  purchase probability [b]{pct(e.probability)}[/] → {decision} "
                   f"(threshold {pct(e.threshold)})\nSegment: {segment}{actual}")
        self.query_one("#customer-summary", Static).update(Content.from_markup(summary))
        peak = max((abs(c.score) for c in e.contributions), default=0.0) or 1.0
        lines = []
        for title, items in (("Raises the probability", e.up[:8]), ("Lowers the probability", e.down[:8])):
            lines.append(f"\n[b]{title}[/]")
            if not items:
                lines.append("[dim]  (nothing)[/]")
            for c in items:
                colour = "$success" if c.score > 0 else "$error"
                lines.append(f"  {signed(c.score).rjust(6)} [{colour}]{bar(c.score, peak, 12).ljust(12)}[/] "
                             f"{escape(c.values)}")
        rest = len(e.contributions) - len(e.up[:8]) - len(e.down[:8])
        lines.append(f"\n[dim]log-odds: baseline {signed(e.intercept)} plus {len(e.contributions)} terms"
                     f"{f' ({rest} smaller or zero not shown)' if rest > 0 else ''}; "
                     "probability = 1 / (1 + e^-log-odds)[/]")
        self.query_one("#customer-terms", Static).update(Content.from_markup("\n".join(lines)))
