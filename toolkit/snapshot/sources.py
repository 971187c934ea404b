"""Reading raw logs (orders, sessions, marketing events, profiles) for a snapshot.

Each table is scanned lazily, its columns mapped to segkit's names and its types checked in
one aggregate pass, so a 20-million-row sessions file is validated without being held in
memory. Every problem a user can fix is one :class:`~toolkit.errors.DataError` line that
names the file and the column, like the customer-table loader's: a missing column with the
closest existing names, timestamps that do not parse (with examples), an id column with
empty values (with the count), an amount that is not a number.

Column mapping: ``id_column``, ``time_column`` and ``amount_column`` name the orders'
customer id, order time and amount (the id name applies to every table). The other columns
are recognised by their names in the logs contract (``/tmp/logs_spec.md``) plus a few
aliases (:data:`ORDER_OPTIONAL`, :data:`TIME_ALIASES`). Whatever the source, the scanned
frames use the canonical names: ``customer_id`` (String), a ``pl.Datetime("us")`` time
column (naive UTC), ``amount`` (Float64), booleans as ``pl.Boolean``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.data.io import NULL_MARKERS, csv_schema, csv_separator, read_error, suggest, table_format
from toolkit.errors import DataError
from toolkit.schema import ID_COLUMN

ID = ID_COLUMN
TABLES = ("orders", "sessions", "marketing", "profiles")
# file names in a logs folder (as written by `segkit generate --logs`)
LOG_FILES = {"orders": "orders", "sessions": "sessions", "marketing": "marketing",
             "profiles": "customers"}
LOGS_JSON = "logs.json"
# canonical time column per table, then the other names accepted for it
TIME_COLUMNS = {"orders": "ordered_at", "sessions": "started_at", "marketing": "event_at",
                "profiles": "signup_at"}
TIME_ALIASES = {
    "sessions": ("session_start", "started", "timestamp", "time"),
    "marketing": ("timestamp", "sent_at", "time", "occurred_at"),
    "profiles": ("signup_date", "signed_up_at", "created_at", "registered_at"),
}
# optional order columns: canonical name -> accepted source names (first found wins)
ORDER_OPTIONAL = {
    "order_id": ("order_id", "order", "order_number"),
    "items": ("items", "quantity", "qty"),
    "discount": ("discount", "discount_amount", "discounted", "used_discount"),
    "refunded": ("refunded", "refund", "is_refund"),
    "category": ("category", "product_category"),
}
SESSION_COUNTS = ("page_views", "product_views", "searches", "cart_adds", "checkout_starts",
                  "wishlist_adds", "reviews_written", "support_tickets")
SESSION_OPTIONAL = ("duration_s", *SESSION_COUNTS, "is_app", "device")
MARKETING_REQUIRED = ("channel", "event")
PROFILE_FIELDS = ("country", "device_type", "acquisition_channel", "loyalty_tier",
                  "newsletter_subscriber", "age")
CONSENTS = ("email_consent", "push_enabled", "sms_opt_in", "offers_opt_in")
BOOL_COLUMNS = {"discount", "refunded", "is_app", "newsletter_subscriber", *CONSENTS}
NUMERIC_COLUMNS = {"amount", "items", "duration_s", *SESSION_COUNTS, "age"}
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M",
                     "%Y-%m-%d %H:%M")


@dataclass
class Table:
    """One validated log table: its lazy, normalised frame and what was learnt reading it."""

    name: str
    path: Path
    frame: pl.LazyFrame
    time: str                     # canonical time column in ``frame``
    columns: tuple[str, ...]      # canonical columns present in ``frame``
    source_columns: dict[str, str]  # canonical -> column name in the file
    rows: int
    first: dt.datetime | None
    last: dt.datetime | None
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def has(self, column: str) -> bool:
        return column in self.columns

    def fingerprint(self) -> dict[str, Any]:
        """Path, size, modification time and a SHA-256 of the bytes: which file the snapshot read."""
        stat = self.path.stat()
        digest = hashlib.sha256()
        with open(self.path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return {"path": str(self.path), "size": stat.st_size,
                "mtime": dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc).isoformat(timespec="seconds"),
                "sha256": digest.hexdigest()}


@dataclass
class LogSources:
    """The logs a snapshot is built from (``orders`` always; the others when given)."""

    orders: Table
    sessions: Table | None = None
    marketing: Table | None = None
    profiles: Table | None = None
    logs_info: dict | None = None
    logs_dir: Path | None = None

    @property
    def tables(self) -> dict[str, Table]:
        return {name: t for name in TABLES if (t := getattr(self, name)) is not None}

    @property
    def end(self) -> dt.date:
        """The last day the logs cover: logs.json's ``end``, else the latest order's date."""
        if self.logs_info and self.logs_info.get("end"):
            return dt.date.fromisoformat(str(self.logs_info["end"]))
        assert self.orders.last is not None
        return self.orders.last.date()

    @property
    def default_as_of(self) -> dt.date | None:
        value = (self.logs_info or {}).get("default_as_of")
        return dt.date.fromisoformat(str(value)) if value else None


# ---------------------------------------------------------------------------------------
# reading


def _scan(path: Path) -> pl.LazyFrame:
    """A lazy scan of a CSV or Parquet file; CSV types come from every row, like the loader's."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a .csv or .parquet file")
    fmt = table_format(path)
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    try:
        if fmt == "parquet":
            frame = pl.scan_parquet(path)
            frame.collect_schema()
            return frame
        schema = csv_schema(path)
        return pl.scan_csv(path, schema_overrides=schema, null_values=NULL_MARKERS,
                           separator=csv_separator(path), try_parse_dates=False)
    except DataError:
        raise
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise read_error(path, fmt, exc) from None


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    for name in names:
        if name in columns:
            return name
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


_TIME_WORDS = ("date", "time", "_at", "day", "ts", "when")


def _plausible(schema: dict[str, pl.DataType], kind: str) -> list[str]:
    """Columns that could be a time ('time') or an amount ('amount'), to suggest first: a
    missing 'order_time' should point at 'ordered_at', not at 'order_id'."""
    if kind == "time":
        found = [c for c, t in schema.items() if t.is_temporal()
                 or (t == pl.String and any(w in c.lower() for w in _TIME_WORDS))]
    else:
        found = [c for c, t in schema.items() if t.is_numeric()]
    return found or list(schema)


def _missing(path: Path, what: str, name: str, columns: list[str], hint: str = "",
             candidates: list[str] | None = None) -> DataError:
    return DataError(f"{path}: missing {what} column {name!r}{suggest(name, candidates or columns)}"
                     + (f"; {hint}" if hint else "") + f" (columns: {', '.join(columns[:12])}"
                     + (", ..." if len(columns) > 12 else "") + ")")


def _time_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    """Any date, datetime (naive or with a zone) or ISO text as naive UTC ``Datetime("us")``;
    text that does not parse becomes null (counted and reported by the caller)."""
    col = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return col.cast(pl.Datetime("us"))
    if dtype == pl.Date:
        return col.cast(pl.Datetime("us"))
    if dtype == pl.String:
        text = col.str.strip_chars()
        tries = [text.str.to_datetime(f, strict=False, time_unit="us") for f in _DATETIME_FORMATS]
        tries.append(text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us")
                     .dt.convert_time_zone("UTC").dt.replace_time_zone(None))
        tries.append(text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")))
        return pl.coalesce(tries)
    return pl.lit(None, dtype=pl.Datetime("us"))  # numbers, booleans: nothing parses


def _bool_expr(column: str, dtype: pl.DataType, positive_means_true: bool = False) -> pl.Expr:
    col = pl.col(column)
    if dtype == pl.Boolean:
        return col
    if dtype.is_numeric():
        return (col > 0) if positive_means_true else (col != 0)
    text = col.cast(pl.String).str.strip_chars().str.to_lowercase()
    return (pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False)
            .otherwise(None))


def _num_expr(column: str, dtype: pl.DataType, to: pl.DataType) -> pl.Expr:
    col = pl.col(column)
    if dtype == pl.String:
        return col.str.strip_chars().cast(to, strict=False)
    if dtype == pl.Boolean or not dtype.is_numeric():
        return pl.lit(None, dtype=to)
    return col.cast(to)


def _normalised_words(raw: pl.LazyFrame, column: str) -> pl.Expr:
    """A word column (channel, event, device) stripped and lower-cased, so 'Email ' matches
    'email'. The few distinct values are read first and only variants are replaced: lower-
    casing 10 million strings row by row cost more than the whole marketing aggregation."""
    values = raw.select(pl.col(column).cast(pl.String).unique()).collect(engine="streaming").to_series()
    mapping = {v: v.strip().lower() for v in values.drop_nulls().to_list() if v != v.strip().lower()}
    expr = pl.col(column).cast(pl.String)
    return expr.replace(mapping) if mapping else expr


def _examples(frame: pl.LazyFrame, raw: str, bad: pl.Expr, n: int = 3) -> str:
    values = (frame.filter(bad).select(pl.col(raw).cast(pl.String)).unique(maintain_order=True)
              .head(n).collect().to_series().to_list())
    return ", ".join(repr(v) for v in values)


def _read_table(name: str, path: Path, id_column: str, time_column: str | None = None,
                amount_column: str | None = None) -> Table:
    """Scan, map, check and normalise one table (one aggregate pass over the file)."""
    raw = _scan(path)
    schema = dict(raw.collect_schema())
    columns = list(schema)
    mapping: dict[str, str] = {}  # canonical -> source

    if id_column not in schema:
        raise _missing(path, "customer id", id_column, columns, "set it with --id-column")
    mapping[ID] = id_column
    canonical_time = TIME_COLUMNS[name]
    if name == "orders":
        wanted = time_column or canonical_time
        if wanted not in schema:
            raise _missing(path, "order time", wanted, columns, "set it with --time-column",
                           _plausible(schema, "time"))
        mapping[canonical_time] = wanted
        wanted_amount = amount_column or "amount"
        if wanted_amount not in schema:
            raise _missing(path, "amount", wanted_amount, columns, "set it with --amount-column",
                           _plausible(schema, "amount"))
        mapping["amount"] = wanted_amount
        for canon, names in ORDER_OPTIONAL.items():
            found = _find([c for c in columns if c not in mapping.values()], names)
            if found:
                mapping[canon] = found
    else:
        found = _find(columns, (canonical_time, *TIME_ALIASES[name]))
        if found is None:
            raise _missing(path, f"{name} time", canonical_time, columns, "", _plausible(schema, "time"))
        mapping[canonical_time] = found
        if name == "sessions":
            optional: tuple[str, ...] = SESSION_OPTIONAL
        elif name == "marketing":
            for col in MARKETING_REQUIRED:
                if col not in schema:
                    raise _missing(path, "marketing", col, columns)
            optional = MARKETING_REQUIRED
        else:
            optional = (*PROFILE_FIELDS, *CONSENTS)
        for col in optional:
            found = _find(columns, (col,))
            if found:
                mapping[col] = found

    exprs: list[pl.Expr] = []
    for canon, src in mapping.items():
        dtype = schema[src]
        if canon == ID:
            expr = pl.col(src).cast(pl.String)
        elif canon == canonical_time:
            expr = _time_expr(src, dtype)
        elif canon in BOOL_COLUMNS:
            expr = _bool_expr(src, dtype, positive_means_true=(canon == "discount"))
        elif canon == "amount" or canon == "duration_s":
            expr = _num_expr(src, dtype, pl.Float64)
        elif canon in NUMERIC_COLUMNS:
            expr = _num_expr(src, dtype, pl.Float64 if canon == "age" else pl.Int64)
        elif canon in ("channel", "event", "device"):
            expr = _normalised_words(raw, src)
        else:
            expr = pl.col(src).cast(pl.String)
        exprs.append(expr.alias(canon))
    frame = raw.select(exprs)

    # one pass: row count, empty ids and times, unparseable values, time range;
    # raw columns are needed for the "value present but unparseable" counts
    both = raw.select([pl.col(s).alias(f"_raw_{c}") for c, s in mapping.items()] + exprs)
    checks = [pl.len().alias("_rows"), pl.col(ID).null_count().alias("_null_id"),
              pl.col(f"_raw_{canonical_time}").is_null().sum().alias("_null_time"),
              (pl.col(canonical_time).is_null() & pl.col(f"_raw_{canonical_time}").is_not_null())
              .sum().alias("_bad_time"),
              pl.col(canonical_time).min().alias("_first"), pl.col(canonical_time).max().alias("_last")]
    value_checks = [c for c in mapping if c in NUMERIC_COLUMNS or c in BOOL_COLUMNS]
    for canon in value_checks:
        checks.append((pl.col(canon).is_null() & pl.col(f"_raw_{canon}").is_not_null())
                      .sum().alias(f"_bad_{canon}"))
    if "amount" in mapping:
        checks.append(pl.col("amount").is_null().sum().alias("_null_amount"))
        checks.append((pl.col("amount") < 0).sum().alias("_negative"))
    if "order_id" in mapping:
        checks.append(pl.col("order_id").n_unique().alias("_order_ids"))
        checks.append(pl.col("order_id").null_count().alias("_null_order_id"))
    if name == "profiles":
        checks.append(pl.col(ID).n_unique().alias("_ids"))
    try:
        found = both.select(checks).collect(engine="streaming").row(0, named=True)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise read_error(path, table_format(path), exc) from None

    rows = found["_rows"]
    if rows == 0:
        raise DataError(f"{path}: the file has a header but no rows")
    id_src = mapping[ID]
    if found["_null_id"]:
        raise DataError(f"{path}: id column {id_src!r} has {found['_null_id']:,} empty values "
                        f"of {rows:,}; every row needs a customer id")
    time_src = mapping[canonical_time]
    if found["_bad_time"]:
        bad = pl.col(canonical_time).is_null() & pl.col(f"_raw_{canonical_time}").is_not_null()
        raise DataError(f"{path}: {found['_bad_time']:,} values of {time_src!r} are not dates or "
                        f"timestamps (e.g. {_examples(both, f'_raw_{canonical_time}', bad)}); "
                        "use ISO dates like 2026-06-30 or 2026-06-30T14:05:00")
    if found["_null_time"]:
        raise DataError(f"{path}: time column {time_src!r} is empty in {found['_null_time']:,} rows; "
                        "every row needs a date")
    for canon in value_checks:
        if found[f"_bad_{canon}"]:
            bad = pl.col(canon).is_null() & pl.col(f"_raw_{canon}").is_not_null()
            kind = "true/false" if canon in BOOL_COLUMNS else "numeric"
            raise DataError(f"{path}: {found[f'_bad_{canon}']:,} values of {mapping[canon]!r} are "
                            f"not {kind} (e.g. {_examples(both, f'_raw_{canon}', bad)})")
    counts: dict[str, int] = {}
    notes: list[str] = []
    if "amount" in mapping:
        if found["_null_amount"]:
            raise DataError(f"{path}: amount column {mapping['amount']!r} is empty in "
                            f"{found['_null_amount']:,} rows; every order needs an amount")
        counts["negative_amounts"] = found["_negative"]
        if found["_negative"]:
            notes.append(f"{found['_negative']:,} rows with a negative {mapping['amount']!r} are "
                         "refunds: they reduce net spend and are not counted as orders")
    if "order_id" in mapping:
        if found["_null_order_id"]:
            raise DataError(f"{path}: order id column {mapping['order_id']!r} has "
                            f"{found['_null_order_id']:,} empty values")
        counts["order_lines_merged"] = rows - found["_order_ids"]
        if counts["order_lines_merged"]:
            notes.append(f"{counts['order_lines_merged']:,} rows share an order id with another "
                         "row: each order id counts as one order (amounts and items summed)")
    if name == "profiles" and found["_ids"] != rows:
        raise DataError(f"{path}: {rows - found['_ids']:,} customer ids appear more than once; "
                        "the profile table needs one row per customer")
    return Table(name=name, path=path, frame=frame, time=canonical_time, columns=tuple(mapping),
                 source_columns=dict(mapping), rows=rows, first=found["_first"], last=found["_last"],
                 notes=notes, counts=counts)


def _logs_file(folder: Path, stem: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    return None


def _read_logs_json(folder: Path) -> dict | None:
    path = folder / LOGS_JSON
    if not path.exists():
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(info, dict):
        raise DataError(f"{path}: expected a JSON object")
    for key in ("end", "default_as_of"):
        if info.get(key) is not None:
            try:
                dt.date.fromisoformat(str(info[key]))
            except ValueError:
                raise DataError(f"{path}: {key!r} is not a date (YYYY-MM-DD): {info[key]!r}") from None
    return info


def load_sources(logs_dir: str | os.PathLike | None = None, *, orders: str | os.PathLike | None = None,
                 sessions: str | os.PathLike | None = None, marketing: str | os.PathLike | None = None,
                 profiles: str | os.PathLike | None = None, id_column: str = ID,
                 time_column: str = "ordered_at", amount_column: str = "amount") -> LogSources:
    """Read and check the logs: a folder written by ``segkit generate --logs`` (fixed file
    names, ``logs.json``) or individual files (``orders`` required). Raises one-line
    :class:`DataError` for anything a user must fix."""
    paths: dict[str, Path | None] = {"orders": None, "sessions": None, "marketing": None,
                                     "profiles": None}
    info = None
    folder = None
    given = {"orders": orders, "sessions": sessions, "marketing": marketing, "profiles": profiles}
    if logs_dir is not None:
        folder = Path(logs_dir).expanduser()
        if not folder.is_dir():
            raise DataError(f"{folder}: not a folder (--logs expects the folder written by "
                            "`segkit generate --logs`)")
        info = _read_logs_json(folder)
        for name, stem in LOG_FILES.items():
            paths[name] = _logs_file(folder, stem)
        if paths["orders"] is None:
            raise DataError(f"{folder}: no orders.parquet or orders.csv in the logs folder")
    for name, value in given.items():  # explicit files win over the folder's
        if value is not None:
            paths[name] = Path(value).expanduser()
    if paths["orders"] is None:
        raise DataError("no orders table: give --orders FILE or --logs DIR")
    tables = {}
    for name, path in paths.items():
        if path is None:
            continue
        if name == "orders":
            tables[name] = _read_table(name, path, id_column, time_column, amount_column)
        else:
            tables[name] = _read_table(name, path, id_column)
    return LogSources(**tables, logs_info=info, logs_dir=folder)
