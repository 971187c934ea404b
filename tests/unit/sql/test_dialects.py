"""One dialect table (toolkit.sql.dialects) for both SQL compilers: the scorecard's
(``Scorecard.to_sql``) and the ruleset's (``Ruleset.to_sql``) accept the same names and
aliases, refuse the same names with the same message, and write every identifier by the
same documented policy."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest
import sqlglot
from sqlglot import exp

from toolkit.errors import SegkitError
from toolkit.rules import format_column, quote_identifier, quote_string, quote_table
from toolkit.ruleset import Ruleset, Segment
from toolkit.model.scorecard import Scorecard
from toolkit.sql import DIALECT_NAMES, DIALECTS, Dialect, get_dialect

RECORDS = [get_dialect(n) for n in DIALECTS]
# plain, mixed and upper case, a space, reserved words, quotes, backquote, backslash, non-ASCII
IDENTS = ["orders", "_x1", "Orders", "ORDERS", "order count", "select", "order", 'we"ird', "b`tick",
          "it's", "back\\slash", "ünï", "new\nline"]


def tiny_card(num: str = "orders", cat: str = "country", ident: str = "customer_id") -> Scorecard:
    """A hand-made two-term scorecard: a continuous feature and a nominal one."""
    return Scorecard.from_dict({
        "format": "segkit.scorecard", "format_version": 1, "link": "logit", "intercept": -0.25,
        "threshold": 0.5, "id_column": ident, "derived": [], "metadata": {}, "source": {},
        "features": [{"name": num, "type": "continuous", "bins": [[1.5, 3.5]]},
                     {"name": cat, "type": "nominal", "bins": [{"US": 1, "O'Brien": 2}]}],
        "terms": [{"name": num, "features": [0], "bin_levels": [0], "importance": 0.3,
                   "scores": [0.0, -0.5, 0.25, 1.0, 0.0]},
                  {"name": cat, "features": [1], "bin_levels": [0], "importance": 0.2,
                   "scores": [0.0, 0.5, -0.5, 0.0]}],
    })


def tiny_ruleset(column: str = "orders") -> Ruleset:
    return Ruleset("t", [Segment("busy", "Busy", "", f"{format_column(column)} > 2")])


# ---------------------------------------------------------------------------------------------
# names


def test_the_table_has_one_record_per_engine_and_no_shared_alias():
    assert DIALECTS == ("duckdb", "postgres", "bigquery", "snowflake", "spark")
    assert len(DIALECT_NAMES) == sum(len(d.names) for d in RECORDS)  # no alias on two records
    assert {"pg", "postgresql", "databricks"} <= set(DIALECT_NAMES)
    for d in RECORDS:
        assert isinstance(d, Dialect) and get_dialect(d) is d
        assert d.subscript in ("bracket", "ordinal", "element_at", "try_element_at", "get0")
        assert d.array_text in (None, "[]", "{}", "split")
        assert d.search in ("grid", "width_bucket")


@pytest.mark.parametrize("name", [*DIALECT_NAMES, " PostgreSQL ", "DataBricks", "DUCKDB"])
def test_scorecard_and_ruleset_accept_the_same_names_and_aliases(name):
    canonical = get_dialect(name).name
    card, rs = tiny_card(), tiny_ruleset()
    assert card.to_sql(name) == card.to_sql(canonical)
    assert rs.to_sql(name) == rs.to_sql(canonical)


@pytest.mark.parametrize("name", ["oracle", "", "postgres;", "sql server", "mysql", None])
def test_scorecard_and_ruleset_refuse_the_same_names_alike(name):
    with pytest.raises(SegkitError) as card_err:
        tiny_card().to_sql(name)
    with pytest.raises(SegkitError) as rules_err:
        tiny_ruleset().to_sql(name)
    assert str(card_err.value) == str(rules_err.value)
    assert str(card_err.value).startswith("unknown SQL dialect")
    for accepted in DIALECT_NAMES:  # the message lists every name and alias
        assert accepted in str(card_err.value)


# ---------------------------------------------------------------------------------------------
# one identifier policy


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", IDENTS)
def test_both_compilers_quote_a_column_identically(dialect, name):
    quoted = quote_identifier(name, dialect)
    table = "shop.Customers"
    card_sql = tiny_card(num=name, ident="cust id").to_sql(dialect, table=table)
    rules_sql = tiny_ruleset(name).to_sql(dialect, table=table, id_column="cust id")
    assert f"CAST({quoted} AS " in card_sql
    assert f"{quoted} > 2" in rules_sql
    from_ = f"FROM {quote_table(table, dialect)}"
    assert from_ in card_sql and from_ in rules_sql
    qid = quote_identifier("cust id", dialect)
    assert f"SELECT {qid} AS " in card_sql and f"SELECT\n  {qid},\n" in rules_sql
    # and the name reads back exactly from both, through the dialect's own parser
    for sql in (card_sql, rules_sql):
        tree = sqlglot.parse_one(sql, read=get_dialect(dialect).name)
        assert name in {c.name for c in tree.find_all(exp.Column)}


def test_snowflake_policy_plain_lower_case_names_bare_others_quoted():
    expected = {"orders_90d": "orders_90d", "_x1": "_x1", "Orders": '"Orders"', "ORDERS": '"ORDERS"',
                "order count": '"order count"', "select": '"select"', "order": '"order"',
                'we"ird': '"we""ird"'}
    for name, want in expected.items():
        assert quote_identifier(name, "snowflake") == want
    # every other dialect quotes every name
    for name in expected:
        for d in ("duckdb", "postgres"):
            assert quote_identifier(name, d) == '"' + name.replace('"', '""') + '"'
        assert quote_identifier(name, "spark") == f"`{name}`"


def test_snowflake_scorecard_sql_finds_an_ordinary_tables_columns():
    """Before: the scorecard quoted every name ("orders"), which misses ORDERS, the column an
    unquoted CREATE TABLE makes; the ruleset wrote it bare."""
    sql = tiny_card(num="orders", cat="Country").to_sql("snowflake", table="shop.customers")
    assert '"orders"' not in sql and "CAST(orders AS DOUBLE)" in sql
    assert 'CAST("Country" AS VARCHAR)' in sql  # not plain lower case: exact, quoted
    assert "FROM shop.customers" in sql
    assert sql.startswith("SELECT __id AS customer_id, ") and sql.count("AS purchase_probability") == 1
    rules = tiny_ruleset("orders").to_sql("snowflake", table="shop.customers")
    assert "orders > 2" in rules and "FROM shop.customers" in rules


@pytest.mark.parametrize("dialect", DIALECTS)
def test_nul_in_a_name_is_refused_by_both(dialect):
    with pytest.raises(SegkitError, match="NUL"):
        tiny_card(num="ord\x00ers").to_sql(dialect)
    with pytest.raises(SegkitError, match="NUL"):
        tiny_card(ident="id\x00").to_sql(dialect)
    with pytest.raises(SegkitError, match="NUL"):
        tiny_ruleset().to_sql(dialect, id_column="id\x00")
    for table in ("cust\x00omers", "s.t\x00"):
        with pytest.raises(SegkitError, match="NUL"):
            tiny_card().to_sql(dialect, table=table)
        with pytest.raises(SegkitError, match="NUL"):
            tiny_ruleset().to_sql(dialect, table=table)


@pytest.mark.parametrize("table", ["", "a..b", "a.b.c.d", ".t"])
def test_both_compilers_refuse_the_same_table_names(table):
    with pytest.raises(SegkitError, match="table name"):
        tiny_card().to_sql("duckdb", table=table)
    with pytest.raises(SegkitError, match="table name"):
        tiny_ruleset().to_sql("duckdb", table=table)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_both_compilers_escape_category_text_identically(dialect):
    card_sql = tiny_card().to_sql(dialect)
    assert f"IN ({quote_string('O' + chr(39) + 'Brien', dialect)})" in card_sql


def test_nan_test_per_dialect_is_the_documented_one():
    got = {d.name: d.is_nan("x") for d in RECORDS}
    assert got == {
        "duckdb": "isnan(CAST(x AS DOUBLE))",
        "postgres": "(CAST(x AS DOUBLE PRECISION) = CAST('NaN' AS DOUBLE PRECISION))",
        "bigquery": "IS_NAN(CAST(x AS FLOAT64))",
        "snowflake": "(CAST(x AS DOUBLE) = CAST('NaN' AS DOUBLE))",
        "spark": "isnan(CAST(x AS DOUBLE))",
    }
    card_sql = {d.name: tiny_card().to_sql(d) for d in RECORDS}
    for d in RECORDS:  # where NaN equals itself: NULLIF(x, NaN), else the NaN function
        # (NULLIF(x, CAST('NaN' AS ..)); Spark's NULLIF(ARRAY(..), ..) is no NaN test)
        uses_nullif = re.search(r"NULLIF\([^()]*, CAST\('NaN' AS", card_sql[d.name]) is not None
        if d.search == "width_bucket":  # NaN sorts last: the bucket search sends it to missing
            assert "WIDTH_BUCKET(" in card_sql[d.name] and ",NaN}" in card_sql[d.name]
        else:
            assert uses_nullif == (d.nan_function is None)
            assert (d.nan_function is not None) == (d.nan_function.upper() + "(" in card_sql[d.name].upper()
                                                    if d.nan_function else False)


def test_odd_names_score_in_duckdb_through_both_compilers():
    names = {"num": "Order count", "cat": "select", "ident": 'cust "id"'}
    card = tiny_card(**names)
    frame = pl.DataFrame({names["ident"]: ["a", "b", "c", "d"], names["num"]: [1.0, 2.0, None, 9.0],
                          names["cat"]: ["US", "O'Brien", None, "FR"]})
    con = duckdb.connect()
    try:
        con.register("My Customers", frame.to_arrow())
        got = con.sql(card.to_sql("duckdb", table="My Customers")).pl()
        segments = dict(con.execute(tiny_ruleset(names["num"]).to_sql(
            "duckdb", table="My Customers", id_column=names["ident"])).fetchall())
    finally:
        con.close()
    assert got.columns == [names["ident"], "purchase_probability"]
    assert got["purchase_probability"].to_list() == pytest.approx(card.predict_proba(frame).tolist(), abs=1e-12)
    assert segments == {"a": "others", "b": "others", "c": "others", "d": "busy"}


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery"])
def test_both_artifacts_resolve_to_the_columns_of_an_ordinary_table(dialect):
    """The identifier policy read the way the warehouse reads it (sqlglot's name resolution
    for the dialect: Snowflake folds unquoted names to upper case and keeps quoted ones;
    BigQuery compares column names case-insensitively): every column the scorecard SQL and the
    ruleset SQL read is a column of ``CREATE TABLE customers (orders_90d ..., country ...)``
    written without quotes, as warehouses are usually loaded."""
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    def resolved(sql: str) -> set[str]:
        tree = normalize_identifiers(sqlglot.parse_one(sql, read=dialect), dialect=dialect)
        innermost = [s for s in tree.find_all(exp.Select) if s.find(exp.Table)][-1]
        return {c.name for c in innermost.find_all(exp.Column)} | {t.name for t in tree.find_all(exp.Table)}

    ddl = sqlglot.parse_one("CREATE TABLE customers (customer_id TEXT, orders_90d INT, country TEXT)",
                            read=dialect)
    table = normalize_identifiers(ddl, dialect=dialect)
    ordinary = {c.name for c in table.find_all(exp.ColumnDef)} | {table.find(exp.Table).name}
    card_sql = tiny_card(num="orders_90d").to_sql(dialect, table="customers")
    rules_sql = tiny_ruleset("orders_90d").to_sql(dialect, table="customers", id_column="customer_id")
    for sql in (card_sql, rules_sql):
        assert resolved(sql) <= ordinary, (resolved(sql), ordinary)
    assert resolved(card_sql) == ordinary  # the scorecard reads all three columns
    if dialect == "snowflake":
        assert ordinary == {"CUSTOMERS", "CUSTOMER_ID", "ORDERS_90D", "COUNTRY"}
        # quoted lower case (what the scorecard SQL wrote before) would miss ORDERS_90D
        assert resolved('SELECT "orders_90d" FROM customers') - ordinary == {"orders_90d"}
