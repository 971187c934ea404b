"""Horizontal bar charts drawn as text: one row per label, at every terminal size.

plotext bar charts draw more bar rows than labels when the plot height is not a multiple
of the bar count (7 rows for 6 segments at 80x24), so a bar could sit next to the wrong
label. Here each row is ``label │bar value``, the bar in block characters with eighth-cell
resolution, its length proportional to the value; the layout follows the widget's width.
When the widget is too short for every bar it shows the first ones and says how many are
left out, never a squeezed or shifted chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from textual.content import Content
from textual.widget import Widget

from tui.format import bar, escape

MAX_LABEL = 30
MIN_BAR = 8


@dataclass(frozen=True)
class BarRow:
    """One drawn row: the label as shown, the bar text and the value text."""

    label: str
    bar: str
    value: str


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class BarChart(Widget):
    """A titled horizontal bar chart of non-negative values, one text row per bar.

    ``height: auto`` shows every bar (use inside a scrolling container); a fixed or
    fractional height shows as many whole rows as fit plus a line naming the rest.
    """

    DEFAULT_CSS = """
    BarChart {
        height: auto;
    }
    """

    def __init__(self, title: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.labels: list[str] = []
        self.values: list[float] = []
        self.value_texts: list[str] = []

    def set_data(self, title: str, labels: list[str], values: list[float],
                 value_texts: list[str] | None = None) -> None:
        """Replace the chart: ``labels[i]`` gets a bar of ``values[i]`` (top to bottom)."""
        if len(labels) != len(values):
            raise ValueError("a bar chart needs one value per label")
        self.title = title
        self.labels = [str(label) for label in labels]
        self.values = [float(v) if v is not None and math.isfinite(float(v)) else 0.0 for v in values]
        self.value_texts = list(value_texts) if value_texts is not None else [f"{v:,.4g}" for v in self.values]
        self.refresh(layout=True)

    def clear(self) -> None:
        self.set_data("", [], [])

    # -- layout ----------------------------------------------------------------------------
    def get_content_height(self, container, viewport, width: int) -> int:
        return (1 if self.title else 0) + len(self.labels)

    def rows(self, width: int) -> list[BarRow]:
        """The bar rows as drawn at ``width`` cells (bar lengths in eighths are exact)."""
        if not self.labels:
            return []
        value_w = max(len(t) for t in self.value_texts)
        label_w = min(MAX_LABEL, max(len(label) for label in self.labels))
        label_w = max(4, min(label_w, width - value_w - 3 - MIN_BAR))
        bar_w = max(1, width - label_w - value_w - 3)  # "label │bar value"
        peak = max((abs(v) for v in self.values), default=0.0)
        return [BarRow(_clip(label, label_w).ljust(label_w), bar(v, peak, bar_w).ljust(bar_w), text.rjust(value_w))
                for label, v, text in zip(self.labels, self.values, self.value_texts)]

    def render(self) -> Content:
        width = self.content_size.width
        height = self.content_size.height
        lines: list[str] = []
        if self.title:
            lines.append(f"[b]{escape(self.title)}[/]")
        rows = self.rows(width)
        room = height - len(lines) if height else len(rows)
        shown = rows if len(rows) <= room else rows[: max(0, room - 1)]
        for r in shown:
            lines.append(f"{escape(r.label)} [dim]│[/][$accent]{r.bar}[/] {escape(r.value)}")
        if len(shown) < len(rows):
            lines.append(f"[dim]… {len(rows) - len(shown)} more not shown: enlarge the terminal[/]")
        return Content.from_markup("\n".join(lines))
