"""Shape functions in words, and the x axis to draw them on: one module for the report and the TUI.

A boosted shape function is jagged: a bin that holds a handful of customers can carry the
largest score of the whole feature. Naming that bin ("strongest up: [62, 63.5)") tells a
reader about noise, not about customers. Everything here therefore describes the *trend*:

* :func:`smooth_scores` smooths the bin scores over a window of ~10 % of the customers
  (weighted by how many customers each bin holds, when the feature's values are given;
  ~10 % of the bins otherwise), so a thin spiky bin is outweighed by its neighbours;
* :func:`summarize_shape` classifies the smoothed curve (rising / falling / peak / valley /
  flat / categorical) and says where the change happens;
* :func:`describe_shape` is the report's sentence, :func:`shape_caption` the TUI's one line;
* :func:`shape_axis` decides ``"log"`` or ``"linear"`` for the x axis from the data (or the
  bin cuts), so the report's PNG and the TUI's plot use the same axis.

Callers pass ``values`` (the feature's column, any sequence / numpy array / polars Series)
whenever they have the data; without it the functions fall back to bin-count-free rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from toolkit import schema

# thresholds (log-odds unless noted)
FLAT_SWING = 0.05               # a shape whose smoothed range is below this "barely moves" the probability
MONOTONE_SHARE = 0.6            # |end - start| >= this share of the range: a trend, not a hump
STEEP_SPAN = 0.15               # the middle half of a trend's change within this share of the axis: "steep"
FLATTENS_SPAN = 0.4             # 90 % of the change done with at least this share of the axis left: "then flattens"
MISSING_NOTE = 0.1              # a missing-value score at least this far from 0 is mentioned
SMOOTH_WINDOW = 0.1             # smoothing window: this share of the customers (or of the bins)
SKEW_RATIO = 10.0               # shape_axis: max / median of the positive values at least this ...
SKEW_MIN_MAX = 100.0            # ... and a maximum at least this large: draw (and measure) on a log axis

MISSING_LABEL = "missing"
UNSEEN_LABEL = "other (unseen)"

Axis = Literal["log", "linear"]


@dataclass(frozen=True)
class ShapeSummary:
    """What :func:`summarize_shape` detected in a shape function."""

    feature: str
    trend: str                 # rising | falling | peak | valley | flat | categorical
    swing: float               # log-odds between the lowest and highest (smoothed) points
    location: str | None       # where half of the change is done / where the extreme is, in words
    steep: bool = False
    highest: str | None = None  # categorical: best and worst category
    lowest: str | None = None
    between: str | None = None  # trends: where the middle half of the change happens
    missing_like: str | None = None  # which bin a missing value scores like
    missing_score: float | None = None
    from_start: bool = False   # trends: the change starts at the lowest values ("over the first ...")
    until: str | None = None   # trends: where 75 % of the change is done
    flattens: bool = False     # trends: 90 % of the change is done early and the rest is flat


# ----------------------------------------------------------------------------------------
# values, bins and the axis


def _finite(values) -> np.ndarray:
    """The finite values of a column as float64 (nulls, NaN and +-inf dropped)."""
    if values is None:
        return np.empty(0)
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()  # polars / pandas Series (nulls become NaN or None)
    arr = np.asarray(values, dtype=object if not isinstance(values, np.ndarray) else None)
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        arr = np.array([np.nan if v is None else float(v) for v in arr], dtype=np.float64)
    return arr[np.isfinite(arr)]


def _regular(bins: Sequence) -> list:
    return [b for b in bins if b.label not in (MISSING_LABEL, UNSEEN_LABEL)]


def _is_continuous(regular: Sequence) -> bool:
    return any(b.lower is not None or b.upper is not None for b in regular)


def _cuts(regular: Sequence) -> list[float]:
    return [b.lower for b in regular if b.lower is not None]


def shape_axis(values=None, bins: Sequence | None = None) -> Axis:
    """``"log"`` when the feature is skewed enough that a linear axis squashes the effect.

    Skewed means: no negative values, the largest value at least :data:`SKEW_RATIO` times the
    median of the positive values and at least :data:`SKEW_MIN_MAX` (days since the last
    purchase: median 40, max 3,650). Decided from ``values`` (the feature's column) when
    given, else from the shape's bin cuts (EBM cuts follow the data's quantiles, so their
    median approximates the data's). Categorical shapes and shapes with no cuts: ``"linear"``.
    Both the report's PNGs and the TUI's plot call this, so they draw the same axis.
    """
    if bins is not None and _regular(bins) and not _is_continuous(_regular(bins)):
        return "linear"   # a categorical shape: its column holds text, not numbers
    data = _finite(values)
    if data.size == 0 and bins is not None:
        regular = _regular(bins)
        if not _is_continuous(regular):
            return "linear"
        data = np.asarray(_cuts(regular), dtype=np.float64)
    if data.size == 0 or data.min() < 0:
        return "linear"
    positive = data[data > 0]
    if positive.size == 0:
        return "linear"
    top, median = float(positive.max()), float(np.median(positive))
    return "log" if top >= SKEW_MIN_MAX and top >= SKEW_RATIO * median else "linear"


def bin_counts(bins: Sequence, values) -> np.ndarray | None:
    """Customers per regular bin (missing and unseen excluded), or None without values.

    Continuous bins are ``[lower, upper)``; categories are matched by label.
    """
    regular = _regular(bins)
    if values is None or not regular:
        return None
    if _is_continuous(regular):
        data = _finite(values)
        if data.size == 0:
            return None
        cuts = np.asarray(_cuts(regular)[1:] if regular[0].lower is not None else _cuts(regular),
                          dtype=np.float64)
        idx = np.searchsorted(cuts, data, side="right")
        return np.bincount(idx, minlength=len(regular))[: len(regular)].astype(np.float64)
    raw = values.to_list() if hasattr(values, "to_list") else list(values)
    labels = {b.label: i for i, b in enumerate(regular)}
    counts = np.zeros(len(regular))
    for v in raw:
        i = labels.get(str(v)) if v is not None else None
        if i is not None:
            counts[i] += 1
    return counts


def smooth_scores(scores: Sequence[float], counts: Sequence[float] | None = None) -> np.ndarray:
    """Bin scores smoothed over a centred window of :data:`SMOOTH_WINDOW` of the customers.

    Each bin sits at the middle of its share of customers (cumulative counts); its smoothed
    score is the count-weighted mean of the bins within half a window of it, itself and its
    two neighbours always included. A spike in a bin of a few customers is thus outweighed by its neighbours, while
    a bin that holds many customers keeps its own score. Without counts every bin weighs the
    same (a centred moving average over ~10 % of the bins).
    """
    y = np.asarray(scores, dtype=np.float64)
    n = len(y)
    w = np.ones(n) if counts is None else np.asarray(counts, dtype=np.float64)
    if n == 0:
        return y
    if w.sum() <= 0:
        w = np.ones(n)
    pos = (np.cumsum(w) - w / 2) / w.sum()
    half = SMOOTH_WINDOW / 2
    if counts is None:  # equal weights: a window of ~10 % of the bins, as an odd number of bins
        k = max(1, int(round(n * SMOOTH_WINDOW)))
        half = (k + (k % 2 == 0)) / (2 * n)
    out = np.empty(n)
    for i in range(n):
        near = np.abs(pos - pos[i]) <= half + 1e-12
        near[i] = True
        if counts is not None:  # a thin bin always meets its neighbours, however wide they are
            near[max(i - 1, 0): i + 2] = True
        weights = w[near] if w[near].sum() > 0 else np.ones(int(near.sum()))
        out[i] = float(np.average(y[near], weights=weights))
    return out


# ----------------------------------------------------------------------------------------
# words


def value_text(value: float, feature: str) -> str:
    """A cut or bound in the column's units ('20 days', '$120', '35%')."""
    col = schema.describe(feature)
    kind = col.kind if col else None
    if kind in ("count", "days"):
        whole = math.floor(value + 1e-9)
        unit = "days" if kind == "days" else (col.unit if col and col.unit else "")
        return f"{whole:,}" + (f" {unit}" if unit else "")
    if kind == "money":
        return f"${value:,.0f}"
    if kind == "rate":
        return f"{100 * value:.0f}%" if abs(value) >= 0.01 or value == 0 else f"{100 * value:.1f}%"
    if kind == "seconds":
        return f"{value:,.0f} s"
    if kind == "years":
        return f"{value:.0f} years"
    return f"{value:.3g}"


def bin_text(b, feature: str) -> str:
    """A bin in words: 'below 20 days', 'between 20 days and 30 days', '90 days and above'."""
    if b.lower is None and b.upper is None:
        return b.label
    if b.lower is None:
        return f"below {value_text(b.upper, feature)}"
    if b.upper is None:
        return f"{value_text(b.lower, feature)} and above"
    return f"between {value_text(b.lower, feature)} and {value_text(b.upper, feature)}"


def summarize_shape(bins: Sequence, feature: str, values=None) -> ShapeSummary:
    """Detect the trend of a main-effect shape (``Scorecard.shape(feature)`` rows).

    Scores are smoothed first (:func:`smooth_scores`, weighted by customers per bin when
    ``values`` is given). The trend is *rising*/*falling* when the smoothed end-to-start
    change is at least :data:`MONOTONE_SHARE` of the smoothed range, else a *peak* or
    *valley* at the interior extreme that stands out more; *flat* below :data:`FLAT_SWING`
    log-odds. For a trend, ``location`` is where half of the change is done and ``between``
    where its middle half happens; it is "steep" when that middle half spans at most
    :data:`STEEP_SPAN` of the feature's range of cuts (in its own units, so "steep over the
    first ~30 days" means days), and it "flattens" when 90 % of the change is done with
    :data:`FLATTENS_SPAN` of the range left.
    Nominal shapes name the best and worst category.
    """
    missing = next((b for b in bins if b.label == MISSING_LABEL), None)
    regular = _regular(bins)
    if not regular:
        return ShapeSummary(feature, "flat", 0.0, None)
    continuous = _is_continuous(regular)
    raw = np.array([b.score for b in regular], dtype=float)
    missing_like = missing_score = None
    if missing is not None and abs(missing.score) >= MISSING_NOTE:
        closest = regular[int(np.argmin(np.abs(raw - missing.score)))]
        missing_like, missing_score = bin_text(closest, feature) if continuous else closest.label, missing.score
    if not continuous:
        hi, lo = int(np.argmax(raw)), int(np.argmin(raw))
        swing = float(raw[hi] - raw[lo])
        trend = "flat" if swing < FLAT_SWING else "categorical"
        return ShapeSummary(feature, trend, swing, None, highest=regular[hi].label,
                            lowest=regular[lo].label, missing_like=missing_like, missing_score=missing_score)
    counts = bin_counts(bins, values)
    sm = smooth_scores(raw, counts)
    swing = float(sm.max() - sm.min())
    if len(regular) == 1 or swing < FLAT_SWING:
        return ShapeSummary(feature, "flat", swing, None, missing_like=missing_like,
                            missing_score=missing_score)
    net = float(sm[-1] - sm[0])
    if abs(net) >= MONOTONE_SHARE * swing:
        frac = (sm - sm[0]) / net
        starts = [b.lower for b in regular]
        cuts = _cuts(regular)

        def crossing(q: float) -> float | None:
            i = int(np.argmax(frac >= q))
            return starts[i] if frac[i] >= q else None

        x25, x50, x75, x90 = crossing(0.25), crossing(0.5), crossing(0.75), crossing(0.9)
        span = (cuts[-1] - cuts[0]) if len(cuts) > 1 else 0.0
        steep = bool(span > 0 and x25 is not None and x75 is not None
                     and (x75 - x25) <= STEEP_SPAN * span)
        # the change starts at the lowest values: a quarter of it is done within STEEP_SPAN of
        # the axis; then "steep" also when three quarters are done within twice that
        from_start = bool(span > 0 and x25 is not None and x25 - cuts[0] <= STEEP_SPAN * span)
        if from_start and x75 is not None:
            steep = steep or (x75 - cuts[0]) <= 2 * STEEP_SPAN * span
        flattens = bool(span > 0 and x90 is not None and cuts[-1] - x90 >= FLATTENS_SPAN * span)
        location = value_text(x50, feature) if x50 is not None else None
        between = None
        if x25 is not None and x75 is not None and x75 > x25:
            between = f"between {value_text(x25, feature)} and {value_text(x75, feature)}"
        return ShapeSummary(feature, "rising" if net > 0 else "falling", swing, location, steep,
                            between=between, missing_like=missing_like, missing_score=missing_score,
                            from_start=from_start,
                            until=value_text(x75, feature) if x75 is not None else None,
                            flattens=flattens)
    peak = float(sm.max() - max(sm[0], sm[-1]))
    valley = float(min(sm[0], sm[-1]) - sm.min())
    if peak >= valley:
        i = int(np.argmax(sm))
        return ShapeSummary(feature, "peak", swing, bin_text(regular[i], feature),
                            missing_like=missing_like, missing_score=missing_score)
    i = int(np.argmin(sm))
    return ShapeSummary(feature, "valley", swing, bin_text(regular[i], feature),
                        missing_like=missing_like, missing_score=missing_score)


def _trend_words(s: ShapeSummary, *, detail: bool) -> str:
    """'falls steeply over the first ~30 days, then flattens' (a rising/falling summary)."""
    verb = "rises" if s.trend == "rising" else "falls"
    noun = "rise" if s.trend == "rising" else "drop"
    if s.steep and s.from_start and s.until:
        words = f"{verb} steeply over the first ~{s.until}"
    elif s.steep and s.location:
        words = f"{verb} steeply as {s.feature} passes about {s.location}"
        if detail and s.between:
            words += f" (most of the {noun} happens {s.between})"
    elif s.location:
        words = f"{verb} gradually as {s.feature} grows (half of the {noun} is done by {s.location})"
    else:
        words = f"{verb} as {s.feature} grows"
    if s.flattens:
        words += ", then flattens"
    return words


def describe_shape(bins: Sequence, feature: str, values=None) -> str:
    """One plain-language sentence about a shape function (see :func:`summarize_shape`).

    For example: "Purchase probability falls steeply over the first ~30 days, then
    flattens; odds x0.51 from the lowest to the highest values."
    """
    s = summarize_shape(bins, feature, values)
    odds = math.exp(s.swing)
    if s.trend == "flat":
        text = f"{feature} barely moves the purchase probability (shape within {s.swing:.2f} log-odds)."
    elif s.trend == "categorical":
        text = (f"Purchase probability is highest for {feature} = {s.highest} and lowest for "
                f"{s.lowest} (odds x{odds:.1f} between them).")
    elif s.trend in ("rising", "falling"):
        factor = odds if s.trend == "rising" else 1 / odds
        text = (f"Purchase probability {_trend_words(s, detail=True)}; odds x{factor:.2g} from the "
                "lowest to the highest values.")
    elif s.trend == "peak":
        text = (f"Purchase probability is highest when {feature} is {s.location} and lower on both "
                f"sides (odds x{odds:.1f} between the lowest and highest points).")
    else:
        text = (f"Purchase probability is lowest when {feature} is {s.location} and higher on both "
                f"sides (odds x{odds:.1f} between the lowest and highest points).")
    if s.missing_like is not None:
        text += (f" A missing value {'raises' if s.missing_score > 0 else 'lowers'} it "
                 f"({s.missing_score:+.2f} log-odds), like {s.missing_like}.")
    return text


def shape_caption(bins: Sequence, feature: str, values=None) -> str:
    """One short line under the TUI's shape plot: the trend, the odds swing, the missing score.

    For example: "falls steeply over the first ~30 days, then flattens · odds x0.51 low to
    high · missing -0.20". Plain text (callers escape it for markup).
    """
    s = summarize_shape(bins, feature, values)
    odds = math.exp(s.swing)
    if s.trend == "flat":
        head = f"barely moves the probability (within {s.swing:.2f} log-odds)"
    elif s.trend == "categorical":
        head = f"highest for {s.highest}, lowest for {s.lowest} (odds x{odds:.1f})"
    elif s.trend in ("rising", "falling"):
        factor = odds if s.trend == "rising" else 1 / odds
        head = f"{_trend_words(s, detail=False)} · odds x{factor:.2g} low to high"
    elif s.trend == "peak":
        head = f"highest {s.location}, lower on both sides (odds x{odds:.1f})"
    else:
        head = f"lowest {s.location}, higher on both sides (odds x{odds:.1f})"
    missing = next((b.score for b in bins if b.label == MISSING_LABEL), None)
    if missing is not None and abs(missing) >= 0.005:
        head += f" · missing {missing:+.2f}"
    return head
