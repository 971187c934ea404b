"""Audiences: the customers of one segment, as a list a campaign tool can load.

A marketer picks a segment and, optionally, a minimum purchase probability ("only the
customers likely to buy"); :func:`audience_frame` returns their ids (with the segment and the
probability, best first) and :func:`export_audience` writes them as CSV or Parquet,
atomically, to a checked path.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from toolkit.errors import DataError, SegkitError
from toolkit.exports import ExportResult, check_output_path, format_of
from toolkit.data.files import atomic_write_frame, resolve_target
from toolkit.schema import ID_COLUMN

FORMATS = ("csv", "parquet")
PROBABILITY = "purchase_probability"


def check_min_probability(value: float | str | None) -> float | None:
    """``value`` as a probability between 0 and 1 (None/'' for no threshold)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise SegkitError(f"minimum probability must be a number between 0 and 1, not {value!r}") from None
    if not 0.0 <= p <= 1.0 or p != p:
        raise SegkitError(f"minimum probability must be between 0 and 1, not {p:g}")
    return p


def audience_frame(frame: pl.DataFrame, segment_id: str, *, id_column: str = ID_COLUMN,
                   min_probability: float | None = None, segment_column: str = "segment",
                   probability_column: str = PROBABILITY) -> pl.DataFrame:
    """id, segment (and purchase_probability, highest first) of ``segment_id``'s customers.

    ``min_probability`` keeps customers whose probability is at least that value; it needs
    the probability column (a run with scores).
    """
    for col, what in ((id_column, "id column"), (segment_column, "segment column")):
        if col not in frame.columns:
            raise DataError(f"the table has no {what} {col!r}")
    min_probability = check_min_probability(min_probability)
    known = frame.get_column(segment_column).unique().to_list()
    if segment_id not in known:
        raise SegkitError(f"no customer is in segment {segment_id!r}")
    rows = frame.filter(pl.col(segment_column) == segment_id)
    cols = [id_column, segment_column]
    if probability_column in frame.columns:
        cols.append(probability_column)
        if min_probability is not None:
            rows = rows.filter(pl.col(probability_column) >= min_probability)
        rows = rows.sort(probability_column, descending=True, nulls_last=True, maintain_order=True)
    elif min_probability is not None:
        raise DataError("a minimum probability needs purchase probabilities (score the run first)")
    return rows.select(cols)


def export_audience(frame: pl.DataFrame, segment_id: str, path: str | os.PathLike, *,
                    id_column: str = ID_COLUMN, min_probability: float | None = None,
                    fmt: str | None = None, segment_column: str = "segment") -> ExportResult:
    """Write ``segment_id``'s audience to ``path`` (CSV or Parquet, from the extension)."""
    p = check_output_path(path, [fmt] if fmt else FORMATS)
    fmt = fmt or format_of(p, FORMATS)
    if fmt not in FORMATS:
        raise SegkitError(f"unknown audience format {fmt!r}; choose csv or parquet")
    rows = audience_frame(frame, segment_id, id_column=id_column, min_probability=min_probability,
                          segment_column=segment_column)
    atomic_write_frame(p, rows, fmt)
    size = resolve_target(p).stat().st_size
    floor = check_min_probability(min_probability)
    what = f"the audience of {segment_id}" + (f" (probability >= {floor:g})" if floor is not None else "")
    return ExportResult(Path(p), what, size, rows.height)
