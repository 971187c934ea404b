"""Quality check of the raw-logs generator: speed, size, the snapshot's shape, the oracle, movement.

    .venv/bin/python bench/check_logs_generator.py --customers 180000 --seed 42 [--model] [--keep DIR]

1. ``write_logs`` wall time, peak RSS, rows per file (sessions per customer-month);
2. ``segkit snapshot`` at the default as-of (the real builder, ``toolkit.snapshot``): feature
   groups (12/10/6/7 expected), positive rate (28 % +- 2), null shares of the marketing (~8 %)
   and profile (~3 %) fields, the oracle's ROC-AUC on the snapshot's label ([0.85, 0.93]) and
   mean true_probability vs the realised rate, recency and a small RFM logistic for reference;
3. latent types at the default as-of (share, mean probability, realised rate) and movement
   between the first and the default as-of (changed type, lapsed customers who came back);
4. ``--model``: ``segkit backtest`` on the last three as-of dates (two out-of-time folds, one
   outer bag): the EBM against recency, RFM logistic, BG/NBD and the oracle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit import schema  # noqa: E402
from toolkit.data.generate_logs import write_logs  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=180_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--model", action="store_true", help="also run segkit backtest (EBM vs oracle)")
    ap.add_argument("--keep", type=Path, help="write the logs here (kept) instead of a temp folder")
    args = ap.parse_args()

    scratch = None if args.keep else Path(tempfile.mkdtemp(prefix="segkit_logs_"))
    folder = args.keep or scratch / "logs"
    try:
        check(args, folder)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def check(args: argparse.Namespace, folder: Path) -> None:
    """Generate into ``folder`` and print every check (see the module docstring)."""
    print(f"== generate --logs: {args.customers:,} customers, seed {args.seed} -> {folder}")
    started = time.perf_counter()
    info = write_logs(folder, customers=args.customers, seed=args.seed)
    seconds = time.perf_counter() - started
    print(f"wall {seconds:.1f} s, peak RSS {rss_mb():,.0f} MB (budget: 180K customers <= 120 s)")
    months = 24
    for name, entry in info["files"].items():
        size = (folder / entry["file"]).stat().st_size / 2**20
        print(f"  {entry['file']:<18} {entry['rows']:>12,} rows {size:8.1f} MB")
    print(f"  sessions per customer-month: {info['files']['sessions']['rows'] / args.customers / months:.2f}; "
          f"orders: {info['files']['orders']['rows'] / args.customers / months:.2f}; "
          f"rate factor k = {info['rate_factor']}")
    print(f"  logs {info['start']} .. {info['end']}, {len(info['as_of_dates'])} as-of dates "
          f"{info['as_of_dates'][0]} .. {info['as_of_dates'][-1]}, default {info['default_as_of']}")

    from toolkit.snapshot import build_snapshot, load_sources

    default = dt.date.fromisoformat(info["default_as_of"])
    started = time.perf_counter()
    snap = build_snapshot(load_sources(folder), default)
    print(f"\n== snapshot at {default} ({time.perf_counter() - started:.1f} s): "
          f"{snap.frame.height:,} customers")
    frame = snap.frame
    groups = {g: sum(c in frame.columns for c in schema.columns_in(g)) for g in schema.GROUPS}
    print(f"  schema features present: {groups} (want 12/10/6/7); extras: "
          f"{[c for c in frame.columns if c not in schema.FEATURES and c not in (schema.ID_COLUMN, snap.label)]}")
    y = frame.get_column(snap.label).to_numpy().astype(int)
    print(f"  positive rate {y.mean():.2%} (want 28% +- 2)")
    for group in ("marketing", "profile"):
        shares = {c: frame.get_column(c).null_count() / frame.height for c in schema.columns_in(group)}
        print(f"  null share {group}: " + ", ".join(f"{c} {v:.1%}" for c, v in shares.items()))
    truth = pl.read_parquet(folder / "truth.parquet").filter(pl.col("as_of") == default)
    joined = frame.select(schema.ID_COLUMN, "days_since_last_purchase", "orders_365d", "total_spend_365d",
                          snap.label).join(truth, on=schema.ID_COLUMN, how="left")
    assert joined.get_column("true_probability").null_count() == 0, "snapshot customers without truth"
    yj = joined.get_column(snap.label).to_numpy().astype(int)
    p = joined.get_column("true_probability").to_numpy()
    z = (yj.sum() - p.sum()) / np.sqrt((p * (1 - p)).sum())
    print(f"  oracle ROC-AUC {roc_auc_score(yj, p):.4f} (want 0.85 .. 0.93); mean true_probability "
          f"{p.mean():.4f} vs realised {yj.mean():.4f} (z = {z:+.2f})")
    recency = joined.get_column("days_since_last_purchase").to_numpy().astype(float)
    print(f"  recency ROC-AUC {roc_auc_score(yj, -recency):.4f} (in-sample reference)")
    x = np.column_stack([np.log1p(recency), np.log1p(joined.get_column("orders_365d").to_numpy()),
                         np.log1p(joined.get_column("total_spend_365d").to_numpy())])
    rfm = LogisticRegression(max_iter=1000).fit(x, yj).predict_proba(x)[:, 1]
    print(f"  RFM logistic ROC-AUC {roc_auc_score(yj, rfm):.4f} (in-sample reference)")

    print("\n== latent types at the default as-of")
    types = (joined.group_by("latent_type")
             .agg(pl.len().alias("n"), pl.col("true_probability").mean().alias("p"),
                  pl.col(snap.label).cast(pl.Float64).mean().alias("rate"))
             .with_columns((pl.col("n") / pl.col("n").sum()).alias("share")).sort("p", descending=True))
    for row in types.iter_rows(named=True):
        print(f"  {row['latent_type']:<15} {row['share']:6.1%}  true p {row['p']:.3f}  realised {row['rate']:.3f}")
    all_truth = pl.read_parquet(folder / "truth.parquet")
    first = all_truth.filter(pl.col("as_of") == dt.date.fromisoformat(info["as_of_dates"][0]))
    pair = first.join(truth, on=schema.ID_COLUMN, suffix="_later")
    moved = (pair.get_column("latent_type") != pair.get_column("latent_type_later")).mean()
    lapsed = pair.filter(pl.col("state") == "lapsed")
    back = (lapsed.get_column("state_later") != "lapsed").mean() if lapsed.height else float("nan")
    print(f"  {info['as_of_dates'][0]} -> {default}: {moved:.1%} changed type; "
          f"{back:.1%} of the lapsed came back")
    flow = (pair.group_by("latent_type", "latent_type_later").len().sort("len", descending=True).head(5))
    for a, b, n in flow.iter_rows():
        print(f"    {a:>15} -> {b:<15} {n:,}")

    if args.model:
        dates = info["as_of_dates"][-3:]
        out = folder.parent / "backtest"
        shutil.rmtree(out, ignore_errors=True)
        print(f"\n== segkit backtest --logs {folder} --as-of {' --as-of '.join(dates)} --outer-bags 1")
        started = time.perf_counter()
        segkit = shutil.which("segkit") or str(Path(sys.executable).parent / "segkit")
        cmd = [segkit, "backtest", "--logs", str(folder), *sum((["--as-of", d] for d in dates), []),
               "--out", str(out), "--outer-bags", "1"]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        print(f"  {time.perf_counter() - started:.0f} s")
        doc = json.loads((out / "backtest.json").read_text())
        for fold in doc["folds"]:
            model = fold["model"]["roc_auc"]
            base = {k: v["roc_auc"] for k, v in fold["baselines"].items() if v}
            oracle = base.get("oracle")
            others = ", ".join(f"{k} {v:.4f}" for k, v in base.items() if k != "oracle")
            print(f"  {fold['train_as_of']} -> {fold['test_as_of']}: EBM {model:.4f}, oracle "
                  f"{oracle:.4f} (gap {oracle - model:+.4f}); {others}")


if __name__ == "__main__":
    main()
