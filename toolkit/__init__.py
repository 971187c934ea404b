"""segkit's Python API: explainable purchase prediction and customer segmentation.

The names below are imported lazily, so ``import toolkit`` stays fast and scoring code never
imports interpret or scikit-learn unless it trains::

    from toolkit import Scorecard, Ruleset, load_table
    card = Scorecard.load("runs/demo/scorecard.json")
    scores = card.score(load_table("customers.parquet"))
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "SegkitError": "toolkit.errors",
    "DataError": "toolkit.errors",
    "load_table": "toolkit.io",
    "generate": "toolkit.generate",
    "write_sample": "toolkit.generate",
    "TrainConfig": "toolkit.train",
    "train": "toolkit.train",
    "save_run": "toolkit.train",
    "Scorecard": "toolkit.scorecard",
    "compile_ebm": "toolkit.scorecard",
    "score_frame": "toolkit.scoring",
    "score_file": "toolkit.scoring",
    "Ruleset": "toolkit.ruleset",
    "Segment": "toolkit.ruleset",
    "run_segmentation": "toolkit.segmentation",
    "profile_segments": "toolkit.profiles",
    "compare_approaches": "toolkit.compare",
    "build_report": "toolkit.report",
    "monitor_run": "toolkit.monitor",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
