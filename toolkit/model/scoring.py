"""Batch scoring: one output row per input row, in input order, in streaming batches.

A table larger than memory is read and scored in batches (pyarrow readers for CSV and
Parquet) and written batch by batch to Parquet or CSV, so memory stays bounded by the batch
size. No row is dropped: a value that cannot be read (text in a numeric column) is scored
as missing and the row's ``scoring_note`` says which value and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from toolkit.data import io
from toolkit.errors import DataError
from toolkit.model.model_input import ScoringInputReport, align_scoring_input
from toolkit.data.files import atomic_path
from toolkit.data.outputs import check_outputs

DEFAULT_BATCH_ROWS = 250_000
NOTE_COLUMN = "scoring_note"


def _coerce_numeric(frame: pl.DataFrame, numeric: list[str]) -> tuple[pl.DataFrame, pl.Expr | None]:
    """Cast text columns the model expects as numbers; describe each unreadable value per row."""
    notes = []
    casts = []
    for name in numeric:
        if name not in frame.columns or frame.schema[name] != pl.Utf8:
            continue
        raw = pl.col(name)
        parsed = raw.str.strip_chars().cast(pl.Float64, strict=False)
        casts.append(parsed.alias(name))
        notes.append(pl.when(raw.is_not_null() & parsed.is_null())
                     .then(pl.format("{}={} is not a number (scored as missing)", pl.lit(name), raw)))
    if not casts:
        return frame, None
    joined = pl.concat_str(notes, separator="; ", ignore_nulls=True)
    note = pl.when(joined != "").then(joined)  # null when the row had nothing to report
    frame = frame.with_columns(note.alias(NOTE_COLUMN)).with_columns(casts)
    return frame, pl.col(NOTE_COLUMN)


def score_frame(scorecard, frame: pl.DataFrame, *, top_reasons: int = 3,
                ruleset=None, report: ScoringInputReport | None = None) -> pl.DataFrame:
    """Score an in-memory frame: id, purchase_probability, will_purchase, reasons (, segment).

    Inputs are read as training read them (:func:`toolkit.model.model_input.align_scoring_input`:
    +-inf is missing, drifted types cast when lossless, unseen categories noted); ``report``
    collects the counts for warnings.
    """
    nominal = {f["name"] for f in scorecard.features if f["type"] == "nominal"}
    numeric = [c for c in scorecard.input_columns if c not in nominal]
    io.require_columns(frame, [scorecard.id_column] + scorecard.input_columns,
                       "column the scorecard needs")
    frame, note = _coerce_numeric(frame, numeric)
    frame, input_note = align_scoring_input(frame, scorecard.features, numeric + _ratio_inputs(scorecard),
                                            report)
    if input_note is not None:
        old = frame.get_column(NOTE_COLUMN) if note is not None else pl.Series([None] * frame.height, dtype=pl.Utf8)
        both = pl.select(pl.concat_str([old, input_note], separator="; ", ignore_nulls=True)).to_series()
        frame = frame.with_columns(pl.when(both != "").then(both).alias(NOTE_COLUMN))
        note = pl.col(NOTE_COLUMN)
    scored = scorecard.score(frame, top_reasons=top_reasons)
    if ruleset is not None:
        scored = scored.with_columns(ruleset.apply(frame).get_column("segment"))
    if note is not None:
        scored = scored.with_columns(frame.get_column(NOTE_COLUMN))
    else:
        scored = scored.with_columns(pl.lit(None, dtype=pl.Utf8).alias(NOTE_COLUMN))
    return scored


def _ratio_inputs(scorecard) -> list[str]:
    return [c for d in scorecard.derived for c in (d["numerator"], d["denominator"])]


def count_rows(path: str | Path) -> int | None:
    """Rows in a Parquet file from its footer (free); None for CSV, which would need a scan."""
    p = Path(path)
    try:
        if p.exists() and io.table_format(p) == "parquet":
            return pq.ParquetFile(p).metadata.num_rows
    except (DataError, pa.ArrowInvalid, OSError):
        return None
    return None


CSV_BLOCK_BYTES = 64 << 20  # bytes pyarrow parses per CSV block (types no longer depend on it)


def _cast_csv_batch(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Give a batch read as text the types the whole file has (see :func:`io.csv_schema`).

    Every value of a column typed numeric or boolean from all rows parses as that type, so
    the casts lose nothing; text columns stay text and the scorer notes unreadable numbers.
    """
    casts = []
    for name, dtype in schema.items():
        if name not in frame.columns or dtype in (pl.Utf8, pl.Null):
            continue
        col = pl.col(name)
        if dtype == pl.Boolean:
            lowered = col.str.strip_chars().str.to_lowercase()
            casts.append(pl.when(lowered == "true").then(True)
                         .when(lowered == "false").then(False).otherwise(None).alias(name))
        elif dtype.is_numeric():
            casts.append(col.str.strip_chars().cast(dtype, strict=False).alias(name))
    return frame.with_columns(casts) if casts else frame


def iter_batches(path: str | Path, batch_rows: int = DEFAULT_BATCH_ROWS, *,
                 csv_infer_rows: int | None = None) -> Iterator[pl.DataFrame]:
    """Read a CSV or Parquet file in batches of about ``batch_rows`` rows, in file order.

    CSV columns get the types inferred from every row of the file (``csv_infer_rows=None``;
    a number limits the inference to that many rows, for tests) and are read as text, then
    cast, so a word at row 650,000 or a column empty for 600,000 rows is handled exactly as
    the same value at row 1 would be, never as a failed job.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, expected a .csv or .parquet file")
    if p.stat().st_size == 0:
        raise DataError(f"{p}: the file is empty")
    fmt = io.table_format(p)
    try:
        if fmt == "parquet":
            reader = pq.ParquetFile(p)
            for batch in reader.iter_batches(batch_size=batch_rows):
                yield pl.from_arrow(pa.Table.from_batches([batch]))
        else:
            schema = io.csv_schema(p, csv_infer_rows)
            options = pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES)
            parse = pacsv.ParseOptions(delimiter=io.csv_separator(p))
            convert = pacsv.ConvertOptions(null_values=io.NULL_MARKERS, strings_can_be_null=True,
                                           column_types={name: pa.string() for name in schema})
            reader = pacsv.open_csv(p, read_options=options, parse_options=parse,
                                    convert_options=convert)
            pending: list[pa.RecordBatch] = []
            rows = 0
            for batch in reader:
                pending.append(batch)
                rows += batch.num_rows
                if rows >= batch_rows:
                    yield _cast_csv_batch(pl.from_arrow(pa.Table.from_batches(pending)), schema)
                    pending, rows = [], 0
            if pending:
                yield _cast_csv_batch(pl.from_arrow(pa.Table.from_batches(pending)), schema)
    except (pa.ArrowInvalid, OSError, pl.exceptions.PolarsError) as exc:
        raise io.read_error(p, fmt, exc) from None


def score_file(scorecard, data: str | Path, out: str | Path, *, ruleset=None, top_reasons: int = 3,
               batch_rows: int = DEFAULT_BATCH_ROWS,
               on_batch: Callable[[int], None] | None = None,
               csv_infer_rows: int | None = None,
               report: ScoringInputReport | None = None) -> int:
    """Score ``data`` into ``out`` (Parquet, or CSV by extension) batch by batch; return rows.

    ``out`` is checked before any work (never the input, a writable place). The output is
    written to a temporary file of this run's own and renamed when complete, so a failed run
    never leaves a half-written scores file, and two runs writing the same ``out`` each
    produce a complete file (the last to finish wins) instead of mixing their batches.
    ``report`` collects what the input checks did (see :func:`score_frame`) for warnings.
    """
    out_path = Path(out)
    out_fmt = io.table_format(out_path)
    check_outputs(inputs=[data], outputs=[out_path])
    total = 0
    with atomic_path(out_path) as tmp:
        writer = None
        try:
            for batch in iter_batches(data, batch_rows, csv_infer_rows=csv_infer_rows):
                scored = score_frame(scorecard, _align_types(batch, scorecard),
                                     top_reasons=top_reasons, ruleset=ruleset, report=report)
                if out_fmt == "parquet":
                    table = scored.to_arrow()
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table.cast(writer.schema))
                else:
                    with open(tmp, "ab" if total else "wb") as handle:
                        scored.write_csv(handle, include_header=total == 0)
                total += scored.height
                if on_batch:
                    on_batch(scored.height)
        finally:
            if writer is not None:
                writer.close()
        if total == 0:
            raise DataError(f"{data}: the file has no rows to score")
    return total


def _align_types(batch: pl.DataFrame, scorecard) -> pl.DataFrame:
    """Make batch column types independent of what each batch happened to contain.

    A CSV batch whose nominal column holds only digits arrives as integers, and one that is
    all empty arrives as nulls: cast nominal columns to text and all-null columns to the
    type the scorecard expects, so every batch scores like the whole file would.
    """
    casts = []
    for f in scorecard.features:
        name = f["name"]
        if name not in batch.columns:
            continue
        dtype = batch.schema[name]
        if f["type"] == "nominal" and dtype not in (pl.Utf8, pl.Boolean):
            casts.append(pl.col(name).cast(pl.Utf8))
        elif f["type"] == "continuous" and dtype == pl.Null:
            casts.append(pl.col(name).cast(pl.Float64))
    return batch.with_columns(casts) if casts else batch
