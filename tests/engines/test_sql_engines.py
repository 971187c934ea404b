"""The exported SQL executed on every engine we can start: the scorecard SQL and every ruleset
SQL run on DuckDB, PostgreSQL (a throwaway cluster, the ``postgres`` fixture) and Spark SQL
(one local SparkSession, ``spark``) on tables created the ordinary way in each engine, and
must match the Polars path: probability within 1e-9, the same segment for every row.

Small tables (a few thousand rows): one server and one session for the whole test run.
PostgreSQL's JIT never fires on them, so the planner cost of the scorecard statement on a
180K-row table is checked against ``jit_above_cost`` separately. Without the server binaries
or Java these tests skip locally and fail in CI (``SEGKIT_REQUIRE_ENGINES=1``, engine_gate).
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

import scorecard_fixtures as fx
from test_rules_engines import FRAME, HOSTILE, B, F, I, S
from toolkit.data.generate import generate
from toolkit.model.scorecard import Scorecard, compile_ebm
from toolkit.rules import format_column, format_value
from toolkit.ruleset import Ruleset, Segment
from toolkit.sql.dialects import get_dialect

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-9
ENGINES = ("duckdb", "postgres", "spark")
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


def _pg_type(dtype) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "bigint"
    if dtype.is_numeric():
        return "double precision"
    return "text"


def _dq(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Engine:
    """Creates a table from a Polars frame the ordinary way in one engine and runs a query."""

    def __init__(self, name: str, request):
        self.name = name
        self.dialect = name
        if name == "postgres":
            self.server = request.getfixturevalue("postgres")
        elif name == "spark":
            self.spark = request.getfixturevalue("spark")

    def query(self, frame: pl.DataFrame, sql: str, table: str = "customers") -> list[tuple]:
        if self.name == "duckdb":
            con = duckdb.connect()
            try:
                con.register("__src", frame.to_arrow())
                con.execute(f"CREATE TABLE {_dq(table)} AS SELECT * FROM __src")
                return con.execute(sql).fetchall()
            finally:
                con.close()
        if self.name == "postgres":
            with self.server.connect() as con:
                con.execute(f"DROP TABLE IF EXISTS {_dq(table)}")
                columns = ", ".join(f"{_dq(c)} {_pg_type(t)}" for c, t in frame.schema.items())
                con.execute(f"CREATE TABLE {_dq(table)} ({columns})")
                with con.cursor().copy(f"COPY {_dq(table)} FROM STDIN") as copy:
                    for row in frame.iter_rows():
                        copy.write_row(row)
                try:
                    return con.execute(sql).fetchall()
                finally:
                    con.execute(f"DROP TABLE {_dq(table)}")
        view = "`" + table.replace("`", "``") + "`"
        self.spark.createDataFrame(frame.to_arrow()).createOrReplaceTempView(view)
        try:
            return [tuple(r) for r in self.spark.sql(sql).collect()]
        finally:
            self.spark.catalog.dropTempView(table)


@pytest.fixture(params=ENGINES)
def engine(request) -> Engine:
    return Engine(request.param, request)


def assert_scores(card: Scorecard, frame: pl.DataFrame, rows: list[tuple], id_column: str) -> None:
    got = {str(k): v for k, v in rows}
    assert len(got) == frame.height == len(rows)
    theirs = np.array([got[str(k)] for k in frame[id_column].to_list()], dtype=np.float64)
    ours = card.predict_proba(frame)
    bad = np.nonzero(~(np.abs(ours - theirs) < TOL))[0]
    assert bad.size == 0, (frame[bad[:5]].to_dicts(), ours[bad[:5]], theirs[bad[:5]])


# ---------------------------------------------------------------------------------------------
# scorecard


@pytest.fixture(scope="module")
def fitted():
    return fx.fitted()


@pytest.fixture(scope="module")
def card(fitted) -> Scorecard:
    return compile_ebm(fitted.ebm, fitted.specs, fitted.derived, threshold=0.5, id_column=fx.ID, metadata={})


def test_scorecard_sql_on_native_integer_columns(engine, fitted, card):
    """The training rows as the engine types them (counts are BIGINT columns)."""
    frame = fitted.frame
    assert frame.schema["orders_90d"] == pl.Int64
    assert_scores(card, frame, engine.query(frame, card.to_sql(engine.dialect, table="customers")), fx.ID)


def test_scorecard_sql_on_edge_rows(engine, fitted, card):
    """Every cut and the doubles either side, null, NaN, +-inf, huge values, unseen categories."""
    edge = fx.edge_frame(card, fitted)
    if engine.name == "postgres":
        # documented limit: PostgreSQL raises "value out of range" where a ratio over- or
        # underflows a double; keep ratio inputs within 1e-300..1e300 in magnitude there
        def tame(c):
            a = pl.col(c).abs()
            return a.is_null() | a.is_nan() | a.is_infinite() | (a == 0) | ((a > 1e-300) & (a < 1e300))
        edge = edge.filter(tame("total_spend_365d") & tame("orders_365d"))
    assert edge.height > 500
    assert_scores(card, edge, engine.query(edge, card.to_sql(engine.dialect)), fx.ID)


HOSTILE_ID = fx.HOSTILE_ID


@pytest.fixture(scope="module")
def hostile_card():
    """A model whose column names, ratio name and categories all try to break out of quotes."""
    h = fx.hostile()
    return h.card, h.frame


def test_scorecard_sql_with_hostile_names(engine, hostile_card):
    card, frame = hostile_card
    table = "plain_customers" if engine.name == "spark" else 'my "customers"; x'
    assert_scores(card, frame, engine.query(frame, card.to_sql(engine.dialect, table=table), table), HOSTILE_ID)


# ---------------------------------------------------------------------------------------------
# rulesets


def assert_segments(rs: Ruleset, frame: pl.DataFrame, rows: list[tuple], id_column: str) -> None:
    expected = rs.apply(frame)["segment"].to_list()
    got = dict(rows)
    assert len(got) == frame.height
    wrong = [(k, got[k], e) for k, e in zip(frame[id_column].to_list(), expected) if got[k] != e]
    assert not wrong, wrong[:5]


@pytest.fixture(scope="module")
def shop() -> pl.DataFrame:
    """Generated customers with holes: nulls and NaN in numeric columns, +inf in one."""
    frame, _ = generate(1500, 11)
    rng = np.random.default_rng(11)
    floats = [c for c, t in frame.schema.items() if t == pl.Float64][:6]
    out = frame.with_columns(
        pl.when(pl.Series(rng.random(frame.height) < 0.05)).then(None).otherwise(pl.col(c)).alias(c)
        for c in floats)
    out = out.with_columns(
        pl.when(pl.Series(rng.random(frame.height) < 0.03)).then(float("nan")).otherwise(pl.col(c)).alias(c)
        for c in floats[:3])
    return out.with_columns(pl.when(pl.Series(rng.random(frame.height) < 0.02)).then(float("inf"))
                            .otherwise(pl.col(floats[0])).alias(floats[0]))


RULESETS = sorted(p.name for p in (ROOT / "rulesets").glob("*.yaml"))


def test_the_shipped_rulesets_include_a_distilled_one():
    distilled = [n for n in RULESETS if Ruleset.load(ROOT / "rulesets" / n).provenance.source != "hand-written"]
    assert RULESETS and distilled, RULESETS


@pytest.mark.parametrize("name", RULESETS)
def test_shipped_ruleset_sql(engine, shop, name):
    rs = Ruleset.load(ROOT / "rulesets" / name)
    for types in (shop.schema, None):  # with the column types, and NaN-testing every number
        sql = rs.to_sql(engine.dialect, table="customers", id_column="customer_id", column_types=types)
        assert_segments(rs, shop, engine.query(shop, sql), "customer_id")


def test_hostile_names_ruleset_sql(engine):
    """The hostile frame of test_rules_engines (quotes and a reserved word as column names,
    NaN and +-inf, odd strings): every rule form, missing values, negation."""
    rs = Ruleset("hostile", [
        Segment("nan_gap", "NaN gap", "", f"{format_column(F)} is missing and {format_column(I)} > 0"),
        Segment("odd_text", "Odd text", "", f'{format_column(S)} in ["it\'s", "a\\"b", "back\\\\slash", "--"]'),
        Segment("range", "Range", "", f"{format_column(F)} between 0.1 and 3 and not ({format_column(I)} == 1)"),
        Segment("flag", "Flag", "", f"{format_column(B)} == true or {format_column(S)} == \"\""),
        Segment("negated", "Negated", "", f"not ({format_column(F)} > 1e19) and {format_column(I)} not in [2, 3]"),
        Segment("present", "Present", "", f"{format_column(S)} is not missing and {format_column(I)} is missing"),
    ])
    for types in (FRAME.schema, None):
        sql = rs.to_sql(engine.dialect, table="customers", id_column="__row", column_types=types)
        assert_segments(rs, FRAME, engine.query(FRAME, sql), "__row")


def test_hostile_literals_and_identifiers_ruleset_sql(engine):
    """One column per hostile text, named by it and holding it in one row: each segment's
    rule is ``<that column> == <that text>``."""
    names = [h for h in HOSTILE if engine.name != "spark" or h.isprintable()]
    data = {"id": list(range(len(names)))}
    for k, h in enumerate(names):
        data[h] = [h if r == k else "other" for r in range(len(names))]
    frame = pl.DataFrame(data)
    rs = Ruleset("t", [Segment(f"hit{k}", f"Hit {k}", "", f"{format_column(h)} == {format_value(h)}")
                       for k, h in enumerate(names)])
    rows = engine.query(frame, rs.to_sql(engine.dialect, id_column="id"))
    assert dict(rows) == {k: f"hit{k}" for k in range(len(names))}
    assert_segments(rs, frame, rows, "id")


# ---------------------------------------------------------------------------------------------
# PostgreSQL's JIT: the statement's cost estimate on a realistic table


def synthetic_card(features: int = 40, pairs: int = 10, cuts: int = 300, seed: int = 3) -> Scorecard:
    """A scorecard the size of the demo model (40 continuous features with ~300 cuts, 10
    pairs): scores differ bin to bin, so merging keeps every cut."""
    rng = np.random.default_rng(seed)
    feats, terms = [], []
    for i in range(features):
        main = np.unique(rng.normal(50, 20, cuts).round(3)).tolist()
        pair = sorted(rng.choice(main, 30, replace=False).tolist())
        feats.append({"name": f"x{i}", "type": "continuous", "bins": [main, pair]})
        terms.append({"name": f"x{i}", "features": [i], "bin_levels": [0], "importance": 0.1,
                      "scores": rng.normal(0, 0.3, len(main) + 3).tolist()})
    for k in range(pairs):
        a, b = 2 * k, 2 * k + 1
        shape = (len(feats[a]["bins"][1]) + 3, len(feats[b]["bins"][1]) + 3)
        terms.append({"name": f"x{a} & x{b}", "features": [a, b], "bin_levels": [1, 1], "importance": 0.05,
                      "scores": rng.normal(0, 0.1, shape).tolist()})
    return Scorecard.from_dict({
        "format": "segkit.scorecard", "format_version": 1, "link": "logit", "intercept": -1.0,
        "threshold": 0.5, "id_column": "customer_id", "derived": [], "metadata": {}, "source": {},
        "features": feats, "terms": terms})


def test_postgres_scorecard_cost_stays_below_the_jit_threshold(postgres):
    """A 50-term model on a 180K-row table: the planner's estimate must stay below
    ``jit_above_cost``, or PostgreSQL spends seconds to minutes JIT-compiling the statement
    (the grid form it used to get cost ~670,000 on the demo model: 28-36 s instead of ~1 s).
    The small tables of the exactness tests never reach the threshold, so only this catches a
    regression to a form whose cost explodes."""
    card = synthetic_card()
    assert len(card.merged_terms()) == 50
    cols = ", ".join(f"random() * 100 AS x{i}" for i in range(40))
    with postgres.connect() as con:
        con.execute("DROP TABLE IF EXISTS jit_customers")
        con.execute(f"CREATE TABLE jit_customers AS SELECT g::text AS customer_id, {cols} "
                    "FROM generate_series(1, 180000) AS g")
        con.execute("ANALYZE jit_customers")
        limit = float(con.execute("SHOW jit_above_cost").fetchone()[0])
        assert limit == 100000  # the server default

        def cost(dialect) -> float:
            plan = con.execute("EXPLAIN (FORMAT JSON) " + card.to_sql(dialect, table="jit_customers")).fetchone()[0]
            return plan[0]["Plan"]["Total Cost"]

        native = cost("postgres")
        grid = cost(dataclasses.replace(get_dialect("postgres"), search="grid"))
        con.execute("DROP TABLE jit_customers")
    assert native < limit, native
    assert grid > 2 * limit, grid  # the check can fail: the form PostgreSQL used before does


def test_postgres_scorecard_sql_uses_native_bucketing(card):
    sql = card.to_sql("postgres")
    assert "WIDTH_BUCKET(" in sql and "FLOOR(" not in sql and ",NaN}" in sql
    assert sql.count("SELECT") == 4  # cast, NaN -> NULL, features, scores: no bin levels
    assert math.isfinite(len(sql))


# ---------------------------------------------------------------------------------------------
# Spark: every generated method small enough for the JIT


def test_spark_scorecard_methods_stay_below_the_jit_limit(spark, tmp_path):
    """A demo-size card (50 terms): whole-stage codegen must split the query into methods of
    less than 8,000 bytes of bytecode each, HotSpot's limit for JIT compilation
    (``HugeMethodLimit``); above it every row runs in the bytecode interpreter. The form Spark
    got before compiled into one 60,514-byte method (issue 12). Exact on rows with NULL, NaN
    and values on the cuts."""
    card = synthetic_card()
    rng = np.random.default_rng(5)
    cols = {"customer_id": [f"c{i}" for i in range(300)]}
    for i, f in enumerate(card.features):
        values = rng.normal(50, 25, 300)
        values[:40] = rng.choice(f["bins"][0], 40)  # on a cut
        cols[f"x{i}"] = [None if k % 17 == i % 17 else float("nan") if k % 23 == i % 23 else float(v)
                         for k, v in enumerate(values)]
    frame = pl.DataFrame(cols, schema={"customer_id": pl.String} | {f"x{i}": pl.Float64 for i in range(40)})
    # a file, as a real table: a frame from the driver is scored while optimising instead
    frame.write_parquet(tmp_path / "t.parquet")
    spark.read.parquet(str(tmp_path / "t.parquet")).createOrReplaceTempView("spark_split")
    try:
        df = spark.sql(card.to_sql("spark", table="spark_split"))
        codegen = spark._jvm.PythonSQLUtils.explainString(df._jdf.queryExecution(), "codegen")
        sizes = [int(s) for s in re.findall(r"maxMethodCodeSize:(\d+)", codegen)]
        assert sizes and max(sizes) < 8000, sizes
        assert codegen.count("_doConsume_") > 20  # one method per level, not one for the query
        assert_scores(card, frame, [tuple(r) for r in df.collect()], "customer_id")
    finally:
        spark.catalog.dropTempView("spark_split")
