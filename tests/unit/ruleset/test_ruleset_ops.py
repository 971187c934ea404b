"""check / diff / export on small hand-made data with known answers."""

from __future__ import annotations

import json
import re

import duckdb
import polars as pl
import pytest

from toolkit.errors import DataError, SegkitError
from toolkit.ruleset import Ruleset, Segment
from toolkit.ruleset.export import export, export_dbt, export_json, export_markdown, export_sql
from toolkit.ruleset.ops import assign, check, diff

RS = Ruleset("t", [
    Segment("a", "A", "", "x > 10"),
    Segment("b", "B", "", "x > 5"),
    Segment("c", "C", "", "x > 20"),
    Segment("d", "D", "", 'y == "nobody"'),
])
FRAME = pl.DataFrame({"id": [1, 2, 3, 4, 5], "x": [1, 6, 11, 25, None], "y": ["k", "k", "m", "m", None]})


def test_check_counts_coverage_overlap_empty_and_unreachable():
    r = check(RS, FRAME)
    got = {s.id: (s.position, s.matched, s.assigned) for s in r.segments}
    assert got == {"a": (1, 2, 2), "b": (2, 3, 1), "c": (3, 1, 0), "d": (4, 0, 0), "others": (None, 2, 2)}
    assert [s.share for s in r.segments] == [0.4, 0.2, 0.0, 0.0, 0.4]
    assert r.overlap["a"]["b"] == 2 and r.overlap["b"]["a"] == 2 and r.overlap["a"]["c"] == 1
    assert r.overlap["b"]["c"] == 1 and r.overlap["a"]["d"] == 0
    assert r.empty == ["d"] and r.unreachable == ["c"]
    assert r.overlapping_pairs() == [("a", "b", 2), ("a", "c", 1), ("b", "c", 1)]
    assert not r.ok and len(r.problems) == 2
    assert sum(s.assigned for s in r.segments) == FRAME.height
    json.dumps(r.to_dict())


def test_check_is_ok_on_a_clean_ruleset():
    rs = Ruleset("t", [Segment("a", "A", "", "x > 10"), Segment("b", "B", "", "x is missing")])
    r = check(rs, FRAME)
    assert r.ok and r.problems == []


def test_check_lists_every_missing_column_with_suggestions():
    rs = Ruleset("t", [Segment("a", "A", "", "xx > 1 and zzz == 'q'"), Segment("b", "B", "", "xx > 2")])
    with pytest.raises(DataError) as info:
        check(rs, FRAME)
    msg = str(info.value)
    assert msg == ("the data lacks 2 columns the rules of 't' use: 'xx' (used by a, b; did you mean 'x'?), "
                   "'zzz' (used by a)")


def test_assign_keeps_order_and_checks_the_id_column():
    out = assign(RS, FRAME, "id", names=True)
    assert out.columns == ["id", "segment", "segment_name"]
    assert out["id"].to_list() == [1, 2, 3, 4, 5]
    assert out["segment"].to_list() == ["others", "b", "a", "a", "others"]
    with pytest.raises(DataError, match="no id column 'ID'; did you mean 'id'"):
        assign(RS, FRAME, "ID")


SAMPLE_A = Ruleset("v1", [Segment("a", "A", "first", "x > 10", "promo"), Segment("b", "B", "", "x > 5"),
                          Segment("c", "C", "", "y == 'k'")])


def test_diff_reports_every_kind_of_change_and_transitions():
    b = Ruleset("v2", [Segment("b", "B", "", "x  >  5"),  # same rule, other spacing: no change
                       Segment("a", "Alpha", "first", "x > 20", "promo 2"),
                       Segment("d", "D", "", "y == 'm'")])
    d = diff(SAMPLE_A, b, FRAME)
    assert d.added == ["d"] and d.removed == ["c"]
    assert d.renamed == [("a", "A", "Alpha")]
    assert d.changed_rules == [("a", "x > 10", "x > 20")]
    assert d.changed_text == [("a", "campaign")]
    assert d.reordered and not d.identical and not d.default_changed
    # b now comes first and takes everyone with x > 5; c is gone
    before = SAMPLE_A.apply(FRAME)["segment"].to_list()
    after = b.apply(FRAME)["segment"].to_list()
    assert before == ["c", "b", "a", "a", "others"] and after == ["others", "b", "b", "b", "others"]
    moves = {(r["from"], r["to"]): r["customers"] for r in d.transitions.iter_rows(named=True)}
    assert moves == {("c", "others"): 1, ("b", "b"): 1, ("a", "b"): 2, ("others", "others"): 1}
    assert d.transitions.row(0, named=True) == {"from": "a", "to": "b", "customers": 2}
    assert d.moved == 3 and d.rows == 5
    json.dumps(d.to_dict())


def test_diff_of_identical_rulesets():
    d = diff(SAMPLE_A, SAMPLE_A.copy(), FRAME)
    assert d.identical and d.moved == 0
    assert diff(SAMPLE_A, SAMPLE_A).transitions is None


def test_sql_export_runs_in_duckdb_and_matches_apply():
    sql = export_sql(RS, "duckdb", table="main.people", id_column="id", column_types=FRAME.schema)
    assert sql.startswith("-- segkit ruleset: t (duckdb)")
    con = duckdb.connect()
    con.register("people", FRAME.to_arrow())
    got = dict(con.execute(sql).fetchall())
    assert [got[i] for i in FRAME["id"]] == RS.apply(FRAME)["segment"].to_list()


def test_json_export_carries_rules_and_trees():
    data = json.loads(export_json(SAMPLE_A))
    assert data["format"] == "segkit-ruleset/1" and [s["id"] for s in data["segments"]] == ["a", "b", "c"]
    assert data["segments"][0]["ast"] == {"op": ">", "column": "x", "value": 10}
    assert data["segments"][0]["campaign"] == "promo" and data["default"]["id"] == "others"


def test_markdown_export_is_a_table_with_sizes_and_escaped_cells():
    rs = Ruleset("t|x", [Segment("a", "A | pipe", "desc\nwith newline", "x > 10", "Email | SMS"),
                         Segment("b", "B", "", "y in ['k', 'm']")])
    md = export_markdown(rs, FRAME)
    assert "| 1 | **A \\| pipe** | desc with newline (x is more than 10) | Email \\| SMS | 2 | 40.0% |" in md
    assert '| 2 | **B** | y is one of ["k", "m"] |  | 2 | 40.0% |' in md
    assert "| - | **Others** | Everyone else |  | 1 | 20.0% |" in md
    assert "```\n  x > 10\n  ```" in md
    assert "Customers" not in export_markdown(rs)


def test_csv_export_needs_data_and_lists_every_customer():
    with pytest.raises(SegkitError, match="--data"):
        export(RS, "csv")
    text = export(RS, "csv", frame=FRAME, id_column="id")
    assert text.splitlines() == ["id,segment", "1,others", "2,b", "3,a", "4,a", "5,others"]


def test_dbt_export_has_config_ref_and_cannot_be_jinja_injected():
    rs = Ruleset("t", [Segment("a", "A {{ name }}", "", "y == '{{ evil() }}' or y == '{% raw %}'")])
    model = export_dbt(rs, "duckdb", ref="customers", id_column="id")
    assert model.startswith("{{ config(materialized='table') }}\n")
    assert model.rstrip().endswith("FROM {{ ref('customers') }}")
    body = model.split("\n", 1)[1].replace("{{ ref('customers') }}", "")
    assert re.sub(r"\{\{ '\{' \}\}", "", body).count("{") == 0  # every brace from the rules is escaped
    plain = body.replace("{{ '{' }}", "{")
    assert "'{{ evil() }}'" in plain and "'{% raw %}'" in plain
    assert "{{ source('raw', 'people') }}" in export_dbt(rs, ref="raw.people")
    with pytest.raises(SegkitError, match="bad dbt model name"):
        export_dbt(rs, ref="x') }}{{ evil")


def test_export_rejects_unknown_formats_and_dialects():
    with pytest.raises(SegkitError, match="unknown export format 'xml'"):
        export(RS, "xml")
    with pytest.raises(SegkitError, match="unknown SQL dialect 'oracle'"):
        export(RS, "sql", dialect="oracle")
