"""The exact frame the EBM sees, built the same way at training and at scoring time.

Numeric features become Float64 (null -> NaN, which the EBM treats as missing); categorical
features become strings by Polars' own cast (booleans "true"/"false", integers "3"), so the
scorecard can reproduce the categories without interpret's string rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
import polars as pl

from toolkit.policy import UNSEEN_WARN_SHARE  # more rows with an unseen category: always warn

FeatureType = Literal["continuous", "nominal"]


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    type: FeatureType


def feature_exprs(specs: list[FeatureSpec]) -> list[pl.Expr]:
    """One expression per feature, casting it to what the model expects."""
    out = []
    for s in specs:
        if s.type == "nominal":
            out.append(pl.col(s.name).cast(pl.Utf8).alias(s.name))
        else:
            out.append(pl.col(s.name).cast(pl.Float64).alias(s.name))
    return out


def to_model_input(frame: pl.DataFrame, specs: list[FeatureSpec]) -> pd.DataFrame:
    """A pandas frame for interpret: floats with NaN for missing, object strings with None."""
    selected = frame.select(feature_exprs(specs))
    data = {}
    for s in specs:
        col = selected.get_column(s.name)
        if s.type == "nominal":
            data[s.name] = pd.Series(col.to_list(), dtype=object)
        else:
            data[s.name] = col.fill_null(float("nan")).to_numpy()
    return pd.DataFrame(data)


# --------------------------------------------------------------------------------------------
# infinite values: one policy for every command

INFINITE_POLICY = "treated as missing"


def infinite_to_missing(frame: pl.DataFrame, columns: list[str] | None = None
                        ) -> tuple[pl.DataFrame, dict[str, int]]:
    """``frame`` with +inf and -inf replaced by null in ``columns`` (default: all), and the counts.

    Why one function: an infinite value is almost always a broken upstream computation (a
    division by zero, an overflow), not a real measurement, and the statistics segkit fits
    (logistic baseline, leakage audit, k-means, trees) cannot use it. Training, segmenting,
    scoring and monitoring all call this, so a value means the same in every command: missing,
    which the EBM scores with the learned *missing* bin. Returns ``{column: count}`` for the
    columns that held any (empty when none did); the frame is returned unchanged then.
    """
    names = frame.columns if columns is None else [c for c in dict.fromkeys(columns) if c in frame.columns]
    floats = [c for c in names if frame.schema[c].is_float()]
    if not floats or frame.height == 0:
        return frame, {}
    row = frame.select([pl.col(c).is_infinite().sum().alias(c) for c in floats]).row(0, named=True)
    counts = {c: int(n) for c, n in row.items() if n}
    if not counts:
        return frame, {}
    frame = frame.with_columns([
        pl.when(pl.col(c).is_infinite()).then(None).otherwise(pl.col(c)).alias(c) for c in counts])
    return frame, counts


def describe_infinite(counts: dict[str, int], verb: str = "are " + INFINITE_POLICY) -> str | None:
    """One line for people: '3 infinite values in 2 columns (x: 2, y: 1) are treated as missing'."""
    if not counts:
        return None
    total = sum(counts.values())
    shown = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(f"{c}: {n:,}" for c, n in shown[:8]) + (", ..." if len(shown) > 8 else "")
    values = "value" if total == 1 else "values"
    columns = "column" if len(counts) == 1 else "columns"
    if total == 1:
        verb = verb.replace("are ", "is ", 1).replace("were ", "was ", 1)
    return f"{total:,} infinite {values} in {len(counts)} {columns} ({listed}) {verb}"


def merge_counts(into: dict[str, int], counts: dict[str, int]) -> dict[str, int]:
    """Add ``counts`` into ``into`` (batches of one file); returns ``into``."""
    for c, n in counts.items():
        into[c] = into.get(c, 0) + n
    return into


# --------------------------------------------------------------------------------------------
# scoring input: the same policy for inf, lossless casts for drifted types, unseen categories

_TRUE = ("true", "1", "1.0")
_FALSE = ("false", "0", "0.0")


@dataclass(frozen=True)
class InputWarning:
    """One thing a person should know about how a table was read for scoring."""

    kind: Literal["infinite", "cast", "unseen"]
    column: str | None
    rows: int
    message: str


@dataclass
class ScoringInputReport:
    """What scoring did to values that did not look like the training data, summed over batches.

    Filled by :func:`align_scoring_input`; :meth:`warnings` turns it into lines for people
    (``segkit score`` prints them). Counts are rows (a row counts once per column).
    """

    rows: int = 0
    infinite: dict[str, int] = field(default_factory=dict)
    cast: dict[str, int] = field(default_factory=dict)            # column -> rows cast losslessly
    cast_examples: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> value -> category
    unseen: dict[str, int] = field(default_factory=dict)          # column -> rows with an unseen category
    unseen_values: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> value -> rows (top few)
    case_matches: dict[str, dict[str, str]] = field(default_factory=dict)   # column -> value -> category
    categories: dict[str, list[str]] = field(default_factory=dict)          # column -> training categories

    def warnings(self) -> list[InputWarning]:
        """Infinite values, lossless casts, and unseen categories above 2% of rows or differing only in case."""
        out = []
        note = describe_infinite(self.infinite, "were scored as missing")
        if note:
            out.append(InputWarning("infinite", None, sum(self.infinite.values()), note))
        for column, rows in self.cast.items():
            pairs = ", ".join(f"{v!r} as {c!r}" for v, c in list(self.cast_examples[column].items())[:4])
            out.append(InputWarning("cast", column, rows,
                                    f"column {column!r}: {rows:,} values read as the training "
                                    f"categories ({pairs})"))
        for column, rows in self.unseen.items():
            share = rows / self.rows if self.rows else 0.0
            cases = self.case_matches.get(column, {})
            if share <= UNSEEN_WARN_SHARE and not cases:
                continue
            out.append(InputWarning("unseen", column, rows, self._unseen_message(column, rows, share)))
        return out

    def _unseen_message(self, column: str, rows: int, share: float) -> str:
        cases = self.case_matches.get(column, {})
        values = sorted(self.unseen_values.get(column, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        examples = [f"{v!r} vs {cases[v]!r}" if v in cases else repr(v) for v, _ in values[:3]]
        text = (f"column {column!r}: {rows:,} of {self.rows:,} rows ({share:.1%}) have a category "
                f"not seen in training, scored as 'other (unseen)' (e.g. {', '.join(examples)})")
        if cases:
            text += "; categories are matched exactly, so a difference in upper/lower case is a new category"
        trained = self.categories.get(column, [])
        if values and all(_is_number_text(v) for v, _ in values) and not any(_is_number_text(c) for c in trained):
            shown = ", ".join(repr(c) for c in trained[:3]) + (", ..." if len(trained) > 3 else "")
            text += f"; the column now holds numbers but the model was trained on text ({shown})"
        return text


def _is_number_text(value: str) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _lossless(value: str, categories: set[str]) -> str | None:
    """The training category ``value`` stands for without loss of meaning, or None.

    Two cases: a boolean written another way ("1", "0", "True", "FALSE" for a feature trained
    on "true"/"false", or the reverse), and a whole number written as a float ("3.0" for "3").
    A category that matches only when upper/lower case is ignored is *not* cast: "gold" and
    "Gold" may be different things, so it stays unseen and is reported.
    """
    lowered = value.strip().lower()
    if categories and all(c.strip().lower() in _TRUE + _FALSE for c in categories):
        for group in (_TRUE, _FALSE):
            if lowered in group:
                match = [c for c in categories if c.strip().lower() in group]
                return match[0] if len(match) == 1 else None
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if math.isfinite(number) and number == int(number) and str(int(number)) in categories:
        return str(int(number))
    return None


def align_scoring_input(frame: pl.DataFrame, features: list[dict], numeric: list[str],
                        report: ScoringInputReport | None = None
                        ) -> tuple[pl.DataFrame, pl.Series | None]:
    """Prepare a table for a scorecard the way training prepared its input; note what changed.

    - ``numeric`` columns: +-inf becomes missing (the training policy,
      :func:`infinite_to_missing`), noted per row (``x=inf (scored as missing)``).
    - nominal features (``features``: the scorecard's feature dicts): values that are not a
      training category but mean one losslessly (:func:`_lossless`) are cast to it; the rest
      are scored as unseen and noted per row, with the category that differs only in case.

    Returns the frame and a per-row note (null where there is nothing to say), or None when no
    row needs one. ``report`` accumulates counts over batches for :meth:`ScoringInputReport.warnings`.
    """
    report = report if report is not None else ScoringInputReport()
    report.rows += frame.height
    notes: list[pl.Expr] = []
    before = frame
    frame, infinite = infinite_to_missing(frame, numeric)
    merge_counts(report.infinite, infinite)
    for name in infinite:
        notes.append(pl.when(before.get_column(name).is_infinite())
                     .then(pl.lit(f"{name}=") + before.get_column(name).cast(pl.Utf8)
                           + pl.lit(" (scored as missing)")))
    casts = []
    for feat in features:
        name = feat["name"]
        if feat["type"] != "nominal" or name not in frame.columns:
            continue
        categories = set(feat["bins"][0])
        text = frame.get_column(name).cast(pl.Utf8)
        unseen = text.is_not_null() & ~text.is_in(list(categories))
        if not unseen.any():
            continue
        report.categories.setdefault(name, sorted(categories))
        counts = text.filter(unseen).value_counts()
        values = counts.get_column(name).to_list()
        mapping = {v: c for v in values if (c := _lossless(v, categories)) is not None}
        if mapping:
            cast_rows = int(text.is_in(list(mapping)).sum())
            report.cast[name] = report.cast.get(name, 0) + cast_rows
            examples = report.cast_examples.setdefault(name, {})
            for v, c in mapping.items():
                if len(examples) < 4:
                    examples.setdefault(v, c)
            text = text.replace(mapping)
            target = pl.Boolean if categories <= {"true", "false"} else pl.Utf8
            casts.append(text.cast(target).alias(name) if target == pl.Utf8 else
                         (text == "true").alias(name))
        left = counts.filter(~pl.col(name).is_in(list(mapping)))
        if left.height == 0 or feat.get("other") is not None:
            continue  # with an "other" category, levels outside the bins are expected (rare ones)
        report.unseen[name] = report.unseen.get(name, 0) + int(left.get_column("count").sum())
        kept = report.unseen_values.setdefault(name, {})
        for v, n in left.iter_rows():
            kept[v] = kept.get(v, 0) + n
        if len(kept) > 50:  # keep the most frequent: examples, not an inventory
            report.unseen_values[name] = dict(sorted(kept.items(), key=lambda kv: -kv[1])[:20])
        lower = {c.lower(): c for c in sorted(categories)}
        hints = {v: lower[v.lower()] for v in left.get_column(name).to_list() if v.lower() in lower}
        if hints:
            report.case_matches.setdefault(name, {}).update(list(hints.items())[:20])
        still = text.is_not_null() & ~text.is_in(list(categories))
        hint = text.replace_strict({v: f" (training has {c!r})" for v, c in hints.items()}, default="",
                                   return_dtype=pl.Utf8) if hints else pl.lit("")
        notes.append(pl.when(pl.lit(still)).then(
            pl.lit(f"{name}='") + pl.lit(text) + pl.lit("' is not a training category, scored as unseen")
            + hint))
    if casts:
        frame = frame.with_columns(casts)
    if not notes:
        return frame, None
    joined = pl.concat_str(notes, separator="; ", ignore_nulls=True)
    note = pl.select(pl.when(joined != "").then(joined).alias("note")).to_series()
    return frame, note
