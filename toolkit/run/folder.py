"""A run folder and the artifacts in it: :class:`Run`, read the same way by the CLI, the TUI,
the report, compare and monitor, and written by training and segmentation.

RUN_DIR/
  scorecard.json       the compiled EBM (toolkit.model.scorecard)                      train
  metrics.json         held-out metrics, baselines, leakage audit, training data train
  split.parquet        customer id -> train / validation / test                  train
  segments.yaml        the distilled ruleset (toolkit.ruleset), users edit it    segment
  segments.json        clustering candidates, stability, fidelity, profiles     segment
  assignments.parquet  customer id -> k-means cluster, segment                   segment
  scores.parquet       the run's own customers scored (probability, reasons)     score / demo
  data.parquet         the customer table the run was built from                 demo
  timings.json         seconds per step of the demo                              demo
  monitor.json         the last `segkit monitor` result                          monitor
  report.md, report.html, report_files/                                          report

Every name is defined here once; a new artifact is one constant here plus, when something
reads it, one loader on :class:`Run`. Functions that read a run accept a path or a Run
(:meth:`Run.of`), so a caller holding a Run (the report calling compare, the TUI's
:class:`toolkit.run.view.RunView`) shares one set of cached reads.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from toolkit import schema
from toolkit.errors import SegkitError

if TYPE_CHECKING:  # heavy modules: imported where a loader needs them
    import polars as pl

    from toolkit.ruleset import Ruleset
    from toolkit.model.scorecard import Scorecard

SCORECARD = "scorecard.json"
METRICS = "metrics.json"
SPLIT = "split.parquet"
RULESET = "segments.yaml"
SEGMENTS = "segments.json"
ASSIGNMENTS = "assignments.parquet"
SCORES = "scores.parquet"
DATA = "data.parquet"
TIMINGS = "timings.json"
MONITOR = "monitor.json"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
REPORT_FILES = "report_files"
SNAPSHOT = "snapshot.json"
"""The sidecar of the snapshot the run's table came from (as-of, horizon, sources), if any."""
BACKTEST = "backtest.json"
"""`segkit backtest --run RUN`: out-of-time folds for a run whose rows come from logs."""
BACKTEST_CHART = "backtest.png"
"""The backtest's ROC-AUC-per-fold chart, beside backtest.json (the report shows it)."""
FLOW = "flow.json"
"""`segkit rules flow --run RUN`: segment movement between two snapshots (the Movement view)."""

TRAIN_OUTPUTS = (SCORECARD, METRICS, SPLIT)
"""What `segkit train` (:func:`toolkit.model.train.save_run`) writes."""
SEGMENT_OUTPUTS = (RULESET, SEGMENTS, ASSIGNMENTS)
"""What `segkit segment` (:func:`toolkit.segments.pipeline.run_segmentation`) writes."""

_ABSENT = object()


def read_json_object(path: Path, what: str) -> dict:
    """A JSON file that must hold an object (a run's JSON artifact, a snapshot sidecar); one
    line naming the file when it is not JSON, cannot be read, or holds something else."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SegkitError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                          f"{exc.msg})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SegkitError(f"{path}: cannot read ({exc})") from None
    if not isinstance(value, dict):
        raise SegkitError(f"{path}: not {what} (the file holds a JSON {type(value).__name__}, "
                          "not an object)")
    return value


class Run:
    """One run folder: where each artifact lives and typed, cached loaders for them.

    A Run is a lazy snapshot: each artifact is read on first use and kept (absent ones as
    None), so the report, compare and a viewer read a file once and agree on it; make a new
    Run to see files rewritten since. The exception is :meth:`ruleset`, the file analysts
    edit: it is read afresh on every call (and :class:`toolkit.ruleset.Ruleset` is mutable,
    so no two callers share one). Loaders are thread-safe. A missing or corrupt file is one
    readable :class:`SegkitError` line naming it.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}

    @classmethod
    def of(cls, run: "Run | str | os.PathLike") -> "Run":
        """``run`` itself when it is a Run, else the Run at that path; the folder must exist."""
        out = run if isinstance(run, Run) else cls(run)
        if not out.path.is_dir():
            raise SegkitError(f"{out.path}: no such run folder (create one with `segkit demo` "
                              "or `segkit train`)")
        return out

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @property
    def name(self) -> str:
        """The folder's name (resolved, so ``.`` names the current folder)."""
        return self.path.resolve().name

    # -- where things are ---------------------------------------------------------------------
    def file(self, name: str) -> Path:
        """Path of the artifact ``name`` (one of this module's constants)."""
        return self.path / name

    def has(self, name: str) -> bool:
        return self.file(name).exists()

    def existing(self, name: str) -> Path | None:
        """Path of the artifact when the run has it, else None."""
        path = self.file(name)
        return path if path.exists() else None

    def older(self, name: str, than: str) -> bool:
        """Whether artifact ``name`` was written before ``than`` (both present): a leftover of
        an earlier run into the same folder."""
        a, b = self.file(name), self.file(than)
        return a.exists() and b.exists() and a.stat().st_mtime < b.stat().st_mtime

    # -- loaders ------------------------------------------------------------------------------
    def _cached(self, key: str, load: Callable[[], Any]) -> Any:
        with self._lock:
            value = self._cache.get(key, _ABSENT)
            if value is _ABSENT:
                value = load()  # an error is raised again on the next call, never cached
                self._cache[key] = value
            return value

    def json(self, name: str) -> dict | None:
        """A JSON artifact (an object), or None when the run does not have it."""
        def load() -> dict | None:
            path = self.file(name)
            return read_json_object(path, f"a segkit {name}") if path.exists() else None

        return self._cached(f"json:{name}", load)

    def metrics(self) -> dict | None:
        """metrics.json, or None when the run was not trained."""
        return self.json(METRICS)

    def segments_summary(self) -> dict | None:
        """segments.json, or None when segmentation has not run."""
        return self.json(SEGMENTS)

    def timings(self) -> dict | None:
        """timings.json (demo runs), or None."""
        return self.json(TIMINGS)

    def results(self) -> tuple[dict | None, dict | None]:
        """(metrics.json, segments.json), either None when absent; an error when both are,
        since then neither training nor segmentation has run here."""
        metrics, segments = self.metrics(), self.segments_summary()
        if metrics is None and segments is None:
            raise SegkitError(f"{self.path}: neither metrics.json nor segments.json found; run "
                              "`segkit train`, `segkit segment` or `segkit demo` into this folder first")
        return metrics, segments

    def scorecard(self) -> "Scorecard | None":
        """The compiled model, or None when the run has no scorecard.json."""
        def load():
            path = self.file(SCORECARD)
            if not path.exists():
                return None
            from toolkit.model.scorecard import Scorecard

            return Scorecard.load(path)

        return self._cached(f"scorecard:{SCORECARD}", load)

    def require_scorecard(self) -> "Scorecard":
        """The compiled model; an error saying how to make one when the run has none."""
        card = self.scorecard()
        if card is None:
            raise SegkitError(f"{self.file(SCORECARD)}: the run has no scorecard; train one with "
                              f"`segkit train --out {self.path}`")
        return card

    def ruleset(self) -> "Ruleset | None":
        """The run's ruleset (segments.yaml), read afresh, or None when segmentation has not run."""
        path = self.file(RULESET)
        if not path.exists():
            return None
        from toolkit.ruleset import Ruleset

        return Ruleset.load(path)

    def _parquet(self, name: str) -> "pl.DataFrame | None":
        def load():
            path = self.file(name)
            if not path.exists():
                return None
            import polars as pl

            try:
                return pl.read_parquet(path)
            except Exception as exc:  # noqa: BLE001 - a corrupt file: one readable line
                raise SegkitError(f"{path}: cannot read ({str(exc).splitlines()[0]})") from None

        return self._cached(name, load)

    def split(self) -> "pl.DataFrame | None":
        """split.parquet (customer id, split: train / validation / test), or None."""
        return self._parquet(SPLIT)

    def data(self) -> "pl.DataFrame | None":
        """data.parquet, the customer table the run was built from (demo runs), or None."""
        return self._parquet(DATA)

    def assignments(self) -> "pl.DataFrame | None":
        """assignments.parquet (customer id, cluster, segment), or None."""
        return self._parquet(ASSIGNMENTS)

    # -- what the run recorded ----------------------------------------------------------------
    def _quiet(self, load: Callable[[], dict | None]) -> dict:
        try:
            return load() or {}
        except SegkitError:  # a broken file is reported by whoever loads it for its content
            return {}

    def training(self) -> dict:
        """metrics.json's ``training`` block ({} when not trained or unreadable)."""
        return self._quiet(self.metrics).get("training") or {}

    def segmentation_settings(self) -> dict:
        """segments.json's ``settings`` ({} when segmentation has not run or is unreadable)."""
        return self._quiet(self.segments_summary).get("settings") or {}

    @property
    def id_column(self) -> str:
        """The customer id column: training's, else the scorecard's, else segmentation's, else
        :data:`toolkit.schema.ID_COLUMN`."""
        found = self.training().get("id_column")
        if not found and self.has(SCORECARD):
            try:
                found = self.require_scorecard().id_column
            except SegkitError:
                found = None
        return found or self.segmentation_settings().get("id_column") or schema.ID_COLUMN

    @property
    def target(self) -> str:
        """The target column training used, else :data:`toolkit.schema.TARGET_COLUMN`."""
        return self.training().get("target") or schema.TARGET_COLUMN

    def fingerprints(self) -> dict[str, str]:
        """The data fingerprints the run recorded: ``{"training": .., "segmentation": ..}``
        (keys absent when that step did not run or did not record one)."""
        return recorded_fingerprints(self._quiet(self.metrics), self._quiet(self.segments_summary))

    def customer_table(self, data: str | os.PathLike | None = None) -> "pl.DataFrame | None":
        """The customer table the run was built from: ``data`` when given, else data.parquet,
        else None.

        A given table must hold the id column and be the table the run was trained or
        segmented on (same fingerprint): the run's split and assignments are joined to it by
        customer id, and next month's customers with the same ids would silently get last
        month's labels.
        """
        if data is None:
            return self.data()
        from toolkit.data.io import fingerprint, load_table, require_columns

        frame = load_table(data)
        require_columns(frame, [self.id_column], "id column")
        known = set(recorded_fingerprints(self.metrics(), self.segments_summary()).values())
        if known and fingerprint(frame) not in known:
            raise SegkitError(f"{data}: not the table this run was built from (its fingerprint "
                              f"{fingerprint(frame)} is not the run's {', '.join(sorted(known))}); "
                              "give the file `segkit train` or `segkit segment` read")
        return frame


def recorded_fingerprints(metrics: dict | None, segments: dict | None) -> dict[str, str]:
    """The data fingerprints recorded in metrics.json and segments.json, by step."""
    out = {}
    fp = ((metrics or {}).get("training") or {}).get("data_fingerprint")
    if fp:
        out["training"] = str(fp)
    fp = ((segments or {}).get("settings") or {}).get("data_fingerprint")
    if fp:
        out["segmentation"] = str(fp)
    return out
