"""Writing ruleset YAML so that what a person wrote survives ``load -> modify -> save``.

Files are read and written with ruamel.yaml's round-trip mode: comments, key order and
block-scalar styles survive; comments written above a segment move with it when segments
are reordered (ruamel attaches them to the previous item; :func:`_take_comments` and
:func:`_put_comments` move them back). :func:`new_document` builds a document for a
ruleset that was never a file; :func:`sync_document` updates a loaded one in place,
touching only what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

from toolkit.ruleset.model import FORMAT, DefaultSegment, Provenance, Ruleset, Segment


def round_trip_yaml() -> YAML:
    """The YAML reader/writer of ruleset files (round-trip mode, long rules on one line)."""
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold a long rule over several lines
    y.indent(mapping=2, sequence=4, offset=2)
    return y



def text_of(v: Any) -> str:
    """A YAML timestamp (or anything else) as text; timestamps in ISO-8601 with a 'T'."""
    return v.isoformat() if hasattr(v, "isoformat") else str(v)



def _scalar(text: str) -> Any:
    return LiteralScalarString(text) if "\n" in text else text


def _segment_map(s: Segment | DefaultSegment) -> CommentedMap:
    m = CommentedMap()
    m["id"] = s.id
    m["name"] = s.name
    if s.description:
        m["description"] = _scalar(s.description)
    if isinstance(s, Segment):
        m["rule"] = _scalar(s.rule)
    if s.campaign:
        m["campaign"] = _scalar(s.campaign)
    return m


def new_document(rs: Ruleset) -> CommentedMap:
    doc = CommentedMap()
    doc["format"] = FORMAT
    doc["name"] = rs.name
    if rs.description:
        doc["description"] = _scalar(rs.description)
    prov = CommentedMap()
    for k, v in rs.provenance.as_dict().items():
        prov[k] = v
    doc["provenance"] = prov
    seq = CommentedSeq()
    for s in rs.segments:
        seq.append(_segment_map(s))
    doc["segments"] = seq
    doc["default"] = _segment_map(rs.default)
    return doc


def _set(m: CommentedMap, key: str, value: Any, after: Sequence[str] = ()) -> None:
    """Set ``m[key]`` only when it changed, keeping the original scalar style if possible."""
    if value is None or value == "" and key not in ("rule",):
        if key in m and key not in ("id", "name"):
            if m[key] is not None and m[key] != "":
                del m[key]
        return
    old = m.get(key)
    if old == value and (old is not None):
        return
    if isinstance(old, (LiteralScalarString, FoldedScalarString)):
        new: Any = type(old)(value)
    else:
        new = _scalar(value) if isinstance(value, str) else value
    if key in m:
        m[key] = new
        return
    pos = len(m)
    for k in reversed(after):  # insert after the last present key that should precede it
        if k in m:
            pos = list(m.keys()).index(k) + 1
            break
    m.insert(pos, key, new)


def _sync_segment(m: CommentedMap, s: Segment | DefaultSegment) -> None:
    _set(m, "id", s.id)
    _set(m, "name", s.name, ("id",))
    _set(m, "description", s.description, ("id", "name"))
    if isinstance(s, Segment):
        _set(m, "rule", s.rule, ("id", "name", "description"))
    _set(m, "campaign", s.campaign, ("id", "name", "description", "rule"))


def sync_document(doc: CommentedMap, rs: Ruleset) -> None:
    _set(doc, "format", FORMAT)
    _set(doc, "name", rs.name, ("format",))
    _set(doc, "description", rs.description, ("format", "name"))
    prov = doc.get("provenance")
    pdata = rs.provenance.as_dict()
    if prov is None and rs.provenance == Provenance():
        prov = CommentedMap()  # the file had none and there is nothing to say: keep it that way
    elif not isinstance(prov, CommentedMap):
        prov = CommentedMap()
        pos = list(doc.keys()).index("segments") if "segments" in doc else len(doc)
        doc.insert(pos, "provenance", prov)
    for k, v in pdata.items():
        if k in prov:
            if prov[k] != v and not (prov[k] is not None and v is not None and text_of(prov[k]) == text_of(v)):
                prov[k] = v
        elif v is not None:
            prov[k] = v
    for k in list(prov.keys()):
        if k not in pdata:
            del prov[k]

    seq = doc.get("segments")
    if not isinstance(seq, CommentedSeq):
        seq = CommentedSeq()
        doc["segments"] = seq
    comments = _take_comments(seq)
    by_id = {m.get("id"): (i, m) for i, m in enumerate(seq) if isinstance(m, CommentedMap)}
    new_items: list[CommentedMap] = []
    leading: list[str] = []
    for s in rs.segments:
        if s.id in by_id:
            i, m = by_id[s.id]
            _sync_segment(m, s)
            leading.append(comments.leading[i])
            new_items.append(m)
        else:
            new_items.append(_segment_map(s))
            leading.append("")
    seq[:] = new_items
    _put_comments(seq, leading, comments)
    dm = doc.get("default")
    if isinstance(dm, CommentedMap):
        _sync_segment(dm, rs.default)
    else:
        doc["default"] = _segment_map(rs.default)


@dataclass
class _SeqComments:
    leading: list[str]  # comment text above item i (indentation included)
    trailing: str  # comment text after the last item (belongs to the key that follows)
    eol: dict[int, tuple[str, Any]]  # id(map) -> (end-of-line comment of its last line, mark)


def _last_key(m: CommentedMap) -> Any:
    return list(m.keys())[-1] if len(m) else None


def _is_block(v: Any) -> bool:
    return isinstance(v, (LiteralScalarString, FoldedScalarString))


def _take_comments(seq: CommentedSeq) -> _SeqComments:
    """Detach the comments between items of ``seq`` so they can follow their items.

    ruamel attaches a comment written above item i+1 to the last key of item i; this splits
    it back into item i's end-of-line comment and item i+1's leading comment.
    """
    n = len(seq)
    leading = [""] * (n + 1)
    eol: dict[int, tuple[str, Any]] = {}
    first = seq.ca.comment[1] if seq.ca.comment and len(seq.ca.comment) > 1 else None
    if first:
        leading[0] = "".join(" " * (t.column or 0) + t.value for t in first)
        first.clear()
    for i, m in enumerate(seq):
        if not isinstance(m, CommentedMap) or not len(m):
            continue
        last = _last_key(m)
        if isinstance(m[last], (CommentedMap, CommentedSeq)):
            continue  # comments nested deeper: left where ruamel put them
        entry = m.ca.items.get(last)
        tok = entry[2] if entry and len(entry) > 2 else None
        if tok is None:
            continue
        value = tok.value
        if _is_block(m[last]):
            own, rest = "", value
        else:
            cut = value.find("\n")
            own, rest = (value, "") if cut < 0 else (value[:cut + 1], value[cut + 1:])
        eol[id(m)] = (own, tok.start_mark)
        leading[i + 1] = rest
        entry[2] = None
    return _SeqComments(leading[:n], leading[n], eol)


def _put_comments(seq: CommentedSeq, leading: list[str], c: _SeqComments) -> None:
    """Re-attach comments after reordering: item k's leading comment goes above item k."""
    if leading and leading[0]:
        tokens = _first_tokens(leading[0])
        if seq.ca.comment is None or len(seq.ca.comment) < 2:
            seq.ca.comment = [None, []]
        if seq.ca.comment[1] is None:
            seq.ca.comment[1] = []
        seq.ca.comment[1].extend(tokens)
    n = len(seq)
    for k, m in enumerate(seq):
        if not isinstance(m, CommentedMap) or not len(m):
            continue
        last = _last_key(m)
        if isinstance(m[last], (CommentedMap, CommentedSeq)):
            continue
        own, mark = c.eol.get(id(m), ("", None))
        if not own and not _is_block(m[last]):
            own = "\n"
        after = leading[k + 1] if k + 1 < n else c.trailing
        value = own + after
        if _is_block(m[last]) and not after:
            continue
        if not _is_block(m[last]) and value in ("", "\n"):
            continue
        tok = CommentToken(value, mark if mark is not None else CommentMark(0), None)
        entry = m.ca.items.setdefault(last, [None, None, None, None])
        while len(entry) < 4:
            entry.append(None)
        entry[2] = tok


def _first_tokens(text: str) -> list[CommentToken]:
    """Comment text -> the per-line tokens ruamel keeps above a sequence's first item."""
    tokens: list[CommentToken] = []
    for line in text.splitlines(keepends=True):
        if not line.strip():
            if tokens:
                tokens[-1].value += "\n"
            else:
                tokens.append(CommentToken("\n", CommentMark(0), None))
            continue
        stripped = line.lstrip(" ")
        if not stripped.endswith("\n"):
            stripped += "\n"
        tokens.append(CommentToken(stripped, CommentMark(len(line) - len(line.lstrip(" "))), None))
    return tokens



__all__ = ["new_document", "round_trip_yaml", "sync_document", "text_of"]
