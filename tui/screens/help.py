"""The help screen (F1 or ?): help.md rendered as Markdown, keys included."""

from __future__ import annotations

from importlib import resources

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import MarkdownViewer
from tui.widgets.footer import SegkitFooter


def help_text() -> str:
    return resources.files("tui").joinpath("help.md").read_text(encoding="utf-8")


class HelpScreen(ModalScreen[None]):
    """Everything a first-time user needs: the tabs, the keys, what the numbers mean."""

    BINDINGS = [Binding("escape,f1,question_mark,q", "close", "Close help")]

    def compose(self) -> ComposeResult:
        yield MarkdownViewer(help_text(), id="help-viewer", show_table_of_contents=False)
        yield SegkitFooter()

    def on_mount(self) -> None:
        self.query_one(MarkdownViewer).document.focus()

    def action_close(self) -> None:
        self.dismiss(None)
