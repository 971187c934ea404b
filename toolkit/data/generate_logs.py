"""Public API of the raw-logs generator (the simulation lives in :mod:`sample_data.logs`).

``segkit generate --logs DIR`` writes the ShopSphere world the way a shop stores it, so the
snapshot, backtest and movement commands have realistic input with a known answer:

- ``customers.parquet``: the profile table (sign-up time, country, device, channel, tier,
  newsletter flag, age, four consents);
- ``orders.parquet``, ``sessions.parquet``, ``marketing.parquet``: the event logs;
- ``truth.parquet``: for each documented as-of date, each customer signed up by then, the
  exact probability of at least one order in the next 30 days (the oracle), the hidden
  ``latent_type`` and ``state``;
- ``logs.json``: seed, size, date range, the as-of dates and the default one, the files.

Columns and time semantics are the contract of issue 11 (``/tmp/logs_spec.md`` at the time;
README "Starting from your own orders").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import polars as pl

from sample_data.logs import (LATENT_TYPES, PERSONAS, STAGES, STATES, World, as_of_dates,
                              end_date, simulate)
from toolkit.data.files import atomic_write_frame, atomic_write_json
from toolkit.data.generate import _whole  # one rule for --rows/--seed in both generators
from toolkit.data.outputs import check_outputs
from toolkit.errors import SegkitError

__all__ = ["FILES", "INFO_FILE", "STAGES", "WRITING", "LATENT_TYPES", "PERSONAS", "STATES",
           "generate_logs", "write_logs", "output_paths", "check_logs_dir", "as_of_dates", "end_date"]

Progress = Callable[[str], None]

FILES: tuple[str, ...] = ("customers", "orders", "sessions", "marketing", "truth")
INFO_FILE = "logs.json"
WRITING = "Writing files"
DEFAULT_CUSTOMERS = 180_000




def output_paths(out_dir: str | os.PathLike) -> dict[str, Path]:
    """Every file :func:`write_logs` writes into ``out_dir``, by short name (plus ``info``)."""
    folder = Path(os.path.expanduser(os.fspath(out_dir)))
    paths = {name: folder / f"{name}.parquet" for name in FILES}
    paths["info"] = folder / INFO_FILE
    return paths


def generate_logs(customers: int = DEFAULT_CUSTOMERS, seed: int = 42, *,
                  progress: Progress | None = None) -> World:
    """The simulated logs in memory (frames + the logs.json facts); deterministic per seed."""
    return simulate(_whole(customers, "customers", 1), _whole(seed, "seed", 0), progress=progress)


def check_logs_dir(out_dir: str | os.PathLike) -> dict[str, Path]:
    """The output paths, after checking (touching nothing) that they can all be written."""
    text = os.fspath(out_dir)
    if not str(text).strip():
        raise SegkitError("the logs folder name is empty; give a folder such as logs/")
    folder = Path(os.path.expanduser(text))
    if folder.exists() and not folder.is_dir():
        raise SegkitError(f"{text} is a file, not a folder; give a folder for the logs")
    paths = output_paths(folder)
    check_outputs(folders=[folder], outputs=list(paths.values()))
    return paths


def write_logs(out_dir: str | os.PathLike, customers: int = DEFAULT_CUSTOMERS, seed: int = 42,
               progress: Progress | None = None) -> dict:
    """Simulate ``customers`` customers with ``seed`` and write the logs into ``out_dir``.

    Returns the logs.json dict (with ``files``: each file's name and row count). The folder is
    checked before the work; each file is written under a temporary name and renamed, so a
    reader never sees half a file.
    """
    paths = check_logs_dir(out_dir)            # before the work, not after it
    world = generate_logs(customers, seed, progress=progress)
    (progress or (lambda message: None))(WRITING)
    paths["info"].parent.mkdir(parents=True, exist_ok=True)
    frames: dict[str, pl.DataFrame] = {name: getattr(world, name) for name in FILES}
    files = {}
    for name, frame in frames.items():
        atomic_write_frame(paths[name], frame, "parquet")
        files[name] = {"file": paths[name].name, "rows": frame.height}
    info = {**world.info, "files": files}
    atomic_write_json(paths["info"], info)
    return info
