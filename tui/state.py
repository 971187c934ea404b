"""What the TUI knows about the open run, in one object screens are built with.

The app owns one :class:`RunState` and is the only writer (on the UI thread, when a
worker's result arrives); screens such as the segment detail and the export dialog get it
at construction and read it when they draw, so they never reach into the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import SegkitError

if TYPE_CHECKING:
    import polars as pl

    from toolkit.ruleset import Ruleset
    from toolkit.run.provenance import Movement
    from toolkit.run.view import RunView, SegmentRow


@dataclass
class RunState:
    """The open run (``view``), its saved ruleset and the figures derived from it."""

    run_dir: Path
    data: Path | None = None
    view: RunView | None = None
    saved_ruleset: Ruleset | None = None
    ruleset_problem: str | None = None  # segments.yaml does not load: the message
    segment_rows: list[SegmentRow] = field(default_factory=list)
    segments_json: dict | None = None
    metrics: dict | None = None
    segmented: pl.DataFrame | None = None  # the customers with their segment (saved ruleset)
    profiles: dict = field(default_factory=dict)  # segment id -> profile, for the saved ruleset
    movement: Movement | None = None  # flow.json: who moved between two snapshots

    def row(self, segment_id: str) -> SegmentRow | None:
        """The segment's row (size, purchase figures), None when the ruleset has no such segment."""
        return next((r for r in self.segment_rows if r.id == segment_id), None)

    def segmented_frame(self) -> pl.DataFrame:
        """The customers with their segment under the saved ruleset (loaded when needed: a
        worker may call this before the full load has finished)."""
        if self.segmented is None:
            if self.view is None:
                raise SegkitError("no run is open")
            self.segmented = self.view.with_segments(self.saved_ruleset)
        return self.segmented
