"""Reading ruleset YAML: parse, validate the schema, and say where a mistake is.

File format (``format: segkit-ruleset/1``)::

    format: segkit-ruleset/1          # required, the version of this format
    name: rfm_classic                 # required
    description: Recency/frequency/monetary segments   # optional
    provenance:                       # optional: where the rules come from
      source: hand-written            # distilled | hand-written
      run: null                       # id of the segmentation run that distilled them
      data_fingerprint: null          # fingerprint of the data they were distilled on
      fidelity: null                  # share of rows the rules assign like the model (0-1)
      stability: null                 # agreement across bootstrap refits (0-1)
      created: '2025-01-31T12:00:00+00:00'
    segments:                         # required, ordered: the FIRST matching rule wins
      - id: champions                 # slug: lower-case letters, digits, _ and -
        name: Champions               # display name
        description: Recent, frequent, big spenders
        rule: days_since_last_purchase <= 30 and orders_365d >= 6
        campaign: VIP early access    # optional
    default:                          # required: everyone no rule matches
      id: others
      name: Others
      description: Everyone else

Unknown keys are refused (with a suggestion) so a typo such as ``rules:`` is not silently
ignored. Files are read and written with ruamel.yaml's round-trip mode: comments, key order
and block-scalar styles a person wrote survive ``load -> modify -> save``; comments written
above a segment move with it when segments are reordered (:mod:`toolkit.ruleset.yaml_roundtrip`).

Every problem is a :class:`RulesetError` (or, inside a rule, a :class:`RuleError`) naming
the file and line; YAML syntax errors are put in plain words (:func:`_yaml_error_words`).
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Mapping

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from toolkit.rules import RuleError, parse, validate
from toolkit.rules.columns import ColumnsSpec
from toolkit.ruleset.errors import RulesetError, YamlSyntaxError
from toolkit.ruleset.model import (
    _PROVENANCE_KEYS, FORMAT, DefaultSegment, Provenance, Ruleset, Segment, check_slug,
)
from toolkit.ruleset.yaml_roundtrip import round_trip_yaml, text_of

_TOP_KEYS = ("format", "name", "description", "provenance", "segments", "default")
_SEGMENT_KEYS = ("id", "name", "description", "rule", "campaign")
_DEFAULT_KEYS = ("id", "name", "description", "campaign")


def load_text(text: str, source: str = "<string>", columns: ColumnsSpec | None = None) -> Ruleset:
    """The ruleset in YAML ``text`` (``source`` names it in errors); see the module docstring.

    With ``columns`` (names, or name -> dtype) every rule is also checked against the data,
    so an unknown column is an error placed in the file like a syntax error (the editor's
    case; :meth:`Ruleset.validate` checks a ruleset already loaded). Errors carry their
    place as fields: :class:`RulesetError` ``line``/``col``/``segment``, and
    :class:`RuleError` ``file_line``/``file_col``/``segment``.
    """
    return _Loader(text, source, columns).load()


class _Loader:
    def __init__(self, text: str, source: str, columns: ColumnsSpec | None = None):
        self.text = text
        self.source = source
        self.columns = list(columns) if columns is not None and not isinstance(columns, Mapping) \
            else columns

    def fail(self, message: str, node: Any = None, key: str | None = None,
             segment: str | None = None) -> RulesetError:
        """The error for ``message`` at ``node`` (or its ``key``), placed in the file."""
        line, col = _place_of(node, key)
        return RulesetError(message, line, col, segment, self.source)

    def rule_error(self, exc: RuleError, item: CommentedMap, seg_id: str) -> RuleError:
        """``exc`` (a position inside the rule) with its place in the file and segment."""
        line = _line_of(item, "rule")
        file_line, file_col = _rule_place(item, self.text.splitlines(), exc.line, exc.col)
        return exc.in_file(f"{self.source}, segment '{seg_id}' (rule on line {line})", seg_id,
                           file_line, file_col)

    def load(self) -> Ruleset:
        if not isinstance(self.text, str):
            raise RulesetError("a ruleset must be text", source=self.source)
        try:
            doc = round_trip_yaml().load(self.text)
        except YAMLError as exc:
            raise _yaml_error(self.source, exc) from None
        except Exception as exc:  # ruamel raises a few non-YAMLError types on odd input
            raise RulesetError(f"not valid YAML ({type(exc).__name__}: {exc})",
                               source=self.source) from None
        if doc is None:
            raise RulesetError(f"the file is empty; a ruleset needs at least 'format: {FORMAT}', "
                               "'name', 'segments' and 'default'", source=self.source)
        if not isinstance(doc, CommentedMap):
            raise RulesetError(f"a ruleset is a YAML mapping (key: value lines), not {_kind(doc)}",
                               source=self.source)
        self.keys(doc, _TOP_KEYS, "the ruleset")
        fmt = doc.get("format")
        if fmt is None:
            raise self.fail(f"missing 'format: {FORMAT}' (the version of the ruleset format)")
        if fmt != FORMAT:
            raise self.fail(f"unsupported format {fmt!r}; this segkit reads '{FORMAT}'", doc, "format")
        for key in ("name", "segments", "default"):
            if key not in doc or doc[key] is None:
                raise self.fail(f"missing required key '{key}'")
        name = self.text_value(doc, "name", "the ruleset")
        description = self.text_value(doc, "description", "the ruleset", required=False) or ""
        provenance = self.provenance(doc)
        segs = doc["segments"]
        if not isinstance(segs, CommentedSeq):
            raise self.fail("'segments' must be a list of segments (lines starting with '- id: ...')",
                            doc, "segments")
        segments = [self.segment(item, i) for i, item in enumerate(segs)]
        default = self.default(doc)
        seen: dict[str, Any] = {}
        for item, seg in zip(list(segs) + [doc["default"]], segments + [default]):
            if seg.id in seen:
                raise self.fail(f"duplicate segment id '{seg.id}' (first used on line "
                                f"{_line_of(seen[seg.id], 'id')})", item, "id", seg.id)
            seen[seg.id] = item
        if self.columns is not None:
            for item, seg in zip(segs, segments):
                try:
                    validate(seg.node, self.columns, seg.rule)
                except RuleError as exc:
                    raise self.rule_error(exc, item, seg.id) from None
        rs = Ruleset(name, segments, default, description, provenance)
        rs._doc = doc
        rs.source = self.source
        return rs

    def keys(self, node: CommentedMap, allowed: tuple[str, ...], where: str,
             segment: str | None = None) -> None:
        for key in node:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else f" (allowed: {', '.join(allowed)})"
                raise self.fail(f"unknown key '{key}' in {where}{extra}", node, key, segment)

    def text_value(self, node: CommentedMap, key: str, where: str, required: bool = True,
                   segment: str | None = None) -> str | None:
        v = node.get(key)
        if v is None:
            if required:
                raise self.fail(f"{where} is missing '{key}'", node, segment=segment)
            return None
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise self.fail(f"'{key}' of {where} must be text, not {_kind(v)}", node, key, segment)
        return str(v)

    def provenance(self, doc: CommentedMap) -> Provenance:
        prov = doc.get("provenance")
        if prov is None:
            return Provenance()
        if not isinstance(prov, CommentedMap):
            raise self.fail("'provenance' must be a mapping (source: ..., run: ...)", doc, "provenance")
        known = {k: prov.get(k) for k in _PROVENANCE_KEYS if k in prov}
        extra = {str(k): v for k, v in prov.items() if k not in _PROVENANCE_KEYS}
        if "created" in known and known["created"] is not None:
            known["created"] = text_of(known["created"])
        for key in ("run", "data_fingerprint"):
            if known.get(key) is not None:
                known[key] = str(known[key])
        try:
            return Provenance(**{k: v for k, v in known.items() if not (k == "source" and v is None)},
                              extra=extra)
        except RulesetError as exc:
            raise self.fail(str(exc), prov) from None
        except TypeError as exc:
            raise self.fail(f"bad provenance: {exc}", prov) from None

    def segment(self, item: Any, i: int) -> Segment:
        where = f"segment #{i + 1}"
        if not isinstance(item, CommentedMap):
            raise self.fail(f"{where} must be a mapping with id, name and rule, not {_kind(item)}",
                            item if hasattr(item, "lc") else None)
        sid = item.get("id") if isinstance(item.get("id"), str) else None
        if sid is not None:
            where = f"segment '{sid}'"
        self.keys(item, _SEGMENT_KEYS, where, sid)
        for key in ("id", "name", "rule"):
            if key not in item or item[key] is None:
                raise self.fail(f"{where} is missing '{key}'", item, segment=sid)
        seg_id = item["id"]
        try:
            check_slug(seg_id)
        except RulesetError as exc:
            raise self.fail(exc.message, item, "id", sid) from None
        rule = item["rule"]
        if isinstance(rule, bool):
            rule = "true" if rule else "false"
        if not isinstance(rule, str):
            raise self.fail(f"{where}: 'rule' must be text, not {_kind(rule)}", item, "rule", sid)
        name = self.text_value(item, "name", where, segment=sid)
        description = self.text_value(item, "description", where, required=False, segment=sid) or ""
        campaign = self.text_value(item, "campaign", where, required=False, segment=sid)
        try:
            parse(str(rule))
        except RuleError as exc:
            raise self.rule_error(exc, item, seg_id) from None
        try:
            return Segment(seg_id, name or "", description, str(rule), campaign)
        except RulesetError as exc:
            raise self.fail(exc.message, item, segment=sid) from None

    def default(self, doc: CommentedMap) -> DefaultSegment:
        item = doc["default"]
        if not isinstance(item, CommentedMap):
            raise self.fail("'default' must be a mapping with id and name", doc, "default")
        sid = item.get("id") if isinstance(item.get("id"), str) else None
        self.keys(item, _DEFAULT_KEYS, "the default segment", sid)
        for key in ("id", "name"):
            if key not in item or item[key] is None:
                raise self.fail(f"the default segment is missing '{key}'", item, segment=sid)
        where = "the default segment"
        try:
            check_slug(item["id"], "default segment id")
            return DefaultSegment(item["id"], self.text_value(item, "name", where, segment=sid) or "",
                                  self.text_value(item, "description", where, False, sid) or "",
                                  self.text_value(item, "campaign", where, False, sid))
        except RulesetError as exc:
            if exc.line is not None:  # already placed (a value that is not text)
                raise
            raise self.fail(exc.message, item, "id", sid) from None


def _kind(v: Any) -> str:
    if isinstance(v, (CommentedMap, dict)):
        return "a mapping"
    if isinstance(v, (CommentedSeq, list)):
        return "a list"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "a number"
    return type(v).__name__


def _place_of(node: Any, key: str | None = None) -> tuple[int | None, int | None]:
    """1-based (line, col) of ``node`` (or of its ``key``) in the YAML text, when known."""
    try:
        if key is not None and key in node:
            line, col = node.lc.key(key)
        else:
            line, col = node.lc.line, node.lc.col
        return line + 1, col + 1
    except Exception:  # noqa: BLE001 - a node without positions (None, a plain value)
        return None, None


def _line_of(node: Any, key: str | None = None) -> int | None:
    """1-based line of ``node`` (or of its ``key``) in the YAML text, when known."""
    return _place_of(node, key)[0]


def _rule_place(item: CommentedMap, text_lines: list[str], rule_line: int,
                rule_col: int) -> tuple[int | None, int | None]:
    """1-based (line, col) in the file of position (``rule_line``, ``rule_col``) of the rule
    of segment ``item``: after the ``rule:`` key, inside quotes, or in a ``|``/``>`` block
    (whose lines carry an indentation). (None, None) when ruamel kept no position."""
    try:
        line, col = item.lc.value("rule")
    except Exception:  # noqa: BLE001 - no position recorded
        return None, None
    if line >= len(text_lines):
        return None, None
    rest = text_lines[line][col:]
    if rest[:1] in ("|", ">"):
        nxt = line + 1
        while nxt < len(text_lines) and not text_lines[nxt].strip():
            nxt += 1
        if nxt >= len(text_lines):
            return None, None
        indent = len(text_lines[nxt]) - len(text_lines[nxt].lstrip(" "))
        return nxt + rule_line, indent + rule_col
    if rest[:1] in ("'", '"'):
        col += 1
    return line + rule_line, (col + rule_col) if rule_line == 1 else rule_col


def _yaml_error_words(exc: YAMLError) -> tuple[str, Any]:
    """(plain words, mark) for a YAML syntax error: what to fix, and the place to fix it.

    ruamel's messages name parser states ("while scanning a simple key ... could not find
    expected ':'"); a person editing a file needs the line where the mistake is and what to
    type. The mark is the opening of an unclosed quote or bracket, the line a key without
    ':' starts on, or else where the parser stopped.
    """
    problem = str(getattr(exc, "problem", None) or str(exc).splitlines()[0] or "")
    context = str(getattr(exc, "context", None) or "")
    here = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    start = getattr(exc, "context_mark", None) or here
    if "duplicate key" in problem:
        key = re.search(r'duplicate key "?(.*?)"? with value', problem)
        name = f"'{key.group(1)}'" if key else "a key"
        return f"{name} appears a second time in the same block; keep one", here
    if "could not find expected ':'" in problem:
        return "a key is missing its ':' (write `name: value`)", start
    if "quoted scalar" in context:
        return ("a quote opened here is never closed (end the text with the same quote "
                "character, or leave the quotes out)"), start
    if "'\\t'" in problem or "\t" in problem:
        return "a tab character; YAML indents with spaces only (replace the tab with spaces)", here
    if "flow sequence" in context:
        return "a '[' list opened here is never closed with ']' (or lacks a comma between items)", start
    if "flow mapping" in context:
        return "a '{' opened here is never closed with '}' (or lacks a comma between items)", start
    if "mapping values are not allowed" in problem:
        return ("a value contains ': ' (put the whole value in quotes) or a key is indented "
                "under a value"), here
    if "expected <block end>" in problem:
        found = problem.rsplit("found", 1)[-1].strip(" '")
        if found == "-":
            return ("a list item ('- ...') where a key was expected: indent it under its key "
                    "(e.g. under 'segments:')"), here
        if found == "<scalar>":
            return "text after a quoted value on the same line (put all of it in the quotes)", here
        return ("the indentation does not match the lines above: indent the keys of one "
                "block by the same number of spaces"), here
    if "<stream end>" in problem or "end of stream" in problem:
        return "the file ends in the middle of a value: close every '[', '{' and quote", here
    if "undefined alias" in problem:
        return "'*' starts a YAML alias; put a value that starts with '*' in quotes", here
    if "anchor" in context:
        return "'&' starts a YAML anchor; put a value that starts with '&' in quotes", here
    if "single document" in context:
        return "a second document ('---'); a ruleset file holds one", here
    return f"the text cannot be read as YAML here ({problem.rstrip('.')})", here


def _yaml_error(source: str, exc: YAMLError) -> YamlSyntaxError:
    words, mark = _yaml_error_words(exc)
    if mark is not None:
        return YamlSyntaxError(words, mark.line + 1, mark.column + 1, source=source)
    return YamlSyntaxError(words, source=source)


__all__ = ["load_text"]
