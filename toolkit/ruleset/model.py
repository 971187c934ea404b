"""Rulesets: segments as an ordered list of human-editable rules, stored as YAML.

A ruleset assigns every customer to exactly one segment: the first segment whose rule
matches, else the default segment. It is the explainable artefact of segkit: distillation
writes one from a tree, a person can edit it in any text editor (or the TUI), and it runs
in Polars or as one SQL ``SELECT`` in a warehouse with the same result.

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
above a segment move with it when segments are reordered.

The rule language and its missing-value semantics: :mod:`toolkit.rules`.
"""

from __future__ import annotations

import copy
import difflib
import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

import numpy as np
import polars as pl
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

from toolkit.errors import SegkitError
from toolkit.fileio import atomic_write_text
from toolkit.rules import (
    RuleError, column_kinds, format_rule, parse, to_polars, to_sql, validate,
)
from toolkit.rules.columns import ColumnsSpec, may_be_nan
from toolkit.rules.compile_sql import get_dialect, quote_identifier, quote_table
from toolkit.rules.nodes import Node, columns as rule_columns

FORMAT = "segkit-ruleset/1"
Source = Literal["distilled", "hand-written"]
SOURCES: tuple[str, ...] = ("distilled", "hand-written")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
_TOP_KEYS = ("format", "name", "description", "provenance", "segments", "default")
_SEGMENT_KEYS = ("id", "name", "description", "rule", "campaign")
_DEFAULT_KEYS = ("id", "name", "description", "campaign")
_PROVENANCE_KEYS = ("source", "run", "data_fingerprint", "fidelity", "stability", "created")
APPLY_CHUNK = 64
"""Rules evaluated together when a ruleset is applied (see :meth:`Ruleset._chunk_exprs`)."""


class RulesetError(SegkitError):
    """A ruleset file or object that cannot be used (bad YAML, missing key, duplicate id...)."""


def check_slug(value: object, what: str = "segment id") -> str:
    """``value`` if it is a valid id (lower-case slug), else a :class:`RulesetError`."""
    if not isinstance(value, str) or not _SLUG.match(value):
        raise RulesetError(
            f"bad {what} {value!r}: use 1-64 lower-case letters, digits, '_' or '-', "
            "starting with a letter or digit (e.g. 'at_risk')")
    return value


def as_frame(frame: Any) -> pl.DataFrame:
    """A Polars DataFrame from a Polars (lazy) frame, a pandas DataFrame or a pyarrow table.

    pyarrow is converted here; everything else goes through the scorecard's own conversion,
    so rules and the model accept the same inputs and fail with the same message.
    """
    if isinstance(frame, pl.DataFrame):
        return frame
    import pyarrow as pa

    if isinstance(frame, (pa.Table, pa.RecordBatch)):
        try:
            return pl.from_arrow(frame)  # type: ignore[return-value]
        except Exception as exc:  # noqa: BLE001 - arrow raises several types for odd columns
            raise SegkitError(f"cannot read the pyarrow table: {str(exc).splitlines()[0]}") from None
    from toolkit.scorecard import Scorecard

    return Scorecard._as_polars(None, frame)  # type: ignore[arg-type]  # does not use self


def slugify(name: str) -> str:
    """A segment id made from a display name: ``"Can't lose them"`` -> ``"cant_lose_them"``."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower().replace("'", "")).strip("_")
    return (slug or "segment")[:64]


# ---------------------------------------------------------------------------------------
# Plain data
# ---------------------------------------------------------------------------------------
@dataclass
class Segment:
    """One segment: a rule and the words a marketer sees. The rule is parsed on creation."""

    id: str
    name: str
    description: str = ""
    rule: str = "true"
    campaign: str | None = None

    def __post_init__(self) -> None:
        check_slug(self.id)
        if not isinstance(self.name, str) or not self.name.strip():
            raise RulesetError(f"segment '{self.id}' needs a non-empty name")
        if not isinstance(self.description, str):
            raise RulesetError(f"segment '{self.id}': description must be text")
        if self.campaign is not None and not isinstance(self.campaign, str):
            raise RulesetError(f"segment '{self.id}': campaign must be text")
        if isinstance(self.rule, bool):
            self.rule = "true" if self.rule else "false"
        if not isinstance(self.rule, str):
            raise RulesetError(f"segment '{self.id}': rule must be text, not {type(self.rule).__name__}")
        self._node: Node | None = None
        self._node_text: str | None = None
        self.node  # parse now: a bad rule fails where it is written

    @property
    def node(self) -> Node:
        """The parsed rule (re-parsed if ``rule`` was changed)."""
        if self._node is None or self._node_text != self.rule:
            try:
                self._node = parse(self.rule)
            except RuleError as exc:
                raise exc.in_context(f"segment '{self.id}'") from None
            self._node_text = self.rule
        return self._node

    @property
    def columns(self) -> list[str]:
        return rule_columns(self.node)


@dataclass
class DefaultSegment:
    """The segment of every customer no rule matches."""

    id: str = "others"
    name: str = "Others"
    description: str = ""
    campaign: str | None = None

    def __post_init__(self) -> None:
        check_slug(self.id, "default segment id")
        if not isinstance(self.name, str) or not self.name.strip():
            raise RulesetError("the default segment needs a non-empty name")


@dataclass
class Provenance:
    """Where the rules come from, kept with them so a file explains itself."""

    source: Source = "hand-written"
    run: str | None = None
    data_fingerprint: str | None = None
    fidelity: float | None = None
    stability: float | None = None
    created: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise RulesetError(f"provenance source must be one of {', '.join(SOURCES)}, "
                               f"not {self.source!r}")
        for key in ("fidelity", "stability"):
            v = getattr(self, key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise RulesetError(f"provenance {key} must be a number, not {v!r}")

    @staticmethod
    def now() -> str:
        """An ISO-8601 UTC timestamp for ``created``."""
        return datetime.now(timezone.utc).replace(microsecond=0).isoformat()

    def facts(self) -> list[tuple[str, str]]:
        """(label, text) for each fact that is set, in the order source, run, fidelity,
        stability, created; shares as percentages ('95.5%', '-' if not finite). One list for
        every place that shows where a ruleset comes from (Markdown export, TUI)."""
        def share(v: float) -> str:
            return f"{v:.1%}" if math.isfinite(v) else "-"

        out = [("source", str(self.source))]
        if self.run:
            out.append(("run", self.run))
        if self.fidelity is not None:
            out.append(("fidelity", share(self.fidelity)))
        if self.stability is not None:
            out.append(("stability", share(self.stability)))
        if self.created:
            out.append(("created", self.created))
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in _PROVENANCE_KEYS}
        out.update(self.extra)
        return out


# ---------------------------------------------------------------------------------------
# The ruleset
# ---------------------------------------------------------------------------------------
class Ruleset:
    """An ordered list of segments (first match wins) plus a default segment."""

    def __init__(self, name: str, segments: Sequence[Segment] = (),
                 default: DefaultSegment | None = None, description: str = "",
                 provenance: Provenance | None = None):
        if not isinstance(name, str) or not name.strip():
            raise RulesetError("a ruleset needs a non-empty name")
        self.name = name
        self.description = description or ""
        self.segments: list[Segment] = list(segments)
        self.default = default if default is not None else DefaultSegment()
        self.provenance = provenance if provenance is not None else Provenance(created=Provenance.now())
        self._doc: CommentedMap | None = None  # the YAML document this came from, for round trips
        self.source: str = "<ruleset>"
        self._check_ids()

    # -- identity --------------------------------------------------------------------------
    def _check_ids(self) -> None:
        seen: set[str] = set()
        for s in [*self.segments, self.default]:
            if not isinstance(s, (Segment, DefaultSegment)):
                raise RulesetError(f"not a segment: {s!r}")
            if s.id in seen:
                raise RulesetError(f"duplicate segment id '{s.id}' in ruleset '{self.name}'")
            seen.add(s.id)

    @property
    def ids(self) -> list[str]:
        """Segment ids in order, the default last."""
        return [s.id for s in self.segments] + [self.default.id]

    @property
    def names(self) -> dict[str, str]:
        """id -> display name, default included."""
        return {s.id: s.name for s in [*self.segments, self.default]}

    def segment(self, segment_id: str) -> Segment:
        """The segment with ``segment_id`` (not the default), or a clear error."""
        for s in self.segments:
            if s.id == segment_id:
                return s
        hint = difflib.get_close_matches(segment_id, [s.id for s in self.segments], n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        if segment_id == self.default.id:
            extra = " (that is the default segment, which has no rule)"
        raise RulesetError(f"no segment '{segment_id}' in ruleset '{self.name}'{extra}")

    def index(self, segment_id: str) -> int:
        return self.segments.index(self.segment(segment_id))

    @property
    def columns(self) -> list[str]:
        """Columns the rules read, in order of first appearance."""
        seen: dict[str, None] = {}
        for s in self.segments:
            for c in s.columns:
                seen.setdefault(c, None)
        return list(seen)

    def __repr__(self) -> str:
        return f"Ruleset(name={self.name!r}, segments={[s.id for s in self.segments]!r}, default={self.default.id!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ruleset):
            return NotImplemented
        return (self.name, self.description, self.segments, self.default, self.provenance) == (
            other.name, other.description, other.segments, other.default, other.provenance)

    # -- editing (used by the TUI) ---------------------------------------------------------
    def add_segment(self, segment: Segment, index: int | None = None) -> Segment:
        """Insert ``segment`` at ``index`` (end by default); its id must be new."""
        if segment.id in self.ids:
            raise RulesetError(f"a segment with id '{segment.id}' already exists")
        self.segments.insert(len(self.segments) if index is None else index, segment)
        return segment

    def remove_segment(self, segment_id: str) -> Segment:
        seg = self.segment(segment_id)
        self.segments.remove(seg)
        return seg

    def rename_segment(self, segment_id: str, new_name: str) -> None:
        """Change a segment's display name (the id, used downstream, stays)."""
        if not isinstance(new_name, str) or not new_name.strip():
            raise RulesetError("a segment name cannot be empty")
        if segment_id == self.default.id:
            self.default.name = new_name.strip()
            return
        self.segment(segment_id).name = new_name.strip()

    def move_segment(self, segment_id: str, new_index: int) -> None:
        """Move a segment to position ``new_index`` (0 = checked first); order decides ties."""
        if not isinstance(new_index, int) or not 0 <= new_index < len(self.segments):
            raise RulesetError(f"position {new_index} is outside 0..{len(self.segments) - 1}")
        seg = self.segment(segment_id)
        self.segments.remove(seg)
        self.segments.insert(new_index, seg)

    def set_rule(self, segment_id: str, text: str, columns: ColumnsSpec | None = None) -> Node:
        """Replace a segment's rule after parsing (and, with ``columns``, validating) it.

        On error the segment keeps its old rule and a :class:`RuleError` names the problem.
        """
        seg = self.segment(segment_id)
        try:
            node = parse(text)
            if columns is not None:
                validate(node, columns, text)
        except RuleError as exc:
            raise exc.in_context(f"segment '{segment_id}'") from None
        seg.rule = text
        return node

    def set_description(self, segment_id: str, text: str) -> None:
        target = self.default if segment_id == self.default.id else self.segment(segment_id)
        target.description = text

    def set_campaign(self, segment_id: str, text: str | None) -> None:
        target = self.default if segment_id == self.default.id else self.segment(segment_id)
        target.campaign = text or None

    # -- checking --------------------------------------------------------------------------
    def validate(self, columns: ColumnsSpec) -> None:
        """Raise a :class:`RuleError` naming the segment if a rule does not fit ``columns``.

        ``columns``: names (checks names, suggesting the closest) or a mapping name -> dtype
        (also checks that values fit: no text compared with a numeric column).
        """
        if not isinstance(columns, Mapping):
            columns = list(columns)
        for s in self.segments:
            try:
                validate(s.node, columns, s.rule)
            except RuleError as exc:
                raise exc.in_context(f"segment '{s.id}'") from None

    def missing_columns(self, columns: Iterable[str]) -> list[str]:
        """Columns the rules read that ``columns`` lacks, in order of first use."""
        have = set(columns)
        return [c for c in self.columns if c not in have]

    def nan_columns(self, columns: ColumnsSpec | None = None) -> set[str]:
        """Columns that may hold NaN: float columns, or (types unknown) ones compared with numbers."""
        kinds = column_kinds(columns) if columns is not None else {}
        nodes = [s.node for s in self.segments]
        return {c for c in self.columns if may_be_nan(c, nodes, kinds)}

    # -- running ---------------------------------------------------------------------------
    def rule_exprs(self, schema: Mapping[str, object] | None = None) -> dict[str, pl.Expr]:
        """segment id -> boolean expression of its rule alone (never null)."""
        nan = self.nan_columns(schema)
        return {s.id: to_polars(s.node, nan, schema).fill_null(False) for s in self.segments}

    def _chunk_exprs(self, schema: Mapping[str, object] | None) -> list[pl.Expr]:
        """Per block of :data:`APPLY_CHUNK` rules, the index of the first rule in the block that
        matches (UInt32), null when none does.

        Why blocks: one ``when/then`` chain over thousands of rules makes Polars' planning
        grow far faster than linearly (2,000 rules on 2,000 rows took a minute); a block is a
        ``coalesce`` of independent ``when(rule).then(index)``, and blocks in order keep
        "first match wins".
        """
        exprs = list(self.rule_exprs(schema).values())
        return [pl.coalesce([pl.when(e).then(pl.lit(i, dtype=pl.UInt32))
                             for i, e in enumerate(exprs[start:start + APPLY_CHUNK], start)])
                for start in range(0, len(exprs), APPLY_CHUNK)]

    def to_polars_expr(self, schema: Mapping[str, object] | None = None,
                       column: str = "segment") -> pl.Expr:
        """An expression giving each row's segment id (first match wins), named ``column``.

        Pass the frame's ``schema`` when known: float columns then treat NaN as missing even
        in ``is missing``, and categorical columns compare as text. One expression for lazy
        pipelines; :meth:`apply` evaluates the same blocks one at a time (less memory).
        """
        if not self.segments:
            return pl.lit(self.default.id, dtype=pl.String).alias(column)
        index = pl.coalesce(self._chunk_exprs(schema)).fill_null(len(self.segments))
        return pl.lit(pl.Series(self.ids, dtype=pl.String)).gather(index).alias(column)

    def match_index(self, frame: Any, *, validate: bool = True) -> pl.Series:
        """Per row, the position of the segment it gets (0 = first rule; ``len(segments)``
        = the default), as UInt32. Grows linearly in segments x rows.

        Rules are evaluated in blocks (see :meth:`_chunk_exprs`), each block only on the
        rows no earlier block matched (and on the columns the rules read), so rows leave the
        work as soon as they have their segment.
        """
        frame = as_frame(frame)
        if validate:
            self.validate(frame.schema)
        n = len(self.segments)
        result = np.full(frame.height, n, dtype=np.uint32)
        rows = np.arange(frame.height)  # rows of ``todo`` in ``frame``
        todo = frame.select(self.columns) if self.columns else frame
        for chunk in self._chunk_exprs(frame.schema):
            if todo.height == 0:
                break
            part = todo.select(chunk.alias("index")).to_series()
            hit = part.is_not_null()
            if not hit.any():
                continue
            hit_np = hit.to_numpy()
            result[rows[hit_np]] = part.filter(hit).to_numpy()
            rows = rows[~hit_np]
            todo = todo.filter(~hit)
        return pl.Series("index", result, dtype=pl.UInt32)

    def apply(self, frame: Any, *, column: str = "segment",
              name_column: str | None = None) -> pl.DataFrame:
        """``frame`` with a ``segment`` column (segment id), rows and order unchanged.

        ``frame``: a Polars, pandas or pyarrow table (converted as :class:`Scorecard` does).
        The rules are validated against the frame first (missing columns, text compared
        with numbers, ...). ``name_column="segment_name"`` also adds the display names.
        """
        frame = as_frame(frame)
        self.validate(frame.schema)
        index = self.match_index(frame, validate=False)
        added = [pl.Series(column, self.ids, dtype=pl.String).gather(index)]
        if name_column:
            names = [s.name for s in [*self.segments, self.default]]
            added.append(pl.Series(name_column, names, dtype=pl.String).gather(index))
        return frame.with_columns(added)

    def to_sql(self, dialect: str = "duckdb", table: str = "customers",
               id_column: str = "customer_id", column_types: ColumnsSpec | None = None,
               *, segment_column: str = "segment", from_sql: str | None = None,
               comments: bool = True) -> str:
        """One ``SELECT id, CASE WHEN ... END AS segment FROM table`` for ``dialect``.

        ``column_types`` (name -> dtype) lets the SQL skip NaN tests on integer columns;
        without it any column compared with a number is NaN-tested. ``table`` may be
        qualified (``schema.table``: each part is quoted); ``from_sql`` replaces the quoted
        table with raw SQL (used by the dbt export for ``{{ ref(...) }}``).
        """
        d = get_dialect(dialect)
        nan = self.nan_columns(column_types)
        lines = ["SELECT", f"  {quote_identifier(id_column, d.name)},", "  CASE"]
        for s in self.segments:
            if comments:
                lines.append(f"    -- {_comment_text(s.name)}")
            cond = to_sql(s.node, d, nan)
            lines.append(f"    WHEN {cond} THEN {d.string(s.id)}")
        lines.append(f"    ELSE {d.string(self.default.id)}")
        lines.append(f"  END AS {quote_identifier(segment_column, d.name)}")
        lines.append(f"FROM {from_sql if from_sql is not None else quote_table(table, d.name)}")
        return "\n".join(lines) + "\n"

    # -- YAML ------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> "Ruleset":
        """Read a ruleset file; every problem is a :class:`SegkitError` naming file and line."""
        p = Path(path)
        if not p.exists():
            raise RulesetError(f"ruleset file not found: {p}")
        if p.is_dir():
            raise RulesetError(f"{p} is a directory, not a ruleset file")
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise RulesetError(f"{p}: not a UTF-8 text file") from None
        except OSError as exc:
            raise RulesetError(f"cannot read {p}: {exc.strerror or exc}") from None
        return cls.loads(text, source=str(p))

    @classmethod
    def loads(cls, text: str, source: str = "<string>") -> "Ruleset":
        """Parse ruleset YAML text (see the module docstring for the format)."""
        return _Loader(text, source).load()

    def dumps(self) -> str:
        """The ruleset as YAML; a loaded file keeps its comments, key order and styles."""
        self._check_ids()
        if self._doc is None:
            self._doc = _new_document(self)
        else:
            _sync_document(self._doc, self)
        buf = io.StringIO()
        _yaml().dump(self._doc, buf)
        return buf.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the YAML atomically (a crash never leaves half a file)."""
        return atomic_write_text(path, self.dumps())

    def copy(self) -> "Ruleset":
        """A deep copy (including the YAML document with its comments)."""
        return copy.deepcopy(self)


def _comment_text(text: str) -> str:
    """Text safe inside a ``--`` SQL comment: one line, no control characters."""
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------
def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold a long rule over several lines
    y.indent(mapping=2, sequence=4, offset=2)
    return y


class _Loader:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source

    def fail(self, message: str, node: Any = None, key: str | None = None) -> RulesetError:
        line = _line_of(node, key)
        where = f"{self.source}, line {line}" if line else self.source
        return RulesetError(f"{where}: {message}")

    def load(self) -> Ruleset:
        if not isinstance(self.text, str):
            raise RulesetError(f"{self.source}: a ruleset must be text")
        try:
            doc = _yaml().load(self.text)
        except YAMLError as exc:
            raise _yaml_error(self.source, exc) from None
        except Exception as exc:  # ruamel raises a few non-YAMLError types on odd input
            raise RulesetError(f"{self.source}: not valid YAML ({type(exc).__name__}: {exc})") from None
        if doc is None:
            raise RulesetError(f"{self.source}: the file is empty; a ruleset needs at least "
                               f"'format: {FORMAT}', 'name', 'segments' and 'default'")
        if not isinstance(doc, CommentedMap):
            raise RulesetError(f"{self.source}: a ruleset is a YAML mapping (key: value lines), "
                               f"not {_kind(doc)}")
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
                                f"{_line_of(seen[seg.id], 'id')})", item, "id")
            seen[seg.id] = item
        rs = Ruleset(name, segments, default, description, provenance)
        rs._doc = doc
        rs.source = self.source
        return rs

    def keys(self, node: CommentedMap, allowed: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else f" (allowed: {', '.join(allowed)})"
                raise self.fail(f"unknown key '{key}' in {where}{extra}", node, key)

    def text_value(self, node: CommentedMap, key: str, where: str, required: bool = True) -> str | None:
        v = node.get(key)
        if v is None:
            if required:
                raise self.fail(f"{where} is missing '{key}'", node)
            return None
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise self.fail(f"'{key}' of {where} must be text, not {_kind(v)}", node, key)
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
            known["created"] = _text_of(known["created"])
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
        if isinstance(item.get("id"), str):
            where = f"segment '{item['id']}'"
        self.keys(item, _SEGMENT_KEYS, where)
        for key in ("id", "name", "rule"):
            if key not in item or item[key] is None:
                raise self.fail(f"{where} is missing '{key}'", item)
        seg_id = item["id"]
        try:
            check_slug(seg_id)
        except RulesetError as exc:
            raise self.fail(str(exc), item, "id") from None
        rule = item["rule"]
        if isinstance(rule, bool):
            rule = "true" if rule else "false"
        if not isinstance(rule, str):
            raise self.fail(f"{where}: 'rule' must be text, not {_kind(rule)}", item, "rule")
        name = self.text_value(item, "name", where)
        description = self.text_value(item, "description", where, required=False) or ""
        campaign = self.text_value(item, "campaign", where, required=False)
        try:
            parse(str(rule))
        except RuleError as exc:
            line = _line_of(item, "rule")
            raise exc.in_context(f"{self.source}, segment '{seg_id}' (rule on line {line})") from None
        try:
            return Segment(seg_id, name or "", description, str(rule), campaign)
        except RulesetError as exc:
            raise self.fail(str(exc), item) from None

    def default(self, doc: CommentedMap) -> DefaultSegment:
        item = doc["default"]
        if not isinstance(item, CommentedMap):
            raise self.fail("'default' must be a mapping with id and name", doc, "default")
        self.keys(item, _DEFAULT_KEYS, "the default segment")
        for key in ("id", "name"):
            if key not in item or item[key] is None:
                raise self.fail(f"the default segment is missing '{key}'", item)
        try:
            check_slug(item["id"], "default segment id")
            return DefaultSegment(item["id"], self.text_value(item, "name", "the default segment") or "",
                                  self.text_value(item, "description", "the default segment", False) or "",
                                  self.text_value(item, "campaign", "the default segment", False))
        except RulesetError as exc:
            raise self.fail(str(exc), item, "id") from None


def _text_of(v: Any) -> str:
    """A YAML timestamp (or anything else) as text; timestamps in ISO-8601 with a 'T'."""
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


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


def _line_of(node: Any, key: str | None = None) -> int | None:
    """1-based line of ``node`` (or of its ``key``) in the YAML text, when known."""
    try:
        if key is not None and key in node:
            return node.lc.key(key)[0] + 1
        return node.lc.line + 1
    except Exception:
        return None


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


class YamlSyntaxError(RulesetError):
    """A ruleset file that is not valid YAML; ``line`` and ``col`` (1-based) say where."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.line = line
        self.col = col


def _yaml_error(source: str, exc: YAMLError) -> YamlSyntaxError:
    words, mark = _yaml_error_words(exc)
    if mark is not None:
        line, col = mark.line + 1, mark.column + 1
        return YamlSyntaxError(f"{source}: YAML syntax error at line {line}, col {col}: {words}",
                               line, col)
    return YamlSyntaxError(f"{source}: YAML syntax error: {words}")


# ---------------------------------------------------------------------------------------
# Writing: new documents and round-trip updates that keep comments
# ---------------------------------------------------------------------------------------
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


def _new_document(rs: Ruleset) -> CommentedMap:
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


def _sync_document(doc: CommentedMap, rs: Ruleset) -> None:
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
            if prov[k] != v and not (prov[k] is not None and v is not None and _text_of(prov[k]) == _text_of(v)):
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


__all__ = ["Ruleset", "Segment", "DefaultSegment", "Provenance", "RulesetError", "YamlSyntaxError", "FORMAT",
           "SOURCES", "APPLY_CHUNK", "as_frame", "check_slug", "slugify"]
