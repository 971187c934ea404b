"""`flow`: who moved between segments from snapshot A to B, on tables with known moves."""

from __future__ import annotations

import json

import polars as pl
import pytest

from toolkit.errors import DataError, SegkitError
from toolkit.ruleset import Ruleset, Segment
from toolkit.ruleset.flow import flow

RS = Ruleset("t", [Segment("hi", "High spenders", "", "x > 10"),
                   Segment("mid", "Mid spenders", "", "x > 5")])
# id 1: hi -> gone; 2: hi -> mid; 3: mid -> hi; 4: others -> others; 5: others -> gone;
# 6: new -> hi; 7, 8: hi -> mid; 9: hi -> hi
A = pl.DataFrame({"id": [1, 2, 3, 4, 5, 7, 8, 9], "x": [20, 20, 7, 1, 1, 30, 12, 50]})
B = pl.DataFrame({"id": [9, 8, 7, 6, 4, 3, 2], "x": [11, 6, 9, 30, 1, 20, 7]})


def test_known_moves_give_the_exact_matrix_with_new_and_gone():
    f = flow(RS, A, B, "id")
    assert f.rows == ["hi", "mid", "others", "new"]
    assert f.columns == ["hi", "mid", "others", "gone"]
    assert f.matrix == {
        "hi": {"hi": 1, "mid": 3, "others": 0, "gone": 1},
        "mid": {"hi": 1, "mid": 0, "others": 0, "gone": 0},
        "others": {"hi": 0, "mid": 0, "others": 1, "gone": 1},
        "new": {"hi": 1, "mid": 0, "others": 0, "gone": 0},
    }
    assert sum(map(f.row_total, f.segments)) == A.height  # nobody dropped
    assert sum(f.column_total(s) for s in f.segments) == B.height
    assert f.stayed_share == {"hi": 0.2, "mid": 0.0, "others": 0.5}
    assert f.shares["hi"] == {"hi": 0.2, "mid": 0.6, "others": 0.0, "gone": 0.2}


def test_biggest_moves_are_between_segments_in_words_with_names():
    moves = flow(RS, A, B, "id").biggest(3)
    assert [(m.source, m.target, m.customers) for m in moves] == [("hi", "mid", 3), ("mid", "hi", 1)]
    assert moves[0].text == "3 High spenders became Mid spenders"
    assert moves[1].text == "1 customer in Mid spenders became High spenders"


def test_nobody_at_a_has_no_stayed_share_and_string_ids_work():
    a = pl.DataFrame({"cid": ["a", "b"], "x": [1, 1]})
    b = pl.DataFrame({"cid": ["b", "c"], "x": [20, 20]})
    f = flow(RS, a, b, "cid")
    assert f.stayed_share == {"hi": None, "mid": None, "others": 0.0}
    assert f.matrix["others"] == {"hi": 1, "mid": 0, "others": 0, "gone": 1}
    assert f.matrix["new"]["hi"] == 1


def test_a_segment_called_new_gets_a_distinct_new_row():
    rs = Ruleset("n", [Segment("new", "New", "", "x > 10"), Segment("gone", "Gone", "", "x > 5")])
    f = flow(rs, A, B, "id")
    assert f.new == "(new)" and f.gone == "(gone)"
    assert f.rows == ["new", "gone", "others", "(new)"]
    assert f.matrix["(new)"]["new"] == 1 and f.matrix["new"]["(gone)"] == 1
    assert f.matrix["new"]["gone"] == 3


def test_json_has_the_documented_keys_and_round_trips():
    doc = json.loads(json.dumps(flow(RS, A, B, "id").to_json(), allow_nan=False))
    for key in ("segments", "matrix", "stayed_share", "biggest"):
        assert key in doc
    assert [s["id"] for s in doc["segments"]] == ["hi", "mid", "others"]
    assert doc["segments"][0] == {"id": "hi", "name": "High spenders", "before": 5, "after": 3}
    assert doc["matrix"]["new"]["hi"] == 1 and doc["matrix"]["hi"]["gone"] == 1
    assert doc["biggest"][0] == {"from": "hi", "to": "mid", "customers": 3,
                                 "text": "3 High spenders became Mid spenders"}


@pytest.mark.parametrize("which", ["before", "after"])
def test_duplicate_ids_are_one_error_naming_them(which):
    dup = pl.DataFrame({"id": [1, 1, 2], "x": [1, 2, 3]})
    args = (dup, B) if which == "before" else (A, dup)
    with pytest.raises(DataError) as exc:
        flow(RS, *args, "id")
    msg = str(exc.value)
    assert "\n" not in msg and "more than once" in msg and "(1)" in msg
    assert ("--data" if which == "before" else "--then") in msg


def test_missing_id_or_rule_column_or_null_ids_or_mixed_types_are_errors():
    with pytest.raises(DataError, match="no id column 'customer_id'"):
        flow(RS, A, B, "customer_id")
    with pytest.raises(DataError, match=r"--then.*'x'"):
        flow(RS, A, B.rename({"x": "y"}), "id")
    with pytest.raises(DataError, match="no id"):
        flow(RS, pl.DataFrame({"id": [1, None], "x": [1, 2]}), B, "id")
    with pytest.raises(SegkitError, match="same type"):
        flow(RS, A, B.with_columns(pl.col("id").cast(pl.String)), "id")


@pytest.mark.parametrize("width", [80, 200])
def test_cli_table_keeps_ids_and_counts_whole(width):
    import io

    from rich.console import Console

    from toolkit.cli.rules import flow_table

    rs = Ruleset("wide", [Segment(f"segment_number_{i}", f"S{i}", "", f"x > {i}") for i in range(9, 0, -1)])
    a = pl.DataFrame({"id": range(20_000), "x": [i % 11 for i in range(20_000)]})
    b = a.with_columns((pl.col("x") + 1) % 11)
    f = flow(rs, a, b, "id")
    out = io.StringIO()
    Console(width=width, file=out, highlight=False).print(flow_table(f, width))
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    for s in f.segments:
        assert s in text
    for s in f.rows:
        for t in f.columns:
            if f.matrix[s][t]:  # the one-line-per-flow layout leaves out empty cells
                assert f"{f.matrix[s][t]:,}" in text


# -- the campaign each flow suggests, and flow.json read back ------------------------------
from pathlib import Path  # noqa: E402

from toolkit.segments.campaigns import (CAMPAIGNS, FLOW_CAMPAIGNS, flow_campaign,  # noqa: E402
                                        flow_campaigns, ruleset_stages, segment_stage)

RFM = Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml"
DEMO = Path(__file__).resolve().parents[3] / "rulesets" / "demo_distilled.yaml"


def test_segments_of_the_shipped_rulesets_get_their_lifecycle_stage():
    assert ruleset_stages(Ruleset.load(RFM)) == {
        "champions": "value", "loyal": "value", "new": "new", "potential_loyalists": None,
        "cant_lose_them": "lapsed", "at_risk": "lapsed", "hibernating": "lapsed",
        "others": None}  # "First-purchase welcome offer": prospects, not a lifecycle stage
    # distilled rulesets carry one of CAMPAIGNS' texts: its key decides, whatever the name says
    assert ruleset_stages(Ruleset.load(DEMO)) == {
        "lapsed_inactive_customers": "lapsed", "new_recent_buyers": "new",
        "recent_frequent_buyers": "value", "recent_bargain_hunters": "discount",
        "active_window_shoppers": "browsing", "high_spending_app_first_buyers": "value"}
    assert segment_stage("x", "Recent buyers", CAMPAIGNS["win_back"]) == "lapsed"
    assert segment_stage("vip", "Very important") == "value"
    assert segment_stage("misc", "Misc", "Say hello", "") is None
    assert segment_stage("s1", "Segment 1", "Onboarding series with a second-order incentive") == "new"


@pytest.mark.parametrize("source, target, kind", [
    ("value", "lapsed", "win_back"), (None, "lapsed", "win_back"), ("lapsed", "lapsed", "win_back"),
    ("lapsed", "value", "welcome_back"), ("lapsed", None, "welcome_back"),
    (None, "value", "loyalty"), ("new", "value", "loyalty"), ("value", "value", "loyalty"),
    ("new", None, "onboarding"), (None, "new", "onboarding"),
    ("value", None, "retention"), ("value", "new", "retention"),
    (None, "discount", "price_led"), (None, "browsing", "conversion"), (None, "low", "low_priority"),
    (None, None, "nurture"),
])
def test_each_kind_of_flow_suggests_its_campaign(source, target, kind):
    got, why = flow_campaign(source, target)
    assert got == kind and why
    assert got in FLOW_CAMPAIGNS


def test_biggest_flows_in_json_carry_their_campaign():
    rs = Ruleset("t", [Segment("champions", "Champions", "", "x > 10"),
                       Segment("at_risk", "At risk", "", "x > 5")])
    f = flow(rs, A, B, "id")  # hi (champions) -> mid (at_risk) x3, at_risk -> champions x1
    camps = flow_campaigns(f, rs)
    assert camps[("champions", "at_risk")]["kind"] == "win_back"
    assert camps[("at_risk", "champions")]["kind"] == "welcome_back"
    doc = json.loads(json.dumps(f.to_json(campaigns=camps), allow_nan=False))
    first = doc["biggest"][0]
    assert (first["from"], first["to"], first["customers"]) == ("champions", "at_risk", 3)
    assert first["campaign"]["kind"] == "win_back"
    assert first["campaign"]["text"].startswith("Win-back: ")
    assert "campaign" not in f.to_json()["biggest"][0]  # only when asked


def test_a_flow_reads_back_from_its_json_with_the_same_figures():
    f = flow(RS, A, B, "id")
    back = type(f).from_json(json.loads(json.dumps(f.to_json())))
    assert back.matrix == f.matrix and back.segments == f.segments and back.names == f.names
    assert (back.rows_before, back.rows_after) == (f.rows_before, f.rows_after)
    assert back.stayed_share == f.stayed_share
    assert [m.text for m in back.moves] == [m.text for m in f.moves]


@pytest.mark.parametrize("broken, needle", [
    ([], "not a JSON object"),
    ({"segments": []}, "'segments'"),
    ({"segments": [{"id": "a"}]}, "no 'matrix'"),
    ({"segments": [{"id": "a"}], "matrix": {"a": {"a": 1, "gone": 0}}}, "no row 'new'"),
    ({"segments": [{"id": "a"}], "matrix": {"a": {"a": 1, "gone": -1}, "new": {"a": 0, "gone": 0}}},
     "not a count"),
    ({"segments": [{"id": "a"}], "new": "a", "matrix": {}}, "'new' and 'gone'"),
])
def test_a_broken_flow_json_is_one_line_naming_the_file(broken, needle):
    from toolkit.ruleset.flow import Flow

    with pytest.raises(DataError) as exc:
        Flow.from_json(broken, "runs/x/flow.json")
    msg = str(exc.value)
    assert "\n" not in msg and "runs/x/flow.json" in msg and needle in msg
