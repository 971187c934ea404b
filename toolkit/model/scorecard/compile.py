"""Compile a fitted InterpretML EBM into a :class:`~toolkit.model.scorecard.card.Scorecard`.

The only module of the scorecard that reads an EBM; loading and scoring never need interpret.
"""

from __future__ import annotations

import numpy as np

from toolkit.errors import SegkitError
from toolkit.model.features import Ratio
from toolkit.model.model_input import FeatureSpec
from toolkit.model.scorecard.card import Scorecard
from toolkit.model.scorecard.format import FORMAT, FORMAT_VERSION, _plain


def _fold_unseen_into_other(table: np.ndarray, axis: int, other_bin: int) -> np.ndarray:
    """``table`` with the unseen slice along ``axis`` replaced by the ``other_bin`` slice."""
    out = np.moveaxis(np.array(table, dtype=np.float64), axis, 0)
    out[-1] = out[other_bin]
    return np.moveaxis(out, 0, axis)


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
