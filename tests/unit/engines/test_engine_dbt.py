"""`segkit export dbt`: the files, their tests, and the SQL run on DuckDB against Polars."""

from __future__ import annotations

import io
import re

import duckdb
import polars as pl
import pytest
from ruamel.yaml import YAML

from engine_run import make_run
from toolkit.engines.dbt import _escape_jinja, dbt_files, relation_jinja, write_dbt_project
from toolkit.errors import SegkitError
from toolkit.model.scoring import score_frame
from toolkit.ruleset import Ruleset
from toolkit.run.folder import Run


@pytest.fixture(scope="module")
def run_and_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dbt") / "run"
    frame = make_run(folder, rows=2500, seed=3)
    return folder, frame


def render(sql: str, table: str) -> str:
    """What dbt would compile, for the three Jinja forms the export writes."""
    sql = sql.replace("{{ config(materialized='table') }}", "")
    sql = re.sub(r"\{\{ source\('segkit', 'customers'\) \}\}", table, sql)
    rest = sql.replace("{{ '{' }}", "")
    assert "{{" not in rest and "{%" not in rest and "{#" not in rest, rest[:500]  # nothing else for Jinja
    return sql.replace("{{ '{' }}", "{")


def test_files_and_schema_tests(run_and_data):
    folder, _ = run_and_data
    files = dbt_files(folder)
    assert set(files) == {"dbt_project.yml", "models/segkit/segkit_scores.sql",
                          "models/segkit/segkit_segments.sql", "models/segkit/schema.yml",
                          "models/segkit/sources.yml", "tests/generic/segkit_between.sql"}
    yaml = YAML(typ="safe")
    schema = yaml.load(io.StringIO(files["models/segkit/schema.yml"]))
    models = {m["name"]: {c["name"]: c["data_tests"] for c in m["columns"]} for m in schema["models"]}
    scores, segments = models["segkit_scores"], models["segkit_segments"]
    assert scores["customer_id"] == ["not_null", "unique"]
    assert scores["purchase_probability"] == [
        "not_null", {"segkit_between": {"arguments": {"min_value": 0, "max_value": 1}}}]
    assert segments["customer_id"] == ["not_null", "unique"]
    accepted = segments["segment"][1]["accepted_values"]["arguments"]["values"]
    assert accepted == Ruleset.load(folder / "segments.yaml").ids and "others" in accepted
    sources = yaml.load(io.StringIO(files["models/segkit/sources.yml"]))
    assert sources["sources"][0]["name"] == "segkit"
    assert sources["sources"][0]["tables"] == [{"name": "customers"}]
    between = files["tests/generic/segkit_between.sql"]
    assert between.startswith("{% test segkit_between(model, column_name, min_value, max_value) %}")
    assert "{{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}" in between
    project = yaml.load(io.StringIO(files["dbt_project.yml"]))
    assert project["config-version"] == 2 and project["test-paths"] == ["tests"]
    for name in ("segkit_scores", "segkit_segments"):
        sql = files[f"models/segkit/{name}.sql"]
        assert sql.startswith("{{ config(materialized='table') }}")
        assert sql.count("{{ source('segkit', 'customers') }}") == 1


def test_models_run_on_duckdb_and_match_the_polars_path(run_and_data):
    folder, frame = run_and_data
    files = dbt_files(folder, dialect="duckdb")
    con = duckdb.connect()
    con.register("shop_customers", frame.to_arrow())
    scores = con.sql(render(files["models/segkit/segkit_scores.sql"], "shop_customers")).pl()
    segments = con.sql(render(files["models/segkit/segkit_segments.sql"], "shop_customers")).pl()
    run = Run(folder)
    expected = score_frame(run.require_scorecard(), frame, ruleset=run.ruleset())
    both = expected.join(scores, on="customer_id", suffix="_sql").join(segments, on="customer_id", suffix="_sql")
    assert both.height == frame.height == scores.height == segments.height
    assert (both["purchase_probability"] - both["purchase_probability_sql"]).abs().max() <= 1e-9
    assert (both["will_purchase"] == both["will_purchase_sql"]).all()
    assert (both["segment"] == both["segment_sql"]).all()
    # the schema tests hold on this data: probabilities inside [0, 1], only known segments
    assert scores["purchase_probability"].is_between(0, 1).all()
    assert set(segments["segment"]) <= set(run.ruleset().ids)


def test_ref_input_and_other_dialects(run_and_data):
    folder, _ = run_and_data
    files = dbt_files(folder, dialect="postgres", ref="stg_customers")
    assert "models/segkit/sources.yml" not in files
    for name in ("segkit_scores", "segkit_segments"):
        assert files[f"models/segkit/{name}.sql"].count("{{ ref('stg_customers') }}") == 1
    # PostgreSQL array literals ('{1,2}') are plain text to Jinja: left as they are
    assert "'{" in files["models/segkit/segkit_scores.sql"]
    spark = dbt_files(folder, dialect="spark", source="raw.shop_customers")
    assert "{{ source('raw', 'shop_customers') }}" in spark["models/segkit/segkit_segments.sql"]


@pytest.mark.parametrize("kwargs, needle", [
    ({"ref": "stg customers"}, "bad dbt model name"),
    ({"source": "onlyone"}, "source_name.table_name"),
    ({"source": "a.b'); drop"}, "source_name.table_name"),
    ({"source": "a.b", "ref": "c"}, "not both"),
])
def test_bad_inputs_are_one_line(kwargs, needle):
    with pytest.raises(SegkitError, match=re.escape(needle)):
        relation_jinja(**kwargs)


def test_nothing_in_the_sql_can_start_jinja():
    assert _escape_jinja("a {{ b }} {% c %} {# d #} '{1,2}'") == \
        "a {{ '{' }}{ b }} {{ '{' }}% c %} {{ '{' }}# d #} '{1,2}'"


def test_a_rule_value_with_braces_stays_text(run_and_data, tmp_path):
    folder, frame = run_and_data
    run = tmp_path / "run"
    run.mkdir()
    (run / "scorecard.json").write_bytes((folder / "scorecard.json").read_bytes())
    (run / "segments.yaml").write_text(
        "format: segkit-ruleset/1\nname: braces\nsegments:\n  - id: odd\n    name: Odd\n"
        "    rule: acquisition_channel == \"{{ 7 * 7 }}\"\ndefault:\n  id: rest\n  name: Rest\n")
    sql = dbt_files(run)["models/segkit/segkit_segments.sql"]
    assert "{{ 7" not in sql.replace("{{ '{' }}", "")
    con = duckdb.connect()
    con.register("shop_customers", frame.with_columns(
        pl.when(pl.col("customer_id") == frame["customer_id"][0]).then(pl.lit("{{ 7 * 7 }}"))
        .otherwise(pl.col("acquisition_channel")).alias("acquisition_channel")).to_arrow())
    got = con.sql(render(sql, "shop_customers")).pl()
    assert got.filter(pl.col("segment") == "odd")["customer_id"].to_list() == [frame["customer_id"][0]]


def test_written_atomically_after_the_output_check(run_and_data, tmp_path):
    folder, _ = run_and_data
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    with pytest.raises(SegkitError, match="is a file, not a folder"):
        write_dbt_project(folder, blocker)
    assert blocker.read_text() == "a file, not a folder"
    out = tmp_path / "project"
    written = write_dbt_project(folder, out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == sorted(dbt_files(folder))
    assert not [p for p in out.rglob("*") if p.is_file() and p not in written]  # no temp files left
    with pytest.raises(SegkitError, match="no such run folder"):
        write_dbt_project(tmp_path / "nope", tmp_path / "p2")
    assert not (tmp_path / "p2").exists()
