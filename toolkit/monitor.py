"""Drift monitoring: is a new batch of customers still like the ones the run was trained on?

A scorecard and a ruleset keep working on drifted data: they just quietly get worse. This
module compares a new batch with a reference (by default the run's training customers:
``data.parquet`` rows whose ``split.parquet`` label is ``train``) and reports, per input:

* **PSI** (population stability index) of every model input, the derived ratios included:
  ``PSI = sum_b (cur_b - ref_b) * ln(cur_b / ref_b)`` over buckets ``b``, with shares floored
  at :data:`EPSILON` (1e-4) before the logarithm so an empty bucket gives a large but finite
  term instead of infinity. Buckets: numeric columns use the reference's deciles (the
  unique values of its 10 %, ..., 90 % quantiles as cut points; a value equal to a cut goes
  to the upper bucket) plus *missing* (null or NaN) as its own bucket; categorical columns
  (text, booleans) use every category seen in either table plus *missing*.
* **PSI of the score**: both tables are scored with the run's scorecard and the predicted
  probabilities compared like a numeric column.
* **Segment shares**: the run's ruleset is applied to both tables; the share of each segment,
  its change in points and the PSI over segments.
* **New category values** (present in the batch, never in the reference: the scorecard
  scores them as "unseen") and **missing-rate changes** (absolute change in the share of
  missing values).

Status per line: ``ok`` for PSI <= 0.1, ``watch`` for 0.1 < PSI <= 0.25, ``act`` for
PSI > 0.25 (the usual credit-scoring convention). A new category or a missing-rate change of
5 points or more makes an otherwise ``ok`` line ``watch``; only PSI makes ``act``.
``segkit monitor --strict`` exits with :data:`STRICT_EXIT_CODE` (3) when any line is ``act``
(2 is taken by user errors), so a scheduler can stop the scoring job.

**Too few rows.** Two samples of the same population differ by chance: their PSI over ``B``
buckets is about ``(B - 1) * (1 / n_reference + 1 / n_current)`` (the chi-square
approximation), 0.02 for deciles at 500 rows but 10 for 1 row. A line is not judged, its
status is ``too few rows`` instead of ``ok``/``watch``/``act``, when either table has fewer
than :data:`MIN_ROWS` (500) rows or that chance level exceeds :data:`MAX_NOISE` (half the
watch threshold, 0.05; e.g. a 40-level category below ~1,000 rows). Its PSI and notes are
still reported; the report carries a warning line, ``--strict`` never fails on such a
line (it exits 3 only for a judged ``act`` line), and the overall status is
``too few rows`` when nothing judged is worse.

**Infinite values** (+inf, -inf) are counted as missing, as in training and scoring (a
note gives their count); bucket edges come from finite reference values only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import polars as pl

from toolkit import policy

from toolkit.run import folder as runs
from toolkit.errors import DataError, SegkitError

WATCH = policy.PSI_WATCH
ACT = policy.PSI_ACT
EPSILON = 1e-4
MISSING_WATCH = policy.MISSING_WATCH
QUANTILES = tuple(i / 10 for i in range(1, 10))
STRICT_EXIT_CODE = 3
MISSING = "(missing)"
UNTRUSTED = "too few rows"
STATUS_ORDER = {"ok": 0, UNTRUSTED: 1, "watch": 2, "act": 3}
MIN_ROWS = policy.MONITOR_MIN_ROWS
MAX_NOISE = policy.MONITOR_MAX_NOISE
SCORE = "purchase_probability"


def psi(reference: Sequence[float], current: Sequence[float], eps: float = EPSILON) -> float:
    """PSI between two share vectors over the same buckets (each summing to 1)."""
    ref = np.maximum(np.asarray(reference, dtype=float), eps)
    cur = np.maximum(np.asarray(current, dtype=float), eps)
    if ref.shape != cur.shape:
        raise ValueError("reference and current shares must have the same buckets")
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def status_of(value: float | None) -> str:
    """'ok', 'watch' (> 0.1) or 'act' (> 0.25)."""
    if value is None or not math.isfinite(value):
        return "ok"
    return "act" if value > ACT else "watch" if value > WATCH else "ok"


@dataclass
class Drift:
    """One monitored quantity (a feature, the score): PSI, status and what changed."""

    name: str
    kind: str                                   # "numeric" | "categorical"
    psi: float
    status: str
    missing_reference: float
    missing_current: float
    new_categories: list[str] = field(default_factory=list)
    buckets: list[dict] = field(default_factory=list)   # {bucket, reference, current}
    notes: list[str] = field(default_factory=list)

    @property
    def missing_change(self) -> float:
        return self.missing_current - self.missing_reference

    def to_dict(self) -> dict:
        out = asdict(self)
        out["missing_change"] = self.missing_change
        return out


@dataclass
class SegmentShift:
    psi: float
    status: str
    shares: list[dict]                          # {segment, reference, current, change}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MonitorReport:
    reference: str
    reference_rows: int
    current: str
    current_rows: int
    features: list[Drift]
    score: Drift | None = None
    segments: SegmentShift | None = None
    thresholds: dict = field(default_factory=lambda: {
        "watch": WATCH, "act": ACT, "epsilon": EPSILON, "missing_watch": MISSING_WATCH,
        "strict_exit_code": STRICT_EXIT_CODE, "min_rows": MIN_ROWS, "max_noise": MAX_NOISE})
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[tuple[str, str, float]]:
        """(what, status, psi) for the score, the segments and every feature."""
        out = []
        if self.score is not None:
            out.append(("score", self.score.status, self.score.psi))
        if self.segments is not None:
            out.append(("segments", self.segments.status, self.segments.psi))
        out.extend((f.name, f.status, f.psi) for f in self.features)
        return out

    @property
    def status(self) -> str:
        """The worst status of any line."""
        worst = max((STATUS_ORDER[s] for _, s, _ in self.lines()), default=0)
        return {v: k for k, v in STATUS_ORDER.items()}[worst]

    def count(self, status: str) -> int:
        return sum(1 for _, s, _ in self.lines() if s == status)

    def to_dict(self) -> dict:
        return {
            "reference": self.reference, "reference_rows": self.reference_rows,
            "current": self.current, "current_rows": self.current_rows,
            "status": self.status, "act": self.count("act"), "watch": self.count("watch"),
            "too_few_rows": self.count(UNTRUSTED), "warnings": self.warnings,
            "thresholds": self.thresholds,
            "score": self.score.to_dict() if self.score else None,
            "segments": self.segments.to_dict() if self.segments else None,
            "features": [f.to_dict() for f in self.features],
        }


# ----------------------------------------------------------------------------------------
# the comparisons


def _missing_mask(s: pl.Series) -> np.ndarray:
    """Null, NaN and +-inf (infinite values are missing in every segkit command)."""
    mask = s.is_null()
    if s.dtype.is_float():
        mask = mask | s.is_nan().fill_null(False) | s.is_infinite().fill_null(False)
    return mask.to_numpy()


def _is_numeric(s: pl.Series) -> bool:
    return s.dtype.is_numeric() and s.dtype != pl.Boolean


def numeric_drift(name: str, reference: pl.Series, current: pl.Series) -> Drift:
    """PSI over the reference's deciles (+ missing) for one numeric column."""
    ref = reference.cast(pl.Float64, strict=False)
    cur = current.cast(pl.Float64, strict=False)
    notes = []
    unreadable = int((current.is_not_null() & cur.is_null()).sum())
    if unreadable:
        notes.append(f"{unreadable:,} value(s) are not numbers (counted as missing)")
    infinite = int(cur.is_infinite().sum()), int(ref.is_infinite().sum())
    if any(infinite):
        notes.append(f"infinite values counted as missing: {infinite[0]:,} new, {infinite[1]:,} reference")
    ref_miss, cur_miss = _missing_mask(ref), _missing_mask(cur)
    ref_vals = ref.to_numpy()[~ref_miss]
    cur_vals = cur.to_numpy()[~cur_miss]
    edges = np.unique(np.quantile(ref_vals, QUANTILES)) if len(ref_vals) else np.array([])
    n_ref, n_cur = max(len(ref), 1), max(len(cur), 1)
    ref_counts = np.bincount(np.searchsorted(edges, ref_vals, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur_vals, side="right"), minlength=len(edges) + 1)
    labels = []
    for b in range(len(edges) + 1):
        lo = f"{edges[b - 1]:.6g}" if b > 0 else None
        hi = f"{edges[b]:.6g}" if b < len(edges) else None
        labels.append(f"< {hi}" if lo is None and hi else f">= {lo}" if hi is None and lo
                      else f"[{lo}, {hi})" if lo and hi else "any value")
    ref_share = list(ref_counts / n_ref) + [ref_miss.sum() / n_ref]
    cur_share = list(cur_counts / n_cur) + [cur_miss.sum() / n_cur]
    labels.append(MISSING)
    return _finish(name, "numeric", labels, ref_share, cur_share, [], notes)


def categorical_drift(name: str, reference: pl.Series, current: pl.Series) -> Drift:
    """PSI over the categories of both tables (+ missing); lists categories new in ``current``."""
    ref = reference.cast(pl.Utf8)
    cur = current.cast(pl.Utf8)
    ref_counts = dict(ref.drop_nulls().value_counts().iter_rows())
    cur_counts = dict(cur.drop_nulls().value_counts().iter_rows())
    known = sorted(ref_counts)
    new = sorted(set(cur_counts) - set(ref_counts))
    labels = known + new
    n_ref, n_cur = max(len(ref), 1), max(len(cur), 1)
    ref_share = [ref_counts.get(c, 0) / n_ref for c in labels] + [ref.null_count() / n_ref]
    cur_share = [cur_counts.get(c, 0) / n_cur for c in labels] + [cur.null_count() / n_cur]
    labels.append(MISSING)
    notes = [f"new value(s) not seen in the reference: {', '.join(new)}"] if new else []
    return _finish(name, "categorical", labels, ref_share, cur_share, new, notes)


def _finish(name: str, kind: str, labels: list[str], ref_share: list[float], cur_share: list[float],
            new: list[str], notes: list[str]) -> Drift:
    value = psi(ref_share, cur_share)
    status = status_of(value)
    miss_ref, miss_cur = float(ref_share[-1]), float(cur_share[-1])
    if abs(miss_cur - miss_ref) >= MISSING_WATCH:
        notes.append(f"missing share {miss_ref:.1%} -> {miss_cur:.1%}")
    if status == "ok" and (new or abs(miss_cur - miss_ref) >= MISSING_WATCH):
        status = "watch"
    buckets = [{"bucket": b, "reference": float(r), "current": float(c)}
               for b, r, c in zip(labels, ref_share, cur_share)]
    return Drift(name, kind, value, status, miss_ref, miss_cur, new, buckets, notes)


def column_drift(name: str, reference: pl.Series, current: pl.Series) -> Drift:
    """Numeric or categorical drift, by the reference column's type."""
    if _is_numeric(reference) or reference.dtype == pl.Null and _is_numeric(current):
        return numeric_drift(name, reference, current)
    return categorical_drift(name, reference, current)


def segment_shift(reference: pl.Series, current: pl.Series, order: Sequence[str] = ()) -> SegmentShift:
    """Segment shares in both tables, their change in points and the PSI over segments."""
    ref_counts = dict(reference.cast(pl.Utf8).value_counts().iter_rows())
    cur_counts = dict(current.cast(pl.Utf8).value_counts().iter_rows())
    names = list(order) + sorted((set(ref_counts) | set(cur_counts)) - set(order))
    n_ref, n_cur = max(len(reference), 1), max(len(current), 1)
    shares = [{"segment": s, "reference": ref_counts.get(s, 0) / n_ref,
               "current": cur_counts.get(s, 0) / n_cur} for s in names]
    for row in shares:
        row["change"] = row["current"] - row["reference"]
    value = psi([r["reference"] for r in shares], [r["current"] for r in shares])
    return SegmentShift(value, status_of(value), shares)


def monitor_frames(reference: pl.DataFrame, current: pl.DataFrame, *, scorecard=None, ruleset=None,
                   features: Sequence[str] | None = None, reference_name: str = "reference",
                   current_name: str = "current") -> MonitorReport:
    """Compare two in-memory tables (see the module docstring).

    ``features`` defaults to the scorecard's inputs and derived features when a scorecard is
    given, else to every column both tables share. Columns a feature list names but the new
    batch lacks are an error: the scorecard could not score it either.
    """
    if current.height == 0:
        raise DataError(f"{current_name}: the new batch has no rows")
    if reference.height == 0:
        raise DataError(f"{reference_name}: the reference has no rows")
    ref, cur = reference, current
    if scorecard is not None:
        derived = scorecard.derived_features
        need = scorecard.input_columns
        from toolkit.data.io import require_columns

        require_columns(cur, need, "column the scorecard needs")
        from toolkit.model.features import add_derived

        ref = add_derived(ref.with_columns(_num_casts(ref, derived)), derived)
        cur = add_derived(cur.with_columns(_num_casts(cur, derived)), derived)
        names = list(features) if features is not None else \
            list(dict.fromkeys(need + [d.name for d in derived]))
    else:
        names = list(features) if features is not None else [c for c in ref.columns if c in cur.columns]
    lacking = [n for n in names if n not in cur.columns or n not in ref.columns]
    if lacking:
        raise DataError(f"{len(lacking)} monitored column(s) missing from "
                        f"{current_name if any(n not in cur.columns for n in lacking) else reference_name}: "
                        f"{', '.join(lacking)}")
    n_ref, n_cur = reference.height, current.height
    drifts = [_judge(column_drift(n, ref.get_column(n), cur.get_column(n)), n_ref, n_cur) for n in names]
    drifts.sort(key=lambda d: (-STATUS_ORDER[d.status], -d.psi))

    score = None
    if scorecard is not None:
        from toolkit.model.scoring import score_frame

        p_ref = score_frame(scorecard, reference, top_reasons=0).get_column(SCORE)
        p_cur = score_frame(scorecard, current, top_reasons=0).get_column(SCORE)
        score = _judge(numeric_drift("purchase_probability", p_ref, p_cur), n_ref, n_cur)
    segments = None
    if ruleset is not None:
        order = [s.id for s in ruleset.segments] + [ruleset.default.id]
        seg_ref = ruleset.apply(reference).get_column("segment")
        seg_cur = ruleset.apply(current).get_column("segment")
        segments = segment_shift(seg_ref, seg_cur, order)
        buckets = sum(1 for r in segments.shares if r["reference"] or r["current"])
        if _untrusted(buckets, n_ref, n_cur):
            segments.status = UNTRUSTED
    report = MonitorReport(reference_name, n_ref, current_name, n_cur, drifts, score, segments)
    untrusted = report.count(UNTRUSTED)
    if untrusted:
        small = [f"{name} has {n:,} row{'s' if n != 1 else ''}" for name, n in
                 (("the new batch", n_cur), ("the reference", n_ref)) if n < MIN_ROWS]
        why = "; ".join(small) if small else "too few rows for the number of buckets"
        report.warnings.append(
            f"{untrusted} of {len(report.lines())} line(s) not judged ({why}): PSI from so few rows "
            f"is mostly chance. Judge drift on at least {MIN_ROWS:,} rows in each table; "
            f"--strict ignores these lines")
    return report


def chance_psi(buckets: int, n_reference: int, n_current: int) -> float:
    """The PSI two samples of these sizes from one population show by chance (about)."""
    return max(buckets - 1, 0) * (1 / max(n_reference, 1) + 1 / max(n_current, 1))


def _untrusted(buckets: int, n_reference: int, n_current: int) -> bool:
    return min(n_reference, n_current) < MIN_ROWS or chance_psi(buckets, n_reference, n_current) > MAX_NOISE


def _judge(drift: Drift, n_reference: int, n_current: int) -> Drift:
    """``drift`` with status ``too few rows`` when its PSI is not to be trusted (see module doc)."""
    buckets = sum(1 for b in drift.buckets if b["reference"] or b["current"])
    if _untrusted(buckets, n_reference, n_current):
        drift.notes.append(f"PSI {drift.psi:.3f} not judged: by chance alone about "
                           f"{chance_psi(buckets, n_reference, n_current):.2f} at these sizes")
        drift.status = UNTRUSTED
    return drift


def _num_casts(frame: pl.DataFrame, derived) -> list[pl.Expr]:
    """Text columns a ratio divides are parsed as numbers (unreadable values -> missing)."""
    cols = {c for d in derived for c in (d.numerator, d.denominator)}
    return [pl.col(c).cast(pl.Float64, strict=False) for c in cols
            if c in frame.columns and frame.schema[c] == pl.Utf8]


def training_reference(run_dir: "runs.Run | str | Path") -> pl.DataFrame:
    """The run's training customers: data.parquet rows labelled 'train' in split.parquet."""
    run = runs.Run.of(run_dir)
    frame = run.data()
    if frame is None:
        raise SegkitError(f"{run}: the run folder has no {runs.DATA}; pass the training table "
                          "with --reference FILE")
    labels = run.split()
    if labels is None:
        return frame
    id_col = labels.columns[0]
    train_ids = labels.filter(pl.col("split") == "train").get_column(id_col)
    return frame.filter(pl.col(id_col).is_in(train_ids.implode()))


def monitor_run(run_dir: "runs.Run | str | Path", data: str | Path, *,
                reference: str | Path | None = None) -> MonitorReport:
    """Compare ``data`` with the run's training customers (or ``reference``)."""
    from toolkit.data.io import load_table

    run = runs.Run.of(run_dir)
    scorecard = run.scorecard()
    ruleset = run.ruleset()
    if scorecard is None and ruleset is None:
        raise SegkitError(f"{run}: the run has neither a scorecard nor a ruleset to monitor")
    current = load_table(data)
    if reference is not None:
        ref_frame, ref_name = load_table(reference), str(reference)
    else:
        ref_frame, ref_name = training_reference(run), f"{run.file(runs.DATA)} (split == train)"
    features = None
    if scorecard is None:
        features = ruleset.columns
    return monitor_frames(ref_frame, current, scorecard=scorecard, ruleset=ruleset, features=features,
                          reference_name=ref_name, current_name=str(data))
