"""The scorecard SQL and the ruleset SQL on DuckDB, PostgreSQL 15 and Spark SQL, against the
Polars path on the same rows in the same run, engine defaults untouched.

Engine time = writing the result into a table in the engine (``CREATE TABLE ... AS``; Spark
``saveAsTable``), so client transfer is not counted; the Polars path scores a frame already in
memory (``Scorecard.predict_proba`` / ``Ruleset.apply``). Each timing is the best of
``--repeat``; CPU seconds of the engine process beside the wall time (PostgreSQL: the backend
only, so parallel workers are not counted; Spark: the driver JVM, which runs local[2]).

Forms (``--forms``): ``new`` is what ``Scorecard.to_sql`` writes now; ``grid`` is the form all
dialects used before (grid search + step levels; Spark: ARRAY(...) constructors and
ELEMENT_AT; DuckDB: array literals inside the expressions and smaller grids), kept here to
measure the change.

    .venv/bin/python bench/bench_engines.py --data runs/demo/data.parquet \
        --scorecard runs/demo/scorecard.json [--rows 2400000] [--engines duckdb postgres spark]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import shutil
import sys
import tempfile
import time

from _common import ROOT, machine

sys.path.insert(0, str(ROOT / "tests" / "engines"))

import polars as pl  # noqa: E402

from toolkit.model.scorecard import Scorecard  # noqa: E402
from toolkit.ruleset import Ruleset  # noqa: E402
from toolkit.sql.dialects import get_dialect  # noqa: E402

TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TCK


def best(repeat: int, fn) -> tuple[float, float]:
    """(wall, cpu) of the fastest of ``repeat`` calls; ``fn`` returns its cpu seconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        cpu = fn()
        runs.append((time.perf_counter() - start, cpu))
    return min(runs)


def old_form(dialect: str):
    """The dialect record as it was before the engine-specific forms (grid search everywhere)."""
    d = get_dialect(dialect)
    if dialect == "spark":
        return dataclasses.replace(d, array_text=None, subscript="element_at")
    if dialect == "duckdb":  # array literals in the expressions, grids up to 8 cells a cut
        return dataclasses.replace(d, grid_cells=None, array_columns=False)
    return dataclasses.replace(d, search="grid")


def load_rows(path: str, rows: int | None) -> pl.DataFrame:
    frame = pl.read_parquet(path)
    if rows and rows != frame.height:  # repeat the rows with fresh ids (same value mix)
        reps = -(-rows // frame.height)
        id_col = frame.columns[0]
        frame = pl.concat([frame.with_columns((pl.col(id_col).cast(pl.Utf8) + f"_{k}").alias(id_col))
                           for k in range(reps)]).head(rows)
    return frame


def bench_polars(card, rs, frame, repeat):
    def score():
        a = time.process_time()
        card.predict_proba(frame)
        return time.process_time() - a

    def rules():
        a = time.process_time()
        rs.apply(frame)
        return time.process_time() - a
    return {"scorecard": best(repeat, score), "rules": best(repeat, rules)}


def bench_duckdb(card, rs, frame, repeat, forms):
    import duckdb

    con = duckdb.connect()
    con.register("src", frame.to_arrow())
    con.execute("CREATE TABLE customers AS SELECT * FROM src")
    out = {}

    def ctas(sql):
        def run():
            con.execute("DROP TABLE IF EXISTS scored")
            a = time.process_time()
            con.execute("CREATE TABLE scored AS " + sql)
            return time.process_time() - a
        return run
    for form in forms:
        dialect = "duckdb" if form == "new" else old_form("duckdb")
        out[f"scorecard {form}"] = best(repeat, ctas(card.to_sql(dialect)))
    out["rules"] = best(repeat, ctas(rs.to_sql("duckdb", column_types=frame.schema)))
    con.close()
    return out


def bench_postgres(card, rs, frame, repeat, forms):
    import pg_server

    server = pg_server.start()  # engine defaults (JIT on, parallel query on)
    out = {}
    try:
        with server.connect() as con:
            types = {c: ("boolean" if t == pl.Boolean else "bigint" if t.is_integer() else
                         "double precision" if t.is_numeric() else "text") for c, t in frame.schema.items()}
            con.execute("CREATE TABLE customers (" + ", ".join(f'"{c}" {t}' for c, t in types.items()) + ")")
            buf = io.BytesIO()
            frame.write_csv(buf, include_header=False, null_value="")
            with con.cursor().copy("COPY customers FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buf.getvalue())
            con.execute("VACUUM ANALYZE customers")
            pid = con.execute("SELECT pg_backend_pid()").fetchone()[0]

            def ctas(sql):
                def run():
                    con.execute("DROP TABLE IF EXISTS scored")
                    a = proc_cpu(pid)
                    con.execute("CREATE TABLE scored AS " + sql)
                    return proc_cpu(pid) - a
                return run
            for form in forms:
                dialect = "postgres" if form == "new" else old_form("postgres")
                sql = card.to_sql(dialect)
                plan = con.execute("EXPLAIN (FORMAT JSON) " + sql).fetchone()[0][0]["Plan"]
                out[f"scorecard {form}"] = best(repeat if form == "new" else 1, ctas(sql))
                out[f"cost {form}"] = plan["Total Cost"]
            out["rules"] = best(repeat, ctas(rs.to_sql("postgres", column_types=frame.schema)))
    finally:
        server.stop()
    return out


def bench_spark(card, rs, frame, repeat, forms):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    warehouse = tempfile.mkdtemp(prefix="segkit-spark-")
    spark = (SparkSession.builder.master("local[2]").appName("bench_engines")
             .config("spark.ui.enabled", "false").config("spark.sql.warehouse.dir", warehouse).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    pid = spark._jvm.java.lang.ProcessHandle.current().pid()
    out = {}
    try:
        path = os.path.join(warehouse, "customers.parquet")
        frame.write_parquet(path)
        spark.read.parquet(path).createOrReplaceTempView("customers")

        def write(sql, analysed: list):
            def run():
                spark.sql("DROP TABLE IF EXISTS scored")
                shutil.rmtree(os.path.join(warehouse, "scored"), ignore_errors=True)
                a = proc_cpu(pid)
                t = time.perf_counter()
                df = spark.sql(sql)  # parse + analysis (eager)
                analysed.append(time.perf_counter() - t)
                df.write.mode("overwrite").saveAsTable("scored")
                return proc_cpu(pid) - a
            return run
        for form in forms:
            dialect = "spark" if form == "new" else old_form("spark")
            analysed: list[float] = []
            out[f"scorecard {form}"] = best(repeat if form == "new" else 1, write(card.to_sql(dialect), analysed))
            out[f"analysis {form}"] = min(analysed)
        out["rules"] = best(repeat, write(rs.to_sql("spark", column_types=frame.schema), []))
    finally:
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT / "runs" / "demo" / "data.parquet"))
    ap.add_argument("--scorecard", default=str(ROOT / "runs" / "demo" / "scorecard.json"))
    ap.add_argument("--ruleset", default=str(ROOT / "rulesets" / "rfm_classic.yaml"))
    ap.add_argument("--rows", type=int, default=None, help="repeat the data's rows up to this many")
    ap.add_argument("--engines", nargs="+", default=["duckdb", "postgres", "spark"])
    ap.add_argument("--forms", nargs="+", default=["new", "grid"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    card = Scorecard.from_dict(json.loads(open(args.scorecard).read()))
    rs = Ruleset.load(args.ruleset)
    frame = load_rows(args.data, args.rows)
    print(f"{machine()}; {frame.height:,} rows; load {os.getloadavg()[0]:.1f}", flush=True)
    polars = bench_polars(card, rs, frame, args.repeat)
    print(f"polars: scorecard {polars['scorecard'][0]:.2f} s ({polars['scorecard'][1]:.2f} cpu), "
          f"rules {polars['rules'][0]:.3f} s", flush=True)
    runners = {"duckdb": bench_duckdb, "postgres": bench_postgres, "spark": bench_spark}
    for name in args.engines:
        got = runners[name](card, rs, frame, args.repeat, args.forms)
        for key, value in got.items():
            if isinstance(value, tuple):
                base = polars["rules" if key == "rules" else "scorecard"][0]
                print(f"{name} {key}: {value[0]:.2f} s wall ({value[1]:.2f} s cpu), "
                      f"{value[0] / base:.1f}x Polars", flush=True)
            else:
                print(f"{name} {key}: {value:,.2f}", flush=True)
    print(f"load after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
