"""The supervised-vs-unsupervised report: building (build), tables, shape text, charts, HTML.

``from toolkit.report import build_report`` keeps working (it was a module before this was a
package); the name loads lazily so importing a chart helper does not build the report module.
"""

from __future__ import annotations

from importlib import import_module


def __getattr__(name: str):
    if name == "build_report":
        return getattr(import_module("toolkit.report.build"), name)
    raise AttributeError(f"module 'toolkit.report' has no attribute {name!r}")
