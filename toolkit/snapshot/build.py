"""Building the customer table at a date from raw logs: point in time by construction.

Every table is cut at as-of *before* anything is computed: a row takes part in a feature
only when its timestamp is before ``as_of + 1 day`` (the whole as-of day counts). The
features are aggregates of those rows (:mod:`toolkit.snapshot.features`), one lazy
``group_by`` per table run on Polars' streaming engine, joined on the customer id. The
label is the only thing that reads later rows: ``purchased_next_<H>d`` is 1 exactly when the
customer has an order (amount >= 0) dated in (as_of, as_of + H days], and it exists only
when the logs cover that whole window; otherwise the snapshot is a scoring snapshot
without a label, and says so.

Customers: those known at as-of, i.e. signed up at or before it (profile table) or with
any row, in any table, at or before it. Customers who only appear later are not in it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

from toolkit.data.files import atomic_write_frame, atomic_write_json, frame_format
from toolkit.errors import SegkitError
from toolkit.schema import GROUPS, ID_COLUMN
from toolkit.snapshot import features as F
from toolkit.snapshot.sources import CONSENTS, LogSources, Table

ID = ID_COLUMN
SIDECAR_SUFFIX = ".snapshot.json"
Progress = Callable[[str], None]


@dataclass
class Snapshot:
    """The customer table at ``as_of`` (``frame``), its label column (or None) and what the
    sidecar records (``info``)."""

    frame: pl.DataFrame
    label: str | None
    info: dict
    notes: list[str] = field(default_factory=list)

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.info["as_of"])

    @property
    def features_by_group(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for d in self.info["features"]:
            out.setdefault(d["group"], []).append(d["name"])
        return out


def label_name(horizon_days: int) -> str:
    return f"purchased_next_{horizon_days}d"


def sidecar_path(out: str | os.PathLike) -> Path:
    """``customers.parquet`` -> ``customers.parquet.snapshot.json``."""
    out = Path(out)
    return out.with_name(out.name + SIDECAR_SUFFIX)


def _cutoff(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of, dt.time()) + dt.timedelta(days=1)


def _past(table: Table, as_of: dt.date) -> pl.LazyFrame:
    """The table's rows at or before as-of, with ``_d`` = their age in whole days."""
    t = pl.col(table.time)
    return (table.frame.filter(t < _cutoff(as_of))
            .with_columns((pl.lit(as_of) - t.dt.date()).dt.total_days().alias("_d")))


def _merge_order_lines(past: pl.LazyFrame, table: Table) -> pl.LazyFrame:
    """Rows sharing an order id (line items) as one order: the earliest line's day, amounts and
    items summed, discount/refund if any line has it. Refund rows (negative amounts) stay
    rows. Done after the as-of cut, so a later line never changes an earlier order."""
    aggs = [pl.col("_d").max(), (F.units("amount").sum() / F.SCALE).alias("amount")]
    if table.has("items"):
        aggs.append(pl.col("items").sum())
    for flag in ("discount", "refunded"):
        if table.has(flag):
            aggs.append(pl.col(flag).any())
    if table.has("category"):
        aggs.append(pl.col("category").drop_nulls().first())
    orders = past.filter(F.ORDER).group_by(ID, "order_id").agg(aggs)
    refunds = past.filter(F.REFUND_ROW).select(orders.collect_schema().names())
    return pl.concat([orders, refunds], how="vertical_relaxed")


def select_features(sources: LogSources, schema_only: bool = False) -> tuple[list[F.Feature], list[dict]]:
    """The features these logs support, in order, and the skipped ones with the reason."""
    tables = sources.tables
    chosen: list[F.Feature] = []
    skipped: list[dict] = []
    for feature in (F.FEATURES if schema_only else F.ALL):
        table = tables.get(feature.table)
        if table is None:
            skipped.append({"name": feature.name, "why": f"no {feature.table} table"})
            continue
        if feature.name == "refund_rate" and not table.has("refunded"):
            # decided after the orders are aggregated, from refund rows at or before as-of
            # (never from later rows): see build_snapshot
            chosen.append(F.REFUND_RATE_FROM_ROWS)
            continue
        missing = [c for c in feature.needs if not table.has(c)]
        if missing:
            skipped.append({"name": feature.name,
                            "why": f"the {feature.table} table has no {', '.join(missing)} column"})
            continue
        chosen.append(feature)
    return chosen, skipped


def _aggregate(table: Table, as_of: dt.date, names: list[str]) -> pl.DataFrame:
    past = _past(table, as_of)
    if table.name == "orders" and table.counts.get("order_lines_merged"):
        past = _merge_order_lines(past, table)
    specs = F.AGGREGATES[table.name]
    exprs = [specs[n][0].alias(f"_a_{n}") for n in dict.fromkeys(names)]
    exprs += [pl.col("_d").max().alias(f"_seen_{table.name}"), pl.len().alias(f"_rows_{table.name}")]
    return past.group_by(ID).agg(exprs).collect(engine="streaming")


def _profiles(table: Table, as_of: dt.date) -> pl.DataFrame:
    keep = [c for c in F.PROFILE_COLUMNS if table.has(c)]
    consents = [pl.col(c).alias(f"_c_{c}") for c in CONSENTS if table.has(c)]
    return (_past(table, as_of)
            .select(pl.col(ID), *keep, *consents, pl.col("_d").alias("_signup_days"),
                    pl.col("_d").alias("_seen_profiles"), pl.lit(1, pl.UInt32).alias("_rows_profiles"))
            .collect(engine="streaming"))


def build_snapshot(sources: LogSources, as_of: dt.date, horizon_days: int = 30, *,
                   schema_only: bool = False, progress: Progress | None = None) -> Snapshot:
    """The customer table at ``as_of``: one row per customer known then, the features the
    logs support (:func:`select_features`) and, when the logs cover (as_of, as_of + H], the
    label ``purchased_next_<H>d``. Raises a one-line :class:`SegkitError` for a horizon
    <= 0 or no orders at or before as-of."""
    say = progress or (lambda _message: None)
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if horizon_days is None or int(horizon_days) <= 0:
        raise SegkitError(f"--horizon-days must be a positive number of days, got {horizon_days}")
    horizon_days = int(horizon_days)
    orders = sources.orders
    cutoff = _cutoff(as_of)
    if orders.first is None or orders.first >= cutoff:
        first = orders.first.date().isoformat() if orders.first else "never"
        raise SegkitError(f"{orders.path}: no orders at or before the as-of date {as_of} "
                          f"(the first order is on {first}); choose a later --as-of")

    chosen, skipped = select_features(sources, schema_only)
    frames: list[pl.DataFrame] = []
    for name, table in sources.tables.items():
        say(f"Aggregating {name} ({table.rows:,} rows)")
        if name == "profiles":
            frames.append(_profiles(table, as_of))
        else:
            names = [n for f in chosen if f.table == name for n in f.aggregates]
            if name == "orders":
                names.append("refund_rows")
            frames.append(_aggregate(table, as_of, names))

    if F.REFUND_RATE_FROM_ROWS in chosen:
        orders_agg = frames[list(sources.tables).index("orders")]
        if not int(orders_agg.get_column("_a_refund_rows").sum() or 0):
            chosen.remove(F.REFUND_RATE_FROM_ROWS)
            skipped.append({"name": "refund_rate", "why": "no refund flag column and no refund "
                            "rows (negative amounts) at or before as-of"})

    say("Joining the tables")
    ids = pl.concat([f.select(ID) for f in frames]).unique().sort(ID)
    base = ids
    for frame in frames:
        base = base.join(frame, on=ID, how="left")
    seen = [f"_seen_{n}" for n in sources.tables]
    signup = pl.col("_signup_days") if sources.profiles is not None else pl.lit(None, pl.Int64)
    base = base.with_columns(pl.coalesce(signup, pl.max_horizontal(seen)).alias("_known_days"))

    profile_consents = set()
    if sources.profiles is not None:
        profile_consents = {c for c in CONSENTS if sources.profiles.has(c)}
    exprs = [pl.col(ID)]
    for feature in chosen:
        expr = feature.final
        if feature.consent and feature.consent in profile_consents:
            expr = pl.when(pl.col(f"_c_{feature.consent}").fill_null(False)).then(expr).otherwise(None)
        exprs.append(expr.alias(feature.name))
    table = base.select(exprs)
    table = table.with_columns(pl.col(c).cast(pl.Int64) for c, t in table.schema.items()
                               if t in (pl.UInt32, pl.UInt64, pl.Int32))

    end = sources.end
    label = None
    label_rows = 0
    label_note = None
    window_end = as_of + dt.timedelta(days=horizon_days)
    if end >= window_end:
        label = label_name(horizon_days)
        say("Labelling")
        t = pl.col(orders.time)
        future = (orders.frame.filter((t >= cutoff) & (t < _cutoff(window_end)) & F.ORDER)
                  .group_by(ID).agg(pl.len().alias("_n")).collect(engine="streaming"))
        label_rows = int(future.get_column("_n").sum() or 0)
        table = table.with_columns(pl.col(ID).is_in(future.get_column(ID).implode())
                                   .cast(pl.Int8).alias(label))
    else:
        label_note = (f"the logs end on {end}, before as_of + {horizon_days} days = {window_end}: "
                      "no label (a scoring snapshot)")

    rows = table.height
    positives = int(table.get_column(label).sum()) if label else None
    sources_info = {}
    for name, tbl in sources.tables.items():
        used = frames[list(sources.tables).index(name)]
        entry = tbl.fingerprint()
        entry.update({"table": name, "rows": tbl.rows,
                      "rows_at_or_before_as_of": int(used.get_column(f"_rows_{name}").sum() or 0),
                      "columns": tbl.source_columns})
        if name == "orders":
            entry["rows_in_label_window"] = label_rows if label else None
            entry.update({k: v for k, v in tbl.counts.items()})
        sources_info[name] = entry
    notes = [n for t in sources.tables.values() for n in t.notes]
    if sources.marketing is not None:
        if sources.profiles is None:
            notes.append("no profile table: marketing features are computed for every customer "
                         "(no consent to check)")
        else:
            absent = [f.consent for f in chosen if f.consent and f.consent not in profile_consents]
            if absent:
                notes.append("the profile table has no " + ", ".join(sorted(set(absent)))
                             + " column: those marketing features are not gated by consent")
    if label_note:
        notes.append(label_note)
    info = {
        "as_of": as_of.isoformat(),
        "horizon_days": horizon_days,
        "label": label,
        "label_window": [(as_of + dt.timedelta(days=1)).isoformat(), window_end.isoformat()],
        "label_missing_reason": label_note,
        "logs_end": end.isoformat(),
        "rows": rows,
        "positives": positives,
        "positive_rate": (positives / rows if rows else None) if label else None,
        "id_column": ID,
        "groups": {g: [f.name for f in chosen if f.group == g] for g in GROUPS
                   if any(f.group == g for f in chosen)},
        "features": [f.definition() for f in chosen],
        "skipped_features": skipped,
        "sources": sources_info,
        "logs": sources.logs_info,
        "notes": notes,
        "time_rule": ("a row counts when its timestamp is before as_of + 1 day; 'last N days' = "
                      "dates in (as_of - N days, as_of]; the label window is (as_of, as_of + H days]"),
    }
    return Snapshot(frame=table, label=label, info=info, notes=notes)


def write_snapshot(snapshot: Snapshot, out: str | os.PathLike) -> Path:
    """Write the table (Parquet or CSV by extension) and ``<out>.snapshot.json``, each atomically."""
    out = Path(out)
    frame_format(out)
    atomic_write_frame(out, snapshot.frame)
    info = dict(snapshot.info)
    info["table"] = out.name
    atomic_write_json(sidecar_path(out), info)
    return out
