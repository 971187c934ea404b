"""Command palette (Ctrl+P): every action of the TUI, by name, from anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from toolkit.exports import RULESET_FORMATS
from toolkit.rules import DIALECTS
from tui.tabs import key_range

if TYPE_CHECKING:
    from tui.app import SegkitApp


@dataclass(frozen=True)
class Command:
    title: str
    help: str
    run: Callable[[], object]
    action: str  # the binding action this command stands for (kept in step by a test)


def commands(app: SegkitApp) -> list[Command]:
    """The palette's commands for the app's current state (segments, formats, ...)."""
    out: list[Command] = []

    def add(title: str, help: str, run: Callable[[], object], action: str) -> None:
        out.append(Command(title, help, run, action))

    for tab in app.TABS:
        add(f"Go to {tab.label}", f"Show the {tab.label} tab", partial(app.action_show_tab, tab.id), tab.action)
    keys = key_range(app.TABS)
    add("Next tab", "Ctrl+PageDown", partial(app.action_next_tab, 1), "next_tab(1)")
    add("Previous tab", "Ctrl+PageUp", partial(app.action_next_tab, -1), "next_tab(-1)")
    add("Help", "Keys, tabs and what the numbers mean (F1 or ?)", app.action_help, "help")
    add("Quit", "Leave segkit (asks first when edits are unsaved)", app.action_quit, "quit")
    # segments
    add("Open the highlighted segment", "Details, profile and customers of a segment",
        partial(app.pane_action, "segments", "open"), "open")
    add("Sort segments: next column", "Cycle the sort column of the Segments table",
        partial(app.pane_action, "segments", "sort"), "sort")
    add("Sort segments: reverse order", "Flip ascending/descending", partial(app.pane_action, "segments", "reverse"),
        "reverse")
    add("Chart: sizes or purchase rates", "Switch the Segments chart", partial(app.pane_action, "segments", "chart"),
        "chart")
    add("Edit the highlighted segment's rule", "Jump to its rule in the Rules editor",
        partial(app.pane_action, "segments", "edit_rule"), "edit_rule")
    for row in app.segment_rows:
        add(f"Open segment: {row.name}", f"{row.size:,} customers", partial(app.open_segment, row.id), "open")
        add(f"Edit rule: {row.name}", "Jump to its rule in the Rules editor", partial(app.edit_rule, row.id),
            "edit_rule")
        add(f"Export audience: {row.name}", "Customer ids as CSV or Parquet",
            partial(app.open_export, "audience", segment=row.id), "audience")
    # segment detail
    add("Next page of customers", "In a segment's detail screen", partial(app.screen_action, "page(1)"), "page(1)")
    add("Previous page of customers", "In a segment's detail screen", partial(app.screen_action, "page(-1)"),
        "page(-1)")
    add("Explain the highlighted customer", "From a segment's customer list", partial(app.screen_action, "customer"),
        "customer")
    add("Back", "Close the segment detail", partial(app.screen_action, "back"), "back")
    # export
    add("Export…", "Ruleset, audience or model, to a file", partial(app.open_export, "ruleset"), "export")
    add("Export audience…", "A segment's customer ids as CSV or Parquet", partial(app.open_export, "audience"),
        "audience")
    for fmt in RULESET_FORMATS:
        if fmt == "sql":
            for d in DIALECTS:
                add(f"Export ruleset as SQL ({d})", "One SELECT assigning segments",
                    partial(app.open_export, "ruleset", fmt="sql", dialect=d), "export")
        else:
            add(f"Export ruleset as {fmt.upper() if fmt != 'markdown' else 'Markdown'}", "Write the saved ruleset",
                partial(app.open_export, "ruleset", fmt=fmt), "export")
    for d in DIALECTS:
        add(f"Export model as SQL ({d})", "Score customers in the warehouse",
            partial(app.open_export, "model", dialect=d), "export")
    # model
    add("Model: choose a feature's shape", "Pick the feature whose shape function is plotted",
        partial(app.pane_action, "model", "feature"), "feature")
    add("Model: choose an interaction", "Pick the pair shown as a heat table",
        partial(app.pane_action, "model", "interaction"), "interaction")
    # customer
    add("Look up a customer", "Probability, decision, segment, reasons", partial(app.pane_action, "customer", "lookup"),
        "lookup")
    add("Random customer", "Explain a customer picked at random", partial(app.pane_action, "customer", "random"),
        "random")
    add("Leave the customer id box", f"So that {keys} switch tabs again",
        partial(app.pane_action, "customer", "leave_input"), "leave_input")
    # rules
    for title, help, action in (
            ("Save the ruleset", "Write segments.yaml atomically (refused on errors or disk conflicts)", "save"),
            ("Save the ruleset as…", "Write to another .yaml file", "save_as"),
            ("Undo", "Undo the last edit in the Rules editor", "undo"),
            ("Redo", "Redo in the Rules editor", "redo"),
            ("Rename segment", "Rename the segment under the cursor (F2)", "rename"),
            ("Move segment up", "Check it earlier (Alt+Up)", "move(-1)"),
            ("Move segment down", "Check it later (Alt+Down)", "move(1)"),
            ("Reload the ruleset from disk", "Replace the editor text with the file", "reload"),
            ("Go to the error", "Move the cursor to the parse error", "goto_error"),
            ("Leave the rules editor", f"So that {keys} switch tabs again (Esc)", "leave_editor")):
        add(title, help, partial(app.pane_action, "rules", action), action)
    return out


class SegkitCommands(Provider):
    """Palette provider over :func:`commands`."""

    async def discover(self) -> Hits:
        for c in commands(self.app):
            yield DiscoveryHit(c.title, c.run, help=c.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for c in commands(self.app):
            score = matcher.match(c.title)
            if score > 0:
                yield Hit(score, matcher.highlight(c.title), c.run, help=c.help)
