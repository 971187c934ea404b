"""The footer of every segkit screen: compact below 100 columns, so the keys fit at 80."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

COMPACT_BELOW = 100


class SegkitFooter(Footer):
    """Textual's footer, switching to its compact style on narrow terminals."""

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
