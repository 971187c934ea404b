"""Where a run's rows came from, and what was recorded about them over time.

A run trained on a snapshot (``segkit snapshot`` writes ``<table>.snapshot.json`` beside
its table) keeps a copy of that sidecar as RUN/snapshot.json, so the report and the TUI can
say which as-of date and label horizon the rows are from, long after the table has moved.
``segkit rules flow --run RUN`` records the movement between two snapshots as RUN/flow.json
(each big flow with the campaign it suggests), and ``segkit backtest --run RUN`` the
out-of-time folds as RUN/backtest.json. This module writes the first two and reads all
three back, checked, as small records (:class:`SnapshotInfo`, :class:`Movement`,
:class:`Backtest`) for :class:`toolkit.run.view.RunView` and the report: a broken file is one
readable :class:`SegkitError` line naming it, never a KeyError deep in a viewer.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.data.files import atomic_write_bytes, atomic_write_json
from toolkit.errors import SegkitError
from toolkit.run import folder as runs

SIDECAR_SUFFIX = ".snapshot.json"
"""``segkit snapshot --out T`` writes its sidecar to ``T`` + this suffix."""
BACKTEST_CHART = runs.BACKTEST_CHART
"""The AUC-per-fold chart ``segkit backtest --run RUN`` writes beside backtest.json."""
METRICS = ("roc_auc", "pr_auc", "f1", "lift_top_decile")
"""What backtest.json records for the model and each baseline, per fold."""
BASELINE_ORDER = ("recency", "rfm_logistic", "bgnbd", "oracle")


# ---------------------------------------------------------------------------------------
# Snapshot sidecars
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SnapshotInfo:
    """The parts of a snapshot sidecar the run speaks about (the rest stays in the file)."""

    as_of: date
    horizon_days: int | None
    label: str | None
    rows: int | None
    positives: int | None

    @property
    def positive_rate(self) -> float | None:
        return self.positives / self.rows if self.rows and self.positives is not None else None


def sidecar_path(table: str | os.PathLike) -> Path:
    """Where ``segkit snapshot`` puts the sidecar of ``table``: ``customers.parquet`` ->
    ``customers.parquet.snapshot.json``."""
    table = Path(table)
    return table.with_name(table.name + SIDECAR_SUFFIX)


def _read_object(path: Path) -> dict:
    return runs.read_json_object(path, "a snapshot sidecar")


def _count(doc: dict, key: str, where: Path | str, *, positive: bool = False) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < (1 if positive else 0):
        need = "a whole number of days above 0" if positive else "a count (a whole number >= 0)"
        raise SegkitError(f"{where}: '{key}' is {value!r}; it must be {need}")
    return value


def snapshot_info(doc: dict, where: Path | str) -> SnapshotInfo:
    """The checked summary of a sidecar document (``where`` names it in errors)."""
    raw = doc.get("as_of")
    try:
        as_of = date.fromisoformat(str(raw)[:10]) if raw is not None else None
    except ValueError:
        as_of = None
    if as_of is None:
        raise SegkitError(f"{where}: 'as_of' is {raw!r}; a snapshot sidecar needs its as-of date "
                          "as YYYY-MM-DD (write it again with `segkit snapshot`)")
    label = doc.get("label")
    return SnapshotInfo(as_of=as_of, horizon_days=_count(doc, "horizon_days", where, positive=True),
                        label=label if isinstance(label, str) and label else None,
                        rows=_count(doc, "rows", where), positives=_count(doc, "positives", where))


def read_sidecar(table: str | os.PathLike) -> tuple[dict, SnapshotInfo] | None:
    """(document, checked summary) of ``table``'s snapshot sidecar, or None when it has none."""
    path = sidecar_path(table)
    if not path.is_file():
        return None
    doc = _read_object(path)
    return doc, snapshot_info(doc, path)


def record_snapshot(run_dir: str | os.PathLike, table: str | os.PathLike,
                    rows: int | None = None) -> tuple[SnapshotInfo | None, str | None]:
    """Copy ``table``'s sidecar into ``run_dir`` as snapshot.json (atomically) after a run was
    trained on ``table``; returns (what was recorded or None, a note for the user or None).

    ``rows``: the rows training read; a sidecar counting other rows describes an earlier
    version of the table, so it is not copied (said in the note). Without a sidecar, a
    snapshot.json left in the folder by an earlier run is removed: the run's rows no longer
    come from that snapshot, and the report must not say they do.
    """
    run = runs.Run(run_dir)
    target = run.file(runs.SNAPSHOT)
    found = read_sidecar(table)
    if found is None:
        if target.exists():
            target.unlink()
            return None, (f"removed {target}: left by an earlier run; {table} has no "
                          f"{sidecar_path(table).name}")
        return None, None
    _, info = found
    if rows is not None and info.rows is not None and info.rows != rows:
        if target.exists():
            target.unlink()
        return None, (f"{sidecar_path(table)} describes {info.rows:,} rows but {table} has "
                      f"{rows:,}: it belongs to an earlier version of the table, so the run "
                      "records no snapshot (run `segkit snapshot` again)")
    atomic_write_bytes(target, sidecar_path(table).read_bytes())  # the file itself, unchanged
    return info, None


def recorded_snapshot(run: "runs.Run | str | os.PathLike") -> SnapshotInfo | None:
    """RUN/snapshot.json's summary, or None when the run's rows do not come from a snapshot."""
    run = runs.Run.of(run)
    doc = run.json(runs.SNAPSHOT)
    return None if doc is None else snapshot_info(doc, run.file(runs.SNAPSHOT))


def snapshot_sentence(info: SnapshotInfo) -> str:
    """Which as-of date and horizon a run's rows are from, in one sentence."""
    text = f"a point-in-time snapshot as of {info.as_of.isoformat()}"
    if info.label and info.horizon_days:
        text += (f": features use only rows at or before that date, and {info.label} is 1 for "
                 f"customers with an order in the {info.horizon_days} days after it")
    elif info.horizon_days:
        text += f" (horizon {info.horizon_days} days, no label: a scoring snapshot)"
    if info.rows is not None:
        text += f"; {info.rows:,} customers"
        if info.positive_rate is not None:
            text += f", {info.positive_rate:.1%} positive"
    return text + "."


# ---------------------------------------------------------------------------------------
# Movement (flow.json)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Movement:
    """A recorded flow (:class:`toolkit.ruleset.flow.Flow`) with what flow.json adds: the
    campaign each big flow suggests and the two snapshots' as-of dates (None: unknown)."""

    flow: Any  # toolkit.ruleset.flow.Flow
    campaigns: dict[tuple[str, str], dict] = field(default_factory=dict)
    as_of: dict[str, str | None] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)

    def biggest(self, n: int = 3) -> list[tuple[Any, dict | None]]:
        """The ``n`` biggest moves between segments, each with its campaign (or None)."""
        return [(m, self.campaigns.get((m.source, m.target))) for m in self.flow.biggest(n)]

    @property
    def period(self) -> str:
        """"2026-05-31 -> 2026-06-30", or the file names when the dates are unknown."""
        a, b = self.as_of.get("before"), self.as_of.get("after")
        if a and b:
            return f"{a} -> {b}"
        fa, fb = self.files.get("before"), self.files.get("after")
        return f"{fa or 'A'} -> {fb or 'B'}"


def flow_document(flow: Any, ruleset: Any, before: str | os.PathLike,
                  after: str | os.PathLike) -> dict:
    """The JSON of a flow as ``rules flow --json/--run`` write it: :meth:`Flow.to_json` with
    each biggest flow's campaign (:func:`toolkit.segments.campaigns.flow_campaigns`), the two
    files and their snapshots' as-of dates (from their sidecars, None without one).

    Two snapshots whose as-of dates run backwards are a user error: every flow would be
    read the wrong way round ("became" means from --data to --then).
    """
    from toolkit.ruleset.flow import BIGGEST_IN_JSON
    from toolkit.segments.campaigns import flow_campaigns

    dates = {}
    for key, table in (("before", before), ("after", after)):
        found = read_sidecar(table)
        dates[key] = found[1].as_of if found else None
    if dates["before"] and dates["after"] and dates["before"] > dates["after"]:
        raise SegkitError(f"--data {before} is a snapshot as of {dates['before']} but --then "
                          f"{after} is as of {dates['after']}: give the earlier snapshot as "
                          "--data and the later one as --then")
    doc = flow.to_json(campaigns=flow_campaigns(flow, ruleset, BIGGEST_IN_JSON))
    doc["files"] = {"before": Path(before).name, "after": Path(after).name}
    doc["as_of"] = {k: (d.isoformat() if d else None) for k, d in dates.items()}
    return doc


def record_flow(run: "runs.Run | str | os.PathLike", doc: dict) -> Path:
    """Write a :func:`flow_document` to RUN/flow.json atomically; the run folder must exist."""
    run = runs.Run.of(run)
    return atomic_write_json(run.file(runs.FLOW), doc, allow_nan=False)


def movement_of(doc: dict, where: str = "flow.json") -> Movement:
    """A checked :class:`Movement` from a flow document."""
    from toolkit.ruleset.flow import Flow

    flow = Flow.from_json(doc, where)
    campaigns = {}
    for entry in doc.get("biggest") or []:
        if isinstance(entry, dict) and isinstance(entry.get("campaign"), dict):
            campaigns[(str(entry.get("from")), str(entry.get("to")))] = entry["campaign"]

    def pair(key: str) -> dict[str, str | None]:
        value = doc.get(key)
        value = value if isinstance(value, dict) else {}
        return {k: (str(value[k]) if value.get(k) is not None else None) for k in ("before", "after")}

    return Movement(flow=flow, campaigns=campaigns, as_of=pair("as_of"), files=pair("files"))


def recorded_movement(run: "runs.Run | str | os.PathLike") -> Movement | None:
    """RUN/flow.json as a :class:`Movement`, or None when no flow was recorded."""
    run = runs.Run.of(run)
    doc = run.json(runs.FLOW)
    return None if doc is None else movement_of(doc, str(run.file(runs.FLOW)))


# ---------------------------------------------------------------------------------------
# Backtest (backtest.json)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BacktestFold:
    """One out-of-time fold: trained at ``train_as_of``, judged on ``test_as_of``."""

    train_as_of: str
    test_as_of: str
    rows: int | None
    positives: int | None
    model: dict[str, float | None]
    baselines: dict[str, dict[str, float | None]]

    def beats(self, metric: str = "roc_auc", exclude: tuple[str, ...] = ("oracle",)) -> bool | None:
        """Whether the model is above every baseline (the oracle aside) on ``metric``; None
        when the model or all baselines lack it."""
        mine = self.model.get(metric)
        theirs = [b.get(metric) for k, b in self.baselines.items() if k not in exclude]
        theirs = [v for v in theirs if v is not None]
        if mine is None or not theirs:
            return None
        return all(mine > v for v in theirs)


@dataclass(frozen=True)
class Backtest:
    folds: list[BacktestFold]

    @property
    def baseline_names(self) -> list[str]:
        """Baselines any fold has, in the documented order (others after, alphabetically)."""
        seen = {k for f in self.folds for k in f.baselines}
        return [b for b in BASELINE_ORDER if b in seen] + sorted(seen - set(BASELINE_ORDER))


def _metrics(value: Any, where: str) -> dict[str, float | None]:
    if not isinstance(value, dict):
        raise SegkitError(f"{where} is not an object of metrics ({', '.join(METRICS)})")
    out: dict[str, float | None] = {}
    for key in METRICS:
        v = value.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not math.isfinite(v)):
            raise SegkitError(f"{where}.{key} is {v!r}, not a number")
        out[key] = None if v is None else float(v)
    return out


def backtest_of(doc: Any, where: str = "backtest.json") -> Backtest:
    """A checked :class:`Backtest` from a backtest.json document."""
    folds = doc.get("folds") if isinstance(doc, dict) else None
    if not isinstance(folds, list) or not folds:
        raise SegkitError(f"{where}: not a segkit backtest (no 'folds' list); write it again "
                          "with `segkit backtest --run RUN`")
    out = []
    for i, f in enumerate(folds, start=1):
        at = f"{where}: fold {i}"
        if not isinstance(f, dict):
            raise SegkitError(f"{at} is not an object")
        for key in ("train_as_of", "test_as_of"):
            if not isinstance(f.get(key), str):
                raise SegkitError(f"{at} has no '{key}' date")
        baselines = f.get("baselines") or {}
        if not isinstance(baselines, dict):
            raise SegkitError(f"{at}: 'baselines' is not an object")
        out.append(BacktestFold(
            train_as_of=f["train_as_of"], test_as_of=f["test_as_of"],
            rows=_count(f, "rows", at), positives=_count(f, "positives", at),
            model=_metrics(f.get("model"), f"{at}: model"),
            baselines={str(k): _metrics(v, f"{at}: baselines.{k}") for k, v in baselines.items()}))
    return Backtest(out)


def recorded_backtest(run: "runs.Run | str | os.PathLike") -> Backtest | None:
    """RUN/backtest.json as a :class:`Backtest`, or None when no backtest was recorded."""
    run = runs.Run.of(run)
    doc = run.json(runs.BACKTEST)
    return None if doc is None else backtest_of(doc, str(run.file(runs.BACKTEST)))
