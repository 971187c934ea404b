"""Old import paths keep working after modules moved into packages (issue 9).

``from toolkit.scorecard import Scorecard`` was the documented path before the scorecard moved
to :mod:`toolkit.model.scorecard`; scripts and notebooks written against it should not break.
A tiny import hook maps each old dotted name to the module that now lives elsewhere, so both
names give the *same* module object (patching one patches the other). New code imports the
new paths; the table below is the only list of old names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

OLD_PATHS: dict[str, str] = {
    "toolkit.audience": "toolkit.segments.audience",
    "toolkit.campaigns": "toolkit.segments.campaigns",
    "toolkit.clustering": "toolkit.segments.clustering",
    "toolkit.compare": "toolkit.run.compare",
    "toolkit.demo": "toolkit.run.demo",
    "toolkit.distill": "toolkit.segments.distill",
    "toolkit.editing": "toolkit.ruleset.editing",
    "toolkit.features": "toolkit.model.features",
    "toolkit.fileio": "toolkit.data.files",
    "toolkit.generate": "toolkit.data.generate",
    "toolkit.io": "toolkit.data.io",
    "toolkit.leakage": "toolkit.model.leakage",
    "toolkit.metrics": "toolkit.model.metrics",
    "toolkit.model_input": "toolkit.model.model_input",
    "toolkit.outputs": "toolkit.data.outputs",
    "toolkit.profiles": "toolkit.segments.profiles",
    "toolkit.report_charts": "toolkit.report.charts",
    "toolkit.report_html": "toolkit.report.html",
    "toolkit.ruleset_ops": "toolkit.ruleset.ops",
    "toolkit.run_view": "toolkit.run.view",
    "toolkit.runs": "toolkit.run.folder",
    "toolkit.scorecard": "toolkit.model.scorecard",
    "toolkit.scorecard_grid": "toolkit.model.scorecard_grid",
    "toolkit.scorecard_sql": "toolkit.sql.scorecard",
    "toolkit.scoring": "toolkit.model.scoring",
    "toolkit.segment_space": "toolkit.segments.space",
    "toolkit.segmentation": "toolkit.segments.pipeline",
    "toolkit.shape_text": "toolkit.report.shape_text",
    "toolkit.train": "toolkit.model.train",
    "toolkit.train_plan": "toolkit.model.train_plan",
}


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``toolkit.<old>`` and hands back the already-moved module."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in OLD_PATHS:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(OLD_PATHS[spec.name])

    def exec_module(self, module) -> None:  # the module ran when it was imported by its new name
        return None


def install() -> None:
    """Register the hook once (idempotent)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
