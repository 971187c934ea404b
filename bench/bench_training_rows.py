"""How many rows does the EBM need? ROC AUC on one fixed held-out set versus training rows.

Why: at 100M customers nobody trains on every row; the model is trained on a sample and the
scorecard scores everyone (in the warehouse, on Spark). This measures how large that sample
must be on the table generator (:func:`toolkit.data.generate.generate`).

Setup: one pool of ``max(--rows)`` customers (``--seed``) and one held-out set of
``--holdout`` customers from another seed, generated once. For each size N the first N
pool rows go through :func:`toolkit.model.train.train` with the settings ``segkit train``
uses (``TrainConfig`` defaults: 10 interactions, 1024 bins, derived ratios, the 60/20/20
split, so the EBM fits on 0.6 N rows and the threshold is chosen on 0.2 N) except
``--outer-bags`` (``segkit train`` uses 4; fewer bags cost ~0.001 AUC and save time). The
scorecard then scores the held-out set: its AUC (and the F1 at the run's own threshold) is
the figure, next to the generator's true probabilities on the same rows (the ceiling no model
can beat). Writes the ``bench_training_rows`` section of bench/RESULTS.md.

    python bench/bench_training_rows.py --rows 20000 50000 100000 200000 --outer-bags 1
    python bench/bench_training_rows.py --rows 500000 1000000 --outer-bags 4   # hours on 2 cores
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import polars as pl

from _common import machine, peak_rss_mb, write_section

from toolkit.data.generate import generate
from toolkit.model import metrics
from toolkit.model.train import TrainConfig, train
from toolkit.schema import ID_COLUMN, TARGET_COLUMN


def measure(pool: pl.DataFrame, holdout: pl.DataFrame, rows: int, outer_bags: int, seed: int) -> dict:
    """Train on the first ``rows`` pool rows; AUC and F1 of the scorecard on ``holdout``."""
    frame = pool.head(rows)
    config = TrainConfig(target=TARGET_COLUMN, id_column=ID_COLUMN, seed=seed, outer_bags=outer_bags)
    started = time.perf_counter()
    result = train(frame, config)
    seconds = time.perf_counter() - started
    y = holdout.get_column(TARGET_COLUMN).to_numpy().astype(int)
    p = result.scorecard.predict_proba(holdout)
    head = metrics.headline(y, p, result.scorecard.threshold)
    return {"rows": rows, "fit_rows": int((result.split.get_column("split") == "train").sum()),
            "auc": float(head["roc_auc"]), "f1": float(head["f1"]),
            "own_test_auc": float(result.metrics["test"]["roc_auc"]),
            "terms": len(result.scorecard.terms), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 50_000, 100_000, 200_000])
    parser.add_argument("--holdout", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--holdout-seed", type=int, default=4242)
    parser.add_argument("--outer-bags", type=int, default=1)
    parser.add_argument("--json", default=None, help="Also append each point as a JSON line here.")
    parser.add_argument("--no-write", action="store_true", help="Print only; leave RESULTS.md alone.")
    args = parser.parse_args()

    sizes = sorted(set(args.rows))
    started = time.perf_counter()
    pool, _ = generate(max(sizes), args.seed)
    holdout, truth = generate(args.holdout, args.holdout_seed)
    y = holdout.get_column(TARGET_COLUMN).to_numpy().astype(int)
    true_p = truth.get_column("true_probability").to_numpy()
    ceiling = float(metrics.headline(y, true_p, 0.5)["roc_auc"])
    print(f"generated pool {pool.height:,} and held-out {holdout.height:,} rows in "
          f"{time.perf_counter() - started:.0f} s; true-probability AUC on held-out {ceiling:.4f}", flush=True)

    points = []
    for n in sizes:
        point = measure(pool, holdout, n, args.outer_bags, args.seed)
        point["outer_bags"] = args.outer_bags
        points.append(point)
        print(json.dumps(point), flush=True)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(point) + "\n")

    lines = [
        "## Training rows: held-out AUC versus rows trained on (`bench/bench_training_rows.py`)",
        "",
        f"Command: `python bench/bench_training_rows.py --rows {' '.join(map(str, sizes))} "
        f"--outer-bags {args.outer_bags} --holdout {args.holdout}`  ",
        f"Machine: {machine()}; peak RSS {peak_rss_mb():,.0f} MB.",
        "",
        f"Generator table, seed {args.seed}; held-out set: {args.holdout:,} customers of seed "
        f"{args.holdout_seed}, never trained on. `segkit train` settings (10 interactions, 1024 bins, "
        f"60/20/20 split: the EBM fits on 60% of the rows) with {args.outer_bags} outer bag(s). "
        f"The generator's true probabilities reach AUC {ceiling:.4f} on the held-out set (the ceiling).",
        "",
        "| rows given to train | EBM fit rows | held-out AUC | gap to ceiling | held-out F1 | terms | seconds |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        lines.append(f"| {p['rows']:,} | {p['fit_rows']:,} | {p['auc']:.4f} | {ceiling - p['auc']:.4f} | "
                     f"{p['f1']:.3f} | {p['terms']} | {p['seconds']:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_section("bench_training_rows", text)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
