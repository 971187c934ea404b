"""`segkit score --db`: scoring inside a DuckDB file (always) and the test PostgreSQL.

Each engine must give what the Polars path gives on the same rows (probability within 1e-9,
the same decision and segment per id), replace an existing --into table only when the new
one is complete, and refuse each user mistake in one line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from toolkit.engines.inplace import score_in_place
from toolkit.errors import SegkitError
from toolkit.model.scoring import score_frame
from toolkit.run.folder import Run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "engines"))
from engine_run import make_run  # noqa: E402

from engine_gate import unavailable  # noqa: E402

ENGINES = ("duckdb", "postgres")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(run with ruleset, run without ruleset, the customer table)."""
    base = tmp_path_factory.mktemp("inplace")
    frame = make_run(base / "run", rows=2000, seed=11)
    bare = base / "bare"
    bare.mkdir()
    (bare / "scorecard.json").write_bytes((base / "run" / "scorecard.json").read_bytes())
    return base / "run", bare, frame


def _pg_type(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "bigint"
    if dtype.is_float():
        return "double precision"
    if dtype == pl.Boolean:
        return "boolean"
    return "text"


class DuckDBFile:
    """A DuckDB database file the test writes tables into and reads results from."""

    engine = "duckdb"

    def __init__(self, path: Path):
        self.path = path
        duckdb.connect(str(path)).close()
        self.url = f"duckdb://{path}"

    def sql(self, statement: str, fetch: bool = False):
        con = duckdb.connect(str(self.path))
        try:
            cur = con.execute(statement)
            return cur.fetchall() if fetch else None
        finally:
            con.close()

    def load(self, frame: pl.DataFrame, table: str) -> None:
        con = duckdb.connect(str(self.path))
        try:
            con.register("__frame", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM __frame")
        finally:
            con.close()

    def read(self, table: str) -> pl.DataFrame:
        con = duckdb.connect(str(self.path))
        try:
            return con.sql(f"SELECT * FROM {table}").pl()
        finally:
            con.close()

    def tables(self) -> list[str]:
        return [r[0] for r in self.sql("SELECT table_name FROM duckdb_tables()", fetch=True)]


class PgDatabase:
    """One fresh database in the test cluster."""

    engine = "postgres"

    def __init__(self, port: int, name: str):
        import psycopg

        self.port, self.name = port, name
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')
        self.url = self.url_for("postgres")

    def url_for(self, user: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{self.name}"

    def sql(self, statement: str, fetch: bool = False):
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={self.name}",
                             autocommit=True) as c:
            cur = c.execute(statement)
            return cur.fetchall() if fetch else None

    def load(self, frame: pl.DataFrame, table: str) -> None:
        import psycopg

        cols = ", ".join(f'"{n}" {_pg_type(t)}' for n, t in frame.schema.items())
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={self.name}",
                             autocommit=True) as c:
            c.execute(f"DROP TABLE IF EXISTS {table}")
            c.execute(f"CREATE TABLE {table} ({cols})")
            names = ", ".join(f'"{n}"' for n in frame.columns)
            with c.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in frame.iter_rows():
                    copy.write_row(row)

    def read(self, table: str) -> pl.DataFrame:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={self.name}") as c:
            cur = c.execute(f"SELECT * FROM {table}")
            names = [d.name for d in cur.description]
            return pl.DataFrame(cur.fetchall(), schema=names, orient="row")

    def tables(self) -> list[str]:
        return [r[0] for r in self.sql("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p')", fetch=True)]


@pytest.fixture(scope="module")
def pg_port(request):
    """The port of the test PostgreSQL (the engines' session fixture ``postgres``)."""
    try:
        server = request.getfixturevalue("postgres")
    except pytest.FixtureLookupError:
        try:
            import pg_server
        except ImportError:
            unavailable("no PostgreSQL test fixture")
        try:
            server = pg_server.start()
        except (FileNotFoundError, RuntimeError) as exc:
            unavailable(str(exc).splitlines()[0])
        request.addfinalizer(server.stop)
    port = getattr(server, "port", None)
    if port is None:  # a fixture handing out a libpq string or URL instead
        import re

        port = int(re.search(r"(?:port=|:)(\d+)", str(getattr(server, "dsn", server))).group(1))
    return port


@pytest.fixture(params=ENGINES)
def db(request, tmp_path):
    if request.param == "duckdb":
        return DuckDBFile(tmp_path / "shop.duckdb")
    port = request.getfixturevalue("pg_port")
    return PgDatabase(port, f"segkit_{request.node.name.split('[')[0][-40:]}".lower())


def _compare(db, trained, table: str, into: str, *, run=None) -> pl.DataFrame:
    run_dir, _, frame = trained
    run = run or run_dir
    folder = Run(run)
    expected = score_frame(folder.require_scorecard(), frame, ruleset=folder.ruleset())
    got = db.read(into)
    assert got.height == frame.height
    both = expected.join(got, on="customer_id", suffix="_db", how="inner")
    assert both.height == frame.height
    assert (both["purchase_probability"] - both["purchase_probability_db"]).abs().max() <= 1e-9
    assert (both["will_purchase"] == both["will_purchase_db"]).all()
    if folder.ruleset() is not None:
        assert (both["segment"] == both["segment_db"]).all()
    return expected


def test_scores_match_the_polars_path(db, trained):
    run, _, frame = trained
    db.load(frame, "customers")
    result = score_in_place(run, db.url, "customers", "customer_scores")
    expected = _compare(db, trained, "customers", "customer_scores")
    assert result.columns == ["customer_id", "purchase_probability", "will_purchase", "segment"]
    assert result.rows == frame.height and not result.replaced
    assert result.positives == int(expected["will_purchase"].sum())
    assert result.segments == {s: n for s, n in expected.group_by("segment").len().iter_rows()} | {} and \
        list(result.segments) == [s for s in Run(run).ruleset().ids if s in result.segments]
    assert not [t for t in db.tables() if "__segkit_" in t]


def test_a_run_without_ruleset_writes_no_segment(db, trained):
    _, bare, frame = trained
    db.load(frame, "customers")
    result = score_in_place(bare, db.url, "customers", "scores")
    assert result.segments is None
    assert result.columns == ["customer_id", "purchase_probability", "will_purchase"]
    _compare(db, trained, "customers", "scores", run=bare)


def test_replacement_is_atomic(db, trained):
    run, _, frame = trained
    db.load(frame, "customers")
    score_in_place(run, db.url, "customers", "scores")
    before = db.read("scores").sort("customer_id")
    # the same customers, one of them with text where the model reads a number: the scoring
    # query fails half-way, after the checks (the column exists)
    folder = Run(run)
    column = next(c for c in folder.require_scorecard().input_columns
                  if c not in folder.ruleset().columns and frame.schema[c].is_numeric())
    broken = frame.with_columns(pl.col(column).cast(pl.String))
    broken = broken.with_columns(pl.when(pl.col("customer_id") == frame["customer_id"][5])
                                 .then(pl.lit("twelve")).otherwise(pl.col(column)).alias(column))
    db.load(broken, "broken")
    with pytest.raises(SegkitError) as info:
        score_in_place(run, db.url, "broken", "scores")
    assert "\n" not in str(info.value) and "twelve" in str(info.value)
    assert db.read("scores").sort("customer_id").equals(before)  # the old table, intact
    assert not [t for t in db.tables() if "__segkit_" in t]      # and nothing half-written
    again = score_in_place(run, db.url, "customers", "scores")
    assert again.replaced
    _compare(db, trained, "customers", "scores")


def test_schema_qualified_and_quoted_names(db, trained):
    run, _, frame = trained
    db.sql('CREATE SCHEMA "Shop Data"')
    db.load(frame, '"Shop Data"."Customer List"')
    result = score_in_place(run, db.url, "Shop Data.Customer List", 'Shop Data.Scores "2026"')
    assert result.table == "Shop Data.Customer List" and result.into == 'Shop Data.Scores "2026"'
    _compare(db, trained, "x", '"Shop Data"."Scores ""2026"""')


@pytest.mark.parametrize("table, into, needle", [
    ("nope", "scores", "table 'nope' not found in"),
    ("customers", "customers", "is the --table being scored"),
    ("no_recency", "scores", "has no column 'days_since_last_purchase', which the scorecard needs"),
    ("no_rfm", "scores", "has no column 'total_spend_365d'"),
    ("dup_ids", "scores", "customer_id is not unique in 'dup_ids' (1 repeated ids)"),
    ("null_ids", "scores", "1 rows of 'null_ids' have no customer_id"),
    ("customers", "a_view", "--into 'a_view' is a view, not a table"),
    ("customers", "no_schema.scores", "schema 'no_schema' does not exist"),
])
def test_mistakes_are_one_line(db, trained, table, into, needle):
    run, _, frame = trained
    db.load(frame, "customers")
    db.load(frame.drop("days_since_last_purchase"), "no_recency")
    db.load(frame.drop("total_spend_365d"), "no_rfm")
    db.load(pl.concat([frame.head(50), frame.head(1)]), "dup_ids")
    db.load(frame.head(50).with_columns(pl.when(pl.int_range(pl.len()) == 3).then(None)
                                        .otherwise(pl.col("customer_id")).alias("customer_id")), "null_ids")
    db.sql("CREATE VIEW a_view AS SELECT 1 AS x")
    with pytest.raises(SegkitError) as info:
        score_in_place(run, db.url, table, into)
    message = str(info.value)
    assert needle in message and "\n" not in message, message
    assert not [t for t in db.tables() if "__segkit_" in t or t == "scores"]


def test_into_naming_the_table_another_way_is_refused(db, trained):
    run, _, frame = trained
    db.load(frame, "customers")
    schema = "main" if db.engine == "duckdb" else "public"
    with pytest.raises(SegkitError, match="is the --table being scored"):
        score_in_place(run, db.url, "customers", f"{schema}.customers")
    if db.engine == "duckdb":  # DuckDB names are case-insensitive: CUSTOMERS is customers
        with pytest.raises(SegkitError, match="is the --table being scored"):
            score_in_place(run, db.url, "customers", "CUSTOMERS")
    assert db.read("customers").height == frame.height


# ---- PostgreSQL only: roles, privileges, a replacement the server refuses ------------------


@pytest.fixture
def pg(trained, pg_port, request):
    db = PgDatabase(pg_port, f"segkit_{request.node.name[-40:]}".lower())
    db.load(trained[2], "customers")
    return db


def test_pg_connection_failures(pg, trained):
    run = trained[0]
    with pytest.raises(SegkitError, match="authentication failed: role 'ghost' does not exist"):
        score_in_place(run, pg.url_for("ghost"), "customers", "scores")
    with pytest.raises(SegkitError, match="database 'no_such_db' does not exist"):
        score_in_place(run, f"postgresql://postgres@127.0.0.1:{pg.port}/no_such_db", "customers", "scores")


def test_pg_missing_privileges(pg, trained):
    run = trained[0]
    pg.sql("DROP ROLE IF EXISTS analyst; CREATE ROLE analyst LOGIN")
    # no SELECT on the customers yet
    with pytest.raises(SegkitError, match="permission denied: user 'analyst' may not read column 'customer_id'"):
        score_in_place(run, pg.url_for("analyst"), "customers", "scores")
    pg.sql("GRANT SELECT ON customers TO analyst")
    # PostgreSQL 15: ordinary users may not create tables in schema public
    pg.sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    with pytest.raises(SegkitError, match="may not create tables in schema 'public'"):
        score_in_place(run, pg.url_for("analyst"), "customers", "scores")
    pg.sql("CREATE SCHEMA marts; GRANT USAGE, CREATE ON SCHEMA marts TO analyst")
    result = score_in_place(run, pg.url_for("analyst"), "customers", "marts.scores")
    assert result.into == "marts.scores"
    # a table of another role's cannot be replaced
    pg.sql("CREATE TABLE marts.owned_by_postgres (x int)")
    with pytest.raises(SegkitError, match="belongs to another role"):
        score_in_place(run, pg.url_for("analyst"), "customers", "marts.owned_by_postgres")
    assert pg.read("marts.owned_by_postgres").columns == ["x"]


def test_pg_a_refused_drop_keeps_the_old_table(pg, trained):
    run = trained[0]
    score_in_place(run, pg.url, "customers", "scores")
    pg.sql("CREATE VIEW buyers AS SELECT customer_id FROM scores WHERE will_purchase")
    before = pg.sql("SELECT COUNT(*) FROM buyers", fetch=True)
    with pytest.raises(SegkitError, match="replacement of scores") as info:
        score_in_place(run, pg.url, "customers", "scores")
    assert "\n" not in str(info.value)
    assert pg.sql("SELECT COUNT(*) FROM buyers", fetch=True) == before
    assert not [t for t in pg.tables() if "__segkit_" in t]


def test_pg_names_are_case_sensitive(pg, trained):
    run = trained[0]
    with pytest.raises(SegkitError, match="table 'Customers' not found .*case-sensitive"):
        score_in_place(run, pg.url, "Customers", "scores")
