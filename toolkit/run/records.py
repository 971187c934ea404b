"""What a run view hands out: segment rows, pages of customers, a customer's explanation,
the figures of an edited ruleset, and the column names they use.

Plain dataclasses, so the TUI and tests can build and compare them without a run folder;
:class:`toolkit.run.view.RunView` fills them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import polars as pl

from toolkit.errors import SegkitError
from toolkit.run import folder as runs

SCORES = runs.SCORES
ASSIGNMENTS = runs.ASSIGNMENTS
PROBABILITY = "purchase_probability"
DECISION = "will_purchase"
SEGMENT = "segment"
CLUSTER = "__cluster"
SORT_KEYS = ("position", "name", "size", "share", "purchase_rate", "mean_probability")


@dataclass
class SegmentRow:
    """One line of the segments overview."""

    id: str
    name: str
    position: int | None          # 1-based evaluation order; None for the default segment
    size: int
    share: float
    purchase_rate: float | None   # actual rate of the target column (None without it)
    mean_probability: float | None
    rule: str                     # the rule on one line ("(everyone else)" for the default)

    @property
    def is_default(self) -> bool:
        return self.position is None


@dataclass
class Page:
    """A slice of a segment's customers: ``rows`` start at ``offset`` out of ``total``."""

    rows: pl.DataFrame
    offset: int
    total: int
    limit: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit)) if self.limit else 1

    @property
    def number(self) -> int:
        """1-based page number."""
        return self.offset // self.limit + 1 if self.limit else 1


@dataclass
class TermContribution:
    term: str
    values: str       # "orders_90d = 3" or "a = 1 & b = x"
    score: float      # log-odds added to the intercept


@dataclass
class CustomerExplanation:
    """Why the scorecard gives one customer their probability."""

    id: str
    probability: float
    decision: bool
    threshold: float
    intercept: float
    segment: str | None
    segment_name: str | None
    contributions: list[TermContribution] = field(default_factory=list)  # largest first
    reasons: list[str] = field(default_factory=list)
    actual: int | None = None

    @property
    def up(self) -> list[TermContribution]:
        """Terms raising the probability, strongest first."""
        return [c for c in self.contributions if c.score > 0]

    @property
    def down(self) -> list[TermContribution]:
        """Terms lowering the probability, strongest first."""
        return sorted((c for c in self.contributions if c.score < 0), key=lambda c: c.score)


@dataclass
class RulesetFigures:
    """How well a ruleset (e.g. one edited and saved in the TUI) mimics the run's clusters.

    Measured like segments.json measures the distilled rules, so the two are comparable:
    on segmentation's held-out customers when the viewed table is the one segmentation ran
    on (``held_out`` True), else on every customer of the viewed table (clusters placed by
    the stored centroids). Pass :meth:`as_overrides` to
    :func:`toolkit.run.compare.compare_approaches` so Compare quotes these figures.
    """

    fidelity: float | None        # share put in the segment their cluster became
    coverage: float | None        # share matched by an explicit rule (not the default)
    cost_ratio: float | None      # k-means cost of the rule segments / of the clusters
    rows: int                     # customers measured
    held_out: bool
    note: str | None = None       # why a figure is None
    purchase_rates: dict[str, float] = field(default_factory=dict)  # segment -> rate, all customers

    def as_overrides(self) -> dict:
        """The unsupervised figures :func:`toolkit.run.compare.compare_approaches` replaces."""
        out = {"fidelity": self.fidelity, "coverage": self.coverage, "cost_ratio": self.cost_ratio,
               "held_out_rows": self.rows, "rules_measured_on": "held-out customers" if self.held_out
               else "all customers of the viewed table"}
        if self.purchase_rates:
            out["min_purchase_rate"] = min(self.purchase_rates.values())
            out["max_purchase_rate"] = max(self.purchase_rates.values())
        return out


def one_line(text: str) -> str:
    """A rule (or any text) with its whitespace collapsed to single spaces."""
    return " ".join(str(text).split())


def sort_segment_rows(rows: Sequence[SegmentRow], key: str = "position",
                      descending: bool = False) -> list[SegmentRow]:
    """Rows sorted by one of :data:`SORT_KEYS`; missing values (and the default's position) last."""
    if key not in SORT_KEYS:
        raise SegkitError(f"cannot sort segments by {key!r}; choose one of {', '.join(SORT_KEYS)}")

    def value(r: SegmentRow):
        v = getattr(r, key)
        return v.lower() if isinstance(v, str) else v

    present = [r for r in rows if value(r) is not None]
    absent = [r for r in rows if value(r) is None]
    return sorted(present, key=value, reverse=descending) + absent


def segment_means(segment: pl.Series, values: dict[str, pl.Series | None]) -> dict[str, dict]:
    """Per segment: ``size`` and the mean of each series in ``values`` (None when absent).

    Sums run sequentially in row order (``np.bincount``), so the same rows give bit-identical
    means whichever path loaded them; a parallel group-by may differ in the last digit.
    """
    categories = sorted(segment.unique().to_list())
    codes = segment.cast(pl.Enum(categories)).to_physical().to_numpy().astype(np.int64)
    sizes = np.bincount(codes, minlength=len(categories))
    out = {c: {"size": int(n)} for c, n in zip(categories, sizes)}
    for key, series in values.items():
        if series is None:
            continue
        x = series.cast(pl.Float64).to_numpy()
        present = ~np.isnan(x)
        sums = np.bincount(codes[present], weights=x[present], minlength=len(categories))
        counts = np.bincount(codes[present], minlength=len(categories))
        for c, total, count in zip(categories, sums, counts):
            out[c][key] = float(total / count) if count else None
    return out
