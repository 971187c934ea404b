"""The scorecard file: format constants, validation of the JSON document, and writing it.

Validation is stricter than InterpretML's own JSON: every structural problem is one readable
:class:`~toolkit.errors.SegkitError` naming where it is, and nothing in the file is executed.

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
from typing import Any

import numpy as np

from toolkit.errors import SegkitError
from toolkit.model.scorecard.merge import _take

FORMAT = "segkit.scorecard"
FORMAT_VERSION = 1


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
