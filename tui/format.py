"""Number and bar formatting for the TUI (numbers read the same as in the report)."""

from __future__ import annotations

import math

from textual.content import Content

from toolkit.fmt import num as _fmt, pct as _pct, signed  # noqa: F401 (log-odds read as in the reasons)

BLOCKS = " ▏▎▍▌▋▊▉█"


def pct(value, digits: int = 1) -> str:
    return _pct(value, digits)


def num(value, digits: int = 3) -> str:
    return _fmt(value, digits)


def count(value) -> str:
    return "-" if value is None else f"{int(value):,}"


def bar(value: float, maximum: float, width: int) -> str:
    """A horizontal bar of ``value / maximum`` of ``width`` cells (eighth-cell resolution)."""
    if maximum <= 0 or width <= 0 or value is None or not math.isfinite(value):
        return ""
    frac = max(0.0, min(1.0, abs(value) / maximum))
    eighths = int(round(frac * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (BLOCKS[part] if part else "")


def signed_bar(value: float, maximum: float, width: int) -> Content:
    """A bar coloured by sign: $success for positive, $error for negative (theme colours)."""
    text = bar(value, maximum, width)
    style = "$success" if value > 0 else "$error"
    return Content.styled(text, style) if text else Content("")


def escape(text: str) -> str:
    """Text safe inside Content markup."""
    return str(text).replace("[", "\\[")
