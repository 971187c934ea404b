"""Native Spark scoring against the local Polars path, at 0.6M, 2.4M and 9.6M rows.

* Polars: ``Scorecard.score`` (probability, decision, 3 reasons) and ``Ruleset.apply`` on a frame
  already in memory (read from the same Parquet file before timing).
* Spark (local[2], Arrow on): ``Scorecard.score_spark`` and ``Ruleset.apply_spark`` over
  ``spark.read.parquet(file)``, timed writing the whole result to Spark's ``noop`` sink (every row
  computed, nothing kept, no client transfer). ``scan`` is the same write of the bare input
  columns: the floor set by reading Parquet. One small warm-up job starts the Python workers
  first (a Spark application is long-running).

The scorecard is bench_scoring's (EBM on 60,000 generated customers, 50 terms of which 10 pairs;
fitted here the same way if bench/_data does not hold it yet); the ruleset is
rulesets/demo_distilled.yaml. Rows: ``generate(2,400,000, seed=7)``; 0.6M is its first rows and
9.6M is it four times (ids suffixed), so every size has the same value mix. Writes the
``bench_spark`` section of bench/RESULTS.md.

    .venv/bin/python bench/bench_spark.py [--sizes 600000 2400000 9600000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from _common import ROOT, best_of, machine, write_section

DATA = ROOT / "bench" / "_data"
BASE_ROWS = 2_400_000
SEED = 7
CARD = DATA / "bench_scoring_scorecard_42.json"
RULESET = ROOT / "rulesets" / "demo_distilled.yaml"
MAX_PARTITION_BYTES = "10m"


def scorecard():
    from toolkit.model.scorecard import Scorecard, compile_ebm
    from toolkit.schema import ID_COLUMN

    if not CARD.exists():
        from bench_scoring import fit_model

        print("fitting bench_scoring's EBM on 60,000 rows ...", flush=True)
        ebm, specs, derived = fit_model(60_000, 42)
        DATA.mkdir(parents=True, exist_ok=True)
        compile_ebm(ebm, specs, derived, threshold=0.5, id_column=ID_COLUMN,
                    metadata={"bench": "bench_scoring"}).save(CARD)
    return Scorecard.load(CARD)


def data(rows: int) -> Path:
    """A Parquet file of ``rows`` generated customers (row groups of 100,000 rows, so Spark can
    split it evenly between its two cores)."""
    import polars as pl

    from toolkit.data.generate import generate
    from toolkit.schema import ID_COLUMN

    path = DATA / f"spark_{rows}_{SEED}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    base_path = DATA / f"spark_{BASE_ROWS}_{SEED}.parquet"
    if not base_path.exists():
        print(f"generating {BASE_ROWS:,} rows ...", flush=True)
        generate(BASE_ROWS, SEED)[0].write_parquet(base_path, row_group_size=100_000)
    if rows == BASE_ROWS:
        return base_path
    base = pl.read_parquet(base_path)
    copies = -(-rows // BASE_ROWS)
    frame = pl.concat([base.with_columns(pl.col(ID_COLUMN) + f"-{k}") if k else base
                       for k in range(copies)]).head(rows)
    frame.write_parquet(path, row_group_size=100_000)
    return path


def spark_session():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("segkit-bench")
               .config("spark.driver.memory", "3g")
               .config("spark.sql.shuffle.partitions", "2")
               # ~10 MB splits: 2, 8 and 31 tasks at 0.6M, 2.4M and 9.6M rows, so the two cores
               # stay busy to the end (128 MB, the default, gives 3 tasks at 9.6M: one runs alone)
               .config("spark.sql.files.maxPartitionBytes", MAX_PARTITION_BYTES)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def noop(df) -> None:
    df.write.format("noop").mode("overwrite").save()


def measure(rows: int, card, rules, spark, repeat: int) -> dict:
    """Best of ``repeat`` for each method; Spark and Polars runs alternate, so a burst of load
    from the machine's other users lands on both sides rather than on one."""
    import polars as pl

    from toolkit.schema import ID_COLUMN

    path = data(rows)
    sdf = spark.read.parquet(str(path))
    needed = list(dict.fromkeys([ID_COLUMN, *card.input_columns]))
    frame = pl.read_parquet(path)
    runs = {
        "spark_scan": lambda: noop(sdf.select(*needed)),
        "spark_score": lambda: noop(card.score_spark(sdf, top_reasons=3)),
        "polars_score": lambda: card.score(frame, top_reasons=3),
        "spark_rules": lambda: noop(rules.apply_spark(sdf).select(ID_COLUMN, "segment")),
        "polars_rules": lambda: rules.apply(frame).select(ID_COLUMN, "segment"),
    }
    out: dict = {"rows": rows, "partitions": sdf.rdd.getNumPartitions()}
    for _ in range(repeat):
        for name, run in runs.items():
            seconds, _ = best_of(1, run)
            out[name] = min(seconds, out.get(name, seconds))
    del frame
    print(f"{rows:>10,} rows: " + ", ".join(f"{k} {out[k]:.1f} s" for k in runs), flush=True)
    return out


def check_exact(card, spark) -> str:
    """The same numbers: score_spark vs score on the first 200,000 rows, bit for bit."""
    import numpy as np
    import polars as pl

    from toolkit.schema import ID_COLUMN

    frame = pl.read_parquet(data(BASE_ROWS), n_rows=200_000)
    got = pl.from_arrow(card.score_spark(spark.createDataFrame(frame.to_arrow())).toArrow()).sort(ID_COLUMN)
    want = card.score(frame).sort(ID_COLUMN)
    same_p = np.array_equal(got["purchase_probability"].to_numpy().view(np.uint64),
                            want["purchase_probability"].to_numpy().view(np.uint64))
    same_rest = all(got[c].eq_missing(want[c]).all() for c in want.columns)
    return "identical" if same_p and same_rest else "DIFFERENT"


def java_version() -> str:
    import subprocess

    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "Java (version unknown)"
    first = (done.stderr or done.stdout).splitlines()[:1]
    return first[0].strip() if first else "Java (version unknown)"


def report(results: list[dict], card, exact: str, load: tuple[float, float], spark_version: str,
           argv: list[str], repeat: int) -> str:
    lines = [
        "## Native Spark scoring (`Scorecard.score_spark`, `Ruleset.apply_spark`)",
        "",
        f"Machine: {machine()}; Spark {spark_version} local[2], {java_version()}; load average {load[0]:.1f} before, {load[1]:.1f} after "
        "(the 2 cores are shared).  ",
        f"Command: `.venv/bin/python bench/bench_spark.py {' '.join(argv)}`.".replace("  `", "`"),
        "",
        f"Scorecard: bench_scoring's ({len(card.terms)} terms); ruleset: rulesets/demo_distilled.yaml. "
        f"Spark reads the Parquet file (`spark.sql.files.maxPartitionBytes={MAX_PARTITION_BYTES}`, "
        "row groups of 100,000 rows) and writes the whole result to the `noop` sink; Polars scores "
        f"a frame already in memory. Times in seconds, best of {repeat} (Spark and Polars runs "
        "alternating), after a warm-up job.",
        "",
        "| rows | partitions | Spark scan | `score_spark` | Polars `score` | ratio | "
        "`apply_spark` | Polars `apply` | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['partitions']} | {r['spark_scan']:.2f} | {r['spark_score']:.2f} | "
            f"{r['polars_score']:.2f} | {r['spark_score'] / r['polars_score']:.2f}x | "
            f"{r['spark_rules']:.2f} | {r['polars_rules']:.2f} | "
            f"{r['spark_rules'] / r['polars_rules']:.2f}x |")
    lines.append("")
    if len(results) > 1:
        first = results[0]
        growth = ", ".join(
            f"{r['rows'] / first['rows']:.0f}x rows -> {r['spark_score'] / first['spark_score']:.1f}x time"
            for r in results[1:])
        rates = ", ".join(f"{r['rows'] / r['spark_score']:,.0f}" for r in results)
        lines.append(f"- Scaling of `score_spark` from {first['rows']:,} rows: {growth} ({rates} rows/s).")
    lines.append(f"- Exactness: `score_spark` vs `score` on 200,000 rows, every column: {exact} "
                 "(probabilities compared as bits).")
    two = [r for r in results if r["rows"] == BASE_ROWS]
    if two:
        ratio = two[0]["spark_score"] / two[0]["polars_score"]
        lines.append(f"- Goal (issue 12): `score_spark` <= 3x the Polars path at 2,400,000 rows: "
                     f"{ratio:.2f}x, {'met' if ratio <= 3 else 'NOT met'}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[600_000, 2_400_000, 9_600_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(argv)

    import pyspark

    from toolkit.ruleset import Ruleset

    card = scorecard()
    rules = Ruleset.load(RULESET)
    for rows in args.sizes:
        data(rows)
    load_before = os.getloadavg()[0]
    spark = spark_session()
    started = time.perf_counter()
    exact = check_exact(card, spark)  # also the warm-up: starts the Python workers
    print(f"exactness check (and warm-up) {time.perf_counter() - started:.1f} s: {exact}", flush=True)
    results = [measure(rows, card, rules, spark, args.repeat) for rows in args.sizes]
    spark.stop()
    text = report(results, card, exact, (load_before, os.getloadavg()[0]), pyspark.__version__, argv,
                  args.repeat)
    print()
    print(text)
    if not args.no_write:
        write_section("bench_spark", text)


if __name__ == "__main__":
    main()
