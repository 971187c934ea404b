"""The report's charts as PNG files (matplotlib, drawn off-screen).

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas directly rather than
through ``pyplot``: no global figure state and no backend switching, so drawing a report
inside the TUI process (or from threads) cannot disturb anything else that uses matplotlib.
Every function takes plain data (lists/dicts from the run's files) and a target path, and
returns the path.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

BLUE = "#2b6cb0"
ORANGE = "#dd6b20"
GREY = "#718096"
SIZE = (6.4, 3.6)
DPI = 100


def _figure(size: tuple[float, float] = SIZE) -> Figure:
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def clipped_texts(fig: Figure) -> list[str]:
    """The visible texts of ``fig`` that reach past its edges (empty when everything fits).

    ``tight_layout`` makes room for tick labels but not for an axis label wider than its
    axes, which is how ``importances.png`` lost the end of its x label to the right edge.
    """
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    hidden = set()  # tick labels outside the view limits exist but are not drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            drawn = {id(t) for t in axis._update_ticks()}  # noqa: SLF001 - the ticks matplotlib draws
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if id(tick) not in drawn:
                    hidden.update({id(tick.label1), id(tick.label2)})
    out = []
    for t in fig.findobj(Text):
        if id(t) in hidden or not t.get_visible() or not t.get_text().strip() or t.figure is None:
            continue
        e = t.get_window_extent(renderer)
        if e.x0 < box.x0 - 0.5 or e.y0 < box.y0 - 0.5 or e.x1 > box.x1 + 0.5 or e.y1 > box.y1 + 0.5:
            out.append(t.get_text())
    return out


def _layout(fig: Figure) -> Figure:
    """Tight layout, then verify: a figure whose texts still overflow is marked to be saved
    with a tight bounding box (the PNG grows to fit rather than cutting a label)."""
    fig.tight_layout()
    fig.canvas.draw()
    fig._segkit_tight = bool(clipped_texts(fig))  # noqa: SLF001 - our own marker
    return fig


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _layout(fig)
    extra = {"bbox_inches": "tight", "pad_inches": 0.1} if fig._segkit_tight else {}  # noqa: SLF001
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None}, **extra)
    return path


def importances_chart(importances: dict[str, float], path: Path, top: int = 15) -> Path:
    """Horizontal bars: the ``top`` terms by mean absolute contribution (log-odds)."""
    return _save(importances_figure(importances, top), path)


def importances_figure(importances: dict[str, float], top: int = 15) -> Figure:
    """The figure :func:`importances_chart` saves (separate so tests can measure its layout)."""
    items = sorted(importances.items(), key=lambda kv: -kv[1])[:top][::-1]
    fig = _figure((6.4, max(2.4, 0.28 * len(items) + 0.8)))
    ax = fig.add_subplot()
    names = [k for k, _ in items]
    ax.barh(range(len(items)), [v for _, v in items], color=[ORANGE if " & " in n else BLUE for n in names])
    ax.set_yticks(range(len(items)), names, fontsize=8)
    # two short lines, right-aligned with the axes: long term names push the axes right, and a
    # one-line centred label then ran past the figure's right edge
    ax.set_xlabel("mean |contribution| on training rows (log-odds)\norange bars: interactions",
                  fontsize=9, loc="right")
    ax.set_title(f"Top {len(items)} terms by importance", fontsize=10)
    return _layout(fig)


def calibration_chart(calibration: Sequence[dict], path: Path) -> Path:
    """Observed purchase rate against mean predicted probability per bin (diagonal = perfect)."""
    rows = [b for b in calibration if b.get("customers")]
    fig = _figure((4.8, 4.0))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1, label="perfect calibration")
    xs = [b["mean_predicted"] for b in rows]
    ys = [b["observed_rate"] for b in rows]
    sizes = [20 + 180 * math.sqrt(b["customers"] / max(r["customers"] for r in rows)) for b in rows] if rows else []
    ax.plot(xs, ys, color=BLUE, linewidth=1.5)
    ax.scatter(xs, ys, s=sizes, color=BLUE, zorder=3, label="test customers per bin (area ~ count)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed purchase rate")
    ax.set_title("Calibration on held-out test customers", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    return _save(fig, path)


def gains_chart(deciles: Sequence[dict], path: Path) -> Path:
    """Lift per decile (bars) and cumulative gains (line), highest-propensity decile first."""
    fig = _figure()
    ax = fig.add_subplot()
    xs = [d["decile"] for d in deciles]
    ax.bar(xs, [d.get("lift") or 0 for d in deciles], color=BLUE, label="lift (purchase rate / base rate)")
    ax.axhline(1.0, color=GREY, linewidth=1, linestyle="--")
    ax.set_xlabel("propensity decile (1 = highest predicted probability)")
    ax.set_ylabel("lift")
    ax.set_xticks(xs)
    ax2 = ax.twinx()
    ax2.plot(xs, [100 * (d.get("cumulative_gain") or 0) for d in deciles], color=ORANGE, marker="o",
             label="cumulative share of buyers (%)")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("cumulative gain (%)")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(handles, labels, fontsize=7, loc="center right")
    ax.set_title("Lift and gains by decile (test customers)", fontsize=10)
    return _save(fig, path)


def shape_chart(bins: Sequence, feature: str, path: Path, *, log_x: bool = False,
                missing_label: str = "missing", unseen_label: str = "other (unseen)") -> Path:
    """A main-effect shape function: log-odds added per bin (step line) or per category (bars).

    ``bins`` are :class:`toolkit.model.scorecard.ShapeBin` rows (missing first). A missing bin with
    a non-zero score is drawn as a dotted horizontal line and named in the legend. ``log_x``
    draws the x axis on a symmetric log scale (skewed counts, days and money, where most
    customers sit near 0 and a few far out would squash the interesting part).
    """
    missing = next((b for b in bins if b.label == missing_label), None)
    regular = [b for b in bins if b.label not in (missing_label, unseen_label)]
    continuous = any(b.lower is not None or b.upper is not None for b in regular)
    fig = _figure()
    ax = fig.add_subplot()
    if continuous:
        cuts = [b.lower for b in regular if b.lower is not None]
        span = (cuts[-1] - cuts[0]) if len(cuts) > 1 else (abs(cuts[0]) if cuts else 1.0) or 1.0
        left = cuts[0] - 0.05 * span if cuts else 0.0
        right = cuts[-1] + 0.05 * span if cuts else 1.0
        if log_x and cuts and cuts[0] >= 0:
            left, right = 0.0, cuts[-1] * 1.3  # counts and days start at 0; no negative axis
        xs, ys = [], []
        for b in regular:
            lo = b.lower if b.lower is not None else left
            hi = b.upper if b.upper is not None else right
            xs += [lo, hi]
            ys += [b.score, b.score]
        ax.plot(xs, ys, color=BLUE, linewidth=1.6)
        if log_x and right > 100:
            ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlabel(feature + (" (log scale)" if log_x and right > 100 else ""))
    else:
        labels = [b.label for b in regular]
        ax.bar(range(len(regular)), [b.score for b in regular],
               color=[BLUE if b.score >= 0 else ORANGE for b in regular])
        ax.set_xticks(range(len(regular)), labels, rotation=30 if len(labels) > 5 else 0,
                      fontsize=8, ha="right" if len(labels) > 5 else "center")
    if missing is not None and missing.score != 0.0:
        ax.axhline(missing.score, color=GREY, linestyle=":", linewidth=1.2,
                   label=f"missing: {missing.score:+.2f}")
        ax.legend(fontsize=7)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_ylabel("log-odds added")
    ax.set_title(f"Shape function: {feature}", fontsize=10)
    return _save(fig, path)


def segments_chart(profiles: Sequence[dict], base_rate: float | None, path: Path) -> Path:
    """Per segment: share of customers and actual purchase rate, side by side."""
    names = [p.get("name") or p["id"] for p in profiles][::-1]
    shares = [100 * (p.get("share") or 0) for p in profiles][::-1]
    rates = [100 * (p.get("purchase_rate") or 0) for p in profiles][::-1]
    fig = _figure((6.4, max(2.4, 0.45 * len(names) + 1.0)))
    ax = fig.add_subplot()
    ys = list(range(len(names)))
    ax.barh([y + 0.2 for y in ys], shares, height=0.4, color=BLUE, label="share of customers (%)")
    ax.barh([y - 0.2 for y in ys], rates, height=0.4, color=ORANGE, label="purchase rate (%)")
    if base_rate is not None:
        ax.axvline(100 * base_rate, color=GREY, linestyle="--", linewidth=1, label="overall purchase rate")
    ax.set_yticks(ys, names, fontsize=8)
    ax.set_xlabel("%")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Segments: size and purchase rate", fontsize=10)
    return _save(fig, path)
