"""segkit's Python API: explainable purchase prediction and customer segmentation.

The names below are imported lazily, so ``import toolkit`` stays fast and scoring code never
imports interpret or scikit-learn unless it trains::

    from toolkit import Scorecard, Ruleset, load_table
    card = Scorecard.load("runs/demo/scorecard.json")
    scores = card.score(load_table("customers.parquet"))
"""

from __future__ import annotations

from importlib import import_module

# Public name -> module, or (module, attribute) where the function is named like its module:
# a public name must never shadow a submodule, or ``from toolkit import generate`` would give
# the function in one process and the module in another (depending on import order).
_EXPORTS: dict[str, str | tuple[str, str]] = {
    "SegkitError": "toolkit.errors",
    "DataError": "toolkit.errors",
    "load_table": "toolkit.io",
    "generate_sample": ("toolkit.generate", "generate"),
    "write_sample": "toolkit.generate",
    "TrainConfig": "toolkit.train",
    "train_model": ("toolkit.train", "train"),
    "save_run": "toolkit.train",
    "Scorecard": "toolkit.scorecard",
    "compile_ebm": "toolkit.scorecard",
    "score_frame": "toolkit.scoring",
    "score_file": "toolkit.scoring",
    "Ruleset": "toolkit.ruleset",
    "Segment": "toolkit.ruleset",
    "run_segmentation": "toolkit.segmentation",
    "SegmentConfig": "toolkit.segmentation",
    "Run": "toolkit.runs",
    "profile_segments": "toolkit.profiles",
    "compare_approaches": "toolkit.compare",
    "build_report": "toolkit.report",
    "monitor_run": "toolkit.monitor",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
    module, attribute = target if isinstance(target, tuple) else (target, name)
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
