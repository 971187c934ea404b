"""A run folder and the artifacts in it, read the same way by the CLI, the TUI and reports.

RUN_DIR/
  scorecard.json   the compiled EBM (toolkit.scorecard)
  metrics.json     held-out metrics, baselines, leakage audit, training metadata
  split.parquet    customer id -> train / validation / test
  segments.yaml    the distilled ruleset (toolkit.ruleset), when segmentation ran
  segments.json    clustering candidates, stability, fidelity, profiles
  data.parquet     the customer table the run was built from (demo runs)
"""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.errors import SegkitError

SCORECARD = "scorecard.json"
METRICS = "metrics.json"
SPLIT = "split.parquet"
RULESET = "segments.yaml"
SEGMENTS = "segments.json"
DATA = "data.parquet"


def require_run(run_dir: str | Path) -> Path:
    run = Path(run_dir)
    if not run.is_dir():
        raise SegkitError(f"{run}: no such run folder (create one with `segkit demo` or `segkit train`)")
    return run


def load_scorecard(run_dir: str | Path):
    from toolkit.scorecard import Scorecard

    path = require_run(run_dir) / SCORECARD
    if not path.exists():
        raise SegkitError(f"{path}: the run has no scorecard; train one with `segkit train --out {run_dir}`")
    return Scorecard.load(path)


def load_json(run_dir: str | Path, name: str) -> dict | None:
    """A JSON artifact of the run, or None when the run does not have it."""
    path = require_run(run_dir) / name
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SegkitError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


def load_results(run_dir: str | Path) -> tuple[dict | None, dict | None]:
    """(metrics.json, segments.json) of the run, either None when absent; an error when both
    are, since then neither training nor segmentation has run there."""
    run = require_run(run_dir)
    metrics = load_json(run, METRICS)
    segments = load_json(run, SEGMENTS)
    if metrics is None and segments is None:
        raise SegkitError(f"{run}: neither metrics.json nor segments.json found; run "
                          "`segkit train`, `segkit segment` or `segkit demo` into this folder first")
    return metrics, segments


def load_ruleset_if_any(run_dir: str | Path):
    """The run's ruleset, or None when segmentation has not run."""
    path = require_run(run_dir) / RULESET
    if not path.exists():
        return None
    from toolkit.ruleset import Ruleset

    return Ruleset.load(path)


def run_fingerprints(metrics: dict | None, segments: dict | None) -> set[str]:
    """The data fingerprints recorded by training and segmentation (empty when neither did)."""
    found = {(metrics or {}).get("training", {}).get("data_fingerprint"),
             (segments or {}).get("settings", {}).get("data_fingerprint")}
    return {fp for fp in found if fp}


def load_run_data(run_dir: str | Path, data: str | Path | None, id_column: str):
    """The customer table a run was built from: ``data`` when given, else RUN/data.parquet,
    else None.

    A given table must hold the id column and be the table the run was trained or segmented
    on (same fingerprint): the run's split and assignments are joined to it by customer id,
    and next month's customers with the same ids would silently get last month's labels.
    """
    import polars as pl

    run = require_run(run_dir)
    if data is None:
        path = run / DATA
        return pl.read_parquet(path) if path.exists() else None
    from toolkit.io import fingerprint, load_table, require_columns

    frame = load_table(data)
    require_columns(frame, [id_column], "id column")
    known = run_fingerprints(load_json(run, METRICS), load_json(run, SEGMENTS))
    if known and fingerprint(frame) not in known:
        raise SegkitError(f"{data}: not the table this run was built from (its fingerprint "
                          f"{fingerprint(frame)} is not the run's {', '.join(sorted(known))}); "
                          "give the file `segkit train` or `segkit segment` read")
    return frame
