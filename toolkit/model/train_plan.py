"""What training will do with wide or high-cardinality input, decided before the fit.

Why: an EBM's cost and size grow with what it is given. A category with 10,000 levels
trained for 238 s and gave a 52 MB scorecard whose SQL (2.2 MB) was over the 1 MB statement
limit of BigQuery and Snowflake; a 500-column table spent most of its 5+ minutes ranking
124,750 candidate pairs for 10 interaction terms. The plan is made from the training rows
only (never validation or test), printed through the progress callback before the fit,
and recorded in ``metrics.json`` (``training.plan``):

* **Rare categories.** A nominal feature with more than :data:`MAX_CATEGORY_LEVELS`
  distinct values keeps its most frequent levels (at most :data:`MAX_CATEGORY_LEVELS`, each
  seen in at least :data:`MIN_LEVEL_ROWS` training rows; ties by value) and every other
  value becomes one level, :data:`OTHER`. The scorecard records it (feature field ``other``,
  see :mod:`toolkit.model.scorecard`), so scoring maps a rare or never-seen value the same way.
  Missing stays missing. Features with fewer levels are untouched.
* **Interaction candidates.** With more than :data:`WIDE_FEATURES` features, pairs are
  searched only among the :data:`INTERACTION_CANDIDATES` features that rank buyers best
  alone (the leakage audit's single-feature AUC on training rows); the EBM still picks the
  best ``interactions`` pairs among them. Narrower tables search every pair, as before.

After compiling, :func:`sql_size_message` says when the scorecard's SQL is over
:data:`SQL_STATEMENT_LIMIT`. Tables within these limits train exactly as before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import combinations

import polars as pl

from toolkit.model.model_input import FeatureSpec
from toolkit.policy import (INTERACTION_CANDIDATES, MAX_CATEGORY_LEVELS, MIN_LEVEL_ROWS,  # noqa: F401
                            SQL_STATEMENT_LIMIT, WIDE_FEATURES)

OTHER = "(other)"


@dataclass
class CategoryCollapse:
    """One high-cardinality feature: the levels kept and the one the rest become."""

    feature: str
    levels: int               # distinct non-missing values in the training rows
    kept: list[str]           # as strings, the way the model sees categories
    other: str                # the level every other non-missing value becomes
    other_rows: int           # training rows mapped to ``other``
    rows: int                 # training rows

    def expr(self) -> pl.Expr:
        """The column as the model sees it: kept levels, ``other`` for the rest, null kept."""
        col = pl.col(self.feature).cast(pl.Utf8)
        return (pl.when(col.is_null()).then(pl.lit(None, dtype=pl.Utf8))
                .when(col.is_in(pl.Series(self.kept, dtype=pl.Utf8).implode())).then(col)
                .otherwise(pl.lit(self.other)).alias(self.feature))

    def message(self) -> str:
        share = self.other_rows / self.rows if self.rows else 0.0
        return (f"category {self.feature!r} has {self.levels:,} levels: kept the {len(self.kept):,} "
                f"most frequent, the other {self.levels - len(self.kept):,} ({self.other_rows:,} "
                f"training rows, {share:.1%}) become {self.other!r}")


@dataclass
class TrainPlan:
    """What :func:`toolkit.model.train.train` does beyond its settings, and why (``messages``)."""

    features: int
    interactions: int
    collapses: list[CategoryCollapse] = field(default_factory=list)
    interaction_candidates: list[str] | None = None   # None: pairs of every feature
    messages: list[str] = field(default_factory=list)

    @property
    def other(self) -> dict[str, str]:
        """Feature -> its ``other`` level, for :func:`toolkit.model.scorecard.compile_ebm`."""
        return {c.feature: c.other for c in self.collapses}

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with every collapsed feature mapped to its kept levels and ``other``."""
        return frame.with_columns([c.expr() for c in self.collapses]) if self.collapses else frame

    def excluded_pairs(self, names: list[str]) -> list[tuple[int, int]]:
        """Feature-index pairs the EBM must not consider (interpret's ``exclude``)."""
        if self.interaction_candidates is None:
            return []
        keep = {names.index(n) for n in self.interaction_candidates}
        return [(a, b) for a, b in combinations(range(len(names)), 2) if not (a in keep and b in keep)]

    def to_dict(self) -> dict:
        out = asdict(self)
        for c in out["collapses"]:
            c["kept"] = len(c["kept"])   # the levels themselves are in the scorecard
        return out


def _collapse(name: str, column: pl.Series, max_levels: int, min_rows: int) -> CategoryCollapse | None:
    values = column.cast(pl.Utf8).drop_nulls()
    counts = values.value_counts(name="n")
    if counts.height <= max_levels:
        return None
    counts = counts.sort(["n", name], descending=[True, False])
    kept = counts.filter(pl.col("n") >= min_rows).head(max_levels)
    kept_values = kept.get_column(name).to_list()
    taken = set(counts.get_column(name).to_list())
    other, k = OTHER, 2
    while other in taken:             # a real level already called "(other)"
        other, k = f"{OTHER[:-1]} {k})", k + 1
    return CategoryCollapse(feature=name, levels=counts.height, kept=kept_values, other=other,
                            other_rows=int(values.len() - kept.get_column("n").sum()),
                            rows=column.len())


def make_plan(train_rows: pl.DataFrame, specs: list[FeatureSpec], *, interactions: int,
              single_feature_auc: dict[str, float] | None = None,
              max_category_levels: int = MAX_CATEGORY_LEVELS, min_level_rows: int = MIN_LEVEL_ROWS,
              wide_features: int = WIDE_FEATURES,
              interaction_candidates: int = INTERACTION_CANDIDATES) -> TrainPlan:
    """The plan for fitting on ``train_rows`` (training rows only; see the module docstring).

    ``max_category_levels`` or ``interaction_candidates`` of 0 switch that part off.
    """
    plan = TrainPlan(features=len(specs), interactions=interactions)
    if max_category_levels > 0:
        for s in specs:
            if s.type == "nominal":
                c = _collapse(s.name, train_rows.get_column(s.name), max_category_levels, min_level_rows)
                if c is not None:
                    plan.collapses.append(c)
                    plan.messages.append(c.message())
    n = len(specs)
    if interactions > 0 and interaction_candidates > 0 and n > max(wide_features, interaction_candidates):
        auc = single_feature_auc or {}
        order = sorted(range(n), key=lambda i: (-auc.get(specs[i].name, 0.5), i))
        plan.interaction_candidates = [specs[i].name for i in sorted(order[:interaction_candidates])]
        m = interaction_candidates
        plan.messages.append(
            f"{n:,} features: interaction pairs searched among the {m} that rank buyers best alone "
            f"({m * (m - 1) // 2:,} of {n * (n - 1) // 2:,} pairs); {interactions} interaction "
            f"terms at most; main effects still cost time in proportion to the features")
    return plan


def sql_size_message(sql_bytes: int, dialect: str = "duckdb") -> str | None:
    """A warning when the scorecard's SQL is over :data:`SQL_STATEMENT_LIMIT`, else None."""
    if sql_bytes <= SQL_STATEMENT_LIMIT:
        return None
    return (f"the scorecard's SQL ({dialect}) is {sql_bytes / 1e6:.1f} MB, over the 1 MB statement "
            f"limit of BigQuery and Snowflake: score with `segkit score` (or DuckDB/PostgreSQL, "
            f"which accept it), or train with fewer features, category levels or interactions")
