"""The scorecard: a fitted EBM compiled into plain data that scores without interpret.

Why: a pickled ``ExplainableBoostingClassifier`` breaks across library versions and loading
a pickle runs code. The scorecard holds what an EBM predicts with (bin edges, score tables,
intercept) as JSON, reproduces ``ebm.predict_proba(X)[:, 1]`` to 1e-9 with Polars (missing
values, unseen categories, values beyond the training range, values equal to a cut and
pairwise interactions included), and compiles to one SQL ``SELECT`` (:meth:`Scorecard.to_sql`,
see :mod:`toolkit.sql.scorecard`).

This package is split along its jobs; :class:`Scorecard` is the way in and delegates:

* :mod:`~toolkit.model.scorecard.format`: the JSON document (format constants, validation,
  writing); the file format is described there.
* :mod:`~toolkit.model.scorecard.plan`: how a row is scored, as one Polars plan.
* :mod:`~toolkit.model.scorecard.merge`: terms with identical adjacent bins merged (for SQL,
  and the one merge rule the shapes use too).
* :mod:`~toolkit.model.scorecard.reasons`: the ``reason_1..k`` columns.
* :mod:`~toolkit.model.scorecard.explain`: importances, shapes, interaction tables.
* :mod:`~toolkit.model.scorecard.compile`: :func:`compile_ebm`, from a fitted EBM.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import polars as pl

from toolkit.data.files import atomic_write_text
from toolkit.errors import DataError, SegkitError
from toolkit.model.features import Ratio
from toolkit.model.scorecard import explain, plan
from toolkit.model.scorecard.explain import InteractionTable, ShapeBin
from toolkit.model.scorecard.format import (FORMAT, FORMAT_VERSION, MAX_JSON_DEPTH, _depth, _dumps,
                                            _fail, _outline, _reject_constant, _validate)
from toolkit.model.scorecard.merge import MergedTerm, _compile_term
from toolkit.model.scorecard.reasons import reason_columns

PROBABILITY_COLUMN = "purchase_probability"
DECISION_COLUMN = "will_purchase"

# Rows scored per Polars pass: bounds memory (one Float64 column per term per chunk) while
# keeping each pass long enough for Polars' parallel expression evaluation to pay off.
CHUNK_ROWS = 1 << 18
# score() holds several rows x terms matrices per chunk (contributions, |contributions|,
# row-major copy) to rank reasons: smaller chunks keep 2.4M rows under ~1.5 GB, same speed.
SCORE_CHUNK_ROWS = 1 << 16


@dataclass
class Scorecard:
    """A compiled EBM: plain data (see :mod:`toolkit.model.scorecard.format`) plus fast Polars scoring.

    ``features``, ``terms`` and ``derived`` are lists of plain dicts exactly as stored in the
    JSON file (``feature["name"]``, ``feature["type"]``, ``term["scores"]`` ...).
    """

    features: list[dict]
    terms: list[dict]
    intercept: float
    threshold: float
    id_column: str
    derived: list[dict] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    link: str = "logit"
    source: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    _compiled: list[MergedTerm] | None = field(default=None, init=False, repr=False, compare=False)
    _polars: tuple | None = field(default=None, init=False, repr=False, compare=False)

    # ---- construction and persistence ---------------------------------------------------

    def to_dict(self) -> dict:
        """The JSON document (plain dicts and lists)."""
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "link": self.link,
            "intercept": self.intercept,
            "threshold": self.threshold,
            "id_column": self.id_column,
            "derived": self.derived,
            "features": self.features,
            "terms": self.terms,
            "source": self.source,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Scorecard":
        """Validate a decoded JSON document and build the scorecard (SegkitError if invalid)."""
        if _depth(_outline(data)) > MAX_JSON_DEPTH:
            _fail(f"the document nests more than {MAX_JSON_DEPTH} levels deep; a scorecard needs fewer than 20")
        _validate(data)
        return cls(
            features=[{"name": f["name"], "type": f["type"], "bins": f["bins"],
                       **({"other": f["other"]} if f.get("other") is not None else {})}
                      for f in data["features"]],
            terms=[{"name": t["name"], "features": list(t["features"]), "bin_levels": list(t["bin_levels"]),
                    "importance": float(t.get("importance", 0.0)), "scores": t["scores"]}
                   for t in data["terms"]],
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            id_column=data["id_column"],
            derived=[dict(d) for d in data["derived"]],
            metadata=data["metadata"],
            link=data["link"],
            source=data.get("source", {}) if isinstance(data.get("source"), dict) else {},
            format_version=data["format_version"],
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the scorecard as JSON, atomically (a reader never sees half a file)."""
        return atomic_write_text(path, _dumps(self.to_dict()) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Scorecard":
        """Read a scorecard written by :meth:`save`. JSON only: nothing is executed."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SegkitError(f"{p}: scorecard file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SegkitError(f"{p}: cannot read the scorecard ({exc})") from None
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (json.JSONDecodeError, ValueError) as exc:
            raise SegkitError(f"{p}: not a valid scorecard file (bad JSON: {exc})") from None
        except RecursionError:
            data = None  # deeper than the parser's stack: reported just below
        if data is None:
            raise SegkitError(f"{p}: not a valid scorecard file (JSON nested more than {MAX_JSON_DEPTH} "
                              "levels deep; a scorecard needs fewer than 20)")
        try:
            return cls.from_dict(data)
        except SegkitError as exc:
            raise SegkitError(f"{p}: not a valid scorecard file: {exc}") from None

    # ---- descriptions -------------------------------------------------------------------

    @property
    def feature_names(self) -> list[str]:
        return [f["name"] for f in self.features]

    @property
    def term_names(self) -> list[str]:
        return [t["name"] for t in self.terms]

    @property
    def derived_features(self) -> list[Ratio]:
        return [Ratio.from_dict(d) for d in self.derived]

    @property
    def input_columns(self) -> list[str]:
        """Columns a table must have to be scored (raw inputs of features and derived ones)."""
        derived = {d["name"]: d for d in self.derived}
        out: list[str] = []
        for f in self.features:
            names = [derived[f["name"]]["numerator"], derived[f["name"]]["denominator"]] \
                if f["name"] in derived else [f["name"]]
            out.extend(n for n in names if n not in out)
        return out

    def merged_terms(self) -> list[MergedTerm]:
        """Each term with identical adjacent bins merged, in term order: the form the SQL
        compiler (:mod:`toolkit.sql.scorecard`) writes out.

        Same scores, exactly: continuous cuts between bins with identical score slices are
        dropped (the rule :meth:`shape` uses to show merged ranges), nominal categories with
        identical slices share one index, and categories scoring like an unseen one are left
        out of the mapping (this removes most of a boosted shape's ~1023 cuts).
        Computed once per scorecard (treat the arrays as read-only).
        """
        if self._compiled is None:
            self._compiled = [_compile_term(t, self.features) for t in self.terms]
        return self._compiled

    # ---- input preparation --------------------------------------------------------------

    def _as_polars(self, frame) -> pl.DataFrame:
        if isinstance(frame, pl.LazyFrame):
            frame = frame.collect()
        if isinstance(frame, pd.DataFrame):
            try:
                frame = pl.from_pandas(frame)
            except Exception as exc:  # pyarrow raises several types for mixed object columns
                raise DataError(f"cannot read the pandas frame: {str(exc).splitlines()[0]}") from None
        if not isinstance(frame, pl.DataFrame):
            raise DataError(f"expected a Polars or pandas DataFrame, got {type(frame).__name__}")
        return frame

    def _check_inputs(self, frame: pl.DataFrame, extra: Iterable[str] = ()) -> None:
        """Missing columns and columns whose type cannot be what the model was trained on."""
        needed = list(extra) + self.input_columns
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataError(f"the table lacks {len(missing)} column(s) the scorecard needs: "
                            f"{', '.join(missing)}")
        types = {f["name"]: f["type"] for f in self.features}
        numeric = {n for n in self.input_columns if types.get(n) == "continuous"}
        for d in self.derived:
            numeric.update((d["numerator"], d["denominator"]))
        for name in self.input_columns:
            dtype = frame.schema[name]
            if name in numeric:
                self._check_numeric(frame, name, dtype)
            if types.get(name) == "nominal" and (dtype.is_nested() or dtype == pl.Object):
                raise DataError(f"column {name!r} has type {dtype}, which cannot be read as categories")

    @staticmethod
    def _check_numeric(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> None:
        if dtype.is_numeric() or dtype in (pl.Boolean, pl.Null):
            return
        col = frame.get_column(name)
        if dtype in (pl.Utf8, pl.Categorical) or isinstance(dtype, pl.Enum):
            text = col.cast(pl.Utf8)
            parsed = text.cast(pl.Float64, strict=False)
            bad = text.filter(text.is_not_null() & parsed.is_null())
            if bad.len():
                examples = ", ".join(repr(v) for v in bad.unique(maintain_order=True).head(3).to_list())
                raise DataError(f"column {name!r} must be numeric but {bad.len():,} value(s) are not "
                                f"numbers (e.g. {examples})")
            return
        try:
            col.cast(pl.Float64)
        except Exception:
            raise DataError(f"column {name!r} must be numeric but has type {dtype}") from None

    def _prepared(self, chunk: pl.DataFrame) -> pl.DataFrame:
        """The model's features for ``chunk``: derived computed, types cast, NaN -> null."""
        return plan.prepare(chunk, self.features, self.derived)

    # ---- scoring --------------------------------------------------------------------------

    def _polars_plan(self) -> tuple[list[pl.Expr], list[pl.Expr]]:
        """(bin expressions, one per feature; term expressions over those bins), built once
        (:func:`toolkit.model.scorecard.plan.polars_plan`)."""
        if self._polars is None:
            self._polars = plan.polars_plan(self.features, self.terms)
        return self._polars

    def _chunks(self, frame: pl.DataFrame, size: int | None = None) -> Iterable[pl.DataFrame]:
        size = size or CHUNK_ROWS
        for start in range(0, frame.height, size):
            yield frame.slice(start, size)

    def _contrib_chunk(self, chunk: pl.DataFrame, prepared: pl.DataFrame | None = None) -> pl.DataFrame:
        bins, terms = self._polars_plan()
        prepared = self._prepared(chunk) if prepared is None else prepared
        return prepared.select(bins).select(terms)

    def _logit_of(self, contributions: pl.DataFrame) -> np.ndarray:
        # intercept first, then terms in model order (as interpret adds them), one column at
        # a time: pl.sum_horizontal's reduction order varies between runs (last-bit noise)
        total = np.full(contributions.height, self.intercept, dtype=np.float64)
        for column in contributions.iter_columns():
            total += column.to_numpy()
        return total

    def contributions(self, frame) -> pl.DataFrame:
        """Per-term contributions in log-odds: one Float64 column per term, one row per input row."""
        frame = self._as_polars(frame)
        self._check_inputs(frame)
        parts = [self._contrib_chunk(c) for c in self._chunks(frame)]
        if not parts:
            return pl.DataFrame({t["name"]: pl.Series([], dtype=pl.Float64) for t in self.terms})
        return pl.concat(parts, rechunk=True) if len(parts) > 1 else parts[0]

    def predict_logit(self, frame) -> np.ndarray:
        """Log-odds of purchase per row (the EBM's additive score)."""
        frame = self._as_polars(frame)
        self._check_inputs(frame)
        parts = [self._logit_of(self._contrib_chunk(c)) for c in self._chunks(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)

    def predict_proba(self, frame) -> np.ndarray:
        """Probability of purchase per row: equals ``ebm.predict_proba(X)[:, 1]`` to 1e-9."""
        return _inv_logit(self.predict_logit(frame))

    def score(self, frame, *, top_reasons: int = 3) -> pl.DataFrame:
        """Id, ``purchase_probability``, ``will_purchase`` and ``reason_1..top_reasons``.

        Reasons are the terms with the largest absolute contribution for that row, largest
        first (ties: model order), written ``"feature = value (+0.82)"``: the customer's value
        and the log-odds the term adds (positive raises the probability). Pairs read
        ``"a = 1 & b = x (-0.10)"``. A reason is null when fewer terms contribute anything.
        """
        if not isinstance(top_reasons, int) or top_reasons < 0:
            raise SegkitError(f"top_reasons must be a whole number >= 0, got {top_reasons!r}")
        frame = self._as_polars(frame)
        self._check_inputs(frame, extra=[self.id_column])
        k = min(top_reasons, len(self.terms))
        parts = []
        for chunk in self._chunks(frame, SCORE_CHUNK_ROWS):
            prepared = self._prepared(chunk)
            contrib = self._contrib_chunk(chunk, prepared)
            prob = _inv_logit(self._logit_of(contrib))
            cols = [chunk.get_column(self.id_column),
                    pl.Series(PROBABILITY_COLUMN, prob, dtype=pl.Float64),
                    pl.Series(DECISION_COLUMN, prob >= self.threshold, dtype=pl.Boolean)]
            cols.extend(self._reasons(prepared, contrib, k))
            parts.append(pl.DataFrame(cols))
        if not parts:
            empty = {self.id_column: frame.get_column(self.id_column).head(0),
                     PROBABILITY_COLUMN: pl.Series([], dtype=pl.Float64),
                     DECISION_COLUMN: pl.Series([], dtype=pl.Boolean)}
            empty.update({f"reason_{i + 1}": pl.Series([], dtype=pl.Utf8) for i in range(top_reasons)})
            return pl.DataFrame(empty)
        # no rechunk: copying millions of reason strings into one buffer doubles peak memory
        out = pl.concat(parts, rechunk=False) if len(parts) > 1 else parts[0]
        for i in range(k, top_reasons):  # asked for more reasons than the model has terms
            out = out.with_columns(pl.lit(None, dtype=pl.Utf8).alias(f"reason_{i + 1}"))
        return out

    def score_spark(self, spark_df, *, top_reasons: int = 3):
        """:meth:`score` for a Spark DataFrame: a lazy Spark DataFrame with the same columns.

        The executors run this very scorer on Arrow batches (``mapInArrow``), so every number
        equals :meth:`score`'s to the last bit. Missing or non-numeric columns are one
        :class:`DataError` before any job runs. Needs ``segkit[spark]``; see
        :mod:`toolkit.model.scorecard.spark`.
        """
        from toolkit.model.scorecard.spark import score_spark

        return score_spark(self, spark_df, top_reasons=top_reasons)

    def _reasons(self, prepared: pl.DataFrame, contrib: pl.DataFrame, k: int) -> list[pl.Series]:
        return reason_columns(self.features, self.terms, prepared, contrib, k)

    # ---- global explanations (toolkit.model.scorecard.explain) ----------------------------

    def term_importances(self, *, sort: bool = True) -> dict[str, float]:
        """Mean absolute contribution of each term on the training data (interpret's values)."""
        return explain.term_importances(self, sort=sort)

    def shape(self, feature: str, *, merge: bool = True) -> list[ShapeBin]:
        """The main-effect shape of ``feature``: one row per bin (missing first, log-odds).

        Continuous features list ranges ``[lower, upper)``; with ``merge`` adjacent bins with
        identical scores are shown as one range. Nominal features list their categories and
        ``other (unseen)``, the score of a category not seen in training.
        """
        return explain.shape(self, feature, merge=merge)

    def interaction_table(self, term: str, *, merge: bool = True) -> InteractionTable:
        """A pairwise term as a table of log-odds (missing row/column first)."""
        return explain.interaction_table(self, term, merge=merge)

    # ---- SQL --------------------------------------------------------------------------------

    def to_sql(self, dialect: str = "duckdb", table: str = "customers", *, pretty: bool = False,
               precision: int | str | None = "auto") -> str:
        """One ``SELECT`` over ``table`` returning the id column and ``purchase_probability``.

        See :mod:`toolkit.sql.scorecard` for the design and :mod:`toolkit.sql.dialects` for
        the dialects (names, aliases, identifier policy).
        ``precision``: decimal places of the score literals; ``"auto"`` keeps the probability
        within 1e-10 of :meth:`predict_proba`, ``None`` writes exact doubles (larger text).
        """
        from toolkit.sql.scorecard import to_sql

        return to_sql(self, dialect=dialect, table=table, pretty=pretty, precision=precision)


# --------------------------------------------------------------------------------------------
# numeric helper


def _inv_logit(z: np.ndarray) -> np.ndarray:
    """exp(z) / (1 + exp(z)) as interpret computes it (+inf -> 1).

    Evaluated by Polars (Rust's exp per element): numpy's SIMD exp can differ in the last bit
    depending on where an element falls in memory, which made identical logits give
    different probabilities between calls.
    """
    e = pl.Series(np.asarray(z, dtype=np.float64)).exp()
    p = pl.select(pl.when(e.is_infinite()).then(pl.lit(1.0)).otherwise(e / (e + 1.0))).to_series()
    return p.to_numpy()
