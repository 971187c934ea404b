"""The segmentation workflow: stable k-means clusters distilled into a readable ruleset.

``run_segmentation(data, out_dir, config)`` does, in order (every setting is a field of
:class:`SegmentConfig`, validated once and recorded in segments.json's ``settings``):

1. split the customers: ``held_out`` (20 %) are never used for fitting; every reported
   fidelity, cost ratio and coverage is measured on them;
2. give every column a role (:mod:`toolkit.segments.roles`: segment, describe or ignore; a
   roles file, ``features`` and ``describe`` override the inference) and fit the clustering
   space on the training customers' segment columns (:mod:`toolkit.segments.space`);
3. fit k-means for every k in ``k_min..k_max``, score each by silhouette (10K sample) and
   ``candidate_bootstraps`` bootstrap refits, choose k (:func:`toolkit.segments.clustering.choose_k`);
4. complete ``bootstraps`` refits for the chosen k (the candidate ones are reused);
5. distill the clusters into ordered rules with an imodels tree (:mod:`toolkit.segments.distill`);
6. measure the rules: fidelity, cost ratio and coverage on held-out customers, and rule
   stability: on every bootstrap the tree is refitted to the refitted clusters and its rule
   assignment compared with the original rules' (ARI, per-segment Jaccard);
7. profile and name the segments (:mod:`toolkit.segments.profiles`), with the mean predicted
   probability of ``scorecard`` when one is passed (`segkit segment` and the demo pass the
   run folder's own scorecard.json when it has one);
8. write ``segments.yaml`` (the :class:`toolkit.ruleset.Ruleset`), ``segments.json`` (every
   figure, see :func:`run_segmentation`) and ``assignments.parquet`` (id, cluster, segment).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import polars as pl

from toolkit.segments import clustering as C
from toolkit.segments import distill as D
from toolkit import schema
from toolkit.run import folder as runs
from toolkit.errors import DataError, SegkitError
from toolkit.data.files import atomic_write_frame, atomic_write_json
from toolkit.model.model_input import infinite_to_missing
from toolkit.segments.profiles import SegmentProfile, name_segments, profile_segments
from toolkit.segments.roles import Roles, infer_id, infer_roles, merge_spec, read_roles_file
from toolkit.segments.space import FEWER_THAN_TWO, SegmentSpace, fit_space, select_features

if TYPE_CHECKING:
    from toolkit.ruleset import Ruleset
    from toolkit.model.scorecard import Scorecard

FORMAT = "segkit-segments/1"
MIN_ROWS_PER_CLUSTER = 30
MAX_K = 20                      # more segments than anyone can act on

# Seed streams: each random choice draws from ``default_rng([seed, STREAM])`` so changing
# one never shifts another (toolkit.segments.clustering uses streams 1-3).
HELD_OUT_STREAM = 11            # which customers are held out (see held_out_split)
TREE_ROWS_STREAM = 12           # which training customers fit the tree / validate its size


def held_out_split(n: int, seed: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    """(held-out rows, training rows) of an ``n``-row table, each sorted, as segmentation
    draws them; :meth:`toolkit.run.view.RunView.ruleset_figures` re-draws the same held-out
    customers from segments.json's ``seed`` and ``held_out`` to measure edited rules."""
    perm = np.random.default_rng([seed, HELD_OUT_STREAM]).permutation(n)
    n_held = int(round(n * share))
    return np.sort(perm[:n_held]), np.sort(perm[n_held:])


def _int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


@dataclass(frozen=True)
class SegmentConfig:
    """Every setting of a segmentation run (the CLI's options), validated on construction.

    Recorded in segments.json's ``settings`` with :func:`dataclasses.asdict`, after
    :func:`run_segmentation` resolves the defaults that depend on the data (``features``:
    the columns clustered on, ``tree_rows``: the rows the tree was fitted on,
    ``candidate_bootstraps`` at most ``bootstraps``, ``workers``), plus ``rows`` and
    ``data_fingerprint``.
    """

    id_column: str | None = None                # None: customer_id, else the one id-like column (roles.infer_id)
    features: tuple[str, ...] | None = None     # default: the columns whose role is segment (roles.py)
    describe: tuple[str, ...] | None = None     # default: the columns whose role is describe
    roles: str | None = None                    # a roles file (JSON/YAML): segment, describe, ignore, id, target
    target: str | None = None                   # default: the roles file's, else purchased_next_30d if present
    k_min: int = 4
    k_max: int = 8
    bootstraps: int = 20                        # refits for the chosen k (20+ for a stability claim)
    candidate_bootstraps: int = 8               # refits per candidate k
    seed: int = 42
    held_out: float = 0.2                       # share never used for fitting; figures are measured on it
    fit_rows: int = 40_000                      # k-means fits on a sample of this many rows
    n_init: int = 4
    silhouette_rows: int = 10_000               # silhouette is O(n^2): measured on a sample
    tree_rows: int = 60_000                     # rows the rule tree is fitted on
    leaves: int | tuple[int, ...] | None = None  # leaf budget, or a grid; None: k..3k
    max_conditions: int = 3                     # conditions per rule path
    indicators: bool = False                    # missing-value indicators in the clustering space
    clip: float | None = 2.0                    # winsorise scaled values at +-clip
    name: str | None = None                     # ruleset name (default: the folder's)
    workers: int | None = None                  # parallel refits (None or 0: up to 4 cores)

    def __post_init__(self) -> None:
        if isinstance(self.features, str):
            raise SegkitError(f"features must be a list of column names, not the text {self.features!r}")
        if isinstance(self.describe, str):
            raise SegkitError(f"describe must be a list of column names, not the text {self.describe!r}")
        for key in ("features", "describe"):
            if getattr(self, key) is not None:
                object.__setattr__(self, key, tuple(getattr(self, key)))
        if self.roles is not None:
            object.__setattr__(self, "roles", str(self.roles))
        if self.leaves is not None and not _int(self.leaves):
            object.__setattr__(self, "leaves", tuple(self.leaves))
        self._validate()

    def _validate(self) -> None:
        k_min, k_max = self.k_min, self.k_max
        if not (_int(k_min) and _int(k_max)) or k_min < 2 or k_max < k_min:
            raise SegkitError(f"k range must satisfy 2 <= k-min <= k-max, got {k_min}..{k_max}")
        if k_max > MAX_K:
            raise SegkitError(f"k-max {k_max} is more segments than anyone can act on; use {MAX_K} or fewer")
        if not (_int(self.bootstraps) and _int(self.candidate_bootstraps)) \
                or self.bootstraps < 1 or self.candidate_bootstraps < 1:
            raise SegkitError("bootstraps must be at least 1 (20 or more for a stability claim)")
        if not _number(self.held_out) or not 0.05 <= self.held_out <= 0.5:
            raise SegkitError(f"held-out share must be between 0.05 and 0.5, got {self.held_out}")
        if not _int(self.max_conditions) or self.max_conditions < 1:
            raise SegkitError("max conditions per path must be at least 1")
        for key in ("fit_rows", "n_init", "silhouette_rows", "tree_rows"):
            value = getattr(self, key)
            if not _int(value) or value < 1:
                raise SegkitError(f"{key} must be a whole number of at least 1, got {value!r}")
        if not _int(self.seed) or self.seed < 0:
            raise SegkitError(f"seed must be a whole number of at least 0, got {self.seed!r}")
        budgets = (self.leaves,) if _int(self.leaves) else (self.leaves or ())
        if self.leaves == () or not all(_int(b) and b >= 1 for b in budgets):
            raise SegkitError(f"leaves must be a leaf budget of at least 1 (or a list of them), got {self.leaves!r}")
        if self.clip is not None and (not _number(self.clip) or not self.clip > 0):
            raise SegkitError(f"clip must be a positive number of scaled units (or None), got {self.clip!r}")
        if self.workers is not None and (not _int(self.workers) or self.workers < 0):
            raise SegkitError(f"workers must be 0 (automatic) or more, got {self.workers!r}")
        if self.id_column is not None and (not isinstance(self.id_column, str) or not self.id_column):
            raise SegkitError("the id column must be a column name")

    @classmethod
    def of(cls, config: "SegmentConfig | None" = None, **settings: Any) -> "SegmentConfig":
        """``config`` (default: the defaults) with ``settings`` replacing its fields; an
        unknown setting is a one-line error naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise SegkitError(f"unknown segmentation setting {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(known))}")
        return replace(config, **settings) if config is not None else cls(**settings)

    def check_rows(self, n: int) -> None:
        """A DataError when ``n`` rows are too few for ``k_max`` segments plus the held-out share."""
        need = math.ceil(MIN_ROWS_PER_CLUSTER * self.k_max / (1 - self.held_out)) + 10
        if n < need:
            raise DataError(f"too few rows to try up to {self.k_max} segments: the table has {n:,} rows, "
                            f"at least {need:,} are needed ({MIN_ROWS_PER_CLUSTER} training rows per "
                            f"segment plus {self.held_out:.0%} held out); lower --k-max or add rows")

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as work advances (for a progress bar)."""
Notify = Callable[[str], None]
"""``notify(line)``: a line for the user before the work starts (the columns used)."""


@dataclass
class SegmentationResult:
    """What a run produced: the summary written to segments.json and the artifacts."""

    summary: dict
    ruleset: "Ruleset"
    assignments: pl.DataFrame       # id, cluster, segment
    space: SegmentSpace
    rules: D.SegmentRules
    paths: dict[str, Path]


def _r(x: float | None, digits: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), digits)


def _load(data: pl.DataFrame | str | Path) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    from toolkit.data.io import load_table

    return load_table(data)


def _segment_ids(names: dict[int, str]) -> dict[int, str]:
    from toolkit.ruleset import slugify

    out, used = {}, set()
    for c, name in names.items():
        base = slugify(name)
        sid, i = base, 2
        while sid in used:
            sid, i = f"{base[:60]}_{i}", i + 1
        used.add(sid)
        out[c] = sid
    return out


def _rule_stability(frame_train: pl.DataFrame, X_train: np.ndarray, boots: C.Bootstraps,
                    rule_labels_train: np.ndarray, k: int, *, seed: int, tree_rows: int,
                    leaves: int, max_conditions: int, infos, features, on_step=None,
                    workers: int = 1) -> dict:
    """Refit the tree on every bootstrap's clustering; compare rule assignments (see module doc)."""
    n = X_train.shape[0]
    orig = np.where(rule_labels_train < 0, k, rule_labels_train)

    def one(b: int):
        idx = C.resample(n, b, seed)
        fit_idx = idx[:tree_rows]
        labels_b = C.assign(X_train[fit_idx], boots.centroids[b])
        dist = D.distill(frame_train[fit_idx], labels_b, list(range(k)), features=features,
                         fit_rows=np.arange(len(fit_idx)), leaves=leaves,
                         max_conditions=max_conditions, seed=seed + b, infos=infos)
        pts = np.unique(idx)
        refit = dist.rules.assign(frame_train[pts])
        refit = np.where(refit < 0, k, refit)
        table = C.contingency(orig[pts], refit, k + 1, k + 1)
        if on_step is not None:
            on_step()
        return C.adjusted_rand(table), C.jaccard_best(table[:k, :k])

    results = C.parallel_map(one, list(range(len(boots.centroids))), workers)
    ari = [r[0] for r in results]
    jac = [r[1] for r in results]
    jac_mean = np.nanmean(np.vstack(jac), axis=0) if jac else np.full(k, np.nan)
    return {"ari": float(np.mean(ari)) if ari else float("nan"), "ari_each": ari, "jaccard": jac_mean}


def _probabilities(scorecard: "Scorecard | str | os.PathLike | None",
                   frame: pl.DataFrame) -> tuple[np.ndarray | None, str | None]:
    """Each customer's predicted probability and where it came from (segments.json's
    ``probabilities``: the scorecard's path, or ``skipped: why``), or (None, None)."""
    if scorecard is None:
        return None, None
    source = "scorecard passed to run_segmentation"
    try:
        if isinstance(scorecard, (str, os.PathLike)):
            from toolkit.model.scorecard import Scorecard

            source = str(scorecard)
            scorecard = Scorecard.load(scorecard)
        return np.asarray(scorecard.predict_proba(frame), dtype=float), source
    except (ImportError, SegkitError) as exc:  # a scorecard for another table: skip the column
        return None, f"skipped: {exc}"


def run_segmentation(data: pl.DataFrame | str | Path, out_dir: str | Path,
                     config: SegmentConfig | None = None, *,
                     scorecard: "Scorecard | str | os.PathLike | None" = None,
                     progress: Progress | None = None, notify: Notify | None = None,
                     **settings: Any) -> SegmentationResult:
    """Segment ``data`` (a frame or a CSV/Parquet path) and write the run files to ``out_dir``.

    Settings come from ``config`` (a :class:`SegmentConfig`) and/or keyword arguments
    named like its fields (``k_max=6``), which replace the config's; either way they are
    validated before any work. ``scorecard`` (a Scorecard or the path of a scorecard.json)
    adds each segment's mean predicted probability to the profiles; nothing is read from
    ``out_dir`` (`segkit segment` and the demo pass the run folder's own scorecard).

    Returns a :class:`SegmentationResult`; ``segments.json`` holds ``summary``:
    ``k``, ``k_reason``, ``candidates`` (per k: silhouette, stability, min_jaccard,
    cluster_jaccard, ari, inertia, score, chosen), ``stability`` (``cluster_jaccard`` and
    ``rules_jaccard`` per segment id, ``cluster_ari``, ``rules_ari``, bootstraps),
    ``fidelity``, ``fidelity_unrounded``, ``fidelity_tree`` (the tree before paths are cut
    and rounded), ``goal`` (targets, ``reached`` and a ``statement`` of the trade-off,
    :func:`toolkit.segments.distill.goal`), ``cost_ratio``, ``coverage``, ``default_share``,
    ``rules`` (order, default, paths, leaf grid), ``segments`` (per segment: cluster, name,
    rule, size), ``centroids`` (scaled and human units), ``transform`` (the fitted space),
    ``profiles``, ``probabilities``, ``roles`` (every column's role and why,
    :mod:`toolkit.segments.roles`), ``settings`` (the config as run), ``timings``.
    ``notify`` receives :meth:`Roles.summary_line` ("clustering on N columns: ...") once the
    table is read.

    ``workers`` (default: up to 4 cores) run refits side by side; BLAS and OpenMP are held to
    one thread each meanwhile (see :func:`toolkit.segments.clustering.parallel_map`).
    """
    cfg = SegmentConfig.of(config, **settings)
    cfg = replace(cfg, candidate_bootstraps=min(cfg.candidate_bootstraps, cfg.bootstraps),
                  workers=cfg.workers or C.default_workers())
    with C.single_threaded():
        return _run(data, out_dir, cfg, scorecard, progress, notify)


def resolve_roles(frame: pl.DataFrame, cfg: SegmentConfig, run_dir: str | Path | None = None) -> Roles:
    """The roles of ``frame``'s columns under ``cfg`` (roles file, then --features/--describe
    win over the inference); the id is ``cfg.id_column``, else the roles file's, else
    customer_id when present, else the one column that looks like an id. Without a target,
    ``run_dir``'s metrics.json may name it (:func:`toolkit.segments.roles.choose_target`)."""
    spec = read_roles_file(cfg.roles) if cfg.roles else None
    spec = merge_spec(spec, segment=cfg.features, describe=cfg.describe)
    id_column = cfg.id_column or (spec.id if spec is not None else None)
    if id_column is None:
        id_column = schema.ID_COLUMN if schema.ID_COLUMN in frame.columns else (infer_id(frame) or schema.ID_COLUMN)
    roles = infer_roles(frame, id_column=id_column, target=cfg.target, spec=spec, run_dir=run_dir)
    roles.id = id_column
    if len(roles.segment) < 2 and (spec is None or spec.segment is None):
        raise DataError(FEWER_THAN_TWO)
    return roles


def _run(data, out_dir, cfg: SegmentConfig, scorecard, progress: Progress | None,
         notify: Notify | None = None) -> SegmentationResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    clock = [t0]

    def lap(key: str) -> None:
        now = time.perf_counter()
        timings[key] = round(now - clock[0], 3)
        clock[0] = now

    ks = list(range(cfg.k_min, cfg.k_max + 1))
    total = len(ks) * (cfg.candidate_bootstraps + 1) + 2 * cfg.bootstraps - cfg.candidate_bootstraps + 4
    done = [0]

    def step(stage: str, count: int = 1) -> None:
        done[0] += count
        if progress is not None:
            progress(stage, min(done[0], total), total)

    out = Path(out_dir)
    from toolkit.data.outputs import check_outputs

    check_outputs(inputs=[] if isinstance(data, pl.DataFrame) else [data], folders=[out],
                  outputs=[runs.Run(out).file(name) for name in runs.SEGMENT_OUTPUTS])
    if progress is not None:
        progress("Reading the customer table", 0, total)
    frame = _load(data)
    from toolkit.data.io import check_unique_ids, require_columns

    roles = resolve_roles(frame, cfg, out)
    cfg = replace(cfg, id_column=roles.id)
    require_columns(frame, [cfg.id_column], "id column")
    check_unique_ids(frame, cfg.id_column)
    # +-inf is missing in every command (toolkit.model.model_input); the fingerprint is of the table as read
    raw_frame = frame
    frame, infinite = infinite_to_missing(frame, [c for c in frame.columns if c != cfg.id_column])
    feats = select_features(frame, roles.segment)
    if notify is not None:
        notify(roles.summary_line())
    n = frame.height
    cfg.check_rows(n)
    lap("load")

    # 1-2. split, space
    held, train = held_out_split(n, cfg.seed, cfg.held_out)
    frame_train, frame_held = frame[train], frame[held]
    space = fit_space(frame_train, feats, indicators=cfg.indicators, clip=cfg.clip)
    X = space.transform(frame).astype(np.float32)
    X_train, X_held = X[train], X[held]
    distinct = pl.from_numpy(X_train).hash_rows(seed=0).n_unique()
    if distinct < max(ks) * 2:
        raise DataError(f"the segmentation columns take only {distinct:,} distinct combinations of "
                        f"values in the training customers, too few for up to {max(ks)} segments; "
                        "lower --k-max or cluster on more columns (--features)")
    step("Fitting the clustering space")
    lap("space")

    # 3-4. candidates, choice, full bootstraps
    cands = C.evaluate_candidates(X_train, ks, seed=cfg.seed, bootstraps=cfg.candidate_bootstraps,
                                  n_init=cfg.n_init, fit_rows=cfg.fit_rows, silhouette_rows=cfg.silhouette_rows,
                                  on_step=lambda: step("Scoring k candidates"), workers=cfg.workers)
    best, reason = C.choose_k(cands)
    best.chosen = True
    k = best.k
    lap("candidates")
    labels = C.assign(X, best.centroids)
    labels_train = labels[train]
    C.bootstrap_stability(X_train, labels_train, k, bootstraps=cfg.bootstraps, seed=cfg.seed, n_init=cfg.n_init,
                          fit_rows=cfg.fit_rows, start=best.boots.count, into=best.boots,
                          on_step=lambda: step(f"Bootstrapping k={k}"), workers=cfg.workers)
    lap("cluster_bootstraps")

    # 5. distill (tree rows and validation rows come from the training customers only)
    rng = np.random.default_rng([cfg.seed, TREE_ROWS_STREAM])
    order_train = rng.permutation(len(train))
    n_tree = min(cfg.tree_rows, int(len(train) * 0.75))
    tree_local = np.sort(order_train[:n_tree])
    valid_local = np.sort(order_train[n_tree:n_tree + 20_000])
    infos = D.column_infos(frame_train[tree_local], feats)
    dist = D.distill(frame_train, labels_train, list(range(k)), features=feats, fit_rows=tree_local,
                     valid_rows=valid_local if len(valid_local) else None, leaves=cfg.leaves,
                     max_conditions=cfg.max_conditions, seed=cfg.seed, infos=infos, workers=cfg.workers)
    rules = dist.rules
    step("Distilling rules")
    lap("distill")

    # 6. measure on held-out customers
    rule_labels = rules.assign(frame)
    rl_held, cl_held = rule_labels[held], labels[held]
    fidelity = D.fidelity(rl_held, cl_held)
    cost_clusters = C.partition_cost(X_held.astype(np.float64), cl_held)
    cost_rules = C.partition_cost(X_held.astype(np.float64), rl_held)
    cost_ratio = cost_rules / cost_clusters if cost_clusters > 0 else float("nan")
    explicit = np.isin(rl_held, rules.ordered)
    coverage = float(explicit.mean()) if len(rl_held) else float("nan")
    raw_rules = D.tree_rules(dist.model, feats, infos, max_conditions=cfg.max_conditions, rounded=False)
    fidelity_raw = D.fidelity(raw_rules.assign(frame_held), cl_held)
    # the tree itself (no condition limit, no rounding): what longer rules could reach
    fidelity_tree = D.fidelity(np.asarray(dist.model.predict(D.tree_matrix(frame_held, infos))), cl_held)
    rule_stab = _rule_stability(frame_train, X_train, best.boots, rule_labels[train], k, seed=cfg.seed,
                                tree_rows=n_tree, leaves=dist.leaves, max_conditions=cfg.max_conditions,
                                infos=infos, features=feats,
                                on_step=lambda: step("Refitting rules on bootstraps"),
                                workers=cfg.workers)
    lap("rule_stability")

    # 7. profiles and names (on the rule segments: what users get)
    seg_col = "__segment"
    probs, prob_source = _probabilities(scorecard, frame)
    cluster_str = pl.Series(seg_col, [str(c) for c in rule_labels])
    prof_frame = frame.with_columns(cluster_str)
    profiles = profile_segments(prof_frame, seg_col, probability=probs, features=roles.compare,
                                profile_fields=roles.mix, target=roles.target,
                                order=[str(c) for c in rules.clusters])
    rule_cols = {str(c): [b.column for p in rules.paths_of(c) for b in p.bounds] for c in rules.clusters}
    names = name_segments(profiles, rule_cols)
    cluster_names = {c: names.get(str(c), f"Segment {c + 1}") for c in rules.clusters}
    missing_clusters = [c for c in range(k) if c not in rules.clusters]
    for c in missing_clusters:
        cluster_names[c] = f"Cluster {c + 1} (no rule)"
    ids = _segment_ids(cluster_names)
    for p in profiles:
        c = int(p.id)
        p.id, p.name = ids[c], cluster_names[c]
    step("Profiling segments")
    lap("profiles")

    # 8. ruleset + files
    from toolkit.data.io import fingerprint

    data_fp = fingerprint(raw_frame)
    cluster_jac = best.boots.cluster_jaccard()
    run_name = cfg.name or out.resolve().name or "segments"
    ruleset = build_ruleset(rules, ids, cluster_names, profiles, name=run_name, run=str(out),
                            data_fingerprint=data_fp, fidelity=fidelity, stability=rule_stab["ari"],
                            base_rate=_base_rate(frame, roles.target))
    seg_ids = np.array([ids.get(int(c), "") for c in range(k)] + [ruleset.default.id], dtype=object)
    seg_col_values = seg_ids[np.where(rule_labels < 0, k, rule_labels)]
    applied = ruleset.apply(frame.select(feats)).get_column("segment").to_numpy()
    ruleset_agreement = float(np.mean(applied == seg_col_values))
    assignments = pl.DataFrame({
        cfg.id_column: frame.get_column(cfg.id_column),
        "cluster": pl.Series(labels.astype(np.int32) + 1),
        "segment": pl.Series(list(seg_col_values), dtype=pl.String),
    })
    prof_by_id = {p.id: p for p in profiles}
    segments = []
    for c in rules.clusters:
        sid = ids[c]
        p = prof_by_id.get(sid)
        segments.append({
            "id": sid, "cluster": c + 1, "name": cluster_names[c],
            "rule": rules.text(c) if c != rules.default else None,
            "default": c == rules.default,
            "paths": len(rules.paths_of(c)),
            "size": p.size if p else 0, "share": _r(p.share) if p else 0.0,
            "cluster_jaccard": _r(cluster_jac[c]), "rules_jaccard": _r(rule_stab["jaccard"][c]),
        })
    centroids_human = space.centroids_to_human(best.centroids)
    # a larger tree without the condition limit, measured once: what more conditions would buy
    big = 2 * max(g["leaves"] for g in dist.grid)
    deeper_model = D.fit_tree(D.tree_matrix(frame_train[tree_local], infos), labels_train[tree_local],
                              leaves=big, seed=cfg.seed, features=feats)
    deeper = (D.count_leaves(deeper_model), D.tree_path_columns(deeper_model, feats),
              D.fidelity(np.asarray(deeper_model.predict(D.tree_matrix(frame_held, infos))), cl_held))
    goal = D.goal(D.GoalFacts(
        fidelity=fidelity, cost_ratio=cost_ratio, conditions=rules.max_conditions,
        max_conditions=cfg.max_conditions, unrounded=fidelity_raw, tree_fidelity=fidelity_tree,
        tree_conditions=D.tree_path_columns(dist.model, feats), tree_leaves=D.count_leaves(dist.model),
        confusion=D.largest_confusion(rl_held, cl_held, cluster_names), deeper=deeper))
    summary = {
        "format": FORMAT,
        "k": k,
        "k_reason": reason,
        "candidates": [c.to_dict() for c in cands],
        "stability": {
            "bootstraps": best.boots.count,
            "cluster_jaccard": {ids[c]: _r(cluster_jac[c]) for c in range(k)},
            "cluster_ari": _r(best.boots.mean_ari()),
            "rules_jaccard": {ids[c]: _r(rule_stab["jaccard"][c]) for c in range(k)},
            "rules_ari": _r(rule_stab["ari"]),
            "thresholds": {"stable": C.STABLE, "highly_stable": C.HIGHLY_STABLE},
        },
        "fidelity": _r(fidelity),
        "fidelity_unrounded": _r(fidelity_raw),
        "fidelity_tree": _r(fidelity_tree),
        "fidelity_larger_tree": {"leaves": deeper[0], "max_conditions": deeper[1], "fidelity": _r(deeper[2])},
        "goal": goal,
        "cost_ratio": _r(cost_ratio),
        "coverage": _r(coverage),
        "default_share": _r(1 - coverage),
        "held_out_rows": int(len(held)),
        "ruleset_agreement": _r(ruleset_agreement, 6),
        "segments": segments,
        "clusters_without_rule": [c + 1 for c in missing_clusters],
        "rules": {
            "order": [ids[c] for c in rules.clusters],
            "default": ids.get(rules.default) if rules.default is not None else None,
            "max_conditions": rules.max_conditions,
            "unordered_max_conditions": rules.settings.get("unordered_max_conditions"),
            "cut_nodes": rules.settings.get("cut_nodes", 0),
            "tree_leaves": rules.leaves,
            "leaf_budget": dist.leaves,
            "leaf_grid": dist.grid,
            "paths": [{**p.to_dict(), "cluster": p.cluster + 1, "segment": ids[p.cluster]}
                      for p in rules.paths],
        },
        "centroids": [
            # full precision: assign_clusters() places new customers with these exact centroids
            {"cluster": c + 1, "segment": ids[c], "scaled": [float(v) for v in best.centroids[c]],
             "human": {kk: _r(v) for kk, v in centroids_human[c].items()}}
            for c in range(k)],
        "transform": space.to_dict(),
        "profiles": [p.to_dict() for p in profiles],
        "probabilities": prob_source,
        "roles": roles.to_dict(),
        "infinite_values": infinite,  # column -> count of +-inf values, treated as missing
        # the settings as run: features chosen, tree rows capped by the training rows
        "settings": {**asdict(replace(cfg, features=tuple(feats), describe=tuple(roles.describe),
                                      target=roles.target, tree_rows=n_tree)),
                     "rows": n, "data_fingerprint": data_fp},
        "timings": timings,
        "definitions": DEFINITIONS,
    }
    out.mkdir(parents=True, exist_ok=True)
    run = runs.Run(out)
    paths = {"yaml": run.file(runs.RULESET), "json": run.file(runs.SEGMENTS),
             "assignments": run.file(runs.ASSIGNMENTS)}
    ruleset.save(paths["yaml"])
    atomic_write_frame(paths["assignments"], assignments)  # readers never see half a file
    lap("write")
    timings["total"] = round(time.perf_counter() - t0, 3)
    summary = _finite(summary)
    atomic_write_json(paths["json"], summary, allow_nan=False)
    step("Writing files", count=total)
    return SegmentationResult(summary, ruleset, assignments, space, rules, paths)


def assign_clusters(summary: dict | None, frame: pl.DataFrame) -> np.ndarray | None:
    """1-based k-means cluster of every row of ``frame``, from segments.json's stored space.

    Why: clusters of *other* customers must never be joined by id (next month's table reuses
    the ids). A table that is not the one segmentation ran on is placed here instead: the
    stored transform (imputation, log, scaling) and the stored centroids, nearest centroid
    wins, exactly as :func:`toolkit.segments.clustering.assign` placed the original customers (+-inf
    counts as missing, as in segmentation). Returns None when ``summary`` lacks the transform
    or the centroids (an old or hand-made segments.json): callers must then say that fidelity
    to the clusters is not available, not compute it against the wrong clusters. Numbers
    match ``assignments.parquet`` exactly for runs whose segments.json stores full-precision
    centroids (since this version; older runs rounded them to 4 decimals).
    """
    summary = summary or {}
    rows = summary.get("centroids") or []
    if not summary.get("transform") or not rows:
        return None
    try:
        space = SegmentSpace.from_dict(summary["transform"])
        order = sorted(rows, key=lambda r: int(r["cluster"]))
        centroids = np.array([[float(v) for v in r["scaled"]] for r in order], dtype=np.float64)
        numbers = np.array([int(r["cluster"]) for r in order], dtype=np.int32)
    except (KeyError, TypeError, ValueError):
        return None
    if centroids.ndim != 2 or centroids.shape[1] != len(space.dimensions):
        return None
    frame, _ = infinite_to_missing(frame, space.features)
    X = space.transform(frame).astype(np.float32)
    return numbers[C.assign(X, centroids)]


def _finite(value):
    """The summary with NaN/inf as None (JSON has no NaN) and numpy scalars as Python ones."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


DEFINITIONS = {
    "fidelity": "share of held-out customers the rounded rules put in the segment of their k-means cluster",
    "cost_ratio": "k-means cost (sum of squared distances to each part's mean, clustering space) of the "
                  "rule segments divided by that of the clusters, held-out customers",
    "coverage": "share of held-out customers matched by an explicit segment rule; the others fall to "
                "the default segment, which is itself one of the clusters ('everyone else')",
    "cluster_jaccard": "per cluster, mean over bootstraps of the best Jaccard with a refitted cluster, "
                       f"on the resampled customers (Hennig: >= {C.STABLE} stable, >= {C.HIGHLY_STABLE} highly "
                       "stable)",
    "rules_jaccard": "the same for rule segments: the tree is refitted on each bootstrap's clusters",
    "cluster_ari": "mean adjusted Rand index between each refit and the original clustering",
    "rules_ari": "mean adjusted Rand index between each refitted ruleset and the original rules",
}


def _describe(profile: SegmentProfile | None, default: bool) -> str:
    if profile is None:
        return ""
    parts = [d.text for d in profile.differences[:2]]
    text = "; ".join(parts)
    return ("Everyone the rules above do not match. " if default else "") + text


def _base_rate(frame: pl.DataFrame, target: str | None = schema.TARGET_COLUMN) -> float | None:
    """The population's purchase rate, when the table has the target (campaign heuristics)."""
    if target is None or target not in frame.columns:
        return None
    rate = frame.get_column(target).cast(pl.Float64).mean()
    return float(rate) if rate is not None else None


def build_ruleset(rules: D.SegmentRules, ids: dict[int, str], names: dict[int, str],
                  profiles: Sequence[SegmentProfile] = (), *, name: str = "segments",
                  run: str | None = None, data_fingerprint: str | None = None,
                  fidelity: float | None = None, stability: float | None = None,
                  base_rate: float | None = None):
    """The distilled rules as a :class:`toolkit.ruleset.Ruleset` (ordered; the default segment
    is the cluster every other rule leaves over, described as "everyone else").

    Each segment gets a suggested ``campaign`` from its profile (:mod:`toolkit.segments.campaigns`),
    a starting point analysts edit in the YAML.
    """
    from toolkit.segments.campaigns import suggest_campaign
    from toolkit.ruleset import DefaultSegment, Provenance, Ruleset, Segment, slugify

    by_id = {p.id: p for p in profiles}

    def campaign(segment_id: str) -> str | None:
        profile = by_id.get(segment_id)
        return suggest_campaign(profile.to_dict(), base_rate)[0] if profile else None

    segs = [Segment(id=ids[c], name=names[c], description=_describe(by_id.get(ids[c]), False),
                    rule=rules.text(c) or "false", campaign=campaign(ids[c])) for c in rules.ordered]
    if rules.default is not None:
        c = rules.default
        default = DefaultSegment(id=ids[c], name=names[c],
                                 description=_describe(by_id.get(ids[c]), True),
                                 campaign=campaign(ids[c]))
    else:
        used = {s.id for s in segs}
        did = "others" if "others" not in used else slugify("others unassigned")
        default = DefaultSegment(id=did, name="Others", description="Customers no rule matches")
    prov = Provenance(source="distilled", run=run, data_fingerprint=data_fingerprint,
                      fidelity=_r(fidelity), stability=_r(stability), created=Provenance.now())
    return Ruleset(name=slugify(name) if name else "segments", segments=segs, default=default,
                   description="Customer segments distilled from k-means clusters by segkit "
                               "(first matching rule wins)", provenance=prov)
