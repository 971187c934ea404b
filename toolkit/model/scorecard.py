"""The scorecard: a fitted EBM compiled into plain data that scores without interpret.

Why: a pickled ``ExplainableBoostingClassifier`` breaks across library versions and loading
a pickle runs code. The scorecard holds what an EBM predicts with (bin edges, score tables,
intercept) as JSON, reproduces ``ebm.predict_proba(X)[:, 1]`` to 1e-9 with Polars (missing
values, unseen categories, values beyond the training range, values equal to a cut and
pairwise interactions included), and compiles to one SQL ``SELECT`` (:meth:`Scorecard.to_sql`,
see :mod:`toolkit.sql.scorecard`).

How a row is scored (the same rules as interpret 0.7.8):

* The derived features (:class:`toolkit.model.features.Ratio`) are computed first, then inputs are
  cast like :func:`toolkit.model.model_input.to_model_input`: continuous features to Float64 (null
  and NaN are *missing*), nominal features to strings by Polars' cast (``true``/``false``,
  ``"3"``).
* A continuous value ``x`` falls in bin ``searchsorted(cuts, x, side="right") + 1``: a value
  equal to a cut belongs to the upper bin, ``-inf`` to bin 1, ``+inf`` to the last bin
  (interpret's rule, kept so this class reproduces ``predict_proba``; segkit's commands never
  pass it an infinity: train, segment, score and monitor read +-inf as missing first, see
  :func:`toolkit.model.model_input.infinite_to_missing`). A
  nominal value falls in the bin of its category (exact string match); an unknown category
  falls in the *unseen* bin. Missing is bin 0.
* Each term looks its score up in an n-dimensional table indexed by the bins of its
  features, using bin level ``min(len(bins), n_features_of_term) - 1`` of each feature (main
  effects use level 0, pairs use level 1 where a feature has it).
* ``logit = intercept + sum(term scores)``; ``probability = 1 / (1 + exp(-logit))``.

Speed (Polars): each continuous feature is binned once over the union of the cuts its terms
use, by a grid lookup plus a short branchless search (:mod:`toolkit.model.scorecard_grid`, ~2x
cheaper than ``search_sorted``); main effects are then one gather, pairs three. Rows are
processed in chunks to bound memory. 2.4M rows: 1.1-1.8 s on 2 shared cores, 2-4x faster
than interpret's ``predict_proba``, peak 1.3 GB including the table (bench/RESULTS.md).

JSON format (``format_version`` 1), one object::

    {
      "format": "segkit.scorecard",
      "format_version": 1,
      "link": "logit",                  # only logit (binary classification)
      "intercept": -1.49,
      "threshold": 0.31,                # will_purchase = probability >= threshold
      "id_column": "customer_id",
      "derived": [                      # computed before scoring, in this order
        {"op": "ratio", "name": "spend_per_order_365d", "numerator": "total_spend_365d",
         "denominator": "orders_365d", "doc": "..."}],
      "features": [                     # the model's inputs, in the EBM's feature order
        {"name": "days_since_last_purchase", "type": "continuous",
         "bins": [[0.5, 1.5, ...], [3.5, 20.5, ...]]},     # cuts per level, strictly increasing
        {"name": "country", "type": "nominal",
         "bins": [{"DE": 1, "US": 2, ...}]},                # category -> bin (1-based) per level
        {"name": "sku", "type": "nominal", "other": "(other)",   # optional, see below
         "bins": [{"A-1": 1, ..., "(other)": 100}]}],
      "terms": [                        # main effects first, then interactions (EBM order)
        {"name": "days_since_last_purchase", "features": [0], "bin_levels": [0],
         "importance": 0.41,            # interpret's term_importances() (mean |score|, training)
         "scores": [s_missing, s_bin1, ..., s_binK, s_unseen]},
        {"name": "days_since_last_purchase & country", "features": [0, 3],
         "bin_levels": [1, 0], "importance": 0.05,
         "scores": [[...], ...]}],      # nested lists, one axis per feature of the term
      "source": {"library": "interpret-core", "version": "0.7.8",
                 "estimator": "ExplainableBoostingClassifier"},
      "metadata": {...}                 # whatever training recorded: fingerprint, metrics, ...
    }

Along every axis of a score table index 0 is *missing*, indexes 1..K are the bins
(K = len(cuts) + 1 for a continuous feature, the number of categories for a nominal one) and
the last index is *unseen*.

``other`` (optional, nominal features only; files without it load as before): training kept
only the most frequent levels of a high-cardinality category (:mod:`toolkit.model.train_plan`)
and fitted every other level as this one category, which must be one of the feature's
categories. A level not in ``bins`` (rare in training, or never seen) then scores like
``other``: the unseen slice of every score table using the feature equals the ``other``
bin's slice, which validation checks, so a reader that ignores the field scores the same.

Floats are written with Python's shortest round-trip repr, so a
saved and loaded scorecard scores bit for bit like the compiled one.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import numpy as np
import pandas as pd
import polars as pl

from toolkit.errors import DataError, SegkitError
from toolkit.model.features import Ratio
from toolkit.data.files import atomic_write_text
# reasons: the customer's value and the log-odds in words, by the rules of toolkit.fmt (whose
# Python twins the TUI's Customer tab uses, so both read the same)
from toolkit.fmt import MISSING, signed_expr as _signed, value_expr as _value_text
from toolkit.model.model_input import FeatureSpec

FORMAT = "segkit.scorecard"
FORMAT_VERSION = 1
PROBABILITY_COLUMN = "purchase_probability"
DECISION_COLUMN = "will_purchase"
MISSING_LABEL = MISSING
UNSEEN_LABEL = "other (unseen)"

# Rows scored per Polars pass: bounds memory (one Float64 column per term per chunk) while
# keeping each pass long enough for Polars' parallel expression evaluation to pay off.
CHUNK_ROWS = 1 << 18
# score() holds several rows x terms matrices per chunk (contributions, |contributions|,
# row-major copy) to rank reasons: smaller chunks keep 2.4M rows under ~1.5 GB, same speed.
SCORE_CHUNK_ROWS = 1 << 16


# --------------------------------------------------------------------------------------------
# merged form of each term (Scorecard.merged_terms; in memory only, never written)


@dataclass(frozen=True)
class MergedAxis:
    """One axis of a merged score table: how a feature value becomes an index along it.

    Index 0 is *missing* and ``size - 1`` is *unseen* (nominal) or the last bin (continuous).
    Continuous: ``index = searchsorted(cuts, x, side="right") + 1`` for a present ``x``.
    Nominal: ``mapping[category]``; a category not in ``mapping`` (unseen, or one that
    scores exactly like unseen) takes :attr:`unseen`.
    """

    feature: int
    kind: str  # "continuous" | "nominal"
    cuts: np.ndarray | None  # continuous: index = searchsorted(cuts, x, "right") + 1
    mapping: dict[str, int] | None  # nominal: category -> index; others -> unseen
    size: int  # length of the axis: missing + bins + unseen

    @property
    def unseen(self) -> int:
        return self.size - 1


@dataclass(frozen=True)
class MergedTerm:
    """A term with identical adjacent bins merged: ``table[i0, i1]`` (one index per axis,
    see :class:`MergedAxis`) is exactly the score the full term gives those values."""

    name: str
    axes: tuple[MergedAxis, ...]
    table: np.ndarray


def _take(table: np.ndarray, index: int, axis: int) -> np.ndarray:
    return np.take(table, index, axis=axis)


def _run_starts(table: np.ndarray, axis: int, n_cuts: int) -> list[int]:
    """The bins (1 .. n_cuts + 1 along ``axis``) that start a run of identical score slices:
    adjacent bins scoring alike merge into one range. The one merge rule, shared by the
    merged terms (SQL) and the readable shapes."""
    starts = [1]
    for j in range(2, n_cuts + 2):
        if not np.array_equal(_take(table, j, axis), _take(table, j - 1, axis)):
            starts.append(j)
    return starts


def _compress_axis(table: np.ndarray, axis: int, feature: int, feat: dict,
                   level: int) -> tuple[np.ndarray, MergedAxis]:
    """Merge bins whose score slices are identical: fewer cuts, same scores, exactly."""
    size = table.shape[axis]
    if feat["type"] == "continuous":
        cuts = np.asarray(feat["bins"][level], dtype=np.float64)
        keep = _run_starts(table, axis, len(cuts))
        new_cuts = cuts[[j - 2 for j in keep[1:]]] if len(keep) > 1 else cuts[:0]
        index = [0, *keep, size - 1]
        return np.take(table, index, axis=axis), MergedAxis(feature, "continuous", new_cuts, None, len(index))
    # nominal: bins with the same slice share an index; bins scoring like "unseen" use it
    unseen_key = _take(table, size - 1, axis).tobytes()
    groups: dict[bytes, int] = {}
    reps: list[int] = []
    new_of_old: dict[int, int | None] = {}
    for b in range(1, size - 1):
        key = _take(table, b, axis).tobytes()
        if key == unseen_key:
            new_of_old[b] = None
            continue
        if key not in groups:
            reps.append(b)
            groups[key] = len(reps)
        new_of_old[b] = groups[key]
    index = [0, *reps, size - 1]
    mapping = {}
    for cat, b in feat["bins"][level].items():
        new = new_of_old.get(int(b))
        if new is not None:
            mapping[cat] = new
    return np.take(table, index, axis=axis), MergedAxis(feature, "nominal", None, mapping, len(index))


def _compile_term(term: dict, features: list[dict]) -> MergedTerm:
    table = np.asarray(term["scores"], dtype=np.float64)
    axes = []
    for axis, (f, level) in enumerate(zip(term["features"], term["bin_levels"])):
        table, ax = _compress_axis(table, axis, f, features[f], level)
        axes.append(ax)
    return MergedTerm(term["name"], tuple(axes), np.ascontiguousarray(table))


# --------------------------------------------------------------------------------------------
# explanation shapes


class ShapeBin(NamedTuple):
    """One row of a shape function: a bin (or category), its bounds and its score (log-odds)."""

    label: str
    lower: float | None  # inclusive; None for missing / categories / open end
    upper: float | None  # exclusive; None for missing / categories / open end
    score: float


@dataclass(frozen=True)
class InteractionTable:
    """A pairwise term as a table: rows are bins of the first feature, columns of the second."""

    term: str
    features: tuple[str, str]
    rows: list[ShapeBin]  # score field: 0.0 (labels and bounds only)
    columns: list[ShapeBin]
    scores: list[list[float]]  # scores[i][j]: log-odds added for row bin i and column bin j


def _fmt_edge(value: float) -> str:
    return f"{value:.6g}"


def _axis_groups(table: np.ndarray, axis: int, feat: dict, level: int,
                 merge: bool) -> list[tuple[ShapeBin, int]]:
    """Readable bins along one axis, each with the raw index whose slice it shows."""
    size = table.shape[axis]
    out: list[tuple[ShapeBin, int]] = [(ShapeBin(MISSING_LABEL, None, None, 0.0), 0)]
    if feat["type"] == "continuous":
        cuts = list(feat["bins"][level])
        starts = _run_starts(table, axis, len(cuts)) if merge else list(range(1, len(cuts) + 2))
        for n, j in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(cuts) + 2
            lower = cuts[j - 2] if j >= 2 else None
            upper = cuts[end - 2] if end - 2 < len(cuts) else None
            if lower is None and upper is None:
                label = "any value"
            elif lower is None:
                label = f"< {_fmt_edge(upper)}"
            elif upper is None:
                label = f">= {_fmt_edge(lower)}"
            else:
                label = f"[{_fmt_edge(lower)}, {_fmt_edge(upper)})"
            out.append((ShapeBin(label, lower, upper, 0.0), j))
    else:
        for cat, b in sorted(feat["bins"][level].items(), key=lambda kv: kv[1]):
            out.append((ShapeBin(cat, None, None, 0.0), int(b)))
        out.append((ShapeBin(UNSEEN_LABEL, None, None, 0.0), size - 1))
    return out


# --------------------------------------------------------------------------------------------
# JSON helpers


def _plain(value: Any, where: str = "metadata") -> Any:
    """Metadata as JSON-ready plain data (numpy scalars, tuples, dates, paths converted)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _plain(float(value), where)
    if isinstance(value, np.ndarray):
        return [_plain(v, where) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise SegkitError(f"scorecard {where}: {type(value).__name__} values cannot be stored in JSON")


def _dumps(value: Any, indent: int = 0) -> str:
    """JSON with nested structure indented but lists of numbers on one line (score tables)."""
    pad = "  " * (indent + 1)
    end = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        if all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) > 8:
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        items = [f"{pad}{json.dumps(str(k), ensure_ascii=False)}: {_dumps(v, indent + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
        if all(isinstance(v, list) for v in value):  # score table rows: one row a line
            return "[\n" + ",\n".join(pad + _dumps(v, indent + 1) for v in value) + "\n" + end + "]"
        return "[\n" + ",\n".join(pad + _dumps(v, indent + 1) for v in value) + "\n" + end + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed")


# Deepest nesting a scorecard file may have: a score table adds one level per feature of its
# term (MAX_TERM_FEATURES) to a few levels of structure; metadata may nest a little too.
MAX_JSON_DEPTH = 64
MAX_TERM_FEATURES = 8


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and dicts, without recursion (a hostile file can nest 1e5 deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((v, level + 1) for v in items if isinstance(v, (dict, list)))
    return deepest


def _outline(data: Any) -> Any:
    """``data`` without the score tables, whose depth validation checks against their shape
    (walking millions of score cells would make loading a large scorecard seconds slower)."""
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        return data
    terms = [{k: v for k, v in t.items() if k != "scores"} if isinstance(t, dict) else t for t in data["terms"]]
    return {**data, "terms": terms}


# --------------------------------------------------------------------------------------------
# validation of the plain-data structure (shared by compile and load)


def _fail(message: str):
    raise SegkitError(message)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_table(scores: Any, shape: list[int], where: str) -> None:
    """Nested lists of finite numbers with exactly ``shape``."""
    if not shape:
        if not _is_number(scores):
            _fail(f"{where}: expected a finite number, found {scores!r:.40}")
        return
    if not isinstance(scores, list) or len(scores) != shape[0]:
        found = len(scores) if isinstance(scores, list) else type(scores).__name__
        _fail(f"{where}: expected {shape[0]} entries along this axis, found {found}")
    if len(shape) == 1:
        for v in scores:
            if not _is_number(v):
                _fail(f"{where}: expected finite numbers, found {v!r:.40}")
        return
    for i, row in enumerate(scores):
        _check_table(row, shape[1:], f"{where}[{i}]")


def _validate(data: dict) -> None:
    """Raise SegkitError naming the first structural problem of a scorecard dict."""
    if not isinstance(data, dict):
        _fail("expected a JSON object")
    if data.get("format") != FORMAT:
        _fail(f"not a segkit scorecard (\"format\" is {data.get('format')!r}, expected {FORMAT!r})")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
            _fail(f"format_version {version} was written by a newer segkit; this version reads "
                  f"format_version {FORMAT_VERSION}")
        _fail(f"unknown format_version {version!r} (this segkit reads {FORMAT_VERSION})")
    required = ("link", "intercept", "threshold", "id_column", "derived", "features", "terms", "metadata")
    missing = [k for k in required if k not in data]
    if missing:
        _fail(f"missing key(s): {', '.join(missing)}")
    if data["link"] != "logit":
        _fail(f"link {data['link']!r} is not supported (only 'logit')")
    if not _is_number(data["intercept"]):
        _fail("intercept must be a finite number")
    t = data["threshold"]
    if not _is_number(t) or not 0.0 <= t <= 1.0:
        _fail(f"threshold must be a number between 0 and 1, found {t!r}")
    if not isinstance(data["id_column"], str) or not data["id_column"]:
        _fail("id_column must be a non-empty string")
    if not isinstance(data["metadata"], dict):
        _fail("metadata must be an object")
    features = data["features"]
    if not isinstance(features, list) or not features:
        _fail("features must be a non-empty list")
    names = set()
    for i, feat in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feat, dict) or not isinstance(feat.get("name"), str) or not feat["name"]:
            _fail(f"{where}: expected an object with a non-empty name")
        if feat["name"] in names:
            _fail(f"{where}: duplicate feature name {feat['name']!r}")
        names.add(feat["name"])
        where = f"feature {feat['name']!r}"
        levels = feat.get("bins")
        if not isinstance(levels, list) or not levels:
            _fail(f"{where}: bins must be a non-empty list of levels")
        if feat.get("other") is not None and feat.get("type") != "nominal":
            _fail(f"{where}: only nominal features can have an other category")
        if feat.get("type") == "continuous":
            for lv, cuts in enumerate(levels):
                if not isinstance(cuts, list) or not all(_is_number(c) for c in cuts):
                    _fail(f"{where}: level {lv} cuts must be a list of finite numbers")
                if any(b <= a for a, b in zip(cuts, cuts[1:])):
                    _fail(f"{where}: level {lv} cuts are not strictly increasing")
        elif feat.get("type") == "nominal":
            for lv, cats in enumerate(levels):
                if not isinstance(cats, dict):
                    _fail(f"{where}: level {lv} must map categories to bins")
                bins = sorted(cats.values()) if all(
                    isinstance(b, int) and not isinstance(b, bool) for b in cats.values()) else None
                if bins is None or (bins and (bins[0] < 1 or len(set(bins)) != bins[-1])):
                    _fail(f"{where}: level {lv} bins must be the integers 1..K")
            other = feat.get("other")
            if other is not None and (not isinstance(other, str)
                                      or not all(other in cats for cats in levels)):
                _fail(f"{where}: other must name one of the feature's categories, found {other!r:.40}")
        else:
            _fail(f"{where}: type must be 'continuous' or 'nominal', found {feat.get('type')!r}")
    derived = data["derived"]
    if not isinstance(derived, list):
        _fail("derived must be a list")
    for i, d in enumerate(derived):
        if not isinstance(d, dict) or d.get("op") != "ratio" or not all(
                isinstance(d.get(k), str) and d.get(k) for k in ("name", "numerator", "denominator")):
            _fail(f"derived[{i}]: expected a ratio with name, numerator and denominator")
        if d["name"] not in names:
            _fail(f"derived[{i}]: {d['name']!r} is not one of the features")
    terms = data["terms"]
    if not isinstance(terms, list) or not terms:
        _fail("terms must be a non-empty list")
    term_names = set()
    for i, term in enumerate(terms):
        where = f"terms[{i}]"
        if not isinstance(term, dict) or not isinstance(term.get("name"), str):
            _fail(f"{where}: expected an object with a name")
        if term["name"] in term_names:
            _fail(f"{where}: duplicate term name {term['name']!r}")
        term_names.add(term["name"])
        fs, levels = term.get("features"), term.get("bin_levels")
        if (not isinstance(fs, list) or not fs or not isinstance(levels, list) or len(levels) != len(fs)
                or not all(isinstance(f, int) and not isinstance(f, bool) and 0 <= f < len(features) for f in fs)
                or not all(isinstance(lv, int) and not isinstance(lv, bool) and lv >= 0 for lv in levels)):
            _fail(f"{where}: features and bin_levels must be equal-length lists of valid indexes")
        if len(set(fs)) != len(fs):
            _fail(f"{where}: a feature appears twice")
        if len(fs) > MAX_TERM_FEATURES:
            _fail(f"{where}: {len(fs)} features in one term; at most {MAX_TERM_FEATURES} are supported")
        shape = []
        for f, lv in zip(fs, levels):
            feat = features[f]
            if lv >= len(feat["bins"]):
                _fail(f"{where}: feature {feat['name']!r} has no bin level {lv}")
            level = feat["bins"][lv]
            k = len(level) + 1 if feat["type"] == "continuous" else len(level)
            shape.append(k + 2)
        imp = term.get("importance", 0.0)
        if not _is_number(imp):
            _fail(f"{where}: importance must be a finite number")
        _check_table(term.get("scores"), shape, f"term {term['name']!r} scores")
        _check_other_scores(term, features)


def _check_other_scores(term: dict, features: list[dict]) -> None:
    """A feature with ``other`` scores unseen categories like ``other``: the slices must match."""
    for axis, (f, lv) in enumerate(zip(term["features"], term["bin_levels"])):
        other = features[f].get("other")
        if other is None:
            continue
        table = np.asarray(term["scores"], dtype=np.float64)
        b = int(features[f]["bins"][lv][other])
        if not np.array_equal(_take(table, b, axis), _take(table, table.shape[axis] - 1, axis)):
            _fail(f"term {term['name']!r} scores: the unseen scores of {features[f]['name']!r} must "
                  f"equal those of its other category {other!r}")


def _fold_unseen_into_other(table: np.ndarray, axis: int, other_bin: int) -> np.ndarray:
    """``table`` with the unseen slice along ``axis`` replaced by the ``other_bin`` slice."""
    out = np.moveaxis(np.array(table, dtype=np.float64), axis, 0)
    out[-1] = out[other_bin]
    return np.moveaxis(out, 0, axis)


# --------------------------------------------------------------------------------------------
# the scorecard


@dataclass
class Scorecard:
    """A compiled EBM: plain data (see the module docstring) plus fast Polars scoring.

    ``features``, ``terms`` and ``derived`` are lists of plain dicts exactly as stored in the
    JSON file (``feature["name"]``, ``feature["type"]``, ``term["scores"]`` ...).
    """

    features: list[dict]
    terms: list[dict]
    intercept: float
    threshold: float
    id_column: str
    derived: list[dict] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    link: str = "logit"
    source: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    _compiled: list[MergedTerm] | None = field(default=None, init=False, repr=False, compare=False)
    _polars: tuple | None = field(default=None, init=False, repr=False, compare=False)

    # ---- construction and persistence ---------------------------------------------------

    def to_dict(self) -> dict:
        """The JSON document (plain dicts and lists)."""
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "link": self.link,
            "intercept": self.intercept,
            "threshold": self.threshold,
            "id_column": self.id_column,
            "derived": self.derived,
            "features": self.features,
            "terms": self.terms,
            "source": self.source,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Scorecard":
        """Validate a decoded JSON document and build the scorecard (SegkitError if invalid)."""
        if _depth(_outline(data)) > MAX_JSON_DEPTH:
            _fail(f"the document nests more than {MAX_JSON_DEPTH} levels deep; a scorecard needs fewer than 20")
        _validate(data)
        return cls(
            features=[{"name": f["name"], "type": f["type"], "bins": f["bins"],
                       **({"other": f["other"]} if f.get("other") is not None else {})}
                      for f in data["features"]],
            terms=[{"name": t["name"], "features": list(t["features"]), "bin_levels": list(t["bin_levels"]),
                    "importance": float(t.get("importance", 0.0)), "scores": t["scores"]}
                   for t in data["terms"]],
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            id_column=data["id_column"],
            derived=[dict(d) for d in data["derived"]],
            metadata=data["metadata"],
            link=data["link"],
            source=data.get("source", {}) if isinstance(data.get("source"), dict) else {},
            format_version=data["format_version"],
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the scorecard as JSON, atomically (a reader never sees half a file)."""
        return atomic_write_text(path, _dumps(self.to_dict()) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Scorecard":
        """Read a scorecard written by :meth:`save`. JSON only: nothing is executed."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SegkitError(f"{p}: scorecard file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SegkitError(f"{p}: cannot read the scorecard ({exc})") from None
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (json.JSONDecodeError, ValueError) as exc:
            raise SegkitError(f"{p}: not a valid scorecard file (bad JSON: {exc})") from None
        except RecursionError:
            data = None  # deeper than the parser's stack: reported just below
        if data is None:
            raise SegkitError(f"{p}: not a valid scorecard file (JSON nested more than {MAX_JSON_DEPTH} "
                              "levels deep; a scorecard needs fewer than 20)")
        try:
            return cls.from_dict(data)
        except SegkitError as exc:
            raise SegkitError(f"{p}: not a valid scorecard file: {exc}") from None

    # ---- descriptions -------------------------------------------------------------------

    @property
    def feature_names(self) -> list[str]:
        return [f["name"] for f in self.features]

    @property
    def term_names(self) -> list[str]:
        return [t["name"] for t in self.terms]

    @property
    def derived_features(self) -> list[Ratio]:
        return [Ratio.from_dict(d) for d in self.derived]

    @property
    def input_columns(self) -> list[str]:
        """Columns a table must have to be scored (raw inputs of features and derived ones)."""
        derived = {d["name"]: d for d in self.derived}
        out: list[str] = []
        for f in self.features:
            names = [derived[f["name"]]["numerator"], derived[f["name"]]["denominator"]] \
                if f["name"] in derived else [f["name"]]
            out.extend(n for n in names if n not in out)
        return out

    def merged_terms(self) -> list[MergedTerm]:
        """Each term with identical adjacent bins merged, in term order: the form the SQL
        compiler (:mod:`toolkit.sql.scorecard`) writes out.

        Same scores, exactly: continuous cuts between bins with identical score slices are
        dropped (the rule :meth:`shape` uses to show merged ranges), nominal categories with
        identical slices share one index, and categories scoring like an unseen one are left
        out of the mapping (this removes most of a boosted shape's ~1023 cuts).
        Computed once per scorecard (treat the arrays as read-only).
        """
        if self._compiled is None:
            self._compiled = [_compile_term(t, self.features) for t in self.terms]
        return self._compiled

    # ---- input preparation --------------------------------------------------------------

    def _as_polars(self, frame) -> pl.DataFrame:
        if isinstance(frame, pl.LazyFrame):
            frame = frame.collect()
        if isinstance(frame, pd.DataFrame):
            try:
                frame = pl.from_pandas(frame)
            except Exception as exc:  # pyarrow raises several types for mixed object columns
                raise DataError(f"cannot read the pandas frame: {str(exc).splitlines()[0]}") from None
        if not isinstance(frame, pl.DataFrame):
            raise DataError(f"expected a Polars or pandas DataFrame, got {type(frame).__name__}")
        return frame

    def _check_inputs(self, frame: pl.DataFrame, extra: Iterable[str] = ()) -> None:
        """Missing columns and columns whose type cannot be what the model was trained on."""
        needed = list(extra) + self.input_columns
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataError(f"the table lacks {len(missing)} column(s) the scorecard needs: "
                            f"{', '.join(missing)}")
        types = {f["name"]: f["type"] for f in self.features}
        numeric = {n for n in self.input_columns if types.get(n) == "continuous"}
        for d in self.derived:
            numeric.update((d["numerator"], d["denominator"]))
        for name in self.input_columns:
            dtype = frame.schema[name]
            if name in numeric:
                self._check_numeric(frame, name, dtype)
            if types.get(name) == "nominal" and (dtype.is_nested() or dtype == pl.Object):
                raise DataError(f"column {name!r} has type {dtype}, which cannot be read as categories")

    @staticmethod
    def _check_numeric(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> None:
        if dtype.is_numeric() or dtype in (pl.Boolean, pl.Null):
            return
        col = frame.get_column(name)
        if dtype in (pl.Utf8, pl.Categorical) or isinstance(dtype, pl.Enum):
            text = col.cast(pl.Utf8)
            parsed = text.cast(pl.Float64, strict=False)
            bad = text.filter(text.is_not_null() & parsed.is_null())
            if bad.len():
                examples = ", ".join(repr(v) for v in bad.unique(maintain_order=True).head(3).to_list())
                raise DataError(f"column {name!r} must be numeric but {bad.len():,} value(s) are not "
                                f"numbers (e.g. {examples})")
            return
        try:
            col.cast(pl.Float64)
        except Exception:
            raise DataError(f"column {name!r} must be numeric but has type {dtype}") from None

    def _prepared(self, chunk: pl.DataFrame) -> pl.DataFrame:
        """The model's features for ``chunk``: derived computed, types cast, NaN -> null."""
        derived = [Ratio.from_dict(d).expr() for d in self.derived]
        staged = chunk.with_columns(derived) if derived else chunk
        exprs = []
        for f in self.features:
            col = pl.col(f["name"])
            if f["type"] == "nominal":
                exprs.append(col.cast(pl.Utf8).alias(f["name"]))
            else:
                exprs.append(col.cast(pl.Float64).fill_nan(None).alias(f["name"]))
        return staged.select(exprs)

    # ---- scoring --------------------------------------------------------------------------

    def _polars_plan(self) -> tuple[list[pl.Expr], list[pl.Expr]]:
        """(bin expressions, one per feature; term expressions over those bins).

        Each continuous feature is searched once, over the union of the cuts of every level
        its terms use (``searchsorted`` done by a :class:`~toolkit.model.scorecard_grid.GridPlan`:
        a cell lookup plus a few gathers, ~2x faster than ``search_sorted``). Small index
        maps then turn the union bin into each term's own bin: main effects fold map and
        scores into one array, pairs add two mapped offsets and gather. Bin 0 is missing.
        """
        if self._polars is not None:
            return self._polars
        from toolkit.model.scorecard_grid import GRID_SIZES, plan_grid

        used: dict[int, set[int]] = {}
        for t in self.terms:
            for f, level in zip(t["features"], t["bin_levels"]):
                used.setdefault(f, set()).add(level)
        index_exprs: list[pl.Expr] = []
        maps: dict[tuple[int, int], np.ndarray] = {}  # (feature, level) -> raw bin per union bin
        for f, levels in sorted(used.items()):
            feat = self.features[f]
            col = pl.col(feat["name"])
            alias = f"__segkit_bin{f}"
            if feat["type"] == "nominal":
                # bins of the lowest level used; other levels (none in practice) by category
                level = min(levels)
                cats = feat["bins"][level]
                unseen = len(cats) + 1
                for other in levels:
                    named = feat["bins"][other]
                    m = np.full(unseen + 1, len(named) + 1)
                    m[0] = 0
                    for cat, b in cats.items():
                        m[int(b)] = named.get(cat, len(named) + 1)
                    maps[(f, other)] = m
                binned = col.replace_strict({k: int(v) for k, v in cats.items()}, default=unseen,
                                            return_dtype=pl.Int64) if cats else pl.lit(unseen, dtype=pl.Int64)
                index_exprs.append(pl.when(col.is_null()).then(pl.lit(0, dtype=pl.Int64))
                                   .otherwise(binned).alias(alias))
                continue
            union = np.unique(np.concatenate([np.asarray(feat["bins"][lv], dtype=np.float64) for lv in levels]))
            reps = np.concatenate([[-np.inf], union])  # a value inside each union bin 1..len+1
            for level in levels:
                cuts = np.asarray(feat["bins"][level], dtype=np.float64)
                maps[(f, level)] = np.concatenate([[0], np.searchsorted(cuts, reps, side="right") + 1])
            if len(union) == 0:
                index_exprs.append(pl.when(col.is_null()).then(pl.lit(0, dtype=pl.Int64))
                                   .otherwise(pl.lit(1, dtype=pl.Int64)).alias(alias))
                continue
            grid = plan_grid(union, max_cells=min(GRID_SIZES[-1], max(256, 64 * len(union))))
            key = ((col.clip(grid.low, grid.top) - grid.base) * grid.scale).floor().cast(pl.Int64)
            r1 = pl.lit(pl.Series(grid.start, dtype=pl.Int64)).gather(key - 1)
            padded = pl.lit(pl.Series(grid.padded_cuts(), dtype=pl.Float64))
            for level in range(grid.steps):
                step = 2 ** (grid.steps - 1 - level)
                r1 = r1 + (padded.gather(r1 + (step - 1)) <= col).cast(pl.Int64) * step
            index_exprs.append(r1.fill_null(0).alias(alias))  # null x -> null key -> 0

        term_exprs = []
        for t in self.terms:
            table = np.asarray(t["scores"], dtype=np.float64)
            fs, levels = t["features"], t["bin_levels"]
            if len(fs) == 1:
                folded = table[maps[(fs[0], levels[0])]]
                term_exprs.append(pl.lit(pl.Series(folded, dtype=pl.Float64))
                                  .gather(pl.col(f"__segkit_bin{fs[0]}")).alias(t["name"]))
                continue
            strides = np.cumprod([1, *table.shape[::-1]])[:-1][::-1]
            index = None
            for f, level, stride in zip(fs, levels, strides):
                offsets = pl.lit(pl.Series(maps[(f, level)] * int(stride), dtype=pl.Int64))
                part = offsets.gather(pl.col(f"__segkit_bin{f}"))
                index = part if index is None else index + part
            term_exprs.append(pl.lit(pl.Series(table.ravel(), dtype=pl.Float64)).gather(index).alias(t["name"]))
        self._polars = (index_exprs, term_exprs)
        return self._polars

    def _chunks(self, frame: pl.DataFrame, size: int | None = None) -> Iterable[pl.DataFrame]:
        size = size or CHUNK_ROWS
        for start in range(0, frame.height, size):
            yield frame.slice(start, size)

    def _contrib_chunk(self, chunk: pl.DataFrame, prepared: pl.DataFrame | None = None) -> pl.DataFrame:
        bins, terms = self._polars_plan()
        prepared = self._prepared(chunk) if prepared is None else prepared
        return prepared.select(bins).select(terms)

    def _logit_of(self, contributions: pl.DataFrame) -> np.ndarray:
        # intercept first, then terms in model order (as interpret adds them), one column at
        # a time: pl.sum_horizontal's reduction order varies between runs (last-bit noise)
        total = np.full(contributions.height, self.intercept, dtype=np.float64)
        for column in contributions.iter_columns():
            total += column.to_numpy()
        return total

    def contributions(self, frame) -> pl.DataFrame:
        """Per-term contributions in log-odds: one Float64 column per term, one row per input row."""
        frame = self._as_polars(frame)
        self._check_inputs(frame)
        parts = [self._contrib_chunk(c) for c in self._chunks(frame)]
        if not parts:
            return pl.DataFrame({t["name"]: pl.Series([], dtype=pl.Float64) for t in self.terms})
        return pl.concat(parts, rechunk=True) if len(parts) > 1 else parts[0]

    def predict_logit(self, frame) -> np.ndarray:
        """Log-odds of purchase per row (the EBM's additive score)."""
        frame = self._as_polars(frame)
        self._check_inputs(frame)
        parts = [self._logit_of(self._contrib_chunk(c)) for c in self._chunks(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)

    def predict_proba(self, frame) -> np.ndarray:
        """Probability of purchase per row: equals ``ebm.predict_proba(X)[:, 1]`` to 1e-9."""
        return _inv_logit(self.predict_logit(frame))

    def score(self, frame, *, top_reasons: int = 3) -> pl.DataFrame:
        """Id, ``purchase_probability``, ``will_purchase`` and ``reason_1..top_reasons``.

        Reasons are the terms with the largest absolute contribution for that row, largest
        first (ties: model order), written ``"feature = value (+0.82)"``: the customer's value
        and the log-odds the term adds (positive raises the probability). Pairs read
        ``"a = 1 & b = x (-0.10)"``. A reason is null when fewer terms contribute anything.
        """
        if not isinstance(top_reasons, int) or top_reasons < 0:
            raise SegkitError(f"top_reasons must be a whole number >= 0, got {top_reasons!r}")
        frame = self._as_polars(frame)
        self._check_inputs(frame, extra=[self.id_column])
        k = min(top_reasons, len(self.terms))
        parts = []
        for chunk in self._chunks(frame, SCORE_CHUNK_ROWS):
            prepared = self._prepared(chunk)
            contrib = self._contrib_chunk(chunk, prepared)
            prob = _inv_logit(self._logit_of(contrib))
            cols = [chunk.get_column(self.id_column),
                    pl.Series(PROBABILITY_COLUMN, prob, dtype=pl.Float64),
                    pl.Series(DECISION_COLUMN, prob >= self.threshold, dtype=pl.Boolean)]
            cols.extend(self._reasons(prepared, contrib, k))
            parts.append(pl.DataFrame(cols))
        if not parts:
            empty = {self.id_column: frame.get_column(self.id_column).head(0),
                     PROBABILITY_COLUMN: pl.Series([], dtype=pl.Float64),
                     DECISION_COLUMN: pl.Series([], dtype=pl.Boolean)}
            empty.update({f"reason_{i + 1}": pl.Series([], dtype=pl.Utf8) for i in range(top_reasons)})
            return pl.DataFrame(empty)
        # no rechunk: copying millions of reason strings into one buffer doubles peak memory
        out = pl.concat(parts, rechunk=False) if len(parts) > 1 else parts[0]
        for i in range(k, top_reasons):  # asked for more reasons than the model has terms
            out = out.with_columns(pl.lit(None, dtype=pl.Utf8).alias(f"reason_{i + 1}"))
        return out

    def _reasons(self, prepared: pl.DataFrame, contrib: pl.DataFrame, k: int) -> list[pl.Series]:
        if k == 0:
            return []
        values = contrib.to_numpy(order="c")  # rows x terms; row-major makes argmax per row fast
        n = values.shape[0]
        rows = np.arange(n)
        # top k by |contribution|: k argmax passes (argmax keeps the first of equals, so
        # ties go to the earlier term) - much cheaper than sorting every row
        magnitude = np.abs(values)
        top = np.empty((n, k), dtype=np.int64)
        for slot in range(k):
            top[:, slot] = np.argmax(magnitude, axis=1)
            magnitude[rows, top[:, slot]] = -1.0
        del magnitude
        chosen = np.take_along_axis(values, top, axis=1)  # n x k
        # describe every (row, slot) with a non-zero contribution, grouped by term so each
        # term's features are gathered and formatted once per chunk
        flat_term = top.ravel()
        wanted = np.flatnonzero(chosen.ravel() != 0)
        by_term = wanted[np.argsort(flat_term[wanted], kind="stable")]
        bounds = np.searchsorted(flat_term[by_term], np.arange(len(self.terms) + 1))
        pieces = []
        for t in range(len(self.terms)):
            lo, hi = bounds[t], bounds[t + 1]
            if lo == hi:
                continue
            rows_t = pl.Series(by_term[lo:hi] // k)
            cols = [self.features[f]["name"] for f in self.terms[t]["features"]]
            picked = prepared.select([pl.col(c).gather(rows_t) for c in cols])
            pieces.append(picked.select(self._describe_expr(t)).to_series())
        described = pl.concat(pieces) if pieces else pl.Series("d", [], dtype=pl.Utf8)
        position = np.full(n * k, -1, dtype=np.int64)  # flat (row, slot) -> index in described
        position[by_term] = np.arange(len(by_term))
        out = []
        for slot in range(k):
            where = position[slot::k]
            texts = described.gather(pl.Series(np.where(where >= 0, where, 0))) if len(described) else \
                pl.Series("d", [None] * n, dtype=pl.Utf8)
            frame = pl.DataFrame({"d": texts, "c": chosen[:, slot], "ok": where >= 0})
            out.append(frame.select(
                pl.when(pl.col("ok"))
                .then(pl.concat_str([pl.col("d"), pl.lit(" ("), _signed(pl.col("c")), pl.lit(")")]))
                .alias(f"reason_{slot + 1}")
            ).to_series())
        return out

    def _describe_expr(self, t: int) -> pl.Expr:
        """``name = value`` for each feature of term ``t``, joined by `` & ``."""
        parts: list[pl.Expr] = []
        for i, f in enumerate(self.terms[t]["features"]):
            feat = self.features[f]
            if i:
                parts.append(pl.lit(" & "))
            parts.append(pl.lit(f"{feat['name']} = "))
            parts.append(_value_text(pl.col(feat["name"]), feat["type"]))
        return pl.concat_str(parts).alias("d")

    # ---- global explanations --------------------------------------------------------------

    def term_importances(self, *, sort: bool = True) -> dict[str, float]:
        """Mean absolute contribution of each term on the training data (interpret's values)."""
        items = [(t["name"], float(t.get("importance", 0.0))) for t in self.terms]
        if sort:
            items.sort(key=lambda kv: -kv[1])
        return dict(items)

    def _term_index(self, name: str) -> int:
        for i, t in enumerate(self.terms):
            if t["name"] == name:
                return i
        raise SegkitError(f"the scorecard has no term {name!r}; terms: {', '.join(self.term_names)}")

    def shape(self, feature: str, *, merge: bool = True) -> list[ShapeBin]:
        """The main-effect shape of ``feature``: one row per bin (missing first, log-odds).

        Continuous features list ranges ``[lower, upper)``; with ``merge`` adjacent bins with
        identical scores are shown as one range. Nominal features list their categories and
        ``other (unseen)``, the score of a category not seen in training.
        """
        if feature not in self.feature_names:
            raise SegkitError(f"the scorecard has no feature {feature!r}")
        f = self.feature_names.index(feature)
        for t in self.terms:
            if t["features"] == [f]:
                table = np.asarray(t["scores"], dtype=np.float64)
                groups = _axis_groups(table, 0, self.features[f], t["bin_levels"][0], merge)
                return [b._replace(score=float(table[i])) for b, i in groups]
        raise SegkitError(f"feature {feature!r} has no main-effect term (it appears only in interactions)")

    def interaction_table(self, term: str, *, merge: bool = True) -> InteractionTable:
        """A pairwise term as a table of log-odds (missing row/column first)."""
        t = self.terms[self._term_index(term)]
        if len(t["features"]) != 2:
            raise SegkitError(f"term {term!r} is not a pairwise interaction")
        table = np.asarray(t["scores"], dtype=np.float64)
        fa, fb = t["features"]
        rows = _axis_groups(table, 0, self.features[fa], t["bin_levels"][0], merge)
        cols = _axis_groups(table, 1, self.features[fb], t["bin_levels"][1], merge)
        scores = table[np.ix_([i for _, i in rows], [j for _, j in cols])]
        return InteractionTable(term=t["name"], features=(self.features[fa]["name"], self.features[fb]["name"]),
                                rows=[b for b, _ in rows], columns=[b for b, _ in cols],
                                scores=scores.tolist())

    # ---- SQL --------------------------------------------------------------------------------

    def to_sql(self, dialect: str = "duckdb", table: str = "customers", *, pretty: bool = False,
               precision: int | str | None = "auto") -> str:
        """One ``SELECT`` over ``table`` returning the id column and ``purchase_probability``.

        See :mod:`toolkit.sql.scorecard` for the design and :mod:`toolkit.sql.dialects` for
        the dialects (names, aliases, identifier policy).
        ``precision``: decimal places of the score literals; ``"auto"`` keeps the probability
        within 1e-10 of :meth:`predict_proba`, ``None`` writes exact doubles (larger text).
        """
        from toolkit.sql.scorecard import to_sql

        return to_sql(self, dialect=dialect, table=table, pretty=pretty, precision=precision)


# --------------------------------------------------------------------------------------------
# formatting and numeric helpers


def _inv_logit(z: np.ndarray) -> np.ndarray:
    """exp(z) / (1 + exp(z)) as interpret computes it (+inf -> 1).

    Evaluated by Polars (Rust's exp per element): numpy's SIMD exp can differ in the last bit
    depending on where an element falls in memory, which made identical logits give
    different probabilities between calls.
    """
    e = pl.Series(np.asarray(z, dtype=np.float64)).exp()
    p = pl.select(pl.when(e.is_infinite()).then(pl.lit(1.0)).otherwise(e / (e + 1.0))).to_series()
    return p.to_numpy()


# --------------------------------------------------------------------------------------------
# compiling an EBM


def compile_ebm(ebm, specs: list[FeatureSpec], derived: list[Ratio], *, threshold: float,
                id_column: str, metadata: dict, other: dict[str, str] | None = None) -> Scorecard:
    """Compile a fitted binary ``ExplainableBoostingClassifier`` into a :class:`Scorecard`.

    ``specs`` and ``derived`` must be the ones the EBM's input frame was built with
    (``to_model_input(add_derived(frame, derived), specs)``); derived features the model does
    not use are dropped so scoring does not demand their inputs. ``other`` maps a nominal
    feature whose rare levels training collapsed to the category that stands for them
    (:mod:`toolkit.model.train_plan`): levels outside the bins then score like it, not as unseen.
    """
    for attr in ("bins_", "term_scores_", "term_features_", "intercept_"):
        if not hasattr(ebm, attr):
            raise SegkitError("the EBM is not fitted (no bins_/term_scores_); fit it before compiling")
    if getattr(ebm, "link_", "logit") != "logit" or len(getattr(ebm, "classes_", [])) != 2:
        raise SegkitError("only binary ExplainableBoostingClassifier models (logit link) can be compiled")
    names = [s.name for s in specs]
    model_names = list(getattr(ebm, "feature_names_in_", names))
    if model_names != names:
        raise SegkitError(f"feature specs do not match the model's features: {names} vs {model_names}")
    model_types = list(getattr(ebm, "feature_types_in_", [s.type for s in specs]))
    for s, mt in zip(specs, model_types):
        if s.type not in ("continuous", "nominal"):
            raise SegkitError(f"feature {s.name!r}: type {s.type!r} is not supported")
        if mt != s.type:
            raise SegkitError(f"feature {s.name!r} is {s.type} in the specs but {mt} in the model")
    if not (isinstance(threshold, (int, float)) and 0.0 <= float(threshold) <= 1.0):
        raise SegkitError(f"threshold must be between 0 and 1, got {threshold!r}")

    features = []
    for s, levels in zip(specs, ebm.bins_):
        if s.type == "continuous":
            bins = [[float(c) for c in np.asarray(level, dtype=np.float64)] for level in levels]
        else:
            bins = [{str(k): int(v) for k, v in level.items()} for level in levels]
        features.append({"name": s.name, "type": s.type, "bins": bins})
        level_other = (other or {}).get(s.name)
        if s.type == "nominal" and level_other is not None and all(level_other in b for b in bins):
            features[-1]["other"] = level_other

    importances = np.asarray(ebm.term_importances(), dtype=np.float64)
    terms = []
    for i, (tf, scores) in enumerate(zip(ebm.term_features_, ebm.term_scores_)):
        tf = [int(f) for f in tf]
        levels = [min(len(ebm.bins_[f]), len(tf)) - 1 for f in tf]
        scores = np.asarray(scores, dtype=np.float64)
        for axis, (f, lv) in enumerate(zip(tf, levels)):
            if "other" in features[f]:
                scores = _fold_unseen_into_other(scores, axis, features[f]["bins"][lv][features[f]["other"]])
        terms.append({
            "name": str(ebm.term_names_[i]),
            "features": tf,
            "bin_levels": levels,
            "importance": float(importances[i]),
            "scores": np.asarray(scores, dtype=np.float64).tolist(),
        })

    used = set(names)
    kept = [d.to_dict() for d in derived if d.name in used]
    try:
        import interpret

        version = getattr(interpret, "__version__", "unknown")
    except ImportError:  # pragma: no cover - the EBM came from somewhere
        version = "unknown"
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "link": "logit",
        "intercept": float(np.asarray(ebm.intercept_, dtype=np.float64).ravel()[0]),
        "threshold": float(threshold),
        "id_column": id_column,
        "derived": kept,
        "features": features,
        "terms": terms,
        "source": {"library": "interpret-core", "version": version,
                   "estimator": type(ebm).__name__},
        "metadata": _plain(metadata or {}),
    }
    return Scorecard.from_dict(data)
