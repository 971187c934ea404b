"""Native Spark scoring: ``Scorecard.score_spark`` gives the local scorer's numbers to the last
bit, ``Ruleset.apply_spark`` the same segment for every row as ``Ruleset.apply``.

One local SparkSession for the whole test session (the ``spark`` fixture, spark_session.py);
small frames. Without Java or pyspark these tests skip locally and fail in CI (engine_gate).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import scorecard_fixtures as fx
from test_rules_engines import FRAME, HOSTILE, NAN_COLUMNS, rules
from toolkit.errors import DataError, SegkitError
from toolkit.model.scorecard import Scorecard, compile_ebm
from toolkit.rules import RuleColumnError, format_column, format_rule, format_value, to_polars
from toolkit.ruleset import Ruleset, Segment

ROOT = Path(__file__).resolve().parents[2]
# pyspark 4.3 warns on every Arrow conversion that it has not been certified with pandas 3
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def card() -> Scorecard:
    f = fx.fitted()
    return compile_ebm(f.ebm, f.specs, f.derived, threshold=0.35, id_column=fx.ID, metadata={})


def hostile_customers(card: Scorecard, rows: int = 3000, seed: int = 17) -> pl.DataFrame:
    """Customers with nulls, NaN, +-inf, huge values, unknown and odd categories."""
    frame, _ = fx.customers(rows, seed)
    rng = np.random.default_rng(seed)
    pick = lambda p: pl.Series(rng.random(rows) < p)  # noqa: E731
    specials = pl.Series([math.nan, math.inf, -math.inf, 1e308, -0.0, None] * (rows // 6 + 1))[:rows]
    odd = pl.Series(["unseen", "", "us", "O'Brien", "DE ", None] * (rows // 6 + 1))[:rows]
    return frame.with_columns(
        pl.when(pick(0.1)).then(specials).otherwise(pl.col("days_since_last_purchase"))
        .alias("days_since_last_purchase"),
        pl.when(pick(0.1)).then(specials).otherwise(pl.col("total_spend_365d").cast(pl.Float64))
        .alias("total_spend_365d"),
        pl.when(pick(0.05)).then(None).otherwise(pl.col("orders_365d")).alias("orders_365d"),
        pl.when(pick(0.1)).then(odd).otherwise(pl.col("country")).alias("country"),
    )


def assert_bit_identical(expected: pl.DataFrame, got: pl.DataFrame, id_column: str) -> None:
    assert got.columns == expected.columns
    assert got.height == expected.height
    got = got.sort(id_column)
    expected = expected.sort(id_column)
    assert got.get_column(id_column).to_list() == expected.get_column(id_column).to_list()
    for name in expected.columns[1:]:
        a, b = expected.get_column(name), got.get_column(name)
        assert a.dtype == b.dtype, name
        if a.dtype == pl.Float64:  # the same double, bit for bit (not merely close)
            assert np.array_equal(a.to_numpy().view(np.uint64), b.to_numpy().view(np.uint64)), name
        else:
            assert a.eq_missing(b).all(), name


def to_spark(spark, frame: pl.DataFrame, partitions: int | None = None):
    sdf = spark.createDataFrame(frame.to_arrow())
    return sdf.repartition(partitions) if partitions else sdf


# ---------------------------------------------------------------------------------------------
# Scorecard.score_spark


def test_score_spark_equals_score_bit_for_bit(spark, card):
    frame = hostile_customers(card)
    assert frame.get_column("country").is_in(["unseen", "us"]).any()
    old = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "700")  # many batches per task
    try:
        got = pl.from_arrow(card.score_spark(to_spark(spark, frame, 3), top_reasons=3).toArrow())
    finally:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", old)
    assert_bit_identical(card.score(frame, top_reasons=3), got, fx.ID)


def test_score_spark_on_the_edge_rows_and_every_reason_count(spark, card):
    f = fx.fitted()
    edges = fx.edge_frame(card, f)  # every cut and its neighbours, NaN, +-inf, unseen categories
    sdf = to_spark(spark, edges, 2)
    for k in (0, len(card.terms) + 2):
        got = pl.from_arrow(card.score_spark(sdf, top_reasons=k).toArrow())
        assert_bit_identical(card.score(edges, top_reasons=k), got, fx.ID)


def test_score_spark_declares_its_schema_without_running(spark, card):
    frame = hostile_customers(card, rows=12)
    out = card.score_spark(to_spark(spark, frame), top_reasons=2)
    assert [(f.name, f.dataType.simpleString()) for f in out.schema.fields] == [
        (fx.ID, "string"), ("purchase_probability", "double"), ("will_purchase", "boolean"),
        ("reason_1", "string"), ("reason_2", "string")]


def test_score_spark_names_missing_columns_before_any_job(spark, card):
    sdf = to_spark(spark, hostile_customers(card, rows=12)).drop("country", "orders_365d")
    tracker = spark.sparkContext.statusTracker()
    spark.sparkContext.setJobGroup("segkit-missing-columns", "must stay empty")
    try:
        with pytest.raises(DataError) as err:
            card.score_spark(sdf)
    finally:
        spark.sparkContext.setJobGroup("segkit-after", "")
    message = str(err.value)
    assert "\n" not in message and "orders_365d" in message and "country" in message
    assert tracker.getJobIdsForGroup("segkit-missing-columns") == []


def test_score_spark_rejects_text_in_a_numeric_column_and_non_spark_input(spark, card):
    sdf = to_spark(spark, hostile_customers(card, rows=12).with_columns(pl.col("orders_90d").cast(pl.Utf8)))
    with pytest.raises(DataError, match="'orders_90d' must be numeric.*cast it first"):
        card.score_spark(sdf)
    with pytest.raises(SegkitError, match="expected a Spark DataFrame"):
        card.score_spark(hostile_customers(card, rows=12))
    with pytest.raises(SegkitError, match="top_reasons"):
        card.score_spark(sdf, top_reasons=-1)


# ---------------------------------------------------------------------------------------------
# Ruleset.apply_spark


@settings(max_examples=2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(st.lists(rules, min_size=30, max_size=30))
def test_spark_rules_match_polars_on_every_row(spark, nodes):
    """Random rules over nulls, NaN, +-inf and hostile names and values: each rule as a Spark
    column matches the Polars expression row by row, and so does the ruleset's segment."""
    from toolkit.ruleset.spark import rule_column

    sdf = to_spark(spark, FRAME, 2)
    rs = Ruleset("random", [Segment(f"s{k}", f"S{k}", "", format_rule(n)) for k, n in enumerate(nodes)])
    selected = sdf.select("*", *[rule_column(n, NAN_COLUMNS).alias(f"r{k}") for k, n in enumerate(nodes)])
    got = pl.from_arrow(rs.apply_spark(selected).toArrow()).sort("__row")
    expected = FRAME.select([to_polars(n, NAN_COLUMNS, FRAME.schema).fill_null(False).alias(f"r{k}")
                             for k, n in enumerate(nodes)])
    for k in range(len(nodes)):
        assert got.get_column(f"r{k}").fill_null(False).to_list() == expected.get_column(f"r{k}").to_list(), \
            format_rule(nodes[k])
    assert got.get_column("segment").to_list() == rs.apply(FRAME).get_column("segment").to_list()


def test_nan_and_infinity_are_read_as_polars_reads_them(spark):
    frame = pl.DataFrame({"__row": [0, 1, 2, 3], "x": [1.0, math.nan, None, math.inf]})
    texts = ["x > 0", "x is missing", "x != 1", "not (x == 1)", "x not in [1]", "x not between 0 and 2",
             "x in [1, 2]", "x is not missing and not (x < 5)"]
    from toolkit.ruleset.spark import segment_column

    sdf = to_spark(spark, frame)
    got = pl.from_arrow(sdf.select("__row", *[
        segment_column(Ruleset("t", [Segment("hit", "Hit", "", t)]), sdf.schema).alias(f"s{k}")
        for k, t in enumerate(texts)]).toArrow()).sort("__row")
    for k, text in enumerate(texts):
        expected = Ruleset("t", [Segment("hit", "Hit", "", text)]).apply(frame)["segment"].to_list()
        assert got.get_column(f"s{k}").to_list() == expected, text
    empty = Ruleset("t", [])  # no rules: everyone gets the default
    assert [r[0] for r in empty.apply_spark(sdf).select("segment").collect()] == ["others"] * 4


def test_hostile_names_and_values_reach_spark_literally(spark):
    from toolkit.ruleset.spark import segment_column

    frame = pl.DataFrame({"id": [1, 2], **{v: [v, "other"] for v in HOSTILE}})
    sdf = to_spark(spark, frame)
    sets = [Ruleset("t", [Segment("hit", "Hit", "", f"{format_column(v)} == {format_value(v)}")])
            for v in HOSTILE]
    got = pl.from_arrow(sdf.select("id", *[segment_column(rs, sdf.schema).alias(f"s{k}")
                                           for k, rs in enumerate(sets)]).toArrow()).sort("id")
    for k, rs in enumerate(sets):
        assert got.get_column(f"s{k}").to_list() == ["hit", "others"], HOSTILE[k]
        assert rs.apply(frame)["segment"].to_list() == ["hit", "others"]


@pytest.mark.parametrize("path", sorted((ROOT / "rulesets").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_rulesets_give_every_row_the_same_segment(spark, path):
    from toolkit.data.generate import generate

    rs = Ruleset.load(path)
    frame, _ = generate(3000, 23)
    rng = np.random.default_rng(23)
    holes = []
    for k, name in enumerate(rs.columns):
        col = pl.col(name).cast(pl.Float64) if k % 2 == 0 else pl.col(name)  # floats and ints
        hole = pl.Series(rng.random(frame.height) < 0.08)
        nan = pl.Series(rng.random(frame.height) < 0.08)
        if frame.schema[name].is_numeric() and k % 2 == 0:
            col = pl.when(nan).then(float("nan")).otherwise(col)
        holes.append(pl.when(hole).then(None).otherwise(col).alias(name))
    frame = frame.with_columns(holes)
    got = pl.from_arrow(rs.apply_spark(to_spark(spark, frame, 2)).select("customer_id", "segment")
                        .toArrow()).sort("customer_id")
    expected = rs.apply(frame).select("customer_id", "segment").sort("customer_id")
    assert got.get_column("segment").to_list() == expected.get_column("segment").to_list()
    assert expected.get_column("segment").n_unique() > 2  # the data reaches several segments


def test_apply_spark_checks_the_rules_against_the_schema_first(spark):
    sdf = to_spark(spark, pl.DataFrame({"orders_90d": [1, 2], "country": ["US", "DE"]}))
    rs = Ruleset("t", [Segment("a", "A", "", "orders_9d >= 2")])
    with pytest.raises(RuleColumnError, match="did you mean 'orders_90d'"):
        rs.apply_spark(sdf)
    rs = Ruleset("t", [Segment("a", "A", "", "country >= 2")])
    with pytest.raises(SegkitError):
        rs.apply_spark(sdf)
    with pytest.raises(SegkitError, match="expected a Spark DataFrame"):
        rs.apply_spark(pl.DataFrame({"orders_90d": [1]}))
