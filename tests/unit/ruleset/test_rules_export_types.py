"""Ruleset SQL uses the run's column types: NaN tests only on float columns, same answers."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

import toolkit.cli
from toolkit.cli import app
from toolkit.exports import write_ruleset
from toolkit.ruleset import Ruleset, Segment
from toolkit.ruleset.export import column_types_for_run, ruleset_sql_for_run

RS = Ruleset("t", [
    Segment("many", "Many", "", "n >= 3 and s in ['x', 'y']"),
    Segment("odd", "Odd", "", "n != 1 and not (s == 'z') or f > 0.5"),
    Segment("none", "None", "", "n is missing or f is missing"),
])
FRAME = pl.DataFrame({
    "customer_id": list(range(8)),
    "n": [1, 3, 5, None, 0, 7, 2, 3],
    "s": ["x", "y", "z", "x", None, "z", "y", "x"],
    "f": [0.1, float("nan"), None, 0.9, 2.0, 0.7, -1.0, 0.6],
})
NAN = "isnan("
toolkit.cli._register()


def _duckdb(sql: str, frame: pl.DataFrame) -> list[str]:
    con = duckdb.connect()
    con.register("customers", frame.to_arrow())
    got = dict(con.execute(sql).fetchall())
    return [got[i] for i in frame["customer_id"]]


def test_integer_and_text_columns_get_no_nan_tests_and_duckdb_still_matches_polars():
    types = {"n": pl.Int64, "s": pl.String, "f": pl.Float64}
    sql = RS.to_sql("duckdb", column_types=types)
    assert 'isnan(CAST("n"' not in sql and 'isnan(CAST("s"' not in sql
    assert 'isnan(CAST("f"' in sql  # the float column keeps its NaN test
    assert _duckdb(sql, FRAME) == RS.apply(FRAME)["segment"].to_list()
    ints_only = Ruleset("i", [Segment("a", "A", "", "n >= 3"), Segment("b", "B", "", "n is missing")])
    sql = ints_only.to_sql("duckdb", column_types={"n": pl.Int64})
    assert NAN not in sql
    assert _duckdb(sql, FRAME) == ints_only.apply(FRAME)["segment"].to_list()


def test_run_types_come_from_its_data_then_from_its_scorecard(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    FRAME.write_parquet(run / "data.parquet")
    assert column_types_for_run(run) == dict(FRAME.schema)
    sql = ruleset_sql_for_run(run, RS)
    assert 'isnan(CAST("n"' not in sql and 'isnan(CAST("f"' in sql
    assert _duckdb(sql.split("\n", 1)[1], FRAME) == RS.apply(FRAME)["segment"].to_list()
    # a data file given explicitly wins over the run's own
    other = tmp_path / "other.csv"
    FRAME.with_columns(pl.col("n").cast(pl.Float64)).write_csv(other)
    assert column_types_for_run(run, other)["n"] == pl.Float64
    # no data: the scorecard's feature types (categories are text, numbers may be floats)
    (run / "data.parquet").unlink()
    (run / "scorecard.json").write_text(json.dumps({"features": [
        {"name": "s", "type": "nominal", "bins": [{"x": 1}]},
        {"name": "n", "type": "continuous", "bins": [[1.5]]}]}))
    assert column_types_for_run(run) == {"s": pl.String, "n": pl.Float64}
    (run / "scorecard.json").unlink()
    assert column_types_for_run(run) is None


def test_export_file_and_cli_use_the_runs_schema(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    FRAME.write_parquet(run / "data.parquet")
    out = tmp_path / "rules.sql"
    write_ruleset(RS, "sql", out, run=run)
    assert 'isnan(CAST("n"' not in out.read_text() and 'isnan(CAST("f"' in out.read_text()
    write_ruleset(RS, "sql", out)  # no run, no data: every numeric column is NaN-tested
    assert 'isnan(CAST("n"' in out.read_text()

    path = tmp_path / "rs.yaml"
    RS.save(path)
    res = CliRunner().invoke(app, ["rules", "export", str(path), "--run", str(run)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert 'isnan(CAST("n"' not in res.output and 'isnan(CAST("f"' in res.output
    res = CliRunner().invoke(app, ["rules", "export", str(path)], catch_exceptions=False)
    assert 'isnan(CAST("n"' in res.output


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "bigquery", "spark"])
def test_typed_sql_drops_nan_tests_in_every_dialect(dialect):
    sql = Ruleset("i", [Segment("a", "A", "", "n >= 3")]).to_sql(dialect, column_types={"n": pl.Int64})
    assert "NaN" not in sql and "isnan" not in sql.lower() and "is_nan" not in sql.lower()
