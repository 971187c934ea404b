"""A small, complete run folder for the report and monitor tests (built once per session).

4,000 generated customers, an EBM with one bag and two interactions, a segmentation with a
few bootstraps (when toolkit.segments.pipeline is installed), scores and timings, laid out as
``segkit demo`` lays them out. Built under pytest's session temp dir and reused by every
test module that asks for it (module-level cache: a fixture imported into two modules would
otherwise be built twice).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

ROWS = 4000
SEED = 7
_CACHE: dict[str, Path] = {}


def build_small_run(base: Path) -> Path:
    """The run folder (built on first call, then reused)."""
    if "run" in _CACHE:
        return _CACHE["run"]
    import polars as pl

    from toolkit.data.generate import generate, write_tables
    from toolkit.run.folder import Run
    from toolkit.schema import ID_COLUMN, TARGET_COLUMN
    from toolkit.model.scoring import score_file
    from toolkit.model.train import TrainConfig, save_run, train

    run = base / "small_run"
    run.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    customers, truth = generate(ROWS, SEED)
    data_path, _ = write_tables(customers, truth, run / "data.parquet")
    timings["generate"] = time.perf_counter() - started

    started = time.perf_counter()
    config = TrainConfig(target=TARGET_COLUMN, id_column=ID_COLUMN, seed=SEED, outer_bags=1,
                         interactions=2, n_jobs=1)
    result = train(customers, config, truth=truth)
    save_run(result, run)
    timings["train"] = time.perf_counter() - started

    try:
        from toolkit.segments.pipeline import run_segmentation
    except ModuleNotFoundError:
        run_segmentation = None
    if run_segmentation is not None:
        started = time.perf_counter()
        run_segmentation(data_path, run, id_column=ID_COLUMN, seed=SEED, k_min=3, k_max=4,
                         bootstraps=3, candidate_bootstraps=2, n_init=1, scorecard=run / "scorecard.json")
        timings["segment"] = time.perf_counter() - started

    started = time.perf_counter()
    score_file(result.scorecard, data_path, run / "scores.parquet", ruleset=Run(run).ruleset())
    timings["score"] = time.perf_counter() - started
    (run / "timings.json").write_text(json.dumps(
        {"rows": ROWS, "seed": SEED, "seconds": {k: round(v, 2) for k, v in timings.items()}}))
    assert pl.read_parquet(run / "scores.parquet").height == ROWS
    _CACHE["run"] = run
    return run
