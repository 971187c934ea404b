"""Scoring speed and memory: the scorecard (Polars), interpret's predict_proba, DuckDB SQL.

One EBM is fitted the way toolkit.model.train fits it (schema features + derived ratios, 4 outer
bags, 10 pairs, n_jobs=2) on generated customers, compiled to a scorecard, and then each
(method, rows) pair runs in its own subprocess so memory is measured in isolation:

* ``scorecard``  ``Scorecard.predict_proba`` on a Polars frame (the comparable of interpret)
* ``score``      ``Scorecard.score`` (probability, decision, three reason texts)
* ``interpret``  ``ebm.predict_proba`` on the frame ``to_model_input`` builds (conversion
                 timed separately); the child refits the same EBM (same seed) and checks its
                 probabilities against the scorecard's
* ``duckdb``     ``Scorecard.to_sql('duckdb')`` over a DuckDB table holding the rows

Time: best of ``--repeat`` runs (wall clock; CPU seconds of the best run beside it). Memory:
the process's peak resident set during the measured calls (Linux VmHWM, reset just before
them), and the part of it above the resident set before them (the input data and model).
Writes the ``bench_scoring`` section of bench/RESULTS.md.

    .venv/bin/python bench/bench_scoring.py [--sizes 180000 2400000] [--train-rows 60000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

from _common import ROOT, machine, write_section

DATA = ROOT / "bench" / "_data"
METHODS = ("scorecard", "score", "interpret", "duckdb")


# --------------------------------------------------------------------------------------------
# model and data


def fit_model(rows: int, seed: int):
    """(ebm, specs, derived) exactly as toolkit.model.train builds them, on generated data."""
    from interpret.glassbox import ExplainableBoostingClassifier

    from toolkit.model import features as feats
    from toolkit.data import io
    from toolkit.data.generate import generate
    from toolkit.model.model_input import FeatureSpec, to_model_input
    from toolkit.schema import FEATURES, TARGET_COLUMN

    frame, _ = generate(rows, seed)
    names = list(FEATURES)
    derived = [d for d in feats.applicable(feats.DERIVED, frame.columns)
               if d.numerator in names and d.denominator in names]
    engineered = feats.add_derived(frame, derived)
    types = io.infer_feature_types(engineered, names + [d.name for d in derived])
    specs = [FeatureSpec(n, types[n]) for n in names + [d.name for d in derived]]
    ebm = ExplainableBoostingClassifier(
        feature_names=[s.name for s in specs], feature_types=[s.type for s in specs],
        interactions=10, outer_bags=4, n_jobs=2, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ebm.fit(to_model_input(engineered, specs), frame.get_column(TARGET_COLUMN).to_numpy())
    return ebm, specs, derived


def data_path(rows: int, seed: int) -> Path:
    return DATA / f"scoring_{rows}_{seed}.parquet"


def ensure_data(rows: int, seed: int) -> Path:
    from toolkit.data.generate import generate

    path = data_path(rows, seed)
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        frame, _ = generate(rows, seed)
        tmp = path.with_suffix(".tmp")
        frame.write_parquet(tmp)
        tmp.replace(path)
    return path


# --------------------------------------------------------------------------------------------
# measuring inside a child process


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as handle:  # "5" resets VmHWM (Linux >= 4.0)
        handle.write("5")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def measure(fn, repeat: int) -> dict:
    """Best wall time of ``repeat`` calls, its CPU time, and the peak RSS over all calls."""
    gc.collect()
    before = rss_mb()
    reset_peak()
    best = None
    result = None
    for _ in range(repeat):
        result = None  # let the previous result go before the next call
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if best is None or wall < best[0]:
            best = (wall, cpu)
    peak = peak_mb()
    return {"seconds": best[0], "cpu_seconds": best[1], "peak_mb": peak, "before_mb": before,
            "result": result}


def child(method: str, rows: int, args) -> dict:
    import numpy as np
    import polars as pl

    from toolkit.model.scorecard import Scorecard

    card = Scorecard.load(args.scorecard)
    frame = pl.read_parquet(ensure_data(args.data_rows, args.data_seed), n_rows=rows)
    out: dict = {"method": method, "rows": frame.height}
    if method == "scorecard":
        m = measure(lambda: card.predict_proba(frame), args.repeat)
    elif method == "score":
        m = measure(lambda: card.score(frame, top_reasons=3), args.repeat)
        out["example"] = m["result"].row(0, named=True)
    elif method == "interpret":
        from toolkit.model.features import add_derived
        from toolkit.model.model_input import to_model_input

        ebm, specs, derived = fit_model(args.train_rows, args.seed)
        convert = measure(lambda: to_model_input(add_derived(frame, derived), specs), 1)
        x = convert.pop("result")
        out["convert_seconds"] = convert["seconds"]
        out["convert_peak_mb"] = convert["peak_mb"]
        m = measure(lambda: ebm.predict_proba(x)[:, 1], args.repeat)
        # same model? (after measuring, so the check does not count)
        del x
        gc.collect()
        out["max_abs_diff_vs_scorecard"] = float(np.max(np.abs(card.predict_proba(frame) - m["result"])))
    elif method == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads = {os.cpu_count()}")
        con.register("src", frame.to_arrow())
        con.execute("CREATE TABLE customers AS SELECT * FROM src")
        con.unregister("src")
        sql = card.to_sql("duckdb", table="customers")
        out["sql_chars"] = len(sql)
        reference = card.predict_proba(frame)
        ids = frame.get_column(card.id_column)
        del frame
        gc.collect()
        m = measure(lambda: con.execute(sql).fetchnumpy(), args.repeat)
        got = m["result"]
        order = {v: i for i, v in enumerate(got[card.id_column].tolist())}
        aligned = np.asarray(got["purchase_probability"], dtype=float)[[order[v] for v in ids.to_list()]]
        out["max_abs_diff_vs_scorecard"] = float(np.max(np.abs(aligned - reference)))
    else:
        raise SystemExit(f"unknown method {method}")
    m.pop("result", None)
    out.update(m)
    return out


# --------------------------------------------------------------------------------------------
# driver


def run_child(method: str, rows: int, args) -> dict:
    cmd = [sys.executable, __file__, "--child", method, "--child-rows", str(rows),
           "--scorecard", str(args.scorecard), "--data-rows", str(args.data_rows),
           "--data-seed", str(args.data_seed), "--train-rows", str(args.train_rows),
           "--seed", str(args.seed), "--repeat", str(args.repeat)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{method} {rows}: child failed\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt_rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}"


def report(results: list[dict], args, load_before, load_after, fit_seconds: float, card) -> str:
    by = {(r["method"], r["rows"]): r for r in results}
    sizes = sorted({r["rows"] for r in results})
    lines = [
        "## Scoring: scorecard (Polars) vs interpret vs DuckDB SQL (`bench/bench_scoring.py`)",
        "",
        f"Command: `.venv/bin/python bench/bench_scoring.py --sizes {' '.join(map(str, args.sizes))} "
        f"--train-rows {args.train_rows} --repeat {args.repeat}`  ",
        f"Machine: {machine()}, nproc {os.cpu_count()}; load average {load_before:.1f} before / "
        f"{load_after:.1f} after (other jobs share the cores: wall times are upper bounds, CPU "
        "seconds are the steadier figure).  ",
        f"Model: EBM fitted on {args.train_rows:,} generated customers ({len(card.features)} features incl. "
        f"{len(card.derived)} derived ratios, {len(card.terms)} terms of which "
        f"{sum(len(t['features']) == 2 for t in card.terms)} pairs; 4 outer bags) in {fit_seconds:.0f} s. "
        f"Scored rows: `toolkit.data.generate.generate({args.data_rows:,}, seed={args.data_seed})`, first N rows.  ",
        "Time: best of the repeats; peak: resident set of the measuring process during the calls "
        "(VmHWM), which includes the input table; \"+\" = peak above the resident set before the calls.",
        "",
        "| method | rows | seconds | rows/s | CPU s | peak MB | + MB | vs predict_proba |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {"scorecard": "scorecard `predict_proba` (Polars)",
              "score": "scorecard `score` (+ decision, 3 reasons)",
              "interpret": "interpret `ebm.predict_proba`",
              "duckdb": "DuckDB `to_sql('duckdb')`"}
    for rows in sizes:
        base = by.get(("interpret", rows))
        for method in METHODS:
            r = by.get((method, rows))
            if r is None:
                continue
            ratio = f"{base['seconds'] / r['seconds']:.2f}x faster" if base and method != "interpret" else "-"
            if base and method != "interpret" and r["seconds"] > base["seconds"]:
                ratio = f"{r['seconds'] / base['seconds']:.2f}x slower"
            lines.append(f"| {labels[method]} | {rows:,} | {r['seconds']:.2f} | {fmt_rate(rows, r['seconds'])} | "
                         f"{r['cpu_seconds']:.2f} | {r['peak_mb']:,.0f} | {r['peak_mb'] - r['before_mb']:,.0f} | "
                         f"{ratio} |")
    lines.append("")
    notes = []
    for rows in sizes:
        i = by.get(("interpret", rows))
        d = by.get(("duckdb", rows))
        if i:
            notes.append(f"- {rows:,} rows: interpret also needs `to_model_input` (Polars -> pandas) first: "
                         f"{i['convert_seconds']:.2f} s; its probabilities differ from the scorecard's by at most "
                         f"{i['max_abs_diff_vs_scorecard']:.1e}.")
        if d:
            notes.append(f"- {rows:,} rows: DuckDB SQL ({d['sql_chars']:,} characters, one SELECT) differs from the "
                         f"scorecard by at most {d['max_abs_diff_vs_scorecard']:.1e}; the table was loaded into "
                         "DuckDB before timing.")
    lines += notes
    sizes_sql = {d: len(card.to_sql(d)) for d in ("duckdb", "postgres", "bigquery", "snowflake", "spark")}
    lines.append("- SQL text per dialect (characters): "
                 + ", ".join(f"{d} {n:,}" for d, n in sizes_sql.items())
                 + " (BigQuery and Snowflake cap a query near 1 MB).")
    big = max(sizes)
    s = by.get(("scorecard", big))
    i = by.get(("interpret", big))
    sc = by.get(("score", big))
    if s:
        lines.append("")
        verdict = []
        verdict.append(f"Targets for {big:,} rows (2 cores): under 10 s - scorecard {s['seconds']:.1f} s"
                       + (f", `score` {sc['seconds']:.1f} s" if sc else "")
                       + f"; under 2 GB peak - scorecard {s['peak_mb'] / 1024:.2f} GB"
                       + (f", `score` {sc['peak_mb'] / 1024:.2f} GB" if sc else "")
                       + (f"; at least as fast as predict_proba - {i['seconds'] / s['seconds']:.2f}x" if i else "")
                       + ".")
        lines += verdict
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[180_000, 2_400_000])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--train-rows", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--child-rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scorecard", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data-rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child, args.child_rows, args), default=str))
        return

    from toolkit.schema import ID_COLUMN
    from toolkit.model.scorecard import compile_ebm

    load_before = os.getloadavg()[0]
    args.data_rows = max(args.sizes)
    print(f"generating {args.data_rows:,} rows to score ...", flush=True)
    ensure_data(args.data_rows, args.data_seed)
    print(f"fitting the EBM on {args.train_rows:,} rows ...", flush=True)
    started = time.perf_counter()
    ebm, specs, derived = fit_model(args.train_rows, args.seed)
    fit_seconds = time.perf_counter() - started
    card = compile_ebm(ebm, specs, derived, threshold=0.5, id_column=ID_COLUMN,
                       metadata={"bench": "bench_scoring"})
    args.scorecard = DATA / f"bench_scoring_scorecard_{args.seed}.json"
    card.save(args.scorecard)
    del ebm
    results = []
    for rows in args.sizes:
        for method in args.methods:
            print(f"{method:>9} {rows:>9,} rows ...", end=" ", flush=True)
            r = run_child(method, rows, args)
            results.append(r)
            print(f"{r['seconds']:.2f} s, peak {r['peak_mb']:,.0f} MB", flush=True)
    load_after = os.getloadavg()[0]
    text = report(results, args, load_before, load_after, fit_seconds, card)
    print()
    print(text)
    if not args.no_write:
        write_section("bench_scoring", text)


if __name__ == "__main__":
    main()
