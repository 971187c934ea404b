"""The merged form of each term (:meth:`Scorecard.merged_terms`; in memory only, never written).

One rule, written once: adjacent bins whose score slices are identical merge into one range
(:func:`_run_starts`). The SQL compiler (:mod:`toolkit.sql.scorecard`) writes out the merged
terms; the readable shapes and interaction tables (:mod:`toolkit.model.scorecard.explain`)
show the same runs as one range. Scores stay exactly the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MergedAxis:
    """One axis of a merged score table: how a feature value becomes an index along it.

    Index 0 is *missing* and ``size - 1`` is *unseen* (nominal) or the last bin (continuous).
    Continuous: ``index = searchsorted(cuts, x, side="right") + 1`` for a present ``x``.
    Nominal: ``mapping[category]``; a category not in ``mapping`` (unseen, or one that
    scores exactly like unseen) takes :attr:`unseen`.
    """

    feature: int
    kind: str  # "continuous" | "nominal"
    cuts: np.ndarray | None  # continuous: index = searchsorted(cuts, x, "right") + 1
    mapping: dict[str, int] | None  # nominal: category -> index; others -> unseen
    size: int  # length of the axis: missing + bins + unseen

    @property
    def unseen(self) -> int:
        return self.size - 1


@dataclass(frozen=True)
class MergedTerm:
    """A term with identical adjacent bins merged: ``table[i0, i1]`` (one index per axis,
    see :class:`MergedAxis`) is exactly the score the full term gives those values."""

    name: str
    axes: tuple[MergedAxis, ...]
    table: np.ndarray


def _take(table: np.ndarray, index: int, axis: int) -> np.ndarray:
    return np.take(table, index, axis=axis)


def _run_starts(table: np.ndarray, axis: int, n_cuts: int) -> list[int]:
    """The bins (1 .. n_cuts + 1 along ``axis``) that start a run of identical score slices:
    adjacent bins scoring alike merge into one range. The one merge rule, shared by the
    merged terms (SQL) and the readable shapes."""
    starts = [1]
    for j in range(2, n_cuts + 2):
        if not np.array_equal(_take(table, j, axis), _take(table, j - 1, axis)):
            starts.append(j)
    return starts


def _compress_axis(table: np.ndarray, axis: int, feature: int, feat: dict,
                   level: int) -> tuple[np.ndarray, MergedAxis]:
    """Merge bins whose score slices are identical: fewer cuts, same scores, exactly."""
    size = table.shape[axis]
    if feat["type"] == "continuous":
        cuts = np.asarray(feat["bins"][level], dtype=np.float64)
        keep = _run_starts(table, axis, len(cuts))
        new_cuts = cuts[[j - 2 for j in keep[1:]]] if len(keep) > 1 else cuts[:0]
        index = [0, *keep, size - 1]
        return np.take(table, index, axis=axis), MergedAxis(feature, "continuous", new_cuts, None, len(index))
    # nominal: bins with the same slice share an index; bins scoring like "unseen" use it
    unseen_key = _take(table, size - 1, axis).tobytes()
    groups: dict[bytes, int] = {}
    reps: list[int] = []
    new_of_old: dict[int, int | None] = {}
    for b in range(1, size - 1):
        key = _take(table, b, axis).tobytes()
        if key == unseen_key:
            new_of_old[b] = None
            continue
        if key not in groups:
            reps.append(b)
            groups[key] = len(reps)
        new_of_old[b] = groups[key]
    index = [0, *reps, size - 1]
    mapping = {}
    for cat, b in feat["bins"][level].items():
        new = new_of_old.get(int(b))
        if new is not None:
            mapping[cat] = new
    return np.take(table, index, axis=axis), MergedAxis(feature, "nominal", None, mapping, len(index))


def _compile_term(term: dict, features: list[dict]) -> MergedTerm:
    table = np.asarray(term["scores"], dtype=np.float64)
    axes = []
    for axis, (f, level) in enumerate(zip(term["features"], term["bin_levels"])):
        table, ax = _compress_axis(table, axis, f, features[f], level)
        axes.append(ax)
    return MergedTerm(term["name"], tuple(axes), np.ascontiguousarray(table))
