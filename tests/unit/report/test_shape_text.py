"""Shape functions in words (toolkit.report.shape_text): the trend, not a noisy bin; the axis from the data."""

from __future__ import annotations

import numpy as np

from scorecard_fixtures import shape_bins
from toolkit.model.scorecard import ShapeBin
from toolkit.report.shape_text import (bin_counts, describe_shape, shape_axis, shape_caption, smooth_scores,
                                summarize_shape)




def _noisy_recency():
    """days_since_last_purchase as customers have it: most within weeks, a long tail to ~2,300
    days; the shape falls over the first ~30 days and then is flat, with jagged boosting noise
    and one thin bin (a handful of customers around 600 days) carrying a big positive spike."""
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.exponential(25, 9_000), rng.uniform(100, 2_331, 1_000)]).round()
    cuts = sorted({float(c) + 0.5 for c in np.quantile(values, np.linspace(0.02, 0.98, 60)).round()})
    cuts += [600.5, 601.5]                         # the thin bin [600.5, 601.5)
    cuts = sorted(set(cuts))
    mids = [cuts[0] / 2] + [(a + b) / 2 for a, b in zip(cuts, cuts[1:])] + [cuts[-1] + 100]
    scores = [0.8 * np.exp(-m / 12) - 0.5 + rng.normal(0, 0.04) for m in mids]
    spike = cuts.index(600.5) + 1
    scores[spike] = 1.2                            # the strongest bin of the whole shape, by far
    return shape_bins(cuts, scores), values, cuts


def test_caption_describes_the_trend_not_the_spiky_bin():
    bins, values, cuts = _noisy_recency()
    spiky = max(bins, key=lambda b: b.score)
    assert spiky.lower == 600.5                    # the raw maximum is the noisy thin bin
    counts = bin_counts(bins, values)
    assert counts is not None and counts.sum() == len(values)
    assert counts[[b.lower for b in bins[1:]].index(600.5)] < 10
    s = summarize_shape(bins, "days_since_last_purchase", values)
    assert s.trend == "falling" and s.steep and s.from_start and s.flattens
    caption = shape_caption(bins, "days_since_last_purchase", values)
    assert caption.startswith("falls steeply over the first ~")
    assert "then flattens" in caption
    first = int(caption.split("~")[1].split(" ")[0].replace(",", ""))
    assert first <= 60                             # the fall happens within the first weeks
    for text in (caption, describe_shape(bins, "days_since_last_purchase", values)):
        assert "600" not in text and "601" not in text and "highest when" not in text


def test_smoothing_weighs_bins_by_customers():
    scores = [0.0, 0.0, 5.0, 0.0, 0.0]
    counts = [1000, 1000, 1, 1000, 1000]
    assert abs(smooth_scores(scores, counts)[2]) < 0.01     # a 1-customer spike is outweighed
    assert smooth_scores(scores, [1, 1, 1000, 1, 1])[2] > 4.9  # a bin most customers are in keeps its score


def test_shape_axis_is_log_for_skewed_data_linear_otherwise():
    bins, values, _ = _noisy_recency()
    assert shape_axis(values) == "log"
    assert shape_axis(np.linspace(0, 100, 500)) == "linear"          # uniform
    assert shape_axis(np.random.default_rng(1).uniform(0, 1, 500)) == "linear"  # a rate
    assert shape_axis(np.array([-5.0, 1.0, 1000.0, 2.0])) == "linear"  # negatives: no log axis
    assert shape_axis([1.0, None, float("nan"), float("inf"), 2.0]) == "linear"
    cats = [ShapeBin("missing", None, None, 0.0), ShapeBin("gold", None, None, 0.3)]
    assert shape_axis(bins=cats) == "linear"
    skewed_cuts = [float(c) for c in (1, 2, 3, 4, 5, 6, 8, 10, 2000)]
    assert shape_axis(bins=shape_bins(skewed_cuts, [0.0] * 10)) == "log"
    import polars as pl
    assert shape_axis(pl.Series(values)) == "log"
