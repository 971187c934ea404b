"""Ruleset YAML: loading errors, round trips that keep comments, editing, saving, applying."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from toolkit.errors import SegkitError
from toolkit.rules import RuleColumnError, RuleSyntaxError, RuleTypeError
from toolkit.ruleset import (
    DefaultSegment, Provenance, Ruleset, RulesetError, Segment, slugify,
)
from toolkit.schema import BY_NAME, FEATURES

RFM = Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml"

SAMPLE = """\
# Top comment: what this ruleset is for
format: segkit-ruleset/1
name: demo   # short name
description: Demo segments
segments:
  # Comment above A
  - id: a
    name: Alpha
    rule: x > 10   # eol comment on a's rule

  # Comment above B
  # (two lines)
  - id: b
    name: Beta
    description: Second
    rule: >-
      x > 5 and
      y == "k"
    campaign: Promo B
  # Comment above C
  - id: c
    name: Gamma
    rule: y in ["k", "m"]
# Comment above default
default:
  id: rest
  name: Rest
"""


def test_loads_the_sample():
    rs = Ruleset.loads(SAMPLE)
    assert rs.name == "demo" and rs.description == "Demo segments"
    assert rs.ids == ["a", "b", "c", "rest"]
    assert rs.segment("b").rule == 'x > 5 and y == "k"' and rs.segment("b").campaign == "Promo B"
    assert rs.columns == ["x", "y"]
    assert rs.provenance == Provenance()


def test_unmodified_round_trip_is_byte_identical():
    assert Ruleset.loads(SAMPLE).dumps() == SAMPLE
    assert Ruleset.load(RFM).dumps() == RFM.read_text()


def test_edits_keep_comments_order_and_styles():
    rs = Ruleset.loads(SAMPLE)
    rs.set_rule("a", "x > 11")
    rs.rename_segment("b", "Beta!")
    rs.set_campaign("b", None)
    rs.set_description("c", "Third")
    out = rs.dumps()
    for comment in ("# Top comment", "# short name", "# Comment above A", "# eol comment on a's rule",
                    "# Comment above B", "# (two lines)", "# Comment above C", "# Comment above default"):
        assert comment in out
    assert "rule: x > 11   # eol comment" in out
    assert "campaign" not in out
    assert "name: Beta!" in out
    assert "  - id: c\n    name: Gamma\n    description: Third\n    rule:" in out
    back = Ruleset.loads(out)
    assert back.ids == ["a", "b", "c", "rest"] and back.segment("a").rule == "x > 11"
    # a folded rule stays folded
    rs.set_rule("b", "x > 6")
    assert "rule: >-\n      x > 6\n" in rs.dumps()


def test_moving_a_segment_moves_the_comment_above_it():
    rs = Ruleset.loads(SAMPLE)
    rs.move_segment("c", 0)
    out = rs.dumps()
    assert out.index("# Comment above C") < out.index("- id: c") < out.index("# Comment above A") \
        < out.index("- id: a") < out.index("# Comment above B") < out.index("- id: b") \
        < out.index("# Comment above default") < out.index("default:")
    assert Ruleset.loads(out).ids == ["c", "a", "b", "rest"]
    rs.move_segment("c", 2)
    assert rs.dumps() == SAMPLE


def test_adding_and_removing_segments():
    rs = Ruleset.loads(SAMPLE)
    rs.add_segment(Segment("d", "Delta", "new one", "x is missing", "Call them"), index=1)
    rs.remove_segment("c")
    out = rs.dumps()
    back = Ruleset.loads(out)
    assert back.ids == ["a", "d", "b", "rest"]
    assert back.segment("d").campaign == "Call them"
    assert "# Comment above A" in out and "# Comment above default" in out
    with pytest.raises(RulesetError, match="already exists"):
        rs.add_segment(Segment("a", "A", "", "true"))


def test_set_rule_validates_and_keeps_the_old_rule_on_error():
    rs = Ruleset.loads(SAMPLE)
    with pytest.raises(RuleSyntaxError, match=r"segment 'a': line 1, col 5: expected a value"):
        rs.set_rule("a", "x > ")
    assert rs.segment("a").rule == "x > 10"
    with pytest.raises(RuleColumnError, match="did you mean 'orders_90d'"):
        rs.set_rule("a", "orders_9d > 1", columns=["orders_90d", "x"])
    assert rs.segment("a").rule == "x > 10"
    rs.set_rule("a", "orders_90d > 1", columns={"orders_90d": pl.Int64})
    assert rs.segment("a").rule == "orders_90d > 1"


def test_helpers_refuse_unknown_ids_and_positions():
    rs = Ruleset.loads(SAMPLE)
    with pytest.raises(RulesetError, match="did you mean 'b'"):
        rs.segment("bb")
    with pytest.raises(RulesetError, match="default segment"):
        rs.move_segment("rest", 0)
    with pytest.raises(RulesetError, match="outside 0..2"):
        rs.move_segment("a", 3)
    with pytest.raises(RulesetError, match="cannot be empty"):
        rs.rename_segment("a", " ")
    rs.rename_segment("rest", "Everyone else")
    assert rs.default.name == "Everyone else"


def _write(tmp_path, text, name="r.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


BASE = "format: segkit-ruleset/1\nname: x\nsegments:\n  - id: a\n    name: A\n    rule: x > 1\ndefault:\n  id: o\n  name: O\n"


@pytest.mark.parametrize("text, fragment", [
    ("", "the file is empty"),
    ("- a\n- b\n", "a ruleset is a YAML mapping"),
    ("format: [\n", "YAML syntax error at line 2, col 1: the file ends in the middle of a value"),
    ("name: a\nname: b\n", "YAML syntax error at line 2, col 1: 'name' appears a second time"),
    (BASE.replace("format: segkit-ruleset/1\n", ""), "missing 'format: segkit-ruleset/1'"),
    (BASE.replace("segkit-ruleset/1", "segkit-ruleset/9"), "unsupported format 'segkit-ruleset/9'"),
    (BASE.replace("name: x\n", ""), "missing required key 'name'"),
    (BASE.replace("default:\n  id: o\n  name: O\n", ""), "missing required key 'default'"),
    (BASE.replace("    rule: x > 1\n", ""), "line 4: segment 'a' is missing 'rule'"),
    (BASE.replace("    rule:", "    rules:"), "line 6: unknown key 'rules' in segment 'a'; did you mean 'rule'?"),
    (BASE.replace("segments:", "segmets:"), "unknown key 'segmets' in the ruleset; did you mean 'segments'?"),
    (BASE.replace("id: a", "id: Bad Id"), "bad segment id 'Bad Id'"),
    (BASE.replace("id: o", "id: a"), "line 8: duplicate segment id 'a' (first used on line 4)"),
    (BASE.replace("rule: x > 1", "rule: 3"), "'rule' must be text, not a number"),
    (BASE.replace("segments:\n", "segments: 3\n").replace("  - id: a\n    name: A\n    rule: x > 1\n", ""),
     "'segments' must be a list"),
    (BASE + "provenance:\n  source: guessed\n", "provenance source must be one of distilled, hand-written"),
])
def test_load_errors_are_one_clear_message(tmp_path, text, fragment):
    with pytest.raises(SegkitError) as info:
        Ruleset.load(_write(tmp_path, text))
    assert fragment in str(info.value)
    assert str(tmp_path / "r.yaml") in str(info.value)


def test_bad_rule_error_names_file_segment_line_and_column(tmp_path):
    p = _write(tmp_path, BASE.replace("rule: x > 1", "rule: x >= and y"))
    with pytest.raises(RuleSyntaxError) as info:
        Ruleset.load(p)
    assert str(info.value) == (
        f"{p}, segment 'a' (rule on line 6): line 1, col 6: expected a value after '>=', found 'and' "
        "(a number, a quoted text such as \"US\", true or false)\n"
        "  x >= and y\n"
        "       ^")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(RulesetError, match="ruleset file not found"):
        Ruleset.load(tmp_path / "nope.yaml")
    with pytest.raises(RulesetError, match="is a directory"):
        Ruleset.load(tmp_path)


def test_programmatic_construction_save_and_load(tmp_path):
    rs = Ruleset(
        name="distilled_tree",
        description="From a depth-3 tree\nsecond line",
        segments=[Segment("high_intent", "High intent", "Many checkouts", "checkout_starts_30d >= 2"),
                  Segment(slugify("Can't lose them"), "Can't lose them", "", 'country in ["US", "it\'s"]')],
        default=DefaultSegment("others", "Others", "The rest"),
        provenance=Provenance(source="distilled", run="run-7", data_fingerprint="abc123",
                              fidelity=0.93, stability=0.88, created="2025-02-01T10:00:00+00:00"),
    )
    assert rs.ids == ["high_intent", "cant_lose_them", "others"]
    path = rs.save(tmp_path / "sub" / "r.yaml")
    back = Ruleset.load(path)
    assert back == rs
    assert back.provenance.fidelity == 0.93 and back.provenance.source == "distilled"
    text = path.read_text()
    assert text.startswith("format: segkit-ruleset/1\nname: distilled_tree\n")
    with pytest.raises(RulesetError, match="duplicate segment id 'a'"):
        Ruleset("x", [Segment("a", "A", "", "true"), Segment("a", "B", "", "true")])
    with pytest.raises(RulesetError, match="bad segment id"):
        Segment("A B", "A", "", "true")
    with pytest.raises(RuleSyntaxError, match="segment 'a': line 1"):
        Segment("a", "A", "", "x >")


def test_save_is_atomic(tmp_path, monkeypatch):
    path = Ruleset.loads(SAMPLE).save(tmp_path / "r.yaml")
    before = path.read_text()
    rs = Ruleset.load(path)
    rs.set_rule("a", "x > 99")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        rs.save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.yaml"]


def test_apply_adds_segment_ids_and_names_in_input_order():
    rs = Ruleset.loads(SAMPLE)
    frame = pl.DataFrame({"x": [20, 7, 7, None, 1], "y": ["z", "k", "m", "m", None]})
    out = rs.apply(frame, name_column="segment_name")
    assert out.columns == ["x", "y", "segment", "segment_name"]
    assert out["segment"].to_list() == ["a", "b", "c", "c", "rest"]
    assert out["segment_name"].to_list() == ["Alpha", "Beta", "Gamma", "Gamma", "Rest"]
    assert rs.apply(frame.head(0)).height == 0


def test_apply_validates_columns_and_types():
    rs = Ruleset.loads(SAMPLE)
    with pytest.raises(RuleColumnError, match="segment 'a': line 1, col 1: unknown column 'x'; did you mean 'xx'"):
        rs.apply(pl.DataFrame({"xx": [1], "y": ["k"]}))
    with pytest.raises(RuleTypeError, match="segment 'b': line 1, col 16: 'y' is a whole-number column"):
        rs.apply(pl.DataFrame({"x": [1], "y": [2]}))


def test_empty_ruleset_puts_everyone_in_the_default():
    rs = Ruleset("empty")
    assert rs.apply(pl.DataFrame({"a": [1, 2]}))["segment"].to_list() == ["others", "others"]
    assert "ELSE 'others'" in rs.to_sql()


def test_rfm_classic_parses_and_validates_against_the_schema():
    rs = Ruleset.load(RFM)
    assert [s.name for s in rs.segments] == [
        "Champions", "Loyal", "New", "Potential loyalists", "Can't lose them", "At risk", "Hibernating"]
    assert rs.default.name == "Others"
    assert all(s.campaign for s in rs.segments)
    rs.validate(FEATURES)
    rs.validate({name: col.kind for name, col in BY_NAME.items()})
    assert set(rs.columns) <= {"days_since_last_purchase", "orders_365d", "orders_90d", "total_spend_365d",
                               "days_since_first_purchase", "account_age_days"}


def test_provenance_facts_lists_set_facts_in_order():
    prov = Provenance(source="distilled", run="r1", fidelity=0.9553, stability=float("nan"),
                      created="2024-01-02T03:04:05+00:00")
    assert prov.facts() == [("source", "distilled"), ("run", "r1"), ("fidelity", "95.5%"),
                            ("stability", "-"), ("created", "2024-01-02T03:04:05+00:00")]
    assert Provenance().facts() == [("source", "hand-written")]
