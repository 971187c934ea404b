"""What panes and screens ask of the app, as Textual messages.

Panes and screens never call the app: they post one of these and :class:`tui.app.SegkitApp`
handles it (with ``@on(Message)``), so a widget only knows the messages it sends, and the
app is the one place that knows the run, its state and its workers. Every message bubbles
(a pane's message reaches the app through its parents; a screen's parent is the app).
Messages are safe to post from a worker thread (``post_message`` is thread-safe).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from toolkit.ruleset import Ruleset


class ShowTab(Message):
    """Show the tab ``tab`` (an id of :data:`tui.tabs.TABS`), closing a segment's detail."""

    def __init__(self, tab: str) -> None:
        super().__init__()
        self.tab = tab


class OpenSegment(Message):
    """Open the detail screen of segment ``segment_id``."""

    def __init__(self, segment_id: str) -> None:
        super().__init__()
        self.segment_id = segment_id


class EditRule(Message):
    """Jump to ``segment_id``'s rule in the Rules editor (closing a segment's detail)."""

    def __init__(self, segment_id: str) -> None:
        super().__init__()
        self.segment_id = segment_id


class ExportRequested(Message):
    """Open the export dialog on ``kind`` (ruleset, audience or model) with these choices."""

    def __init__(self, kind: str = "ruleset", *, segment: str | None = None, fmt: str | None = None,
                 dialect: str = "duckdb") -> None:
        super().__init__()
        self.kind = kind
        self.segment = segment
        self.fmt = fmt
        self.dialect = dialect


class CustomerRequested(Message):
    """Explain customer ``customer_id`` on the Customer tab; None: a customer picked at random."""

    def __init__(self, customer_id: str | None) -> None:
        super().__init__()
        self.customer_id = customer_id


class PageRequested(Message):
    """Load customers ``offset`` to ``offset + limit`` of ``segment_id`` (highest probability
    first); the app answers with :meth:`SegmentDetailScreen.show_page`."""

    def __init__(self, segment_id: str, offset: int, limit: int) -> None:
        super().__init__()
        self.segment_id = segment_id
        self.offset = offset
        self.limit = limit


class ProfileRequested(Message):
    """Compute (or reuse) the profile of ``segment_id``; the app answers with
    :meth:`SegmentDetailScreen.show_profile`."""

    def __init__(self, segment_id: str) -> None:
        super().__init__()
        self.segment_id = segment_id


class RulesDirtyChanged(Message):
    """The Rules editor's text became different from (or equal to) the saved file."""

    def __init__(self, dirty: bool) -> None:
        super().__init__()
        self.dirty = dirty


class RulesetSaved(Message):
    """The editor saved (or reloaded) ``ruleset`` at ``path``: whatever is derived from the
    saved ruleset (segments, detail, Compare) must be recomputed. ``fidelity`` is the share
    of the run's customers the saved rules put in their cluster's segment (None when the run
    has no clusters or the customers are not loaded)."""

    def __init__(self, ruleset: Ruleset, path: Path, fidelity: float | None, edited: bool) -> None:
        super().__init__()
        self.ruleset = ruleset
        self.path = Path(path)
        self.fidelity = fidelity
        self.edited = edited  # the rules differ from the version saved before
