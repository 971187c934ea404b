"""A small trained run for the engine tests: the generator's table, a quick EBM and the
shipped rfm_classic ruleset as the run's segments.yaml (no clustering: fast)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[3]
RFM = ROOT / "rulesets" / "rfm_classic.yaml"


def make_run(folder: Path, *, rows: int = 3000, seed: int = 42, ruleset: bool = True) -> pl.DataFrame:
    """Train into ``folder`` (1 bag, 2 pairs); returns the customer table it was trained on."""
    from toolkit.data.generate import generate
    from toolkit.model.train import TrainConfig, save_run, train
    from toolkit.schema import ID_COLUMN, TARGET_COLUMN

    frame, _ = generate(rows, seed)
    result = train(frame, TrainConfig(target=TARGET_COLUMN, id_column=ID_COLUMN, seed=seed,
                                      outer_bags=1, interactions=2))
    save_run(result, folder)
    if ruleset:
        shutil.copyfile(RFM, folder / "segments.yaml")
    return frame
