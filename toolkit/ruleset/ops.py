"""What people do with a ruleset besides applying it: check it on data, diff two, assign.

* :func:`check` -- per segment: rows its rule matches alone, rows it gets under first-match
  order, share; the overlap matrix (rows two rules both match); empty segments (match nobody)
  and unreachable ones (everyone they match is taken by earlier segments). Columns the data
  lacks are an error listing each with the closest existing name.
* :func:`diff` -- added / removed / renamed / changed-rule / reordered segments and, given
  data, how many customers move from which segment to which.
* :func:`assign` -- customer id -> segment for a frame.

Exporting a ruleset as SQL, dbt, JSON, Markdown or CSV: :mod:`toolkit.ruleset.export`.
The CLI (``segkit rules ...``) only prints what these return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import polars as pl

from toolkit.errors import DataError
from toolkit.rules.columns import suggest
from toolkit.ruleset.model import APPLY_CHUNK, Ruleset, as_frame
from toolkit.schema import ID_COLUMN

OVERLAP_EXACT_MAX = 256
"""Up to this many segments :func:`check` counts every pair's overlap exactly."""


# ---------------------------------------------------------------------------------------
# Data helpers
# ---------------------------------------------------------------------------------------
def require_rule_columns(ruleset: Ruleset, frame: pl.DataFrame) -> None:
    """One :class:`DataError` listing every column the rules read that ``frame`` lacks."""
    missing = ruleset.missing_columns(frame.columns)
    if not missing:
        return
    parts = []
    for col in missing:
        users = [s.id for s in ruleset.segments if col in s.columns]
        hint = suggest(col, frame.columns)
        text = f"'{col}' (used by {', '.join(users)}"
        text += f"; did you mean '{hint[0]}'?)" if hint else ")"
        parts.append(text)
    raise DataError(f"the data lacks {len(missing)} column{'s' if len(missing) > 1 else ''} "
                    f"the rules of '{ruleset.name}' use: " + ", ".join(parts))


def require_id_column(frame: pl.DataFrame, id_column: str) -> None:
    if id_column not in frame.columns:
        hint = suggest(id_column, frame.columns)
        extra = f"; did you mean '{hint[0]}'?" if hint else "; pass the right name with --id"
        raise DataError(f"the data has no id column '{id_column}'{extra}")


def assign(ruleset: Ruleset, frame: Any, id_column: str = ID_COLUMN,
           names: bool = False) -> pl.DataFrame:
    """id and segment (and ``segment_name`` with ``names``) for every row, in input order."""
    frame = as_frame(frame)
    require_id_column(frame, id_column)
    require_rule_columns(ruleset, frame)
    out = ruleset.apply(frame, name_column="segment_name" if names else None)
    cols = [id_column, "segment"] + (["segment_name"] if names else [])
    return out.select(cols)


# ---------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------
@dataclass
class SegmentCoverage:
    """How one segment fares on the data."""

    id: str
    name: str
    position: int | None  # 1-based order of evaluation; None for the default segment
    matched: int  # rows the rule matches on its own (the default: rows no rule matches)
    assigned: int  # rows that end up in the segment under first-match order
    share: float  # assigned / rows

    @property
    def taken_by_earlier(self) -> int:
        return self.matched - self.assigned


class CoverageFindings:
    """``problems`` and ``overlapping_pairs`` shared by :class:`CheckReport` and
    :class:`toolkit.ruleset.editing.LiveCoverage`: both carry ``segments`` (with ``id`` and
    ``position``), ``overlap``, ``empty`` and ``unreachable`` with the same meaning."""

    segments: list
    overlap: dict[str, dict[str, int]]
    empty: list[str]
    unreachable: list[str]

    @property
    def problems(self) -> list[str]:
        """Readable problems; empty when the ruleset is healthy on this data."""
        out = [f"segment '{s}' matches no customer" for s in self.empty]
        out += [f"segment '{s}' is unreachable: every customer it matches is taken by an "
                "earlier segment" for s in self.unreachable]
        return out

    def overlapping_pairs(self) -> list[tuple[str, str, int]]:
        """(earlier id, later id, rows both match) for pairs that overlap, biggest first.

        Reads only the pairs stored in ``overlap`` (sparse for big rulesets), never all
        segments x segments.
        """
        pos = {s.id: s.position for s in self.segments if s.position is not None}
        pairs = [(a, b, n) for a, row in self.overlap.items() if a in pos
                 for b, n in row.items() if n and b in pos and pos[a] < pos[b]]
        return sorted(pairs, key=lambda t: (-t[2], pos[t[0]], pos[t[1]]))


@dataclass
class CheckReport(CoverageFindings):
    ruleset: str
    rows: int
    segments: list[SegmentCoverage]  # in order, the default last
    overlap: dict[str, dict[str, int]]  # id -> id -> rows both rules match (diagonal: matched)
    empty: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    overlap_exact: bool = True  # False: pairs count rows the earlier segment takes (OverlapCounter)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset, "rows": self.rows,
            "segments": [{"id": s.id, "name": s.name, "position": s.position, "matched": s.matched,
                          "assigned": s.assigned, "share": s.share} for s in self.segments],
            "overlap": self.overlap, "overlap_exact": self.overlap_exact,
            "empty": self.empty, "unreachable": self.unreachable, "problems": self.problems,
        }


def check(ruleset: Ruleset, frame: Any) -> CheckReport:
    """Coverage, overlaps, empty and unreachable segments of ``ruleset`` on ``frame``.

    Raises :class:`DataError` when the data lacks columns the rules use, and a rule error
    when a rule compares a column with the wrong kind of value. Work and memory grow
    linearly in segments x rows: rules are evaluated :data:`APPLY_CHUNK` at a time, and the
    overlap matrix is exact only up to :data:`OVERLAP_EXACT_MAX` segments (see
    :class:`OverlapCounter`).
    """
    frame = as_frame(frame)
    require_rule_columns(ruleset, frame)
    ruleset.validate(frame.schema)
    rows = frame.height
    ids = [s.id for s in ruleset.segments]
    first = ruleset.match_index(frame, validate=False).to_numpy().astype(np.int64, copy=False)
    counts = np.bincount(first, minlength=len(ids) + 1)
    counter = OverlapCounter(ids, first)
    exprs = list(ruleset.rule_exprs(frame.schema).values())
    for start in range(0, len(exprs), APPLY_CHUNK):
        block = exprs[start:start + APPLY_CHUNK]
        masks = frame.select([e.alias(f"m{i}") for i, e in enumerate(block)]).to_numpy()
        counter.add(start, masks.astype(bool, copy=False).reshape(rows, len(block)))
    overlap = counter.result()
    segments = []
    for pos, s in enumerate(ruleset.segments, start=1):
        assigned = int(counts[pos - 1])
        segments.append(SegmentCoverage(s.id, s.name, pos, counter.matched[pos - 1], assigned,
                                        assigned / rows if rows else 0.0))
    d = ruleset.default
    rest = int(counts[len(ids)])
    segments.append(SegmentCoverage(d.id, d.name, None, rest, rest, rest / rows if rows else 0.0))
    empty = [s.id for s in segments if s.position is not None and s.matched == 0]
    unreachable = [s.id for s in segments if s.position is not None and s.matched > 0 and s.assigned == 0]
    return CheckReport(ruleset.name, rows, segments, overlap, empty, unreachable,
                       overlap_exact=counter.exact)


class OverlapCounter:
    """The overlap figures of :func:`check` (and the TUI's live coverage), from rule masks
    fed a block at a time.

    Up to :data:`OVERLAP_EXACT_MAX` segments: for every pair, the rows both rules match (a
    matrix product of the masks, in row blocks). Beyond that the full matrix would cost
    segments^2 x rows, so each pair counts instead the rows the later rule matches that the
    earlier segment takes under first-match order (``exact`` is then False; only pairs with
    such rows are stored). Both forms keep the diagonal (rows each rule matches alone).
    """

    ROW_BLOCK = 1 << 16  # float32 sums of 0/1 stay exact below 2^24

    def __init__(self, ids: Sequence[str], first: np.ndarray, exact: bool | None = None):
        self.ids = list(ids)
        self.first = np.asarray(first, dtype=np.int64)
        self.exact = len(self.ids) <= OVERLAP_EXACT_MAX if exact is None else exact
        self.matched: list[int] = [0] * len(self.ids)
        self._blocks: list[np.ndarray] = []
        self._taken: dict[str, dict[str, int]] = {a: {} for a in self.ids}

    def add(self, start: int, masks: np.ndarray) -> None:
        """Masks (rows x k, bool) of rules ``start .. start + k - 1``, in order."""
        k = masks.shape[1]
        sums = masks.sum(axis=0)
        for j in range(k):
            self.matched[start + j] = int(sums[j])
        if self.exact:
            self._blocks.append(masks)
            return
        n = len(self.ids)
        for j in range(k):
            pos = start + j
            taken = np.bincount(self.first[masks[:, j]], minlength=n + 1)[:pos]
            for i in np.flatnonzero(taken):
                a, b = self.ids[int(i)], self.ids[pos]
                self._taken[a][b] = self._taken[b][a] = int(taken[i])

    def result(self) -> dict[str, dict[str, int]]:
        """id -> id -> count (see the class docstring), diagonal included."""
        if not self.exact:
            for i, a in enumerate(self.ids):
                self._taken[a][a] = self.matched[i]
            return self._taken
        n = len(self.ids)
        gram = np.zeros((n, n), dtype=np.int64)
        if self._blocks:
            masks = np.concatenate(self._blocks, axis=1)
            for r in range(0, masks.shape[0], self.ROW_BLOCK):
                m = masks[r:r + self.ROW_BLOCK].astype(np.float32)
                gram += np.rint(m.T @ m).astype(np.int64)
        return {a: {b: int(gram[i, j]) for j, b in enumerate(self.ids)} for i, a in enumerate(self.ids)}


# ---------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------
@dataclass
class RulesetDiff:
    a: str
    b: str
    added: list[str] = field(default_factory=list)  # ids only in b
    removed: list[str] = field(default_factory=list)  # ids only in a
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old name, new name)
    changed_rules: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old, new)
    changed_text: list[tuple[str, str]] = field(default_factory=list)  # (id, 'description'|'campaign')
    order_a: list[str] = field(default_factory=list)
    order_b: list[str] = field(default_factory=list)
    default_changed: bool = False  # the default segment's id differs
    transitions: pl.DataFrame | None = None  # from, to, customers (all pairs, biggest first)
    rows: int | None = None

    @property
    def reordered(self) -> bool:
        """Whether segments present in both are checked in a different order."""
        common = set(self.order_a) & set(self.order_b)
        return [i for i in self.order_a if i in common] != [i for i in self.order_b if i in common]

    @property
    def moved(self) -> int | None:
        """Customers whose segment changes (None without data)."""
        if self.transitions is None:
            return None
        t = self.transitions.filter(pl.col("from") != pl.col("to"))
        return int(t["customers"].sum()) if t.height else 0

    @property
    def identical(self) -> bool:
        """No change that can alter a segment's members or what a person reads."""
        return not (self.added or self.removed or self.renamed or self.changed_rules
                    or self.changed_text or self.reordered or self.default_changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b, "added": self.added, "removed": self.removed,
            "renamed": [list(t) for t in self.renamed],
            "changed_rules": [list(t) for t in self.changed_rules],
            "changed_text": [list(t) for t in self.changed_text],
            "reordered": self.reordered, "default_changed": self.default_changed,
            "rows": self.rows, "moved": self.moved,
            "transitions": None if self.transitions is None else self.transitions.to_dicts(),
        }


def diff(a: Ruleset, b: Ruleset, frame: pl.DataFrame | None = None) -> RulesetDiff:
    """What changed from ``a`` to ``b``; with ``frame``, who moves between segments.

    Rules are compared as parsed trees, so spacing or keyword case changes are not changes.
    """
    out = RulesetDiff(a.name, b.name, order_a=[s.id for s in a.segments],
                      order_b=[s.id for s in b.segments])
    a_by = {s.id: s for s in a.segments}
    b_by = {s.id: s for s in b.segments}
    out.added = [i for i in b_by if i not in a_by]
    out.removed = [i for i in a_by if i not in b_by]
    for sid, sa in a_by.items():
        sb = b_by.get(sid)
        if sb is None:
            continue
        if sa.name != sb.name:
            out.renamed.append((sid, sa.name, sb.name))
        if sa.node != sb.node:
            out.changed_rules.append((sid, sa.rule, sb.rule))
        for key in ("description", "campaign"):
            if (getattr(sa, key) or "") != (getattr(sb, key) or ""):
                out.changed_text.append((sid, key))
    out.default_changed = a.default.id != b.default.id
    if a.default.name != b.default.name and not out.default_changed:
        out.renamed.append((a.default.id, a.default.name, b.default.name))
    if frame is not None:
        require_rule_columns(a, frame)
        require_rule_columns(b, frame)
        sa_col = a.apply(frame).get_column("segment")
        sb_col = b.apply(frame).get_column("segment")
        out.rows = frame.height
        out.transitions = (pl.DataFrame({"from": sa_col, "to": sb_col})
                           .group_by("from", "to").len(name="customers")
                           .sort(["customers", "from", "to"], descending=[True, False, False]))
    return out
