"""The figures the report computes itself (the rest it reads from the run's JSON files).

Missing rates from the customer table, the test customers by segment x propensity decile,
the scoring time scaled to the brief's size and the size-weighted purchase rate. Plain
dicts and numbers: :mod:`toolkit.report.sections` words them, :mod:`toolkit.report.build`
decides where they go.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import polars as pl

from toolkit import policy
from toolkit.data.files import atomic_write_text
from toolkit.model.metrics import decile_of
from toolkit.run import folder as runs
from toolkit.run.compare import supervised_figures, unsupervised_figures

TARGET_ROWS = policy.SCORING_TARGET_ROWS   # the bar: score 180K customers within SCORING_BUDGET_SECONDS
MIN_CELL = 20                   # segment x decile cells with fewer test customers are too noisy to target
SQL_CACHE = "scorecard_duckdb.sql"


@dataclass
class Figures:
    """Everything the sections read, loaded once: one version of each artifact per report.

    ``data`` is the customer table (the run's data.parquet or --data), ``data_source`` its
    file name; ``sf``/``uf`` the headline figures of :mod:`toolkit.run.compare`; ``notes``
    say why a figure is left out (timings older than the scorecard).
    """

    run: runs.Run
    metrics: dict | None
    segments: dict | None
    scorecard: Any
    ruleset: Any
    data: pl.DataFrame | None
    data_source: str
    timings: dict | None
    notes: list[str] = field(default_factory=list)
    sf: dict = field(default_factory=dict)
    uf: dict = field(default_factory=dict)
    decile_table: dict | None = None
    snapshot: Any = None   # toolkit.run.provenance.SnapshotInfo: the as-of date the rows are from
    backtest: Any = None   # provenance.Backtest: out-of-time folds (backtest.json)
    movement: Any = None   # provenance.Movement: who moved between segments (flow.json)

    @classmethod
    def read(cls, run: runs.Run, data: str | Path | None = None) -> "Figures":
        """Reads every artifact first (a broken one fails before any chart is drawn).
        ``data``: the customer table for a run without data.parquet (one made by `segkit
        train`), checked to be the table the run was built from (:meth:`Run.customer_table`)."""
        metrics, segments = run.results()
        timings, note = current_timings(run)
        scorecard = run.scorecard()
        ruleset = run.ruleset()   # read once: the report describes one version of the rules
        run.split()
        table = run.customer_table(data)
        from toolkit.run.provenance import recorded_backtest, recorded_movement, recorded_snapshot

        return cls(run=run, metrics=metrics, segments=segments, scorecard=scorecard, ruleset=ruleset,
                   data=table, data_source=Path(data).name if data is not None else runs.DATA,
                   timings=timings, notes=[note] if note else [],
                   sf=supervised_figures(metrics), uf=unsupervised_figures(segments),
                   decile_table=segment_decile_table(run, table, ruleset),
                   snapshot=recorded_snapshot(run), backtest=recorded_backtest(run),
                   movement=recorded_movement(run))

    @property
    def profiles(self) -> list[dict]:
        return (self.segments or {}).get("profiles") or []

    @property
    def overall_rate(self) -> float | None:
        """Purchase rate over every customer the profiles cover (size-weighted)."""
        return overall_rate(self.profiles)


def current_timings(run: runs.Run) -> tuple[dict | None, str | None]:
    """timings.json and a note, or (None, why) when it is older than scorecard.json: written
    by an earlier run into the same folder, so its seconds are not this model's."""
    timings = run.timings()
    if timings is not None and run.older(runs.TIMINGS, runs.SCORECARD):
        return None, ("timings.json is older than scorecard.json (left by an earlier run in this "
                      "folder), so its times are not reported")
    return timings, None


def missing_rates(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, float]:
    """Share of missing values (null, and NaN in float columns) per column."""
    out = {}
    n = max(frame.height, 1)
    for c in columns:
        if c not in frame.columns:
            continue
        s = frame.get_column(c)
        miss = s.null_count()
        if s.dtype.is_float():
            miss += int(s.is_nan().fill_null(False).sum())
        out[c] = miss / n
    return out


def derived_missing_rates(data: pl.DataFrame, derived: Sequence[dict]) -> dict[str, float]:
    """Missing rates of the run's derived ratios (metrics.json ``derived_features``), computed
    from the customer table; ratios whose inputs the table lacks are left out."""
    from toolkit.model.features import Ratio, add_derived

    ratios = [Ratio.from_dict(d) for d in derived]
    ok = [r for r in ratios if r.numerator in data.columns and r.denominator in data.columns]
    return missing_rates(add_derived(data.select(
        list({c for r in ok for c in (r.numerator, r.denominator)})), ok), [r.name for r in ok])


def segment_decile_table(run: runs.Run, data: pl.DataFrame | None, ruleset) -> dict | None:
    """Test customers by segment x propensity decile: counts and actual purchase rates.

    Uses only customers labelled ``test`` in split.parquet (never seen by training or the
    threshold choice); probabilities from the scorecard, segments from the ruleset. None
    when there is no customer table (``data``: the run's data.parquet or --data), no
    split.parquet, scorecard or ``ruleset``. Deciles are :func:`toolkit.model.metrics.decile_of`,
    so the totals row equals metrics.json's test deciles.
    """
    split, scorecard = run.split(), run.scorecard()
    if any(x is None for x in (data, split, scorecard, ruleset)):
        return None
    idc, target = run.id_column, run.target
    if target not in data.columns:
        return None
    test_ids = split.filter(pl.col("split") == "test").get_column(idc)
    test = data.filter(pl.col(idc).is_in(test_ids.implode()))
    if test.height == 0:
        return None
    proba = np.asarray(scorecard.predict_proba(test), dtype=float)
    seg = ruleset.apply(test).get_column("segment").to_numpy()
    y = test.get_column(target).cast(pl.Float64).to_numpy()
    dec = decile_of(proba)
    order = [s.id for s in ruleset.segments] + [ruleset.default.id]
    names = dict(ruleset.names)
    rows = []
    for sid in order:
        mask = seg == sid
        cells = []
        for d in range(1, 11):
            m = mask & (dec == d)
            n = int(m.sum())
            cells.append({"decile": d, "customers": n, "purchase_rate": float(y[m].mean()) if n else None})
        n_seg = int(mask.sum())
        rows.append({"segment": sid, "name": names.get(sid, sid), "customers": n_seg,
                     "purchase_rate": float(y[mask].mean()) if n_seg else None,
                     "buyers": float(y[mask].sum()), "cells": cells})
    base = float(y.mean())
    totals = [{"decile": d, "customers": int((dec == d).sum()),
               "purchase_rate": float(y[dec == d].mean()) if (dec == d).any() else None}
              for d in range(1, 11)]
    return {"rows": rows, "totals": totals, "test_customers": int(test.height), "base_rate": base}


def decile_spread(table: dict) -> float | None:
    """Largest gap in actual purchase rate between two propensity deciles of one segment
    (cells with MIN_CELL+ test customers); None when no segment has two such cells."""
    spread = []
    for r in table["rows"]:
        rates = [c["purchase_rate"] for c in r["cells"] if c["customers"] >= MIN_CELL]
        if len(rates) >= 2:
            spread.append(max(rates) - min(rates))
    return max(spread) if spread else None


def scoring_time(timings: dict | None) -> dict | None:
    """Measured scoring seconds and their linear scaling to TARGET_ROWS (timings.json)."""
    t = timings or {}
    seconds = (t.get("seconds") or {}).get("score")
    rows = t.get("rows")
    if seconds is None or not rows:
        return None
    scaled = seconds * TARGET_ROWS / rows
    return {"seconds": seconds, "rows": rows, "scaled": scaled, "scaled_from_other_size": rows != TARGET_ROWS}


def overall_rate(profiles: Sequence[dict]) -> float | None:
    """Purchase rate over every customer the profiles cover (size-weighted)."""
    ps = [p for p in profiles if p.get("purchase_rate") is not None]
    total = sum(p["size"] for p in ps)
    return sum(p["size"] * p["purchase_rate"] for p in ps) / total if total else None


def scorecard_sql(run: runs.Run, files: Path) -> tuple[str, Path, bool] | None:
    """(SQL, path, from_cache): the scorecard compiled for DuckDB, cached in report_files.

    The cache's first line records the scorecard file's SHA-256; a different scorecard
    rebuilds it. Compiling a 50-term scorecard takes tens of seconds, hence the cache.
    """
    card = run.scorecard()
    if card is None:
        return None
    digest = hashlib.sha256(run.file(runs.SCORECARD).read_bytes()).hexdigest()
    path = files / SQL_CACHE
    header = f"-- segkit scorecard sha256:{digest} dialect:duckdb table:customers\n"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if text.startswith(header):
            return text[len(header):], path, True
    sql = card.to_sql("duckdb")
    atomic_write_text(path, header + sql)
    return sql, path, False
