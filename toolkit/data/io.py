"""Reading customer tables and checking them before anything is fitted or scored.

Any table works, not only the sample: CSV or Parquet, any column names. Every problem a user
can fix is raised as one :class:`~toolkit.errors.DataError` that names it, so the CLI and the
TUI can show it without a traceback.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Iterable

import polars as pl

from toolkit.errors import DataError

NULL_MARKERS = ["", "NA", "N/A", "n/a", "null", "NULL", "None"]
_NUMERIC_SHARE_FOR_TEXT_CHECK = 0.9


def table_format(path: str | Path) -> str:
    """'csv' or 'parquet' from the file name; anything else is a clear error."""
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise DataError(f"{path}: unsupported file type {suffix or '(none)'!r}; use .csv or .parquet")


def load_table(path: str | Path) -> pl.DataFrame:
    """Read a CSV or Parquet file, with readable errors for missing, empty or corrupt files."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, expected a .csv or .parquet file")
    fmt = table_format(p)
    if p.stat().st_size == 0:
        raise DataError(f"{p}: the file is empty")
    try:
        if fmt == "parquet":
            frame = pl.read_parquet(p)
        else:
            separator = csv_separator(p)
            # Scan every row for types: text deep in a numeric column must surface as a
            # string column we can report, not as a parse failure at row 50,000.
            frame = pl.read_csv(p, infer_schema_length=None, null_values=NULL_MARKERS,
                                separator=separator, try_parse_dates=False)
    except pl.exceptions.NoDataError:
        raise DataError(f"{p}: the file is empty") from None
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError, OSError) as exc:
        raise read_error(p, fmt, exc) from None
    if frame.width == 0:
        raise DataError(f"{p}: the file has no columns")
    if frame.height == 0:
        raise DataError(f"{p}: the file has a header but no rows")
    return frame


def read_error(path: str | Path, fmt: str, exc: BaseException) -> DataError:
    """One line for a file that could not be parsed, the same for every command: the reader's
    first line, and for text that is not UTF-8 (a Latin-1 export, say) what to do about it."""
    text = str(exc).strip()
    first_line = text.splitlines()[0] if text else type(exc).__name__
    if "utf8" in text.lower().replace("-", ""):
        first_line = "invalid utf-8 sequence; save the file as UTF-8 and retry"
    return DataError(f"{path}: could not read the {fmt.upper()} file ({first_line})")


def csv_separator(path: str | Path) -> str:
    """Tab for .tsv files, comma otherwise."""
    return "\t" if Path(path).suffix.lower() == ".tsv" else ","


def csv_schema(path: str | Path, infer_rows: int | None = None) -> dict[str, pl.DataType]:
    """Column types of a CSV file decided from every row (``infer_rows=None``), as
    :func:`load_table` decides them: one word at row 650,000 makes the column text everywhere,
    and a column empty for its first 600,000 rows still gets the type of its later values.
    Streaming readers use this so that no value's treatment depends on where it sits."""
    p = Path(path)
    try:
        schema = pl.scan_csv(p, infer_schema_length=infer_rows, null_values=NULL_MARKERS,
                             separator=csv_separator(p), try_parse_dates=False).collect_schema()
    except pl.exceptions.NoDataError:
        raise DataError(f"{p}: the file is empty") from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise read_error(p, "csv", exc) from None
    return dict(schema)


def suggest(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest existing name, or ''."""
    matches = difflib.get_close_matches(name, list(candidates), n=2, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            matches = [lowered[name.lower()]]
    if not matches:
        return ""
    return " (did you mean " + " or ".join(repr(m) for m in matches) + "?)"


def require_columns(frame: pl.DataFrame, names: Iterable[str], what: str = "column") -> None:
    """Raise one error listing every missing column, each with its closest existing name."""
    missing = [n for n in names if n not in frame.columns]
    if not missing:
        return
    parts = [f"{n!r}{suggest(n, frame.columns)}" for n in missing]
    raise DataError(f"missing {what} ({len(missing)}): " + ", ".join(parts))


def infer_feature_types(frame: pl.DataFrame, features: Iterable[str]) -> dict[str, str]:
    """'continuous' for numeric columns, 'nominal' for strings, booleans and categoricals."""
    out = {}
    for name in features:
        dtype = frame.schema[name]
        if dtype == pl.Boolean or not dtype.is_numeric():
            out[name] = "nominal"
        else:
            out[name] = "continuous"
    return out


def check_text_in_numeric(frame: pl.DataFrame, columns: Iterable[str],
                          expected_numeric: Iterable[str] = ()) -> None:
    """Raise when a column that should be numeric holds text.

    A string column is suspect when the schema says it is numeric (``expected_numeric``) or
    when most of its values parse as numbers: a few stray words ("n/a", "unknown") turned the
    whole column into text on reading.
    """
    expected = set(expected_numeric)
    problems = []
    for name in columns:
        if frame.schema[name] != pl.Utf8:
            continue
        col = frame.get_column(name).drop_nulls()
        if col.len() == 0:
            continue
        parsed = col.str.strip_chars().cast(pl.Float64, strict=False)
        bad = col.filter(parsed.is_null())
        numeric_share = 1 - bad.len() / col.len()
        if bad.len() and (name in expected or numeric_share >= _NUMERIC_SHARE_FOR_TEXT_CHECK):
            examples = ", ".join(repr(v) for v in bad.unique(maintain_order=True).head(3).to_list())
            problems.append(f"{name!r} has {bad.len():,} text value{'s' if bad.len() > 1 else ''} "
                            f"in a numeric column (e.g. {examples})")
    if problems:
        raise DataError("; ".join(problems) + ". Fix or blank those cells and retry.")


def check_all_null(frame: pl.DataFrame, columns: Iterable[str]) -> None:
    empty = [c for c in columns if frame.get_column(c).null_count() == frame.height]
    if empty:
        raise DataError("column" + ("s " if len(empty) > 1 else " ") + ", ".join(map(repr, empty))
                        + " contain" + ("" if len(empty) > 1 else "s") + " no values at all; "
                        "drop them or fill them in")


def check_unique_ids(frame: pl.DataFrame, id_column: str) -> None:
    ids = frame.get_column(id_column)
    if ids.null_count():
        raise DataError(f"id column {id_column!r} has {ids.null_count():,} empty values")
    dup = ids.is_duplicated()
    if dup.any():
        examples = ids.filter(dup).unique(maintain_order=True).head(3).to_list()
        repeated = ids.filter(dup).n_unique()
        raise DataError(f"id column {id_column!r} has {repeated:,} ids that appear more than once "
                        f"({int(dup.sum()):,} rows, e.g. {', '.join(map(repr, examples))}); "
                        "each customer must appear once")


def binary_target(frame: pl.DataFrame, target: str) -> pl.Series:
    """The target as Int8 0/1; booleans and the strings true/false/yes/no are accepted."""
    col = frame.get_column(target)
    if col.null_count():
        raise DataError(f"target {target!r} is empty in {col.null_count():,} rows; "
                        "every training row needs a known outcome")
    if col.dtype == pl.Boolean:
        return col.cast(pl.Int8)
    if col.dtype == pl.Utf8:
        mapping = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}
        lowered = col.str.strip_chars().str.to_lowercase()
        unknown = lowered.filter(~lowered.is_in(list(mapping)))
        if unknown.len():
            raise DataError(f"target {target!r} must be binary (0/1, true/false); found "
                            + ", ".join(repr(v) for v in unknown.unique().head(5).to_list()))
        return lowered.replace_strict(mapping, return_dtype=pl.Int8)
    values = set(col.unique().to_list())
    if not values <= {0, 1}:
        shown = sorted(values, key=str)[:6]
        raise DataError(f"target {target!r} must be binary (0/1); found values {shown}"
                        + (" ..." if len(values) > 6 else ""))
    if len(values) < 2:
        raise DataError(f"target {target!r} has only the value {values.pop()}; "
                        "a model needs both buyers and non-buyers")
    return col.cast(pl.Int8)


def validate_training_table(frame: pl.DataFrame, *, target: str, id_column: str,
                            features: list[str] | None = None,
                            expected_numeric: Iterable[str] = ()) -> list[str]:
    """Check a table for training and return the feature columns to use.

    ``features`` defaults to every column except the id and the target.
    """
    require_columns(frame, [id_column, target], "column")
    if features is None:
        features = [c for c in frame.columns if c not in (id_column, target)]
    else:
        require_columns(frame, features, "feature column")
    if not features:
        raise DataError("no feature columns: the table has only the id and the target")
    check_unique_ids(frame, id_column)
    binary_target(frame, target)
    check_all_null(frame, features)
    check_text_in_numeric(frame, features, expected_numeric)
    return list(features)


def fingerprint(frame: pl.DataFrame) -> str:
    """A short, stable hash of a table's schema and contents, recorded in artifacts."""
    digest = hashlib.sha256()
    digest.update(str(list(frame.schema.items())).encode())
    digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return f"sha256:{digest.hexdigest()[:16]}"
