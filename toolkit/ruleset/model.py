"""Rulesets: segments as an ordered list of human-editable rules, stored as YAML.

A ruleset assigns every customer to exactly one segment: the first segment whose rule
matches, else the default segment. It is the explainable artefact of segkit: distillation
writes one from a tree, a person can edit it in any text editor (or the TUI), and it runs
in Polars or as one SQL ``SELECT`` in a warehouse with the same result.

The YAML file format and its loader: :mod:`toolkit.ruleset.yaml_load`; writing that keeps a
person's comments: :mod:`toolkit.ruleset.yaml_roundtrip`. The rule language and its
missing-value semantics: :mod:`toolkit.rules`.
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
from typing import TYPE_CHECKING, Any, Iterable, Literal, Mapping, Sequence

import numpy as np
import polars as pl

from toolkit.errors import SegkitError
from toolkit.data.files import atomic_write_text
from toolkit.rules import (
    RuleError, column_kinds, parse, to_polars, to_sql, validate,
)
from toolkit.rules.columns import ColumnsSpec, may_be_nan
from toolkit.rules.compile_sql import get_dialect, quote_identifier, quote_table
from toolkit.schema import ID_COLUMN
from toolkit.rules.nodes import Node, columns as rule_columns
from toolkit.ruleset.errors import RulesetError, YamlSyntaxError

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

FORMAT = "segkit-ruleset/1"
Source = Literal["distilled", "hand-written"]
SOURCES: tuple[str, ...] = ("distilled", "hand-written")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
_PROVENANCE_KEYS = ("source", "run", "data_fingerprint", "fidelity", "stability", "created")
APPLY_CHUNK = 64
"""Rules evaluated together when a ruleset is applied (see :meth:`Ruleset._chunk_exprs`)."""


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
    from toolkit.model.scorecard import Scorecard

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

    def apply_spark(self, spark_df: Any, *, column: str = "segment") -> Any:
        """:meth:`apply` for a Spark DataFrame: ``spark_df`` with a ``segment`` column.

        The rules become one Spark column expression (no Python runs per row), with the
        same segment for every row as :meth:`apply`; checked against the DataFrame's schema
        first. Needs ``segkit[spark]``; see :mod:`toolkit.ruleset.spark`.
        """
        from toolkit.ruleset.spark import apply_spark

        return apply_spark(self, spark_df, column=column)

    def to_sql(self, dialect: str = "duckdb", table: str = "customers",
               id_column: str = ID_COLUMN, column_types: ColumnsSpec | None = None,
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
        from toolkit.ruleset.yaml_load import load_text

        return load_text(text, source)

    def dumps(self) -> str:
        """The ruleset as YAML; a loaded file keeps its comments, key order and styles."""
        from toolkit.ruleset.yaml_roundtrip import new_document, round_trip_yaml, sync_document

        self._check_ids()
        if self._doc is None:
            self._doc = new_document(self)
        else:
            sync_document(self._doc, self)
        buf = io.StringIO()
        round_trip_yaml().dump(self._doc, buf)
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


__all__ = ["Ruleset", "Segment", "DefaultSegment", "Provenance", "RulesetError", "YamlSyntaxError", "FORMAT",
           "SOURCES", "APPLY_CHUNK", "as_frame", "check_slug", "slugify"]
