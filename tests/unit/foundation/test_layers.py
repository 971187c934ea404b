"""The package layout is a promise (ARCHITECTURE.md): lower layers never import higher ones.

Every ``import`` in toolkit/ is read with :mod:`ast` (lazy imports inside functions too), so a
change that makes, say, the scorecard import the report fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TOOLKIT = Path(__file__).resolve().parents[3] / "toolkit"
FOUNDATION = {"toolkit.errors", "toolkit.schema", "toolkit.policy", "toolkit.fmt"}
# package -> the toolkit modules/packages it may import (besides itself and the foundation)
ALLOWED = {
    "toolkit.data": set(),
    "toolkit.sql": {"toolkit.model.scorecard_grid", "toolkit.model.scorecard"},
    "toolkit.rules": {"toolkit.sql"},
    "toolkit.model": {"toolkit.data", "toolkit.sql", "toolkit.rules", "toolkit.ruleset",
                      "toolkit.run.folder"},
    "toolkit.ruleset": {"toolkit.data", "toolkit.sql", "toolkit.rules", "toolkit.model",
                        "toolkit.run.folder"},
    "toolkit.segments": {"toolkit.data", "toolkit.sql", "toolkit.rules", "toolkit.ruleset",
                         "toolkit.model", "toolkit.run.folder",
                         "toolkit.exports"},  # audiences are written like every export
    # raw logs -> customer tables at a date: reads files like the loader, knows no model
    "toolkit.snapshot": {"toolkit.data"},
    # out-of-time validation: snapshots, the model and its baselines
    "toolkit.backtest": {"toolkit.data", "toolkit.snapshot", "toolkit.model", "toolkit.run.folder"},
    # scoring where the customers live: SQL and Spark over the two artifacts
    "toolkit.engines": {"toolkit.data", "toolkit.sql", "toolkit.rules", "toolkit.ruleset",
                        "toolkit.model", "toolkit.run.folder"},
}
HIGHER = ("toolkit.report", "toolkit.cli", "toolkit.monitor", "toolkit.run.view",
          "toolkit.run.compare", "toolkit.run.demo", "toolkit.summary")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name.split(".")[0] in ("toolkit", "tui")}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def modules():
    for path in sorted(TOOLKIT.rglob("*.py")):
        yield ".".join(path.relative_to(TOOLKIT.parent).with_suffix("").parts), path


@pytest.mark.parametrize("name, path", list(modules()), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_imports_follow_the_layers(name, path):
    found = imports(path)
    if not within(name, "toolkit.cli"):  # the CLI starts the TUI; nothing else knows it
        assert not any(within(i, "tui") for i in found), f"{name} imports the TUI"
    if name in FOUNDATION:
        assert all(i == "toolkit" or any(within(i, f) for f in FOUNDATION) for i in found), found
        return
    package = next((p for p in ALLOWED if within(name, p)), None)
    if package is None:
        return  # run.*, report, monitor, cli, summary, exports: the top, may import below
    ok = FOUNDATION | ALLOWED[package] | {package}
    bad = sorted(i for i in found if i != "toolkit" and not any(within(i, o) for o in ok))
    assert not bad, f"{name} imports {bad}: above its layer (see ARCHITECTURE.md)"
    assert not any(within(i, h) for i in found for h in HIGHER)


def test_old_flat_paths_still_import_the_moved_modules():
    """Scripts written against the flat layout (toolkit.scorecard, toolkit.io...) keep working."""
    import importlib

    from toolkit._compat import OLD_PATHS

    for old, new in OLD_PATHS.items():
        assert importlib.import_module(old) is importlib.import_module(new), old
