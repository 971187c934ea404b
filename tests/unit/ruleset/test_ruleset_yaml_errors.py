"""YAML syntax errors in a ruleset read as plain words with the line and column to fix."""

from __future__ import annotations

import re

import pytest

from toolkit.ruleset.editing import parse_text
from toolkit.ruleset import Ruleset, YamlSyntaxError

HEAD = "format: segkit-ruleset/1\nname: x\n"
SEG = "segments:\n  - id: a\n    name: A\n    rule: x > 1\ndefault:\n  id: o\n  name: O\n"
PARSER_WORDS = ("while scanning", "while parsing", "could not find expected", "<block end>",
                "simple key", "token", "stream", "ScannerError", "ParserError")


@pytest.mark.parametrize("text, line, col, words", [
    # unclosed quote: points at the quote that opens, not at the end of the file
    (HEAD.replace("name: x", "name: 'abc") + SEG, 2, 7, "a quote opened here is never closed"),
    (HEAD + SEG.replace("rule: x > 1", 'rule: "x > 1'), 6, 11, "a quote opened here is never closed"),
    # bad indentation: a key of the segment one space short
    (HEAD + SEG.replace("    rule:", "   rule:"), 6, 4, "the indentation does not match the lines above"),
    # a tab character used for indentation
    (HEAD + SEG.replace("  - id: a", "\t- id: a"), 4, 1, "a tab character; YAML indents with spaces only"),
    # missing colon: the line where the key starts
    (HEAD + SEG.replace("name: A", "name A"), 5, 5, "a key is missing its ':' (write `name: value`)"),
    (HEAD.replace("name: x", "name x") + SEG, 2, 1, "a key is missing its ':'"),
    # unclosed list, duplicate key, a value with ': ' in it, a list item where a key belongs
    (HEAD + SEG.replace("x > 1", "[x > 1"), 6, 11, "a '[' list opened here is never closed"),
    (HEAD + "name: y\n" + SEG, 3, 1, "'name' appears a second time in the same block"),
    (HEAD + SEG.replace("name: A", "name: A: B"), 5, 12, "a value contains ': ' (put the whole value in quotes)"),
    (HEAD + SEG + "- extra\n", 10, 1, "a list item ('- ...') where a key was expected"),
])
def test_yaml_errors_are_plain_words_at_the_place_to_fix(text, line, col, words):
    with pytest.raises(YamlSyntaxError) as info:
        Ruleset.loads(text, source="rules.yaml")
    exc = info.value
    assert (exc.line, exc.col) == (line, col)
    assert re.fullmatch(rf"rules\.yaml: YAML syntax error at line {line}, col {col}: .+", str(exc))
    assert words in str(exc)
    assert not any(w in str(exc) for w in PARSER_WORDS), str(exc)
    # the editor gets the same words and the same place
    ruleset, problem = parse_text(text, source="rules.yaml")
    assert ruleset is None and (problem.line, problem.col) == (line, col)
    assert problem.message == str(exc)


def test_the_fixed_text_loads():
    assert Ruleset.loads(HEAD + SEG).ids == ["a", "o"]
