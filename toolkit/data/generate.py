"""Public API of the synthetic sample generator (the logic lives in :mod:`sample_data.generator`).

``generate`` returns the tables; ``write_sample`` writes them the way the other commands read
them: the customer table (Parquet, or CSV when the name ends in ``.csv``) and the generator's
truth beside it as ``<stem>.truth.parquet`` (``customers.parquet`` ->
``customers.truth.parquet``). The truth holds ``customer_id``, ``true_probability`` (the
probability each label was drawn from: the oracle no model can beat) and ``latent_type``
(the hidden customer type, to check a segmentation against). Neither is a feature.

How the data is made (latent types, propensity formula, missingness) is documented in
:mod:`sample_data.generator`.
"""

from __future__ import annotations

import operator
import os
from pathlib import Path
from typing import Callable

import polars as pl

from sample_data.generator import (LOGIT_SCALE, NOISE_SD, STAGES, TARGET_RATE, TYPE_NAMES, TYPES,
                                   propensity_from_table, propensity_score)
from sample_data.generator import generate as _generate
from toolkit.errors import SegkitError
from toolkit.data.files import atomic_write_frame
from toolkit.data.outputs import check_outputs

__all__ = ["generate", "write_sample", "write_tables", "truth_path", "STAGES", "TYPES",
           "TYPE_NAMES", "TARGET_RATE", "LOGIT_SCALE", "NOISE_SD", "propensity_score",
           "propensity_from_table"]

Progress = Callable[[str], None]


# The message ``write_sample`` passes to ``progress`` after the generator's STAGES.
WRITING = "Writing files"


def _whole(value: object, name: str, minimum: int) -> int:
    try:
        number = operator.index(value)  # int and numpy integers, not floats or strings
    except TypeError:
        number = None
    if number is None or isinstance(value, bool) or number < minimum:
        raise SegkitError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return number


def generate(rows: int, seed: int, *, progress: Progress | None = None
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(customers, truth) for ``rows`` synthetic customers; deterministic per ``seed``.

    customers: ``customer_id`` ("C0000001", ...), the 35 schema features in schema order and
    ``purchased_next_30d`` (Int8 0/1, about 28 % ones). truth: ``customer_id``,
    ``true_probability``, ``latent_type``. ``progress`` receives a short message per stage.
    """
    return _generate(_whole(rows, "rows", 1), _whole(seed, "seed", 0), progress=progress)


def truth_path(out_path: str | os.PathLike) -> Path:
    """Where :func:`write_sample` puts the truth for ``out_path``: ``<stem>.truth.parquet``."""
    out = Path(out_path)
    return out.with_name(f"{out.stem}.truth.parquet")


def write_sample(rows: int, seed: int, out_path: str | os.PathLike, *,
                 progress: Progress | None = None) -> tuple[Path, Path]:
    """Generate ``rows`` customers with ``seed`` and write them; returns (data path, truth path)."""
    out = _check_out(out_path)  # before the work, not after it
    customers, truth = generate(rows, seed, progress=progress)
    return write_tables(customers, truth, out, progress=progress)


def write_tables(customers: pl.DataFrame, truth: pl.DataFrame, out_path: str | os.PathLike, *,
                 progress: Progress | None = None) -> tuple[Path, Path]:
    """Write generated tables: ``out_path`` (CSV if it ends in .csv, else Parquet) and the truth
    beside it as ``<stem>.truth.parquet``.

    Each file is written under a temporary name and renamed, so a reader never sees half a file
    and a failed write leaves no partial output.
    """
    out = _check_out(out_path)
    truth_out = truth_path(out)
    (progress or (lambda message: None))(WRITING)
    atomic_write_frame(out, customers, "csv" if out.suffix.lower() == ".csv" else "parquet")
    atomic_write_frame(truth_out, truth, "parquet")
    return out, truth_out


def _check_out(out_path: str | os.PathLike) -> Path:
    """Both files' locations, checked before the work (see :func:`toolkit.data.outputs.check_outputs`)."""
    out = Path(out_path)
    if out.name in ("", ".", "..") or out.is_dir():
        raise SegkitError(f"output path {str(out)!r} is a directory; give a file name such as "
                          f"{str(out / 'customers.parquet')!r}")
    check_outputs(outputs=[out, truth_path(out)])
    return out
