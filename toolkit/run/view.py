"""A run folder read for an interactive view: aggregates first, customer rows on demand, in pages.

Why a module: the TUI (and any other viewer) must show a 180K-customer run within a couple
of seconds and never hold 180K rows in a widget. :class:`RunView` therefore offers

* cheap reads first: ``metrics.json``, ``segments.json``, the ruleset, and
  :meth:`RunView.segment_rows` computed from the few columns the rules and the target need
  (a projection of the Parquet file, not the whole table);
* the full customer table joined with its scores (:meth:`RunView.frame`), loaded once and
  cached, for samples (:meth:`RunView.page`), profiles and customer look-ups;
* small derived views: :func:`bar_checks` (headline metrics against the run's targets: the
  brief's bars on its sample, else declared ones; :func:`baseline_verdict` otherwise),
  :func:`model_rows` (the model and its baselines), :meth:`RunView.explain_customer`.

Segment membership always comes from the ruleset (``segments.yaml``) applied to the data,
so an edited ruleset shows its own segments; a run without a ruleset falls back to the
``segment`` column of ``scores.parquet`` when there is one. Nothing here computes a metric
of its own: probabilities come from ``scores.parquet`` (or the scorecard), profiles from
:mod:`toolkit.segments.profiles`, assignment from :class:`toolkit.ruleset.Ruleset`.

Results of *other* data are never joined by customer id. ``scores.parquet`` and
``assignments.parquet`` describe the table the run was built from; next month's table
reuses the ids. The viewed table's fingerprint (:func:`toolkit.data.io.fingerprint`) is compared
with the ones training and segmentation recorded (:meth:`RunView.data_matches_run`); when it
differs, the table is scored with the scorecard and its customers are placed in the stored
clusters (:func:`toolkit.segments.pipeline.assign_clusters`), or fidelity is reported as not
available when the run stores no centroids.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import polars as pl

from toolkit import schema

from toolkit.run import folder as runs
from toolkit.run.records import (ASSIGNMENTS, CLUSTER, DECISION, PROBABILITY, SCORES,  # noqa: F401
                                 SEGMENT, SORT_KEYS, CustomerExplanation, Page, RulesetFigures,
                                 SegmentRow, TermContribution, one_line, segment_means,
                                 sort_segment_rows)
from toolkit.run.verdicts import (METRIC_KEYS, bar_checks, baseline_verdict,  # noqa: F401
                                  model_rows, target_words)
from toolkit.errors import DataError, SegkitError
from toolkit.fmt import value_text

class RunView:
    """Read-only access to a run folder, shaped for an interactive viewer (thread-safe caches).

    The files are read through ``self.run`` (:class:`toolkit.run.folder.Run`, which names them and
    caches each read); this class adds the viewer's policy: an optional file that is broken
    is reported once and then treated as absent, the customer table is read in projections
    and pages, and results of other customers are never joined by id.
    """

    def __init__(self, run_dir: "runs.Run | str | Path", data: str | Path | None = None):
        self.run = runs.Run.of(run_dir)  # the artifacts and their cached loaders
        self.data_path = Path(data) if data is not None else self.run.file(runs.DATA)
        self.scores_path = self.run.file(runs.SCORES)
        self.ruleset_path = self.run.file(runs.RULESET)
        self._lock = threading.RLock()
        self._frame_lock = threading.Lock()
        self._metrics: dict | None = None
        self._metrics_read = False
        self._segments: dict | None = None
        self._segments_read = False
        self._frame: pl.DataFrame | None = None
        self._fingerprint: str | None = None
        self._table: pl.DataFrame | None = None  # read for the fingerprint, handed to the frame
        self.problems: list[str] = []  # non-fatal: an optional file that could not be read

    # -- small artifacts --------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.run.name

    def metrics(self) -> dict | None:
        """metrics.json, or None when the run was not trained."""
        with self._lock:
            if not self._metrics_read:
                self._metrics_read = True  # a broken file is reported once, then treated as absent
                self._metrics = self.run.metrics()
            return self._metrics

    def segments_summary(self) -> dict | None:
        """segments.json, or None when segmentation has not run."""
        with self._lock:
            if not self._segments_read:
                self._segments_read = True
                self._segments = self.run.segments_summary()
            return self._segments

    def ruleset(self):
        """The saved ruleset (segments.yaml) or None; a broken file raises a SegkitError."""
        return self.run.ruleset()

    def scorecard(self):
        """The run's scorecard (cached); a SegkitError when the run has none."""
        return self.run.require_scorecard()

    @property
    def has_scorecard(self) -> bool:
        return self.run.has(runs.SCORECARD)

    # -- what the run recorded about its rows over time (toolkit.run.provenance) --------------
    def snapshot_info(self):
        """The snapshot the run's rows come from (as-of date, horizon), or None."""
        from toolkit.run.provenance import recorded_snapshot

        return recorded_snapshot(self.run)

    def backtest(self):
        """The out-of-time backtest the run recorded (backtest.json), or None."""
        from toolkit.run.provenance import recorded_backtest

        return recorded_backtest(self.run)

    def movement(self):
        """Who moved between segments (flow.json) as a :class:`toolkit.run.provenance.Movement`,
        or None. Read afresh on every call, not through the Run's cache: `segkit rules flow
        --run` may record a flow while a viewer is open."""
        from toolkit.run.provenance import recorded_movement

        return recorded_movement(runs.Run(self.run.path))

    def movement_stamp(self) -> float | None:
        """When flow.json was last written (None: absent), so a viewer can notice a new flow."""
        try:
            return self.run.file(runs.FLOW).stat().st_mtime
        except OSError:
            return None

    def _summary(self) -> dict:
        try:
            return self.segments_summary() or {}
        except SegkitError:
            return {}

    @property
    def id_column(self) -> str:
        return self.run.id_column

    @property
    def target(self) -> str:
        return self.run.target

    @property
    def has_data(self) -> bool:
        return self.data_path.is_file()

    # -- is the viewed table the run's own? ------------------------------------------------
    @property
    def is_run_data(self) -> bool:
        """Whether the viewed table is the run folder's own data.parquet (by path)."""
        try:
            return self.data_path.resolve() == self.run.file(runs.DATA).resolve()
        except OSError:
            return False

    def data_fingerprint(self) -> str:
        """Fingerprint of the viewed table as read (cached; reads the whole table once, and
        keeps it for :meth:`frame`, so the table is never read twice)."""
        with self._lock:
            if self._fingerprint is None:
                self._require_data()
                self._table = self._read_table()
                self._fingerprint = self._fingerprint_of(self._table)
            return self._fingerprint

    def _read_table(self) -> pl.DataFrame:
        from toolkit.data import io

        return io.load_table(self.data_path)

    @staticmethod
    def _fingerprint_of(table: pl.DataFrame) -> str:
        from toolkit.data import io

        return io.fingerprint(table)

    def run_fingerprints(self) -> dict[str, str]:
        """The data fingerprints the run recorded: ``{"training": .., "segmentation": ..}``
        (keys absent when that step did not run or did not record one)."""
        return self.run.fingerprints()

    def data_matches_run(self, step: str | None = None) -> bool:
        """Whether the viewed table is the one the run's results were computed on.

        ``step``: "training" (scores.parquet) or "segmentation" (assignments.parquet); None:
        either. Decided by fingerprint; a run that recorded none trusts only its own
        data.parquet. Results of a table for which this is False must not be joined by id.
        """
        known = self.run_fingerprints()
        wanted = [known[step]] if step in known else ([] if step else list(known.values()))
        if not known:
            return self.is_run_data
        if not wanted:  # the step recorded nothing, the other did: the table must be that one
            wanted = list(known.values())
        return self.data_fingerprint() in wanted

    def _require_data(self) -> None:
        if not self.has_data:
            raise DataError(f"{self.data_path}: no customer table for this run; open it with "
                            "--data FILE (the customers the run was built from)")

    # -- columns without reading the whole table --------------------------------------------
    def data_columns(self) -> list[str]:
        """Column names of the customer table (Parquet: from the footer only)."""
        return list(self.data_schema())

    def data_schema(self) -> dict[str, pl.DataType]:
        self._require_data()
        if self.data_path.suffix.lower() in (".parquet", ".pq"):
            try:
                return dict(pl.read_parquet_schema(self.data_path))
            except Exception as exc:  # noqa: BLE001 - corrupt file: one readable line
                raise DataError(f"{self.data_path}: cannot read ({str(exc).splitlines()[0]})") from None
        return dict(self.frame().schema)

    def _read_columns(self, columns: Sequence[str]) -> pl.DataFrame:
        from toolkit.data import io

        if self.data_path.suffix.lower() in (".parquet", ".pq"):
            try:
                return pl.read_parquet(self.data_path, columns=list(columns))
            except Exception as exc:  # corrupt file: one readable line
                raise DataError(f"{self.data_path}: cannot read ({str(exc).splitlines()[0]})") from None
        return io.load_table(self.data_path).select(columns)

    def _note(self, message: str) -> None:
        with self._lock:
            if message not in self.problems:
                self.problems.append(message)

    def _scores(self, columns: Sequence[str]) -> pl.DataFrame | None:
        """Columns of scores.parquet, or None (absent, or unreadable: noted in ``problems``)."""
        if not self.scores_path.is_file():
            return None
        try:
            have = list(pl.read_parquet_schema(self.scores_path))
            cols = [c for c in columns if c in have]
            if self.id_column not in have:
                self._note(f"{self.scores_path}: no {self.id_column!r} column; scores are not shown")
                return None
            return pl.read_parquet(self.scores_path,
                                   columns=[self.id_column] + [c for c in cols if c != self.id_column])
        except Exception as exc:  # noqa: BLE001 - an unreadable optional file: go on without it
            self._note(f"{self.scores_path}: cannot read ({str(exc).splitlines()[0]}); "
                       "probabilities are computed from the scorecard instead")
            return None

    @staticmethod
    def _attach(base: pl.DataFrame, extra: pl.DataFrame, id_column: str) -> pl.DataFrame:
        """``base`` with ``extra``'s other columns, matched by id (fast path when aligned)."""
        cols = [c for c in extra.columns if c != id_column and c not in base.columns]
        if not cols:
            return base
        if extra.height == base.height and extra.get_column(id_column).equals(base.get_column(id_column)):
            return base.hstack(extra.select(cols))
        return base.join(extra.select([id_column, *cols]), on=id_column, how="left",
                         maintain_order="left")

    # -- aggregates first -------------------------------------------------------------------
    def segment_rows(self, ruleset=None) -> list[SegmentRow]:
        """One row per segment (ruleset order, default last) from a column projection.

        Uses the loaded full frame when there is one; otherwise reads only the id, the target
        and the columns the rules use, plus ``purchase_probability`` from scores.parquet.
        """
        self._require_data()
        frame = self._frame
        if frame is None and not self.data_matches_run("training"):
            frame = self.frame()  # other customers: scored from the scorecard, never joined by id
        if frame is None:
            cols = list(dict.fromkeys([self.id_column, self.target, *(ruleset.columns if ruleset else [])]))
            present = set(self.data_columns())
            frame = self._read_columns([c for c in cols if c in present])
            scores = self._scores([PROBABILITY] + ([] if ruleset else [SEGMENT]))
            if scores is not None:
                frame = self._attach(frame, scores, self.id_column)
        return self.aggregate(frame, ruleset)

    def aggregate(self, frame: pl.DataFrame, ruleset=None) -> list[SegmentRow]:
        """Segment rows for ``frame`` under ``ruleset`` (or its ``segment`` column)."""
        from toolkit.ruleset.ops import require_rule_columns

        if ruleset is not None:
            require_rule_columns(ruleset, frame)
            seg = ruleset.apply(frame).get_column(SEGMENT)
            order = ruleset.ids
            names = ruleset.names
            rules = {s.id: one_line(s.rule) for s in ruleset.segments}
            positions = {s.id: i for i, s in enumerate(ruleset.segments, start=1)}
        elif SEGMENT in frame.columns:
            seg = frame.get_column(SEGMENT).cast(pl.String).fill_null("(none)")
            order = sorted(seg.unique().to_list())
            names = {s: s for s in order}
            rules, positions = {}, {s: i for i, s in enumerate(order, start=1)}
        else:
            seg = pl.Series(SEGMENT, ["all"] * frame.height, dtype=pl.String)
            order, names, rules, positions = ["all"], {"all": "All customers"}, {}, {"all": 1}
        stats = segment_means(seg, {"rate": frame.get_column(self.target) if self.target in frame.columns else None,
                                     "prob": frame.get_column(PROBABILITY) if PROBABILITY in frame.columns else None})
        n = frame.height
        out = []
        for sid in order:
            r = stats.get(sid, {})
            size = int(r.get("size") or 0)
            is_default = ruleset is not None and sid == ruleset.default.id
            out.append(SegmentRow(
                id=sid, name=names.get(sid, sid), position=None if is_default else positions.get(sid),
                size=size, share=size / n if n else 0.0,
                purchase_rate=r.get("rate"), mean_probability=r.get("prob"),
                rule="(everyone else)" if is_default else rules.get(sid, ""),
            ))
        return out

    # -- the full table ---------------------------------------------------------------------
    def frame(self) -> pl.DataFrame:
        """Customers + purchase_probability, will_purchase, reasons (+ cluster), cached.

        Scores come from scores.parquet when it was computed on this table (same data
        fingerprint, :meth:`data_matches_run`); otherwise (a run without it, or another table
        such as next month's customers) the table is scored with the scorecard. Clusters come
        from assignments.parquet on the same condition, else from the stored centroids.
        The ``segment`` column is *not* included: it depends on the ruleset being viewed
        (see :meth:`with_segments`).
        """
        with self._frame_lock:  # a second caller waits for the first load instead of repeating it
            if self._frame is None:
                self._frame = self._load_frame()
            return self._frame

    def _load_frame(self) -> pl.DataFrame:
        self._require_data()
        with self._lock:  # the table the fingerprint was taken from, if it was read already
            data, self._table = self._table, None
        if data is None:
            data = self._read_table()
        if self.id_column not in data.columns:
            raise DataError(f"{self.data_path}: no id column {self.id_column!r}")
        with self._lock:
            if self._fingerprint is None:
                self._fingerprint = self._fingerprint_of(data)
        same_scores = self.data_matches_run("training")
        same_clusters = self.data_matches_run("segmentation")
        scores = None
        if same_scores:
            scores = self._scores([PROBABILITY, DECISION, "reason_1", "reason_2", "reason_3"])
        elif self.scores_path.is_file():
            self._note(f"{self.data_path.name} is not the table this run was built from (data "
                       f"fingerprint {self._fingerprint}); probabilities are computed from the "
                       f"scorecard, not taken from {SCORES}")
        if scores is None and self.has_scorecard:
            from toolkit.model.scoring import score_frame

            scores = score_frame(self.scorecard(), data).drop("scoring_note", strict=False)
        if scores is not None:
            data = self._attach(data.drop(SEGMENT, strict=False), scores, self.id_column)
        if not same_clusters:
            return self._with_assigned_clusters(data)
        try:
            a = self.run.assignments()
        except SegkitError as exc:  # unreadable: the rest of the run still shows
            a = None
            self._note(f"{exc}; fidelity to clusters is not shown")
        if a is not None and {self.id_column, "cluster"} <= set(a.columns):
            a = a.select(self.id_column, pl.col("cluster").alias(CLUSTER))
            data = self._attach(data, a, self.id_column)
        return data

    def _with_assigned_clusters(self, data: pl.DataFrame) -> pl.DataFrame:
        """``data`` with its customers placed in the run's clusters by the stored centroids
        (other customers than segmentation saw), or unchanged with a note when impossible."""
        summary = self._summary()
        if not summary:
            return data
        from toolkit.segments.pipeline import assign_clusters

        try:
            clusters = assign_clusters(summary, data)
        except SegkitError as exc:  # a segmentation column missing from this table
            self._note(f"fidelity to clusters is not available for {self.data_path.name}: {exc}")
            return data
        if clusters is None:
            self._note(f"fidelity to clusters is not available for {self.data_path.name}: it is "
                       "not the table the run was segmented on, and the run's segments.json "
                       "stores no centroids to place its customers (re-run `segkit segment`)")
            return data
        return data.with_columns(pl.Series(CLUSTER, clusters, dtype=pl.Int32))

    @property
    def frame_loaded(self) -> bool:
        return self._frame is not None

    def with_segments(self, ruleset=None, frame: pl.DataFrame | None = None) -> pl.DataFrame:
        """The full frame with a ``segment`` column from ``ruleset`` (or scores' segment)."""
        frame = self.frame() if frame is None else frame
        if ruleset is not None:
            from toolkit.ruleset.ops import require_rule_columns

            require_rule_columns(ruleset, frame)
            return frame.with_columns(ruleset.apply(frame).get_column(SEGMENT))
        scores = self._scores([SEGMENT]) if self.data_matches_run("training") else None
        if scores is not None and SEGMENT in scores.columns:
            return self._attach(frame.drop(SEGMENT, strict=False), scores, self.id_column)
        return frame.with_columns(pl.lit("all").alias(SEGMENT))

    def cluster_segments(self) -> dict[int, str]:
        """Cluster number (1-based, as in assignments.parquet) -> the segment id it became."""
        summary = self._summary()
        out: dict[int, str] = {}
        for c in summary.get("centroids") or []:
            if c.get("cluster") is not None and c.get("segment"):
                out[int(c["cluster"])] = str(c["segment"])
        for s in summary.get("segments") or []:
            if s.get("cluster") is not None and s.get("id"):
                out.setdefault(int(s["cluster"]), str(s["id"]))
        return out

    def coverage_engine(self, ruleset=None, frame: pl.DataFrame | None = None):
        """A :class:`toolkit.ruleset.coverage.CoverageEngine` over the customers, measured against
        ``ruleset`` (the saved one), with the run's clusters, outcome and probabilities."""
        from toolkit.ruleset.coverage import CoverageEngine

        frame = self.frame() if frame is None else frame
        return CoverageEngine(
            frame, ruleset,
            clusters=frame.get_column(CLUSTER) if CLUSTER in frame.columns else None,
            cluster_segments=self.cluster_segments(),
            target=self.target if self.target in frame.columns else None,
            probability=PROBABILITY if PROBABILITY in frame.columns else None)

    def ruleset_figures(self, ruleset) -> RulesetFigures:
        """Fidelity, coverage and cost ratio of ``ruleset`` against the run's clusters.

        Call after saving edited rules: segments.json, Compare and ``provenance.fidelity``
        otherwise still quote the figures of the rules as distilled. Uses the same held-out
        customers as ``segkit segment`` (its seed and held-out share) when the viewed table is
        the one segmentation ran on, so an unedited ruleset reproduces segments.json's
        fidelity; figures are None (with ``note``) when the run has no clusters for this table.
        """
        from toolkit.segments import clustering as C
        from toolkit.model.model_input import infinite_to_missing
        from toolkit.segments.space import SegmentSpace

        frame = self.frame()
        rates: dict[str, float] = {}
        if self.target in frame.columns:
            rates = {r.id: r.purchase_rate for r in self.aggregate(frame, ruleset)
                     if r.purchase_rate is not None and r.size}
        if CLUSTER not in frame.columns or not self.cluster_segments():
            return RulesetFigures(None, None, None, frame.height, False,
                                  "no clusters for these customers (segmentation has not run, or its "
                                  "segments.json stores no centroids)", rates)
        rows = np.arange(frame.height)
        settings = self._summary().get("settings") or {}
        held_out = False
        if (self.data_matches_run("segmentation") and settings.get("seed") is not None
                and settings.get("held_out") and settings.get("rows") == frame.height):
            from toolkit.segments.pipeline import held_out_split

            rows = held_out_split(frame.height, int(settings["seed"]), float(settings["held_out"]))[0]
            held_out = True
        part = frame[rows]
        from toolkit.ruleset.ops import require_rule_columns

        require_rule_columns(ruleset, part)
        seg = ruleset.apply(part).get_column(SEGMENT).to_numpy()
        mapping = self.cluster_segments()
        clusters = part.get_column(CLUSTER).to_numpy()
        target = np.array([mapping.get(int(c), "") for c in clusters], dtype=object)
        if not len(rows):
            return RulesetFigures(None, None, None, 0, held_out, "no customers", rates)
        fidelity = float(np.mean(seg == target))
        coverage = float(np.mean(seg != ruleset.default.id))
        cost_ratio = None
        transform = self._summary().get("transform")
        if transform:
            try:
                space = SegmentSpace.from_dict(transform)
                X = space.transform(infinite_to_missing(part, space.features)[0]).astype(np.float32)
                X = X.astype(np.float64)
                codes = np.unique(seg.astype(str), return_inverse=True)[1]
                base = C.partition_cost(X, clusters)
                cost_ratio = C.partition_cost(X, codes) / base if base > 0 else None
            except SegkitError:
                cost_ratio = None
        return RulesetFigures(fidelity, coverage, cost_ratio, len(rows), held_out, None, rates)

    def page(self, frame: pl.DataFrame, segment_id: str | None, *, offset: int = 0, limit: int = 100,
             sort_by: str = PROBABILITY, descending: bool = True,
             columns: Sequence[str] | None = None) -> Page:
        """A page of the customers of ``segment_id`` (all when None) from a segmented frame."""
        if limit <= 0:
            raise SegkitError("a page needs at least one row")
        rows = frame if segment_id is None else frame.filter(pl.col(SEGMENT) == segment_id)
        total = rows.height
        offset = max(0, min(offset, max(total - 1, 0)))
        offset -= offset % limit
        if sort_by in rows.columns:
            rows = rows.sort(sort_by, descending=descending, nulls_last=True, maintain_order=True)
        if columns is not None:
            rows = rows.select([c for c in columns if c in rows.columns])
        return Page(rows.slice(offset, limit), offset, total, limit)

    def sample_columns(self, frame: pl.DataFrame) -> list[str]:
        """Columns worth showing in a customer sample: id, score, reasons, a few key facts."""
        wanted = [self.id_column, PROBABILITY, DECISION, "reason_1", "orders_365d",
                  "days_since_last_purchase", "total_spend_365d", "country", "loyalty_tier"]
        return [c for c in wanted if c in frame.columns]

    def profiles(self, segmented: pl.DataFrame, ruleset=None) -> dict:
        """segment id -> :class:`toolkit.segments.profiles.SegmentProfile` for a segmented frame."""
        from toolkit.segments.profiles import profile_segments

        prob = PROBABILITY if PROBABILITY in segmented.columns else None
        target = self.target if self.target in segmented.columns else None
        features = [c for c in segmented.columns if c in schema.BY_NAME
                    and not schema.BY_NAME[c].is_categorical and segmented.schema[c].is_numeric()]
        order = ruleset.ids if ruleset is not None else None
        names = ruleset.names if ruleset is not None else None
        profiles = profile_segments(segmented, SEGMENT, features=features, target=target,
                                    probability=prob, order=order, names=names)
        return {p.id: p for p in profiles}

    # -- one customer -----------------------------------------------------------------------
    def find_customer(self, customer_id: str) -> dict | None:
        """The customer's row (as a dict) or None; reads the Parquet file with a filter when
        the full table is not loaded yet."""
        customer_id = str(customer_id).strip()
        frame = self._frame
        if frame is None and not self.data_matches_run("training"):
            frame = self.frame()  # scores of other customers must not be looked up by id
        if frame is not None:
            ids = frame.get_column(self.id_column)
            key: Any = customer_id
            if ids.dtype.is_integer():
                try:
                    key = int(customer_id)
                except ValueError:
                    return None
            hit = frame.filter(pl.col(self.id_column) == key)
        else:
            dtype = self.data_schema()[self.id_column]
            scan = pl.scan_parquet(self.data_path)
            key = customer_id
            if dtype.is_integer():
                try:
                    key = int(customer_id)
                except ValueError:
                    return None
            hit = scan.filter(pl.col(self.id_column) == key).collect()
            if hit.height:
                scores = self._scores([PROBABILITY, DECISION, "reason_1", "reason_2", "reason_3"])
                if scores is not None:
                    hit = self._attach(hit, scores.filter(pl.col(self.id_column) == key), self.id_column)
        return hit.row(0, named=True) if hit.height else None

    def explain_customer(self, customer_id: str, ruleset=None) -> CustomerExplanation:
        """Probability, decision, segment and every term's contribution for one customer."""
        row = self.find_customer(customer_id)
        if row is None:
            hint = ""
            frame = self._frame
            if frame is not None and frame.height:
                hint = f" (ids look like {frame.get_column(self.id_column)[0]!r})"
            raise SegkitError(f"no customer with id {customer_id!r}{hint}")
        card = self.scorecard()
        one = pl.DataFrame([row])
        contrib = card.contributions(one).row(0, named=True)
        prepared = one
        from toolkit.model.features import add_derived

        prepared = add_derived(one, card.derived_features)
        values = prepared.row(0, named=True)
        items = []
        for t in card.terms:
            feats = [card.features[f] for f in t["features"]]  # worded as the reasons word them
            text = " & ".join(f"{f['name']} = {value_text(values.get(f['name']), f['type'])}" for f in feats)
            items.append(TermContribution(t["name"], text, float(contrib[t["name"]])))
        items.sort(key=lambda c: -abs(c.score))
        logit = card.intercept + sum(c.score for c in items)
        probability = float(row[PROBABILITY]) if row.get(PROBABILITY) is not None else \
            float(1 / (1 + np.exp(-logit)))
        segment = None
        if ruleset is not None:
            missing = ruleset.missing_columns(one.columns)
            if not missing:
                segment = ruleset.apply(one).get_column(SEGMENT)[0]
        reasons = [row[k] for k in ("reason_1", "reason_2", "reason_3") if row.get(k)]
        actual = row.get(self.target)
        return CustomerExplanation(
            id=str(row[self.id_column]), probability=probability,
            decision=probability >= card.threshold, threshold=card.threshold,
            intercept=card.intercept, segment=segment,
            segment_name=ruleset.names.get(segment) if ruleset is not None and segment else None,
            contributions=items, reasons=reasons,
            actual=None if actual is None else int(actual))

    def random_customer_id(self, seed: int | None = None) -> str | None:
        """An id to try (the loaded table's, else the first of the file)."""
        frame = self._frame
        if frame is None or frame.height == 0:
            return None
        rng = np.random.default_rng(seed)
        return str(frame.get_column(self.id_column)[int(rng.integers(frame.height))])
