"""`segkit score --db` and `segkit export dbt` as users run them: the installed script, a fresh
process per command, a DuckDB file, 80 columns; exits 0 or 2 with one error line, never a
traceback. The in-database scores must be the `segkit score --data` scores."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import duckdb
import polars as pl
import pytest

from test_e2e_commands import ROOT, cli, one_error_line

ROWS = 2000
RFM = ROOT / "rulesets" / "rfm_classic.yaml"


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """A folder with customers.parquet, a trained run (rfm_classic as its ruleset) and
    shop.duckdb holding the same customers as table ``customers``."""
    folder = tmp_path_factory.mktemp("e2e_engines")
    cli(folder, "generate", "--rows", str(ROWS), "--seed", "5", "--out", "customers.parquet")
    cli(folder, "train", "--data", "customers.parquet", "--out", "run", "--outer-bags", "1",
        "--interactions", "2")
    shutil.copyfile(RFM, folder / "run" / "segments.yaml")
    con = duckdb.connect(str(folder / "shop.duckdb"))
    con.register("frame", pl.read_parquet(folder / "customers.parquet").to_arrow())
    con.execute("CREATE TABLE customers AS SELECT * FROM frame")
    con.close()
    return folder


def _read(folder: Path, table: str) -> pl.DataFrame:
    con = duckdb.connect(str(folder / "shop.duckdb"))
    try:
        return con.sql(f"SELECT * FROM {table}").pl()
    finally:
        con.close()


def test_score_in_a_duckdb_file_equals_score_on_the_file(shop):
    url = f"duckdb://{shop / 'shop.duckdb'}"
    proc = cli(shop, "score", "--run", "run", "--db", url, "--table", "customers", "--into", "customer_scores")
    assert f"Scored {ROWS:,} customers of main.customers" in proc.stdout
    assert "main.customer_scores" in proc.stdout and "segments:" in proc.stdout
    assert "replaced" not in proc.stdout
    cli(shop, "score", "--run", "run", "--data", "customers.parquet", "--out", "scores.parquet")
    expected = pl.read_parquet(shop / "scores.parquet")
    got = _read(shop, "customer_scores")
    assert got.columns == ["customer_id", "purchase_probability", "will_purchase", "segment"]
    both = expected.join(got, on="customer_id", suffix="_db")
    assert both.height == ROWS == got.height
    assert (both["purchase_probability"] - both["purchase_probability_db"]).abs().max() <= 1e-9
    assert (both["will_purchase"] == both["will_purchase_db"]).all()
    assert (both["segment"] == both["segment_db"]).all()
    positives = int(expected["will_purchase"].sum())
    assert f"will_purchase: {positives:,}" in proc.stdout
    again = cli(shop, "score", "--run", "run", "--db", url, "--table", "customers", "--into", "customer_scores")
    assert "replaced the existing main.customer_scores" in " ".join(again.stdout.split())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, needles", [
    (["--table", "nope", "--into", "s"], ["table 'nope' not found"]),
    (["--table", "customers", "--into", "customers"], ["is the --table being scored"]),
    (["--table", "customers"], ["missing --into"]),
    (["--table", "customers", "--into", "s", "--data", "customers.parquet"], ["not --data/--out"]),
])
def test_score_db_mistakes_are_one_line(shop, args, needles):
    proc = cli(shop, "score", "--run", "run", "--db", f"duckdb://{shop / 'shop.duckdb'}", *args, codes=(2,))
    one_error_line(proc, *needles)


def test_score_db_connection_errors_are_one_line(shop):
    proc = cli(shop, "score", "--run", "run", "--db", "duckdb://missing.duckdb", "--table", "customers",
               "--into", "s", codes=(2,))
    one_error_line(proc, "no DuckDB database file at missing.duckdb")
    proc = cli(shop, "score", "--run", "run", "--db", f"postgresql://ann:pw@127.0.0.1:{_free_port()}/shop",
               "--table", "customers", "--into", "s", codes=(2,))
    line = one_error_line(proc, "connection refused")
    assert "pw@" not in line
    proc = cli(shop, "score", "--run", "run", "--db", "mysql://h/db", "--table", "customers", "--into", "s",
               codes=(2,))
    one_error_line(proc, "unsupported database 'mysql'")
    proc = cli(shop, "score", "--run", "run", codes=(2,))
    one_error_line(proc, "needs --data and --out")


def test_export_dbt(shop):
    proc = cli(shop, "export", "dbt", "--run", "run", "--out", "dbt_project")
    assert "Wrote 6 dbt files" in proc.stdout
    for rel in ("models/segkit/segkit_scores.sql", "models/segkit/segkit_segments.sql",
                "models/segkit/schema.yml", "models/segkit/sources.yml", "tests/generic/segkit_between.sql",
                "dbt_project.yml"):
        assert (shop / "dbt_project" / rel).is_file(), rel
    proc = cli(shop, "export", "dbt", "--run", "run", "--out", "customers.parquet", codes=(2,))
    one_error_line(proc, "is a file, not a folder")
    proc = cli(shop, "export", "dbt", "--run", "run", "--out", "d2", "--ref", "bad name", codes=(2,))
    one_error_line(proc, "bad dbt model name")
    assert not (shop / "d2").exists()
