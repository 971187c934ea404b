"""Segment profiles and names: who is in a segment, in words and in the columns' own units.

Works for ANY segmentation: a column of segment ids on a frame (from a distilled or a
hand-written ruleset, or cluster labels), so the TUI can show the same profile for rules a
person wrote. Per segment:

- size and share; actual purchase rate when the target column is present; mean predicted
  probability when probabilities are given (a scorecard in the run);
- the features that differ most from the other customers, ranked by the standardised mean
  difference (SMD: segment mean minus the other customers' mean, over their pooled standard
  deviation), computed on the log scale for counts, money, days and seconds so one customer
  with 400 orders cannot dominate, and reported in human units ("orders_90d median 4 vs 1
  overall"). The reported statistic always agrees with the direction of the SMD: the median
  when it moves that way, else the mean, else the share above 0 ("orders_365d above 0 for
  57% vs 39% of all customers"); a feature none of them shows moving that way (a log-scale
  difference the raw numbers do not bear out, or equal medians "1 vs 1") is left out, so a
  label never reads "higher ... 242 vs 254";
- the mix of the profile fields (country, device, channel, loyalty tier, newsletter, ...):
  each category's share in the segment and its lift over the whole table;
- missing shares where they differ (consent is a profile fact too).

Names (:mod:`toolkit.segments.naming`, re-exported here) are built from the strongest
differences, in the vocabulary for the sample's columns and in the column's own words for any
other, and told apart by contrast when two would read alike.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

import numpy as np
import polars as pl

from toolkit import schema
from toolkit.segments.space import wants_log

_MISSING = "(missing)"


@dataclass
class FeatureDifference:
    feature: str
    smd: float                 # standardised mean difference vs the other customers
    median: float | None       # segment median (human units)
    overall_median: float | None
    mean: float | None
    overall_mean: float | None
    text: str
    statistic: str = "median"  # what ``text`` shows: median | mean | share_above_zero

    @property
    def direction(self) -> str:
        """"higher" or "lower" than the other customers; ``text``'s numbers agree with it."""
        return "higher" if self.smd > 0 else "lower"

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class SegmentProfile:
    id: str
    size: int
    share: float
    name: str | None = None
    purchase_rate: float | None = None
    mean_probability: float | None = None
    differences: list[FeatureDifference] = field(default_factory=list)
    mix: dict[str, list[dict]] = field(default_factory=dict)   # field -> [{value, share, lift}]
    missing: dict[str, dict] = field(default_factory=dict)     # column -> {share, overall}

    def to_dict(self, top: int = 6) -> dict:
        """Plain data; ``top`` strongest differences (all when 0)."""
        return {
            "id": self.id, "name": self.name, "size": self.size, "share": round(self.share, 4),
            "purchase_rate": None if self.purchase_rate is None else round(self.purchase_rate, 4),
            "mean_probability": None if self.mean_probability is None else round(self.mean_probability, 4),
            "differences": [d.to_dict() for d in (self.differences[:top] if top else self.differences)],
            "mix": self.mix, "missing": self.missing,
        }


def _fmt(value: float | None, name: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    col = schema.describe(name)
    if col is not None and col.kind == "rate":
        return f"{value:.0%}" if abs(value) >= 0.01 or value == 0 else f"{value:.1%}"
    if col is not None and col.kind == "money":
        return f"${value:,.0f}"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2g}" if abs(value) < 10 else f"{value:.1f}"


def _agreeing_text(f: str, sign: int, med, omed, mean, omean, above, oabove) -> tuple[str, str] | None:
    """(text, statistic) showing a statistic that moves in the direction ``sign`` (+1 higher,
    -1 lower) as displayed (formatted numbers differ), or None when none does."""
    def agrees(a, b, fmt) -> bool:
        if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or \
                (isinstance(b, float) and math.isnan(b)):
            return False
        return fmt(a) != fmt(b) and (a - b) * sign > 0

    if agrees(med, omed, lambda v: _fmt(v, f)):
        return f"{f} median {_fmt(med, f)} vs {_fmt(omed, f)} overall", "median"
    if agrees(mean, omean, lambda v: _fmt(v, f)):
        return f"{f} mean {_fmt(mean, f)} vs {_fmt(omean, f)} overall", "mean"
    if agrees(above, oabove, lambda v: f"{v:.0%}"):
        return f"{f} above 0 for {above:.0%} vs {oabove:.0%} of all customers", "share_above_zero"
    return None


def default_profile_fields(columns: Sequence[str]) -> list[str]:
    """Categorical columns to show as a mix: the schema's profile categories present."""
    present = set(columns)
    return [c.name for c in schema.COLUMNS if c.group == "profile" and c.is_categorical
            and c.name in present]


def default_numeric(frame: pl.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Numeric columns to compare: schema features present (any group), else every numeric."""
    skip = set(exclude) | {schema.ID_COLUMN, schema.TARGET_COLUMN}
    known = [c.name for c in schema.COLUMNS if not c.is_categorical and c.name in frame.columns]
    names = known or [c for c, t in frame.schema.items() if t.is_numeric() and t != pl.Boolean]
    return [n for n in names if n not in skip and frame.schema[n].is_numeric()]


def profile_segments(frame: pl.DataFrame, segment_column: str = "segment", *,
                     features: Sequence[str] | None = None,
                     profile_fields: Sequence[str] | None = None,
                     target: str | None = schema.TARGET_COLUMN,
                     probability: str | pl.Series | np.ndarray | None = None,
                     order: Sequence[str] | None = None,
                     names: Mapping[str, str] | None = None) -> list[SegmentProfile]:
    """Profiles of every segment in ``frame[segment_column]`` (see the module docstring).

    ``features``: numeric columns to rank by SMD (default: numeric schema columns present);
    ``profile_fields``: categorical columns to show as a mix (default: schema profile
    categories present); ``target``: 0/1 column for the purchase rate, skipped if absent;
    ``probability``: a column name or values with each row's predicted probability;
    ``order``: segment ids in display order (default: by size). Every difference is kept,
    strongest first (``SegmentProfile.to_dict(top)`` trims).
    """
    from toolkit.errors import DataError

    if segment_column not in frame.columns:
        raise DataError(f"no segment column {segment_column!r} in the table")
    n = frame.height
    if n == 0:
        return []
    seg = pl.col(segment_column).cast(pl.String).fill_null(_MISSING)
    work = frame.with_columns(seg.alias("__seg"))
    if probability is not None:
        values = work.get_column(probability) if isinstance(probability, str) else pl.Series(probability)
        work = work.with_columns(values.cast(pl.Float64).alias("__prob"))
    features = list(features) if features is not None else default_numeric(frame, [segment_column])
    profile_fields = list(profile_fields) if profile_fields is not None else default_profile_fields(frame.columns)

    sizes = dict(work.group_by("__seg").len().iter_rows())
    ids = [s for s in (order or []) if s in sizes] + \
        sorted((s for s in sizes if s not in (order or [])), key=lambda s: (-sizes[s], s))

    # numeric: per-segment and overall moments on the (log) comparison scale, raw medians
    exprs_seg: list[pl.Expr] = []
    logged = {f: wants_log(f, frame.get_column(f)) for f in features}
    for f in features:
        x = pl.col(f).cast(pl.Float64).fill_nan(None)
        v = (x.sign() * x.abs().log1p()) if logged[f] else x
        exprs_seg += [v.sum().alias(f"{f}__s"), (v * v).sum().alias(f"{f}__ss"),
                      v.count().alias(f"{f}__n"), x.median().alias(f"{f}__med"),
                      x.mean().alias(f"{f}__mean"), x.null_count().alias(f"{f}__na"),
                      (x > 0).mean().alias(f"{f}__above")]
    extra = []
    has_target = target is not None and target in frame.columns
    if has_target:
        extra.append(pl.col(target).cast(pl.Float64).mean().alias("__rate"))
    if probability is not None:
        extra.append(pl.col("__prob").mean().alias("__pmean"))
    per = {r["__seg"]: r for r in work.group_by("__seg").agg(exprs_seg + extra).iter_rows(named=True)}
    overall = work.select(exprs_seg).row(0, named=True) if exprs_seg else {}

    mixes: dict[str, dict[str, dict[str, float]]] = {}
    overall_mix: dict[str, dict[str, float]] = {}
    for pf in profile_fields:
        val = pl.col(pf).cast(pl.String).fill_null(_MISSING).alias("__v")
        counts = work.group_by("__seg", val).len()
        tot = work.select(val).group_by("__v").len()
        overall_mix[pf] = {r[0]: r[1] / n for r in tot.iter_rows()}
        for s, v, c in counts.iter_rows():
            mixes.setdefault(s, {}).setdefault(pf, {})[v] = c / sizes[s]

    out = []
    for s in ids:
        row = per[s]
        size = sizes[s]
        diffs = []
        for f in features:
            ns, no = row[f"{f}__n"], overall[f"{f}__n"]
            nr = no - ns
            if ns < 2 or nr < 2:
                continue
            ms = row[f"{f}__s"] / ns
            mr = (overall[f"{f}__s"] - row[f"{f}__s"]) / nr
            vs = max(row[f"{f}__ss"] / ns - ms * ms, 0.0)
            vr = max((overall[f"{f}__ss"] - row[f"{f}__ss"]) / nr - mr * mr, 0.0)
            pooled = math.sqrt((vs + vr) / 2)
            if pooled <= 1e-12:
                continue
            smd = (ms - mr) / pooled
            med, omed = row[f"{f}__med"], overall[f"{f}__med"]
            shown = _agreeing_text(f, 1 if smd > 0 else -1, med, omed, row[f"{f}__mean"],
                                   overall[f"{f}__mean"], row[f"{f}__above"], overall[f"{f}__above"])
            if shown is None:  # no displayed number moves the SMD's way: say nothing rather than contradict
                continue
            diffs.append(FeatureDifference(f, float(smd), med, omed, row[f"{f}__mean"],
                                           overall[f"{f}__mean"], shown[0], shown[1]))
        diffs.sort(key=lambda d: -abs(d.smd))
        missing = {}
        for f in features:
            na_s, na_o = row[f"{f}__na"] / size, overall[f"{f}__na"] / n
            if na_o > 0 and abs(na_s - na_o) >= 0.02:
                missing[f] = {"share": round(na_s, 4), "overall": round(na_o, 4)}
        mix = {}
        for pf in profile_fields:
            shares = mixes.get(s, {}).get(pf, {})
            items = [{"value": v, "share": round(sh, 4),
                      "lift": round(sh / overall_mix[pf][v], 3) if overall_mix[pf].get(v) else None}
                     for v, sh in sorted(shares.items(), key=lambda kv: -kv[1])]
            mix[pf] = items
        out.append(SegmentProfile(
            id=s, size=size, share=size / n, name=(names or {}).get(s),
            purchase_rate=row.get("__rate") if has_target else None,
            mean_probability=row.get("__pmean") if probability is not None else None,
            differences=diffs, mix=mix, missing=missing))
    return out


# ------------------------------------------------------------------------------- names
# Names live in toolkit.segments.naming; imported here so existing imports keep working.
from toolkit.segments.naming import (  # noqa: E402
    FACETS, MIN_SMD_FOR_NOUN, NOUNS, humanize, name_segments, suggest_name)

__all__ = ["FACETS", "MIN_SMD_FOR_NOUN", "NOUNS", "FeatureDifference", "SegmentProfile",
           "default_numeric", "default_profile_fields", "humanize", "name_segments",
           "profile_segments", "suggest_name"]
