"""Distillation off the sample: fidelity, cost ratio and coverage on three tables of
different shapes (issue 10), with the diagnostics the goal statement uses.

Tables (20K rows each by default): the shop table (``tests/unit/segments/test_roles.foreign``:
own column names, a share, an MNAR-missing marketing column), the order history
(``test_roles.order_history``: 10 RFM-like columns) and the generated sample
(``toolkit.data.generate``). Each runs ``run_segmentation`` with few bootstraps (the rules
do not depend on the number of bootstraps, only their stability figures do), once per
distillation variant. A variant replaces :func:`toolkit.segments.distill.leaf_grid` (the
leaf budgets tried when ``--leaves`` is not given).

Appends its section of bench/RESULTS.md between ``<!-- bench_distill_tables -->`` markers.

    .venv/bin/python bench/bench_distill_tables.py --rows 20000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from _common import ROOT, machine, write_section  # also puts the repo root on sys.path

sys.path.insert(0, str(ROOT / "tests" / "unit" / "segments"))

from toolkit.data.generate import generate  # noqa: E402
from toolkit.segments import distill as D  # noqa: E402
from toolkit.segments.pipeline import run_segmentation  # noqa: E402
from test_roles import foreign, order_history  # noqa: E402

DEFAULT_GRID = D.leaf_grid
VARIANTS = {
    "default (k, 1.5k, 2k, 3k)": DEFAULT_GRID,
    "up to 4k, at least 12": lambda k: sorted({*DEFAULT_GRID(k), 4 * k, max(12, 3 * k)}),
}


def tables(rows: int):
    yield "shop table", foreign(rows, 0)
    yield "order history", order_history(rows, 1)
    yield "sample", generate(rows, 42)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--bootstraps", type=int, default=3)
    ap.add_argument("--variants", default=",".join(str(i) for i in range(len(VARIANTS))),
                    help="comma-separated indexes into VARIANTS")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    chosen = [list(VARIANTS)[int(i)] for i in args.variants.split(",")]
    rows = []
    for name, frame in tables(args.rows):
        for variant in chosen:
            D.leaf_grid = VARIANTS[variant]
            t = time.perf_counter()
            with tempfile.TemporaryDirectory() as out:
                s = run_segmentation(frame, out, bootstraps=args.bootstraps,
                                     candidate_bootstraps=min(3, args.bootstraps)).summary
            sec = time.perf_counter() - t
            big = s["fidelity_larger_tree"]
            row = (name, variant, s["k"], s["rules"]["leaf_budget"], s["fidelity"], s["fidelity_unrounded"],
                   s["fidelity_tree"], f"{big['fidelity']:.3f} ({big['leaves']} leaves, <= {big['max_conditions']})",
                   s["cost_ratio"], s["coverage"], s["rules"]["max_conditions"],
                   "yes" if s["goal"]["reached"] else "no", sec)
            rows.append(row)
            print(" | ".join(str(x) for x in row), flush=True)
            print("   ", s["goal"]["statement"], flush=True)
    D.leaf_grid = DEFAULT_GRID
    if args.no_write:
        return
    lines = ["## Distillation on tables other than the sample (bench/bench_distill_tables.py)", "",
             f"Machine: {machine()}. {args.rows:,} rows per table, {args.bootstraps} bootstraps, default "
             "settings otherwise; held-out figures. *tree*: the fitted tree before paths are cut to 3 "
             "conditions and rounded; *larger tree*: twice the largest leaf budget, no condition limit "
             "(what longer rules could reach).", "",
             "| table | leaf grid | k | leaves | fidelity | unrounded | tree | larger tree | cost ratio | "
             "coverage | conditions | goal | s |",
             "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.3f} | {r[5]:.3f} | {r[6]:.3f} | {r[7]} | "
                     f"{r[8]:.3f} | {r[9]:.3f} | {r[10]} | {r[11]} | {r[12]:.0f} |")
    lines += ["", f"Command: `python bench/bench_distill_tables.py --rows {args.rows} --bootstraps {args.bootstraps}`", "",
              "Larger leaf budgets do not help under the 3-condition limit: fixing k=4 and trying "
              "`leaves=(12, 16, 24, 32, 48)` gave validation fidelity 0.890 / 0.892 / 0.871 / 0.871 / "
              "0.825 on the shop table and 0.925 / 0.917 / 0.919 / 0.919 / 0.918 on the order "
              "history: the extra leaves sit deeper than 3 columns and are cut away, and the cuts "
              "cost more than the leaves gain. The default grid (k, 1.5k, 2k, 3k) stays; where the "
              "goal is out of reach, segments.json's `goal.statement` says which constraint binds."]
    write_section("bench_distill_tables", "\n".join(lines))


if __name__ == "__main__":
    main()
