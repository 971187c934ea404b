"""Audiences and export files (toolkit.segments.audience, toolkit.exports)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from toolkit.segments.audience import audience_frame, check_min_probability, export_audience
from toolkit.errors import SegkitError
from toolkit.exports import check_output_path, format_of, write_model_sql, write_ruleset
from toolkit.ruleset import Ruleset

FRAME = pl.DataFrame({
    "customer_id": ["a", "b", "c", "d", "e"],
    "segment": ["x", "x", "y", "x", None],
    "purchase_probability": [0.2, 0.9, 0.5, 0.6, 0.1],
})


def test_audience_filters_sorts_and_thresholds():
    out = audience_frame(FRAME, "x")
    assert out["customer_id"].to_list() == ["b", "d", "a"]
    assert audience_frame(FRAME, "x", min_probability=0.6)["customer_id"].to_list() == ["b", "d"]
    assert audience_frame(FRAME, "x", min_probability="0.95").height == 0
    with pytest.raises(SegkitError, match="no customer is in segment"):
        audience_frame(FRAME, "zzz")
    with pytest.raises(SegkitError, match="between 0 and 1"):
        check_min_probability(1.5)
    with pytest.raises(SegkitError, match="number"):
        check_min_probability("high")
    assert check_min_probability(" ") is None
    with pytest.raises(SegkitError, match="needs purchase probabilities"):
        audience_frame(FRAME.drop("purchase_probability"), "x", min_probability=0.5)


def test_export_audience_csv_and_parquet(tmp_path):
    r = export_audience(FRAME, "x", tmp_path / "out" / "x.csv", min_probability=0.5)
    assert r.rows == 2 and (tmp_path / "out" / "x.csv").read_text().splitlines()[0] == \
        "customer_id,segment,purchase_probability"
    assert "probability >= 0.5" in r.summary()
    r = export_audience(FRAME, "x", tmp_path / "x.parquet")
    assert pl.read_parquet(tmp_path / "x.parquet")["customer_id"].to_list() == ["b", "d", "a"]
    with pytest.raises(SegkitError, match="should end in"):
        export_audience(FRAME, "x", tmp_path / "x.xlsx")


def test_check_output_path(tmp_path):
    assert check_output_path(tmp_path / "a" / "b.sql", ["sql"]) == tmp_path / "a" / "b.sql"
    with pytest.raises(SegkitError, match="file name"):
        check_output_path("  ")
    with pytest.raises(SegkitError, match="is a folder"):
        check_output_path(tmp_path)
    (tmp_path / "f").write_text("")
    with pytest.raises(SegkitError, match="is a file"):
        check_output_path(tmp_path / "f" / "x.csv")
    with pytest.raises(SegkitError, match=r"\.yaml or \.yml"):
        check_output_path(tmp_path / "x.txt", ["yaml"])
    assert format_of("a.PARQUET", ["csv", "parquet"]) == "parquet"


RULES = """\
format: segkit-ruleset/1
name: t
segments:
  - id: x
    name: X
    rule: purchase_probability >= 0.5
default:
  id: y
  name: Y
"""


def test_write_ruleset_formats(tmp_path):
    rs = Ruleset.loads(RULES)
    assert write_ruleset(rs, "yaml", tmp_path / "r.yaml").path.read_text() == RULES
    data = json.loads(write_ruleset(rs, "json", tmp_path / "r.json").path.read_text())
    assert data["segments"][0]["id"] == "x"
    md = write_ruleset(rs, "markdown", tmp_path / "r.md", frame=FRAME.drop("segment")).path.read_text()
    assert "| 1 | **X** |" in md and "3 |" in md
    sql = write_ruleset(rs, "sql", tmp_path / "r.sql", dialect="postgres").path.read_text()
    assert "CASE" in sql and "(postgres)" in sql
    with pytest.raises(SegkitError, match="unknown ruleset format"):
        write_ruleset(rs, "xml", tmp_path / "r.xml")


def test_write_model_sql(tmp_path):
    from tui_run import build_run
    from toolkit.model.scorecard import Scorecard

    card = Scorecard.load(build_run() / "scorecard.json")
    r = write_model_sql(card, tmp_path / "m.sql", dialect="duckdb")
    assert "purchase_probability" in r.path.read_text() and r.bytes > 0
