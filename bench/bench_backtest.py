"""Out-of-time backtest on the generated logs: segkit's model against recency, RFM-logistic,
BG/NBD and the oracle, fold by fold.

Why: the issue's goal for `segkit backtest` is that on logs the model's out-of-time ROC-AUC
beats every baseline on every fold, and on the generated logs is within 0.01 of the oracle
(the simulation's own probability). This measures exactly that, with the code path of
``segkit backtest --logs DIR`` (:func:`toolkit.backtest.run_backtest`): snapshots at each
as-of date, the model trained on one date as ``segkit train`` trains, judged on the next.

Logs come from ``segkit generate --logs`` (:func:`toolkit.data.generate_logs.write_logs`),
cached in bench/_data/logs_<customers>_<seed>/ (or ``--logs DIR``). Dates default to the
latest valid ones in logs.json (as the CLI does). ``--write`` replaces the
``bench_backtest`` section of bench/RESULTS.md.

    python bench/bench_backtest.py --customers 60000
    python bench/bench_backtest.py --customers 180000 --write     # ~ the brief's size
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _common import ROOT, machine, peak_rss_mb, write_section

from rich.console import Console

from toolkit.backtest import (BacktestConfig, default_dates, load_truth, plan_folds, run_backtest,
                              write_backtest)
from toolkit.backtest.table import backtest_lines, backtest_table
from toolkit.snapshot import load_sources


def logs_folder(customers: int, seed: int, given: Path | None) -> tuple[Path, float | None]:
    """The logs to backtest on (generated once and cached) and the seconds generating took."""
    if given is not None:
        return given, None
    folder = ROOT / "bench" / "_data" / f"logs_{customers}_{seed}"
    if (folder / "logs.json").exists():
        return folder, None
    from toolkit.data.generate_logs import write_logs

    started = time.perf_counter()
    write_logs(folder, customers=customers, seed=seed)
    return folder, time.perf_counter() - started


def markdown(document: dict, customers: int, seconds: float, config: BacktestConfig,
             generated: bool = False) -> str:
    """The RESULTS.md section: one row per fold, ROC-AUC per scorer."""
    names = ["recency", "rfm_logistic", "bgnbd", "oracle"]
    head = ("| fold (train -> test) | rows | buyers | segkit | recency | RFM logistic | BG/NBD "
            "| oracle |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for f in document["folds"]:
        cells = [f"{f['model']['roc_auc']:.3f}"] + [
            f"{f['baselines'][n]['roc_auc']:.3f}" if n in f["baselines"] else "-" for n in names]
        rows.append(f"| {f['train_as_of']} -> {f['test_as_of']} | {f['rows']:,} | "
                    f"{f['positives']:,} | " + " | ".join(cells) + " |")
    v = document["verdict"]
    verdict = (f"Beats every baseline on every fold: **{'yes' if v['beats_every_baseline'] else 'no'}** "
               f"(smallest margin {v['smallest_margin_over_baselines']:+.3f} AUC)")
    if v.get("largest_gap_to_oracle") is not None:
        verdict += (f"; largest gap to the oracle {v['largest_gap_to_oracle']:+.3f} "
                    f"(goal <= {v['oracle_tolerance']})")
    return "\n".join([
        "## bench_backtest: out-of-time ROC-AUC on the generated logs",
        "",
        f"`python bench/bench_backtest.py --customers {customers} --outer-bags {config.outer_bags} "
        f"--interactions {config.interactions}` ({machine()}): {customers:,} customers' logs, "
        f"{config.horizon_days}-day label, {seconds:.0f} s for the backtest, peak RSS "
        f"{peak_rss_mb():,.0f} MB"
        + (" (the logs were generated in the same process first)." if generated else "."),
        "",
        head, *rows, "",
        verdict + ".",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--logs", type=Path, default=None, help="Use this logs folder instead.")
    ap.add_argument("--as-of", action="append", default=[], help="Dates (repeat); default: logs.json's.")
    ap.add_argument("--horizon-days", type=int, default=30)
    ap.add_argument("--outer-bags", type=int, default=4)
    ap.add_argument("--interactions", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "_data" / "backtest")
    ap.add_argument("--write", action="store_true", help="Write the RESULTS.md section.")
    args = ap.parse_args()

    console = Console(width=80)
    folder, generated = logs_folder(args.customers, args.seed, args.logs)
    if generated is not None:
        console.print(f"generated {args.customers:,} customers' logs in {generated:.0f} s -> {folder}")
    started = time.perf_counter()
    sources = load_sources(folder)
    dates = args.as_of or default_dates((sources.logs_info or {}).get("as_of_dates") or [],
                                        args.horizon_days, logs_end=sources.end)
    folds = plan_folds(dates, args.horizon_days, logs_end=sources.end)
    truth = load_truth(folder / "truth.parquet") if (folder / "truth.parquet").exists() else None
    config = BacktestConfig(horizon_days=args.horizon_days, seed=args.seed,
                            outer_bags=args.outer_bags, interactions=args.interactions)

    def step(message: str) -> None:
        console.print(f"[{time.perf_counter() - started:6.1f} s] {message}", highlight=False)

    document = run_backtest(sources, folds, config, truth=truth, step=step)
    seconds = time.perf_counter() - started
    write_backtest(document, args.out)
    console.print(backtest_table(document))
    for line in backtest_lines(document):
        console.print(line, highlight=False)
    for f in document["folds"]:
        console.print(f"{f['test_as_of']}: model {f['model_seconds']:.0f} s, fold {f['seconds']:.0f} s, "
                      f"in-period test AUC {f['model']['in_period_roc_auc']:.3f}", highlight=False)
    console.print(f"backtest {seconds:.0f} s, peak RSS {peak_rss_mb():,.0f} MB -> {args.out}")
    if args.write:
        customers = int((sources.logs_info or {}).get("customers") or args.customers)
        write_section("bench_backtest", markdown(document, customers, seconds, config,
                                                 generated=generated is not None))


if __name__ == "__main__":
    sys.exit(main())
