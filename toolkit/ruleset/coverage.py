"""Live coverage of a ruleset being edited: figures on every pause in typing.

Why a module: an editor (the TUI's Rules screen) re-checks the ruleset on every pause in
typing. :func:`toolkit.ruleset.ops.check` answers the same questions but evaluates every
rule and a first-match ``CASE`` from scratch; here :class:`CoverageEngine` keeps each rule's
match mask (keyed by the parsed rule, so spacing edits are free) and combines masks with
NumPy, so one edited rule costs one Polars expression plus a little NumPy (timings:
``bench/RESULTS.md``). Its figures equal :func:`~toolkit.ruleset.ops.check`'s (tested),
plus what an editor needs: the change against the saved version (customers moving in and
out) and the fidelity to the clusters the rules were distilled from, when the run has
``assignments.parquet``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import polars as pl

from toolkit.ruleset.model import APPLY_CHUNK, Ruleset
from toolkit.ruleset.ops import CoverageFindings, OverlapCounter, require_rule_columns


@dataclass
class LiveSegment:
    id: str
    name: str
    position: int | None          # None: default segment
    matched: int                  # rows the rule matches alone (default: rows no rule matches)
    assigned: int                 # rows it gets under first-match order
    share: float
    saved_assigned: int | None    # the same segment under the saved ruleset (None: new)
    moved_in: int = 0             # customers that were elsewhere in the saved version
    moved_out: int = 0            # customers that were here and are elsewhere now
    purchase_rate: float | None = None
    mean_probability: float | None = None

    @property
    def change(self) -> int | None:
        return None if self.saved_assigned is None else self.assigned - self.saved_assigned


@dataclass
class LiveCoverage(CoverageFindings):
    """Coverage of an edited ruleset (figures as :func:`toolkit.ruleset.ops.check` gives)."""

    rows: int
    segments: list[LiveSegment]
    overlap: dict[str, dict[str, int]]
    empty: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    moved: int | None = None          # customers whose segment differs from the saved version
    fidelity: float | None = None     # share in the segment their cluster became
    saved_fidelity: float | None = None
    seconds: float = 0.0


class CoverageEngine:
    """Coverage of rulesets on one frame, reusing every rule's match mask across calls.

    ``clusters`` (cluster number per row, e.g. from assignments.parquet) with
    ``cluster_segments`` (cluster -> segment id) enables the fidelity figure; ``target``
    and ``probability`` (0/1 outcome, predicted probability per row) enable the per-segment
    purchase rate and mean probability.
    """

    MAX_CACHED = 512

    def __init__(self, frame: pl.DataFrame, saved: Ruleset | None = None, *,
                 clusters: np.ndarray | pl.Series | None = None,
                 cluster_segments: Mapping[int, str] | None = None,
                 target: str | None = None, probability: str | None = None):
        self.frame = frame
        self.schema = frame.schema
        self.n = frame.height
        self._masks: dict[tuple, np.ndarray] = {}
        self._y = self._column(target)
        self._p = self._column(probability)
        self._codes: dict[str, int] = {"": 0}  # segment id -> small integer, stable per engine
        self._cluster_seg: np.ndarray | None = None
        if clusters is not None and cluster_segments:
            c = clusters if isinstance(clusters, pl.Series) else pl.Series(np.asarray(clusters))
            mapping = {int(k): self._code(v) for k, v in cluster_segments.items()}
            self._cluster_seg = (c.cast(pl.Int64, strict=False)
                                 .replace_strict(mapping, default=0, return_dtype=pl.Int64)
                                 .fill_null(0).to_numpy())
        self.saved: Ruleset | None = None
        self._saved_ids: np.ndarray | None = None
        self.set_saved(saved)

    def _code(self, segment_id: str) -> int:
        return self._codes.setdefault(segment_id, len(self._codes))

    def _column(self, name: str | None) -> np.ndarray | None:
        if name is None or name not in self.frame.columns:
            return None
        return self.frame.get_column(name).cast(pl.Float64).to_numpy()

    @property
    def has_clusters(self) -> bool:
        return self._cluster_seg is not None

    def set_saved(self, saved: Ruleset | None) -> None:
        """The version changes are measured against (call after a save or reload)."""
        self.saved = saved
        self._saved_ids = self._assign(saved)[0] if saved is not None else None

    # -- masks ----------------------------------------------------------------------------
    def _masks_for(self, ruleset: Ruleset) -> list[np.ndarray]:
        from toolkit.rules import to_polars

        nan = ruleset.nan_columns(self.schema)
        keys = []
        todo: dict[tuple, pl.Expr] = {}
        for s in ruleset.segments:
            node = s.node
            key = (node, frozenset(c for c in s.columns if c in nan))
            keys.append(key)
            if key not in self._masks and key not in todo:
                todo[key] = to_polars(node, set(key[1]), self.schema).fill_null(False)
        if todo:
            missing = ruleset.missing_columns(self.frame.columns)
            if missing:
                require_rule_columns(ruleset, self.frame)
            names = [f"m{i}" for i in range(len(todo))]
            out = self.frame.select([e.alias(nm) for e, nm in zip(todo.values(), names)])
            if len(self._masks) + len(todo) > self.MAX_CACHED:
                self._masks.clear()
            for key, nm in zip(todo, names):
                self._masks[key] = out.get_column(nm).to_numpy().astype(bool, copy=False)
        return [self._masks[k] for k in keys]

    def _first(self, masks: list[np.ndarray]) -> np.ndarray:
        """Index of the first matching rule per row; ``len(masks)`` (the default) for none."""
        if not masks:
            return np.zeros(self.n, dtype=np.int64)
        stack = np.vstack(masks)
        first = np.argmax(stack, axis=0)
        first[~stack.any(axis=0)] = len(masks)
        return first

    def _assign(self, ruleset: Ruleset) -> tuple[np.ndarray, list[np.ndarray]]:
        """Segment code per row (first match wins; see ``_code``) and the masks."""
        masks = self._masks_for(ruleset)
        codes = np.array([self._code(i) for i in ruleset.ids], dtype=np.int64)
        return codes[self._first(masks)], masks

    def assign(self, ruleset: Ruleset) -> np.ndarray:
        """Segment id per row, as :meth:`Ruleset.apply` gives (object array of str)."""
        labels, _ = self._assign(ruleset)
        names = np.empty(len(self._codes), dtype=object)
        for sid, code in self._codes.items():
            names[code] = sid
        return names[labels]

    # -- the figures ----------------------------------------------------------------------
    def coverage(self, ruleset: Ruleset) -> LiveCoverage:
        """Coverage, overlaps, empty/unreachable segments, change vs saved and fidelity."""
        started = time.perf_counter()
        ruleset.validate(self.schema)
        masks = self._masks_for(ruleset)
        k = len(masks)
        n = self.n
        first = self._first(masks)
        counts = np.bincount(first, minlength=k + 1)
        ids = [s.id for s in ruleset.segments]
        counter = OverlapCounter(ids, first)  # the same figures as `segkit rules check`
        for start in range(0, k, APPLY_CHUNK):
            block = masks[start:start + APPLY_CHUNK]
            counter.add(start, np.column_stack(block) if block else np.zeros((n, 0), dtype=bool))
        overlap = counter.result()
        matched = counter.matched
        rate = mean_p = None
        if self._y is not None:
            valid = ~np.isnan(self._y)
            sums = np.bincount(first[valid], weights=self._y[valid], minlength=k + 1)
            cnt = np.bincount(first[valid], minlength=k + 1)
            rate = [float(s / c) if c else None for s, c in zip(sums, cnt)]
        if self._p is not None:
            valid = ~np.isnan(self._p)
            sums = np.bincount(first[valid], weights=self._p[valid], minlength=k + 1)
            cnt = np.bincount(first[valid], minlength=k + 1)
            mean_p = [float(s / c) if c else None for s, c in zip(sums, cnt)]
        codes = np.array([self._code(i) for i in ruleset.ids], dtype=np.int64)
        labels = codes[first]
        size = len(self._codes)
        saved_counts: dict[str, int] = {}
        moved = None
        moved_in: dict[str, int] = {}
        moved_out: dict[str, int] = {}
        if self._saved_ids is not None:
            diff = labels != self._saved_ids
            moved = int(np.count_nonzero(diff))
            by_code = np.bincount(self._saved_ids, minlength=size)
            ins = np.bincount(labels[diff], minlength=size)
            outs = np.bincount(self._saved_ids[diff], minlength=size)
            for sid, code in self._codes.items():
                saved_counts[sid] = int(by_code[code])
                moved_in[sid] = int(ins[code])
                moved_out[sid] = int(outs[code])
        segments = []
        for i, s in enumerate([*ruleset.segments, ruleset.default]):
            is_default = i == k
            assigned = int(counts[i])
            segments.append(LiveSegment(
                id=s.id, name=s.name, position=None if is_default else i + 1,
                matched=assigned if is_default else matched[i], assigned=assigned,
                share=assigned / n if n else 0.0,
                saved_assigned=(saved_counts.get(s.id, 0) if self.saved is not None
                                and s.id in self.saved.ids else None),
                moved_in=moved_in.get(s.id, 0), moved_out=moved_out.get(s.id, 0),
                purchase_rate=rate[i] if rate else None,
                mean_probability=mean_p[i] if mean_p else None))
        empty = [s.id for s in segments if s.position is not None and s.matched == 0]
        unreachable = [s.id for s in segments if s.position is not None and s.matched > 0
                       and s.assigned == 0]
        fidelity = saved_fidelity = None
        if self._cluster_seg is not None and n:
            fidelity = float(np.mean(labels == self._cluster_seg))
            if self._saved_ids is not None:
                saved_fidelity = float(np.mean(self._saved_ids == self._cluster_seg))
        return LiveCoverage(n, segments, overlap, empty, unreachable, moved, fidelity,
                            saved_fidelity, time.perf_counter() - started)


__all__ = ["CoverageEngine", "LiveCoverage", "LiveSegment"]
