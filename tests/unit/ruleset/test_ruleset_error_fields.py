"""Ruleset errors carry where they are as fields; the editor reads the fields, not the text.

``str(error)`` is what the CLI prints and stays word for word what it was; ``line``/``col``
(1-based, in the file) and ``segment`` are set on YAML syntax errors, schema errors and rule
errors inside a segment (there as ``file_line``/``file_col``, beside the rule's own
``line``/``col``).
"""

from __future__ import annotations

import pickle

import pytest
import ruamel.yaml

from toolkit.rules import RuleColumnError, RuleSyntaxError
from toolkit.ruleset import Ruleset, RulesetError, YamlSyntaxError
from toolkit.ruleset.editing import parse_text
from toolkit.ruleset.yaml_load import load_text

BASE = ("format: segkit-ruleset/1\nname: t\nsegments:\n  - id: a\n    name: A\n    rule: x > 1\n"
        "  - id: b\n    name: B\n    rule: y < 2\ndefault:\n  id: o\n  name: O\n")


def _error(text: str, source: str = "r.yaml") -> Exception:
    with pytest.raises(Exception) as info:
        Ruleset.loads(text, source=source)
    return info.value


def test_yaml_syntax_error_is_a_ruleset_error_with_fields():
    exc = _error(BASE.replace("name: A", "name: 'A"))
    assert isinstance(exc, YamlSyntaxError) and isinstance(exc, RulesetError)
    assert (exc.line, exc.col, exc.source) == (5, 11, "r.yaml")
    assert exc.message == ("a quote opened here is never closed (end the text with the same quote "
                           "character, or leave the quotes out)")
    assert str(exc) == f"r.yaml: YAML syntax error at line 5, col 11: {exc.message}"


@pytest.mark.parametrize("text, line, col, segment, shown", [
    # unknown key: the key itself
    (BASE.replace("    rule: y", "    rules: y"), 9, 5, "b",
     "r.yaml, line 9: unknown key 'rules' in segment 'b'; did you mean 'rule'?"),
    # missing rule: the segment's block
    (BASE.replace("    rule: y < 2\n", ""), 7, 5, "b", "r.yaml, line 7: segment 'b' is missing 'rule'"),
    # duplicate id: the second one
    (BASE.replace("  - id: b", "  - id: a"), 7, 5, "a",
     "r.yaml, line 7: duplicate segment id 'a' (first used on line 4)"),
    (BASE.replace("  id: o", "  id: b"), 11, 3, "b",
     "r.yaml, line 11: duplicate segment id 'b' (first used on line 7)"),
    # a top-level problem: no segment
    (BASE.replace("segkit-ruleset/1", "segkit-ruleset/9"), 1, 1, None,
     "r.yaml, line 1: unsupported format 'segkit-ruleset/9'; this segkit reads 'segkit-ruleset/1'"),
])
def test_schema_errors_carry_line_col_and_segment(text, line, col, segment, shown):
    exc = _error(text)
    assert type(exc) is RulesetError
    assert (exc.line, exc.col, exc.segment, exc.source) == (line, col, segment, "r.yaml")
    assert str(exc) == shown
    assert text.splitlines()[line - 1][col - 1:].split(":")[0].lstrip("- ") in (
        "rules", "id", "format")


def test_an_error_without_a_place_has_no_line():
    exc = _error(BASE.replace("name: t\n", ""))
    assert (exc.line, exc.col, exc.segment) == (None, None, None)
    assert str(exc) == "r.yaml: missing required key 'name'"


def test_default_segment_value_error_names_the_file_once():
    exc = _error(BASE.replace("  name: O", "  name: [O]"))
    assert str(exc) == "r.yaml, line 12: 'name' of the default segment must be text, not a list"
    assert (exc.line, exc.col, exc.segment) == (12, 3, "o")


def test_rule_error_inside_a_segment_has_rule_and_file_positions():
    text = BASE.replace("rule: y < 2", "rule: y < 2 and z >= and")
    exc = _error(text)
    assert isinstance(exc, RuleSyntaxError)
    assert (exc.line, exc.col) == (1, 16)  # inside the rule
    assert (exc.segment, exc.file_line, exc.file_col) == ("b", 9, 26)  # in the file
    assert text.splitlines()[8][25:] == "and"
    assert str(exc).startswith("r.yaml, segment 'b' (rule on line 9): line 1, col 16: expected a value")


@pytest.mark.parametrize("rule, line, col", [
    ("'y < 2 and z >= and'", 9, 27),                          # quoted: one column further
    ("|\n      y < 2\n      and z >= and", 11, 16),           # block: its own lines, indented
])
def test_rule_error_positions_in_quoted_and_block_rules(rule, line, col):
    text = BASE.replace("rule: y < 2", f"rule: {rule}")
    exc = _error(text)
    assert (exc.segment, exc.file_line, exc.file_col) == ("b", line, col)
    assert text.splitlines()[line - 1][col - 1:].startswith("and")


def test_column_errors_are_placed_when_columns_are_given():
    text = BASE.replace("rule: y < 2", "rule: y < 2 and zz > 1")
    assert load_text(text).ids == ["a", "b", "o"]  # without columns: not checked
    with pytest.raises(RuleColumnError) as info:
        load_text(text, "r.yaml", columns=["x", "y", "z"])
    exc = info.value
    assert (exc.segment, exc.file_line) == ("b", 9)
    assert text.splitlines()[8][exc.file_col - 1:] == "zz > 1"


def test_fields_survive_pickling():
    exc = _error(BASE.replace("    rules: y", "    rules: y").replace("    rule: y", "    rules: y"))
    back = pickle.loads(pickle.dumps(exc))
    assert (back.line, back.col, back.segment, back.source, str(back)) == (
        exc.line, exc.col, exc.segment, exc.source, str(exc))
    plain = RulesetError("no such segment")
    assert str(plain) == "no such segment" and plain.line is None


# -- the editor reads the fields ----------------------------------------------------------
def test_editor_position_comes_from_fields_not_from_the_message_text():
    # "line 99, col 3" in the file name would have been read as the position by a regex
    text = BASE.replace("    rule: y", "    rules: y")
    _, problem = parse_text(text, source="line 99, col 3.yaml")
    assert (problem.line, problem.col, problem.segment) == (9, 5, "b")
    assert "line 99" in problem.message
    _, problem = parse_text(BASE.replace("name: t\n", ""), source="line 99.yaml")
    assert problem.line is None and problem.col is None
    assert problem.message == "line 99.yaml: missing required key 'name'"


def test_editor_rule_problem_uses_the_loaders_place_and_parses_once(monkeypatch):
    calls = []
    original = ruamel.yaml.YAML.load

    def counting(self, stream):
        calls.append(1)
        return original(self, stream)

    monkeypatch.setattr(ruamel.yaml.YAML, "load", counting)
    text = BASE.replace("rule: y < 2", "rule: y < 2 and z >= and")
    ruleset, problem = parse_text(text, source="r.yaml")
    assert ruleset is None and len(calls) == 1
    assert (problem.line, problem.col, problem.segment) == (9, 26, "b")
    assert problem.message.startswith("line 9, col 26: segment 'b': expected a value")
    calls.clear()
    _, problem = parse_text(BASE.replace("x > 1", "xx > 1"), ["x", "y"])
    assert len(calls) == 1 and (problem.line, problem.col, problem.segment) == (6, 11, "a")
    assert "unknown column 'xx'" in problem.message
