"""Scorecard.to_sql: the SQL scores like the Polars scorer, in every engine we can run.

Executed here: DuckDB. PostgreSQL and Spark SQL execute in tests/engines/test_sql_engines.py
(a throwaway server and a local session the tests start themselves); BigQuery and Snowflake
are parsed with sqlglot's parser for that dialect.
"""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import polars as pl
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

import scorecard_fixtures as fx
from toolkit.errors import SegkitError
from toolkit.model.scorecard import Scorecard, compile_ebm
from toolkit.model.scorecard_grid import plan_grid
from toolkit.sql.dialects import DIALECTS, get_dialect
from toolkit.sql.scorecard import _array, _num, _num_text, probability_error_bound, score_decimals

TOL = 1e-9


@pytest.fixture(scope="module")
def fitted():
    return fx.fitted()


@pytest.fixture(scope="module")
def card(fitted):
    return compile_ebm(fitted.ebm, fitted.specs, fitted.derived, threshold=0.5, id_column=fx.ID,
                       metadata={})


def run_duckdb(frame: pl.DataFrame, sql: str, table: str = "customers") -> pl.DataFrame:
    con = duckdb.connect()
    try:
        con.register(table, frame.to_arrow())
        return pl.from_arrow(con.sql(sql).to_arrow_table())
    finally:
        con.close()


def assert_same_scores(card, frame: pl.DataFrame, result: pl.DataFrame, id_column: str) -> None:
    assert result.columns == [id_column, "purchase_probability"]
    assert result[id_column].cast(pl.Utf8).to_list() == frame[id_column].cast(pl.Utf8).to_list()
    ours = card.predict_proba(frame)
    theirs = result["purchase_probability"].cast(pl.Float64).to_numpy()
    bad = np.nonzero(~(np.abs(ours - theirs) < TOL))[0]
    assert bad.size == 0, (frame[bad[:5]].to_dicts(), ours[bad[:5]], theirs[bad[:5]])


# ---------------------------------------------------------------------------------------------
# the grid search the SQL performs, checked in numpy


_cut_sets = st.one_of(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300, unique=True),
    st.lists(st.integers(-50, 5000).map(lambda v: v + 0.5), min_size=1, max_size=300, unique=True),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40, unique=True),
    st.lists(st.floats(0, 1, allow_nan=False).map(lambda v: float(np.exp(30 * v))), min_size=1,
             max_size=200, unique=True),
)


@settings(max_examples=150, deadline=None)
@given(_cut_sets, st.lists(st.floats(allow_nan=False), max_size=50))
def test_grid_search_equals_searchsorted(cuts, extra):
    cuts = np.unique(np.asarray(cuts, dtype=np.float64))
    grid = plan_grid(cuts)
    with np.errstate(over="ignore"):
        around = [np.nextafter(cuts, -np.inf), np.nextafter(cuts, np.inf)]
    x = np.concatenate([cuts, *around, extra,
                        [-np.inf, np.inf, 0.0, -0.0, 1.7976931348623157e308, -1.7976931348623157e308]])
    assert np.array_equal(grid.search(x), np.searchsorted(cuts, x, side="right"))
    assert grid.cells <= 4 * 8192
    big = plan_grid(cuts, max_cells=65536)
    assert np.array_equal(big.search(x), np.searchsorted(cuts, x, side="right"))
    assert np.all(grid.key(x) >= 1)


def test_integer_features_need_no_search_steps():
    grid = plan_grid(np.arange(0, 300) + 0.5)
    assert grid.steps == 0


# ---------------------------------------------------------------------------------------------
# the merged terms the SQL is written from


def test_merged_terms_cut_where_the_merged_shape_starts_a_range(card):
    """One merge rule: the SQL's merged cuts are the lower edges of shape()'s merged ranges,
    and the merged scores are the shape's scores."""
    merged = {m.name: m for m in card.merged_terms()}
    assert [m.name for m in card.merged_terms()] == card.term_names
    checked, shrunk = 0, 0
    for term in card.terms:
        feat = card.features[term["features"][0]]
        if len(term["features"]) != 1 or feat["type"] != "continuous":
            continue
        shape = card.shape(feat["name"])
        axis, table = merged[term["name"]].axes[0], merged[term["name"]].table
        assert axis.cuts.tolist() == [b.lower for b in shape[2:]]
        assert table[:-1].tolist() == [b.score for b in shape]
        shrunk += len(axis.cuts) < len(feat["bins"][0])
        checked += 1
    assert checked >= 3 and shrunk >= 2  # boosted shapes (1000+ cuts) do merge
    assert card.merged_terms() is card.merged_terms()  # computed once


# ---------------------------------------------------------------------------------------------
# DuckDB


def test_duckdb_matches_polars_on_training_rows(fitted, card):
    assert_same_scores(card, fitted.frame, run_duckdb(fitted.frame, card.to_sql("duckdb")), fx.ID)


def test_duckdb_matches_polars_on_edge_rows(fitted, card):
    edge = fx.edge_frame(card, fitted)
    assert_same_scores(card, edge, run_duckdb(edge, card.to_sql("duckdb")), fx.ID)


def test_duckdb_declares_each_array_once_outside_the_expressions(fitted, card):
    # DuckDB copies a constant list into every 2,048-row vector it evaluates: the arrays
    # live in one cross-joined row instead, read as columns, each distinct array once.
    tree = sqlglot.parse_one(card.to_sql("duckdb"), read="duckdb")
    arrays = [s for s in tree.find_all(exp.Subquery) if s.alias == "__segkit_arrays"]
    assert len(arrays) == 1
    literals = [c for c in tree.find_all(exp.Cast) if c.to.is_type("array")]
    assert literals and all(c.find_ancestor(exp.Subquery) is arrays[0] for c in literals)
    texts = [c.sql("duckdb") for c in literals]
    assert len(set(texts)) == len(texts) == len(arrays[0].this.expressions)
    # larger grids than the default: fewer search steps (levels) than the capped plan
    capped = card.to_sql(dataclasses.replace(get_dialect("duckdb"), grid_cells=None, array_columns=False))
    assert capped.count("__segkit_step") > card.to_sql("duckdb").count("__segkit_step")
    big = pl.concat([fitted.frame] * 3)
    assert_same_scores(card, big, run_duckdb(big, card.to_sql("duckdb")), fx.ID)
    assert_same_scores(card, big, run_duckdb(big, capped), fx.ID)


def test_duckdb_native_table_with_integer_columns(fitted, card):
    con = duckdb.connect()
    con.register("src", fitted.frame.to_arrow())
    con.execute("CREATE TABLE people AS SELECT * FROM src")
    assert con.execute("SELECT typeof(orders_90d) FROM people LIMIT 1").fetchall()[0][0] == "BIGINT"
    result = pl.from_arrow(con.sql(card.to_sql("duckdb", table="main.people")).to_arrow_table())
    assert_same_scores(card, fitted.frame, result, fx.ID)


def test_logit_clamp_keeps_extreme_models_finite(fitted, card):
    data = card.to_dict()
    for term in data["terms"]:
        term["scores"] = (np.asarray(term["scores"]) * 400.0).tolist()
    extreme = Scorecard.from_dict(data)
    sql = extreme.to_sql("duckdb")
    assert "GREATEST(LEAST(" in sql and "GREATEST(LEAST(" not in card.to_sql("duckdb")
    frame = fitted.frame.head(300)
    result = run_duckdb(frame, sql)
    assert_same_scores(extreme, frame, result, fx.ID)


# ---------------------------------------------------------------------------------------------
# other dialects


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_as_one_select(card, dialect):
    sql = card.to_sql(dialect, table="analytics.customers")
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    tables = {t.name for t in statements[0].find_all(exp.Table)}
    assert tables == {"customers"}
    innermost = [s for s in statements[0].find_all(exp.Select) if s.find(exp.Table)][-1]
    read = {c.name for c in innermost.find_all(exp.Column)}
    assert read == {fx.ID, *fx.RAW_COLUMNS}


def test_dialect_specific_constructs(card):
    assert "ISNAN(" in card.to_sql("duckdb")
    assert "IS_NAN(" in card.to_sql("bigquery") and "ORDINAL(" in card.to_sql("bigquery")
    pg = card.to_sql("postgres")
    assert "IS_NAN" not in pg and "ISNAN" not in pg and "'NaN'" in pg
    sf = card.to_sql("snowflake")
    assert "IS_NAN" not in sf and "GET(" in sf
    assert "ELEMENT_AT(" in card.to_sql("spark")


def test_bad_dialect_and_table(card):
    with pytest.raises(SegkitError, match="not supported"):
        card.to_sql("oracle")
    for bad in ["", "a..b", "a.b.c.d"]:
        with pytest.raises(SegkitError, match="table name"):
            card.to_sql("duckdb", table=bad)


# ---------------------------------------------------------------------------------------------
# hostile identifiers and literals

HOSTILE_NUM, HOSTILE_CAT, HOSTILE_DEN, HOSTILE_ID, HOSTILE_VALUES = (
    fx.HOSTILE_NUM, fx.HOSTILE_CAT, fx.HOSTILE_DEN, fx.HOSTILE_ID, fx.HOSTILE_VALUES)


@pytest.fixture(scope="module")
def hostile():
    h = fx.hostile()
    return h.card, h.frame, h.ebm, h.specs, h.derived


def test_hostile_names_score_correctly_in_duckdb(hostile):
    card, frame, ebm, specs, derived = hostile
    assert set(card.term_names) >= {HOSTILE_NUM, HOSTILE_CAT}
    table = 'my "customers"; x'
    result = run_duckdb(frame, card.to_sql("duckdb", table=table), table=table)
    assert_same_scores(card, frame, result, HOSTILE_ID)
    ref = fx.reference_proba(fx.Fitted(ebm, specs, derived, frame, np.zeros(0)), frame)
    assert np.max(np.abs(card.predict_proba(frame) - ref)) < TOL


@pytest.mark.parametrize("dialect", DIALECTS)
def test_hostile_names_survive_every_dialect(hostile, dialect):
    card = hostile[0]
    sql = card.to_sql(dialect, table='my "customers"; x')
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1
    tree = statements[0]
    assert {t.name for t in tree.find_all(exp.Table)} == {'my "customers"; x'}
    innermost = [s for s in tree.find_all(exp.Select) if s.find(exp.Table)][-1]
    assert {c.name for c in innermost.find_all(exp.Column)} == {HOSTILE_ID, HOSTILE_NUM, HOSTILE_DEN, HOSTILE_CAT}
    strings = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    mapped = {c for f in card.features if f["type"] == "nominal" for c in f["bins"][0]}
    kept = {c for c in mapped if c in strings}
    assert kept and kept <= set(HOSTILE_VALUES)
    assert tree.selects[0].alias_or_name == HOSTILE_ID


# ---------------------------------------------------------------------------------------------
# text size and score precision


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sql_text_stays_small_per_score_cell(card, dialect):
    # Regression guard: BigQuery and Snowflake cap a statement at ~1 MB. On this model the
    # query used 48-52 characters per (merged) score cell before scores were written as
    # integers and arrays as one token list / string; now 35-39.
    # DuckDB (no cap) trades text for speed with grids up to 16,384 cells: its bound is its
    # own, and its form with the default grids stays under the others' bound.
    cells = sum(t.table.size for t in card.merged_terms())
    if dialect == "duckdb":
        assert len(card.to_sql(dialect)) <= 70 * cells
        capped = dataclasses.replace(get_dialect(dialect), grid_cells=None)
        assert len(card.to_sql(capped)) <= 42 * cells
    else:
        assert len(card.to_sql(dialect)) <= 42 * cells
    assert len(card.to_sql(dialect, precision=None)) > len(card.to_sql(dialect))


def test_score_precision_bound_holds_and_exact_mode(fitted, card):
    frame = fitted.frame
    ours = card.predict_proba(frame)
    assert score_decimals(card) is not None and probability_error_bound(card) <= 1e-10
    exact = run_duckdb(frame, card.to_sql("duckdb", precision=None))["purchase_probability"].to_numpy()
    assert np.max(np.abs(exact - ours)) < 1e-15
    coarse = run_duckdb(frame, card.to_sql("duckdb", precision=3))["purchase_probability"].to_numpy()
    err = np.max(np.abs(coarse - ours))
    assert 0 < err <= probability_error_bound(card, 3) + 1e-15


def test_bad_or_too_fine_precision(card):
    for bad in [-1, 16, 2.5, True, "fine"]:
        with pytest.raises(SegkitError, match="precision"):
            card.to_sql("duckdb", precision=bad)
    data = card.to_dict()
    for term in data["terms"]:
        term["scores"] = (np.asarray(term["scores"]) * 1e6).tolist()
    huge = Scorecard.from_dict(data)
    with pytest.raises(SegkitError, match="exactly"):
        huge.to_sql("duckdb", precision=12)
    assert score_decimals(huge) is None  # auto falls back to exact double literals
    assert "BIGINT" not in huge.to_sql("duckdb")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30))
def test_number_text_is_exact_in_duckdb(values):
    # cuts must compare exactly: scalar literals and string-cast arrays parse to the same doubles
    con = duckdb.connect()
    try:
        scalars = ", ".join(_num(v, get_dialect("duckdb")).sql("duckdb") for v in values)
        got = con.execute(f"SELECT [{scalars}]").fetchall()[0][0]
        assert [float(g) for g in got] == [float(v) + 0.0 for v in values]
        arr = _array(values, get_dialect("duckdb"), floats=True).sql("duckdb")
        assert con.execute(f"SELECT {arr}").fetchall()[0][0] == [float(v) + 0.0 for v in values]
        for dialect in DIALECTS:
            for v in values:
                assert float(_num_text(v, get_dialect(dialect))) == v
    finally:
        con.close()


def test_spark_levels_read_every_column_of_the_level_below_twice(card):
    """Spark splits an operator's generated code into a method of its own only when the
    operator uses every column of its child, and a Project counts only columns it reads at
    least twice (toolkit.sql.scorecard._split_spark_levels). One level reading a column once
    puts it and the levels above it back into one method too large for the JIT."""
    tree = sqlglot.parse_one(card.to_sql("spark"), read="spark")
    levels = 0
    parent = tree
    while isinstance(parent.args.get("from_").this, exp.Subquery):
        child = parent.args["from_"].this.this
        if isinstance(child.args.get("from_").this, exp.Subquery):  # above the first (cast) level
            reads: dict[str, int] = {}
            for e in parent.expressions:
                for c in e.find_all(exp.Column):
                    reads[c.name] = reads.get(c.name, 0) + 1
            outputs = [e.alias_or_name for e in child.expressions]
            assert outputs and all(reads.get(name, 0) >= 2 for name in outputs), \
                [name for name in outputs if reads.get(name, 0) < 2]
            levels += 1
        parent = child
    assert levels >= 5
    # the other dialects keep one level per stage and read pass-through columns once
    assert "COALESCE(`__id`, `__id`)" in card.to_sql("spark")
    assert "COALESCE(\"__id\", \"__id\")" not in card.to_sql("duckdb")


def test_spark_levels_above_the_features_are_narrow(card):
    """HotSpot's optimizing JIT refuses generated methods with long calling sequences (~37+
    parameters; a level's method takes every column of the level below), so the Spark form
    carries the continuous features as one array and bins them a group at a time
    (toolkit.sql.scorecard._spark_sum): no level above the one building the array reads more
    than 8 bins plus the id, the array, the sum and the positions later terms need."""
    sql = card.to_sql("spark")
    tree = sqlglot.parse_one(sql, read="spark")
    widths = []
    parent = tree
    while isinstance(parent.args.get("from_").this, exp.Subquery):
        child = parent.args["from_"].this.this
        names = [e.alias_or_name for e in child.expressions]
        if "__x" in names:
            widths.append(len(names))
        parent = child
    assert len(widths) >= 5
    assert max(widths) <= 24, widths
    assert "NULLIF(ARRAY(" in sql
