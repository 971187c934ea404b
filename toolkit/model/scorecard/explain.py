"""Global explanations of a scorecard: term importances, shapes and interaction tables.

A shape lists a feature's bins (missing first) with the log-odds each adds; with ``merge``
adjacent bins scoring alike show as one range, by the same rule as the merged terms the SQL
is written from (:func:`toolkit.model.scorecard.merge._run_starts`). The report and the TUI
turn these rows into words and charts (:mod:`toolkit.report.shape_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from toolkit.errors import SegkitError
from toolkit.fmt import MISSING
from toolkit.model.scorecard.merge import _run_starts

if TYPE_CHECKING:
    from toolkit.model.scorecard.card import Scorecard

MISSING_LABEL = MISSING
UNSEEN_LABEL = "other (unseen)"


class ShapeBin(NamedTuple):
    """One row of a shape function: a bin (or category), its bounds and its score (log-odds)."""

    label: str
    lower: float | None  # inclusive; None for missing / categories / open end
    upper: float | None  # exclusive; None for missing / categories / open end
    score: float


@dataclass(frozen=True)
class InteractionTable:
    """A pairwise term as a table: rows are bins of the first feature, columns of the second."""

    term: str
    features: tuple[str, str]
    rows: list[ShapeBin]  # score field: 0.0 (labels and bounds only)
    columns: list[ShapeBin]
    scores: list[list[float]]  # scores[i][j]: log-odds added for row bin i and column bin j


def _fmt_edge(value: float) -> str:
    return f"{value:.6g}"


def _axis_groups(table: np.ndarray, axis: int, feat: dict, level: int,
                 merge: bool) -> list[tuple[ShapeBin, int]]:
    """Readable bins along one axis, each with the raw index whose slice it shows."""
    size = table.shape[axis]
    out: list[tuple[ShapeBin, int]] = [(ShapeBin(MISSING_LABEL, None, None, 0.0), 0)]
    if feat["type"] == "continuous":
        cuts = list(feat["bins"][level])
        starts = _run_starts(table, axis, len(cuts)) if merge else list(range(1, len(cuts) + 2))
        for n, j in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(cuts) + 2
            lower = cuts[j - 2] if j >= 2 else None
            upper = cuts[end - 2] if end - 2 < len(cuts) else None
            if lower is None and upper is None:
                label = "any value"
            elif lower is None:
                label = f"< {_fmt_edge(upper)}"
            elif upper is None:
                label = f">= {_fmt_edge(lower)}"
            else:
                label = f"[{_fmt_edge(lower)}, {_fmt_edge(upper)})"
            out.append((ShapeBin(label, lower, upper, 0.0), j))
    else:
        for cat, b in sorted(feat["bins"][level].items(), key=lambda kv: kv[1]):
            out.append((ShapeBin(cat, None, None, 0.0), int(b)))
        out.append((ShapeBin(UNSEEN_LABEL, None, None, 0.0), size - 1))
    return out


def term_importances(card: Scorecard, *, sort: bool = True) -> dict[str, float]:
    """Mean absolute contribution of each term on the training data (interpret's values)."""
    items = [(t["name"], float(t.get("importance", 0.0))) for t in card.terms]
    if sort:
        items.sort(key=lambda kv: -kv[1])
    return dict(items)


def _term_index(card: Scorecard, name: str) -> int:
    for i, t in enumerate(card.terms):
        if t["name"] == name:
            return i
    raise SegkitError(f"the scorecard has no term {name!r}; terms: {', '.join(card.term_names)}")


def shape(card: Scorecard, feature: str, *, merge: bool = True) -> list[ShapeBin]:
    """The main-effect shape of ``feature``: one row per bin (missing first, log-odds).

    Continuous features list ranges ``[lower, upper)``; with ``merge`` adjacent bins with
    identical scores are shown as one range. Nominal features list their categories and
    ``other (unseen)``, the score of a category not seen in training.
    """
    if feature not in card.feature_names:
        raise SegkitError(f"the scorecard has no feature {feature!r}")
    f = card.feature_names.index(feature)
    for t in card.terms:
        if t["features"] == [f]:
            table = np.asarray(t["scores"], dtype=np.float64)
            groups = _axis_groups(table, 0, card.features[f], t["bin_levels"][0], merge)
            return [b._replace(score=float(table[i])) for b, i in groups]
    raise SegkitError(f"feature {feature!r} has no main-effect term (it appears only in interactions)")


def interaction_table(card: Scorecard, term: str, *, merge: bool = True) -> InteractionTable:
    """A pairwise term as a table of log-odds (missing row/column first)."""
    t = card.terms[_term_index(card, term)]
    if len(t["features"]) != 2:
        raise SegkitError(f"term {term!r} is not a pairwise interaction")
    table = np.asarray(t["scores"], dtype=np.float64)
    fa, fb = t["features"]
    rows = _axis_groups(table, 0, card.features[fa], t["bin_levels"][0], merge)
    cols = _axis_groups(table, 1, card.features[fb], t["bin_levels"][1], merge)
    scores = table[np.ix_([i for _, i in rows], [j for _, j in cols])]
    return InteractionTable(term=t["name"], features=(card.features[fa]["name"], card.features[fb]["name"]),
                            rows=[b for b, _ in rows], columns=[b for b, _ in cols],
                            scores=scores.tolist())
