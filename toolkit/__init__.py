"""segkit's Python API: explainable purchase prediction and customer segmentation.

The names below are imported lazily, so ``import toolkit`` stays fast and scoring code never
imports interpret or scikit-learn unless it trains::

    from toolkit import Scorecard, Ruleset, load_table
    card = Scorecard.load("runs/demo/scorecard.json")
    scores = card.score(load_table("customers.parquet"))
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from toolkit import _compat

_compat.install()  # old flat paths (toolkit.scorecard, toolkit.io, ...) still import

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time the names load lazily
    from toolkit.data.generate import generate as generate_sample, write_sample
    from toolkit.data.io import load_table
    from toolkit.errors import DataError, SegkitError
    from toolkit.model.scorecard import Scorecard, compile_ebm
    from toolkit.model.scoring import score_file, score_frame
    from toolkit.model.train import TrainConfig, save_run, train as train_model
    from toolkit.monitor import monitor_run
    from toolkit.report.build import build_report
    from toolkit.run.compare import compare_approaches
    from toolkit.run.folder import Run
    from toolkit.ruleset import Ruleset, Segment
    from toolkit.segments.pipeline import SegmentConfig, run_segmentation
    from toolkit.segments.profiles import profile_segments

# Public name -> module, or (module, attribute) where the function is named like its module:
# a public name must never shadow a submodule, or ``from toolkit import generate`` would give
# the function in one process and the module in another (depending on import order).
_EXPORTS: dict[str, str | tuple[str, str]] = {
    "SegkitError": "toolkit.errors",
    "DataError": "toolkit.errors",
    "load_table": "toolkit.data.io",
    "generate_sample": ("toolkit.data.generate", "generate"),
    "write_sample": "toolkit.data.generate",
    "TrainConfig": "toolkit.model.train",
    "train_model": ("toolkit.model.train", "train"),
    "save_run": "toolkit.model.train",
    "Scorecard": "toolkit.model.scorecard",
    "compile_ebm": "toolkit.model.scorecard",
    "score_frame": "toolkit.model.scoring",
    "score_file": "toolkit.model.scoring",
    "Ruleset": "toolkit.ruleset",
    "Segment": "toolkit.ruleset",
    "run_segmentation": "toolkit.segments.pipeline",
    "SegmentConfig": "toolkit.segments.pipeline",
    "Run": "toolkit.run.folder",
    "profile_segments": "toolkit.segments.profiles",
    "compare_approaches": "toolkit.run.compare",
    "build_report": "toolkit.report.build",
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
