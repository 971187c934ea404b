"""Training on wide and high-cardinality tables: time, scorecard size and SQL size.

Two synthetic tables (seeded): one with a 10,000-level category (``sku``, Zipf-like
frequencies, 20 informative levels) beside 8 numeric columns, and one with 500 numeric
columns (10 informative). Each is trained with the plan of toolkit/train_plan.py switched
off (``before``: every level kept, every pair searched) and on (``after``: the default).

    python bench/bench_wide.py                 # 20,000 rows, both cases, before and after
    python bench/bench_wide.py --only after    # skip the slow runs without the plan
"""

from __future__ import annotations

import argparse
import time

import _common
import numpy as np
import polars as pl

from toolkit.model.train import TrainConfig, train


def high_cardinality(rows: int, levels: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, levels + 1) ** 0.8            # a long tail, as product ids have
    code = rng.choice(levels, rows, p=weights / weights.sum())
    effect = np.where(code < 20, rng.normal(0, 1, levels)[code], 0.0)
    nums = rng.normal(size=(rows, 8))
    logit = -1.0 + effect + nums[:, 0] - 0.5 * nums[:, 1]
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    cols = {"customer_id": [f"C{i:07d}" for i in range(rows)], "sku": [f"SKU-{c:05d}" for c in code]}
    cols.update({f"x{j}": nums[:, j] for j in range(8)})
    cols["purchased_next_30d"] = y
    return pl.DataFrame(cols)


def wide(rows: int, columns: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, columns)).astype(np.float64)
    logit = -1.0 + x[:, :10] @ np.linspace(1.0, 0.2, 10) + 0.5 * x[:, 0] * x[:, 1]
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    cols = {"customer_id": [f"C{i:07d}" for i in range(rows)]}
    cols.update({f"f{j:03d}": x[:, j] for j in range(columns)})
    cols["purchased_next_30d"] = y
    return pl.DataFrame(cols)


def run(frame: pl.DataFrame, planned: bool) -> dict:
    off = {} if planned else {"max_category_levels": 0, "interaction_candidates": 0}
    config = TrainConfig(target="purchased_next_30d", id_column="customer_id", derived=False, **off)
    said: list[str] = []
    started = time.perf_counter()
    result = train(frame, config, progress=said.append)
    seconds = time.perf_counter() - started
    m = result.metrics
    return {"total": seconds, "fit": m["training"]["fit_seconds"],
            "scorecard": result.scorecard, "sql": m["training"]["sql_bytes"],
            "auc": m["test"]["roc_auc"], "terms": m["training"]["terms"],
            "plan": [s for s in said if s in m["training"]["plan"]["messages"]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--levels", type=int, default=10_000)
    ap.add_argument("--columns", type=int, default=500)
    ap.add_argument("--only", choices=("before", "after"), default=None)
    ap.add_argument("--case", choices=("category", "wide"), default=None)
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    import tempfile
    from pathlib import Path

    cases = []
    if args.case in (None, "category"):
        cases.append((f"{args.levels:,}-level category + 8 numeric", high_cardinality(args.rows, args.levels, 1)))
    if args.case in (None, "wide"):
        cases.append((f"{args.columns} numeric columns", wide(args.rows, args.columns, 2)))
    modes = [m for m in ("before", "after") if args.only in (None, m)]
    lines = []
    plans = []
    for name, frame in cases:
        for mode in modes:
            r = run(frame, planned=mode == "after")
            with tempfile.TemporaryDirectory() as tmp:
                size = r["scorecard"].save(Path(tmp) / "scorecard.json").stat().st_size
            row = (f"| {name} | {mode} | {r['total']:.0f} | {r['fit']:.0f} | {size / 1e6:.2f} | "
                   f"{r['sql'] / 1e6:.2f} | {r['terms']} | {r['auc']:.3f} |")
            print(row, flush=True)
            lines.append(row)
            plans.extend(f"- {name}: {p}" for p in r["plan"])
            print(*plans[-len(r["plan"]):] if r["plan"] else [], sep="\n", flush=True)
    md = "\n".join([
        "## Training on wide and high-cardinality tables (bench/bench_wide.py)",
        "",
        f"Machine: {_common.machine()}. {args.rows:,} rows (60 % train), default settings "
        "(4 outer bags, 10 interactions, 2 jobs), no derived ratios. *before*: the training plan "
        "switched off (`max_category_levels=0, interaction_candidates=0`: every level kept, every "
        "pair searched, as segkit trained before); *after*: the default plan "
        "(toolkit/train_plan.py). SQL: DuckDB dialect, the default; the statement limit of BigQuery "
        "and Snowflake is 1 MB.",
        "",
        "| table | plan | total s | fit s | scorecard MB | SQL MB | terms | test ROC-AUC |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *lines,
        "",
        "What the plan printed:",
        "",
        *plans,
        "",
        f"Command: `python bench/bench_wide.py --rows {args.rows}`",
    ])
    if not args.no_write and args.only is None and args.case is None:
        _common.write_section("bench_wide", md)
    print(md)


if __name__ == "__main__":
    main()
