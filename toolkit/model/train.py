"""Training the purchase model: split, audit, fit the EBM, choose the threshold, evaluate.

The order is what keeps the numbers honest:

1. split the rows (stratified, seeded) into train / validation / test before anything is
   fitted, and record the split;
2. audit the features for leakage on the training rows only;
3. fit the EBM on the training rows;
4. choose the decision threshold on the validation rows (maximising F1);
5. measure once on the test rows, with baselines fitted on the same split.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split

from toolkit.model import features as feats
from toolkit.data import io
from toolkit.model import leakage
from toolkit.model import metrics
from toolkit import policy
from toolkit.errors import DataError, SegkitError
from toolkit.data.files import atomic_write_frame, atomic_write_json
from toolkit.model.model_input import FeatureSpec, describe_infinite, infinite_to_missing, merge_counts, to_model_input
from toolkit.schema import BY_NAME
from toolkit.model.train_plan import INTERACTION_CANDIDATES, MAX_CATEGORY_LEVELS, make_plan, sql_size_message

if TYPE_CHECKING:
    from toolkit.model.scorecard import Scorecard

Progress = Callable[[str], None]


@dataclass
class TrainConfig:
    """What to train on and how. Defaults fit a 180K-row table in a few minutes on 2 cores."""

    target: str
    id_column: str
    features: list[str] | None = None          # default: every column but the id, target and ignore
    # columns that are never features (a roles file's ``ignore``, toolkit.data.roles_file)
    ignore: tuple[str, ...] = ()
    roles_file: str | None = None              # where id / target / ignore came from, recorded
    allow_features: tuple[str, ...] = ()       # leakage-audit overrides
    derived: bool = True                       # add the derived ratios of toolkit.model.features
    seed: int = 42
    test_size: float = 0.2
    validation_size: float = 0.2
    outer_bags: int = 4                        # 14 (default) costs ~10x the time for ~0.001 AUC
    interactions: int = 10                     # pairwise terms; the default ~100 took 23 min
    max_bins: int = 1024
    n_jobs: int = 2
    # toolkit.model.train_plan: wide or high-cardinality input (0 switches each off)
    max_category_levels: int = MAX_CATEGORY_LEVELS   # more levels: keep the most frequent, rest "(other)"
    interaction_candidates: int = INTERACTION_CANDIDATES  # pairs searched among these on wide tables
    # targets the user declares (`segkit train --target-auc/--target-f1`); without them the
    # brief's bars apply to the brief's sample only, and other tables are judged by baselines
    target_auc: float | None = None
    target_f1: float | None = None


@dataclass
class TrainResult:
    scorecard: "Scorecard"
    metrics: dict
    split: pl.DataFrame                         # id, split
    feature_specs: list[FeatureSpec] = field(default_factory=list)
    ebm: object = None


def split_rows(y: np.ndarray, *, seed: int, test_size: float, validation_size: float) -> np.ndarray:
    """Label every row 'train', 'validation' or 'test', stratified on the target."""
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    valid_share = validation_size / (1.0 - test_size)
    train, valid = train_test_split(rest, test_size=valid_share, stratify=y[rest], random_state=seed + 1)
    labels = np.empty(len(y), dtype=object)
    labels[train], labels[valid], labels[test] = "train", "validation", "test"
    return labels


MIN_ROWS_PER_CLASS = 20


def _check_enough_rows(y: np.ndarray) -> None:
    """Every split needs buyers and non-buyers, or its metrics mean nothing."""
    positives = int(y.sum())
    negatives = int(len(y) - positives)
    if min(positives, negatives) < MIN_ROWS_PER_CLASS:
        raise DataError(
            f"too few rows to train and evaluate: {len(y):,} rows with {positives:,} buyers and "
            f"{negatives:,} non-buyers; the train / validation / test split needs at least "
            f"{MIN_ROWS_PER_CLASS} of each (a few thousand customers give meaningful metrics)")


def _logistic_baseline(frames: dict[str, pl.DataFrame], y: dict[str, np.ndarray],
                       specs: list[FeatureSpec], seed: int) -> dict[str, np.ndarray]:
    """A regularised logistic regression on the same features: the simple peer to beat."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [s.name for s in specs if s.type == "continuous"]
    nominal = [s.name for s in specs if s.type == "nominal"]

    def prepare(frame: pl.DataFrame):
        out = frame.select(
            [pl.col(c).cast(pl.Float64).fill_nan(None) for c in numeric]
            + [pl.col(c).cast(pl.Utf8).fill_null("(missing)") for c in nominal]
        )
        return out.to_pandas()

    model = make_pipeline(
        ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                keep_empty_features=True), StandardScaler()), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=20), nominal),
        ]),
        LogisticRegression(max_iter=2000, C=1.0, random_state=seed),
    )
    model.fit(prepare(frames["train"]), y["train"])
    return {name: model.predict_proba(prepare(frames[name]))[:, 1] for name in ("validation", "test")}


RECENCY_NAMES = ("days_since_last_purchase", "days_since_last_order", "recency_days", "recency")
"""Columns read as "days since the customer last bought", in order of preference."""


def recency_column(features: list[str]) -> str | None:
    """The feature that says how long ago the customer last bought, if the table has one.

    The sample's ``days_since_last_purchase`` first; otherwise a name from
    :data:`RECENCY_NAMES`, or the one feature starting ``days_since_last``.
    """
    for name in RECENCY_NAMES:
        if name in features:
            return name
    candidates = [f for f in features if f.startswith("days_since_last")]
    return candidates[0] if len(candidates) == 1 else None


def _recency_baseline(frames: dict[str, pl.DataFrame], y: dict[str, np.ndarray], column: str,
                      seed: int) -> dict[str, np.ndarray]:
    """Recency alone: a logistic regression on log1p(days since the last purchase) plus a
    "never bought / unknown" indicator, fitted on the training rows. It ranks customers by how
    recently they bought (the rule of thumb every lifecycle marketer starts from) and gives
    calibrated probabilities, so its threshold, F1 and Brier score compare with the others."""
    from sklearn.linear_model import LogisticRegression

    def prepare(frame: pl.DataFrame) -> np.ndarray:
        days = frame.get_column(column).cast(pl.Float64).fill_nan(None).to_numpy()
        missing = ~np.isfinite(days)
        logged = np.log1p(np.clip(np.where(missing, 0.0, days), 0.0, None))
        return np.column_stack([logged, missing.astype(float)])

    model = LogisticRegression(max_iter=1000, random_state=seed)
    model.fit(prepare(frames["train"]), y["train"])
    return {name: model.predict_proba(prepare(frames[name]))[:, 1] for name in ("validation", "test")}


def _baseline_metrics(y_valid: np.ndarray, y_test: np.ndarray, p_valid: np.ndarray,
                      p_test: np.ndarray) -> dict:
    threshold, _ = metrics.best_f1_threshold(y_valid, p_valid)
    return metrics.headline(y_test, p_test, threshold)


def train(frame: pl.DataFrame, config: TrainConfig, *, truth: pl.DataFrame | None = None,
          progress: Progress | None = None) -> TrainResult:
    """Fit the EBM on ``frame`` and evaluate it on a held-out split. See the module docstring."""
    from interpret.glassbox import ExplainableBoostingClassifier

    from toolkit.model.scorecard import compile_ebm

    say = progress or (lambda message: None)
    started = time.perf_counter()
    expected_numeric = [c for c in frame.columns if c in BY_NAME and not BY_NAME[c].is_categorical]
    ignored = _ignored_columns(frame, config)
    features = config.features
    if features is None and ignored:
        features = [c for c in frame.columns if c not in (config.id_column, config.target, *ignored)]
        if not features:
            raise DataError(f"no feature columns: the table has only the id, the target and the "
                            f"columns ignored ({', '.join(ignored)})")
    feature_names = io.validate_training_table(frame, target=config.target, id_column=config.id_column,
                                               features=features, expected_numeric=expected_numeric)
    _check_targets(config)
    y_all = io.binary_target(frame, config.target).to_numpy().astype(int)
    types = io.infer_feature_types(frame, feature_names)
    # +-inf is missing in every command (toolkit.model.model_input.infinite_to_missing); `frame`
    # itself stays as read, so the data fingerprint matches the file.
    inputs, infinite = infinite_to_missing(frame, feature_names)
    if infinite:
        io.check_all_null(inputs, feature_names)
        say(describe_infinite(infinite))

    _check_enough_rows(y_all)
    say("Splitting rows into train / validation / test")
    labels = split_rows(y_all, seed=config.seed, test_size=config.test_size,
                        validation_size=config.validation_size)
    split = pl.DataFrame({config.id_column: frame.get_column(config.id_column),
                          "split": pl.Series(labels, dtype=pl.Utf8)})
    masks = {name: labels == name for name in ("train", "validation", "test")}

    derived = feats.applicable(feats.DERIVED, frame.columns) if config.derived else []
    derived = [d for d in derived if d.numerator in feature_names and d.denominator in feature_names]
    engineered = feats.add_derived(inputs, derived)
    # a ratio of finite inputs can still overflow (beyond ~1e300): missing as well
    engineered, overflow = infinite_to_missing(engineered, [d.name for d in derived])
    merge_counts(infinite, overflow)
    all_features = feature_names + [d.name for d in derived]
    types.update({d.name: "continuous" for d in derived})

    frames = {name: engineered.filter(pl.Series(mask)) for name, mask in masks.items()}
    y = {name: y_all[mask] for name, mask in masks.items()}

    say("Auditing features for leakage")
    report = leakage.audit(frames["train"], y["train"], all_features, types,
                           id_column=config.id_column, target=config.target,
                           allow=config.allow_features, seed=config.seed)
    leakage.raise_if_refused(report)

    specs = [FeatureSpec(name, types[name]) for name in all_features]
    plan = make_plan(frames["train"], specs, interactions=config.interactions,
                     single_feature_auc=report.single_feature_auc,
                     max_category_levels=config.max_category_levels,
                     interaction_candidates=config.interaction_candidates)
    for message in plan.messages:
        say(message)
    raw_test = frames["test"]   # the scorecard check scores raw values, rare levels included
    frames = {name: plan.apply(f) for name, f in frames.items()}
    excluded = plan.excluded_pairs([s.name for s in specs])

    say(f"Fitting the EBM on {int(masks['train'].sum()):,} rows "
        f"({len(specs)} features, {config.interactions} interactions, {config.outer_bags} bags)")
    fit_started = time.perf_counter()
    ebm = ExplainableBoostingClassifier(
        feature_names=[s.name for s in specs], feature_types=[s.type for s in specs],
        interactions=config.interactions, outer_bags=config.outer_bags, max_bins=config.max_bins,
        n_jobs=config.n_jobs, random_state=config.seed, exclude=excluded or None,
    )
    with warnings.catch_warnings():
        # interpret warns that its plots hide missing values; the scorecard keeps and shows them.
        warnings.filterwarnings("ignore", message="Missing values detected")
        ebm.fit(to_model_input(frames["train"], specs), y["train"])
    fit_seconds = time.perf_counter() - fit_started

    say("Choosing the threshold on validation rows and measuring on test rows")
    p_valid = ebm.predict_proba(to_model_input(frames["validation"], specs))[:, 1]
    x_test = to_model_input(frames["test"], specs)
    p_test = ebm.predict_proba(x_test)[:, 1]
    threshold, valid_f1 = metrics.best_f1_threshold(y["validation"], p_valid)

    result_metrics: dict = {
        "test": metrics.full_report(y["test"], p_test, threshold),
        "validation": {**metrics.headline(y["validation"], p_valid, threshold), "best_f1": valid_f1},
    }

    say("Fitting baselines on the same split")
    base_rate = float(y["train"].mean())
    baselines = {
        "base_rate": metrics.headline(y["test"], np.full(len(y["test"]), base_rate), base_rate),
    }
    recency = recency_column([spec.name for spec in specs])
    if recency is not None:
        rec = _recency_baseline(frames, y, recency, config.seed)
        baselines["recency"] = {**_baseline_metrics(y["validation"], y["test"], rec["validation"],
                                                    rec["test"]), "column": recency}
    logit = _logistic_baseline(frames, y, specs, config.seed)
    baselines["logistic_regression"] = _baseline_metrics(y["validation"], y["test"],
                                                         logit["validation"], logit["test"])
    if truth is not None:
        oracle = _oracle(frame, truth, config.id_column, masks)
        if oracle is not None:
            baselines["oracle"] = _baseline_metrics(y["validation"], y["test"], *oracle)
    result_metrics["baselines"] = baselines

    data_fingerprint = io.fingerprint(frame)
    result_metrics["training"] = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data_fingerprint": data_fingerprint,
        "rows": {name: int(mask.sum()) for name, mask in masks.items()},
        "target": config.target,
        "id_column": config.id_column,
        "features": {s.name: s.type for s in specs},
        "derived_features": [d.to_dict() for d in derived],
        "settings": {k: v for k, v in asdict(config).items() if k not in ("features",)},
        "roles": {"file": config.roles_file, "ignored": ignored},   # never features
        "fit_seconds": round(fit_seconds, 2),
        "total_seconds": None,
        "terms": len(ebm.term_names_),
        "plan": plan.to_dict(),
        "infinite_values": infinite,            # column -> count, each treated as missing
    }
    result_metrics["leakage"] = report.to_dict()
    result_metrics["targets"] = policy.declare_targets(
        brief_sample=policy.is_brief_sample([c for c in frame.columns if c != config.id_column], config.target),
        roc_auc=config.target_auc, f1=config.target_f1).to_dict()

    say("Compiling the scorecard")
    scorecard = compile_ebm(
        ebm, specs, derived, threshold=threshold, id_column=config.id_column, other=plan.other,
        metadata={
            "data_fingerprint": data_fingerprint,
            "trained_at": result_metrics["training"]["trained_at"],
            "target": config.target,
            "metrics": {k: result_metrics["test"][k] for k in ("roc_auc", "pr_auc", "f1", "precision", "recall")},
        },
    )
    check = np.asarray(scorecard.predict_proba(raw_test), dtype=float)
    sql_bytes = len(scorecard.to_sql().encode("utf-8"))
    result_metrics["training"]["sql_bytes"] = sql_bytes   # default dialect (duckdb)
    warning = sql_size_message(sql_bytes)
    if warning:
        result_metrics["training"]["sql_warning"] = warning
        say(warning)
    result_metrics["scorecard_check"] = {
        "rows": int(len(check)),
        "max_abs_difference_vs_interpret": float(np.max(np.abs(check - p_test))) if len(check) else 0.0,
    }
    result_metrics["training"]["total_seconds"] = round(time.perf_counter() - started, 2)
    return TrainResult(scorecard=scorecard, metrics=result_metrics, split=split,
                       feature_specs=specs, ebm=ebm)


def _ignored_columns(frame: pl.DataFrame, config: TrainConfig) -> list[str]:
    """``config.ignore`` checked against the table (an unknown name is one line, like a roles
    file's in ``segkit segment``); the id and the target are never features anyway."""
    where = f"roles file {Path(config.roles_file).name}" if config.roles_file else "ignore"
    unknown = [c for c in dict.fromkeys(config.ignore) if c not in frame.columns]
    if unknown:
        raise DataError(f"{where}: no column {', '.join(map(repr, unknown))} in the table")
    ignored = [c for c in dict.fromkeys(config.ignore) if c not in (config.id_column, config.target)]
    clash = [c for c in ignored if config.features is not None and c in config.features]
    if clash:
        raise SegkitError(f"{', '.join(map(repr, clash))} is both a chosen feature and ignored by the {where}")
    return ignored


def _check_targets(config: TrainConfig) -> None:
    """A declared target outside [0, 1] is a user mistake: one line, before any work."""
    for flag, value in (("--target-auc", config.target_auc), ("--target-f1", config.target_f1)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise SegkitError(f"{flag} must be between 0 and 1, got {value:g}")


def _oracle(frame: pl.DataFrame, truth: pl.DataFrame, id_column: str,
            masks: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """The generator's own probabilities for validation and test rows (the ceiling)."""
    if "true_probability" not in truth.columns or id_column not in truth.columns:
        return None
    joined = frame.select(id_column).join(truth.select(id_column, "true_probability"),
                                          on=id_column, how="left", maintain_order="left")
    p = joined.get_column("true_probability").to_numpy()
    if np.isnan(p.astype(float)).any():
        return None
    return p[masks["validation"]], p[masks["test"]]


def train_file(data: str | Path, config: TrainConfig, out: str | Path, *,
               progress: Progress | None = None) -> TrainResult:
    """Train on a CSV/Parquet file and save the run into ``out``.

    When the generator's ``<stem>.truth.parquet`` lies beside ``data``, its true
    probabilities become the oracle baseline.
    """
    from toolkit.data.generate import truth_path

    _check_run_outputs(out, inputs=[data])  # before the fit, not 25 s after it
    frame = io.load_table(data)
    truth_file = truth_path(data)
    truth = pl.read_parquet(truth_file) if truth_file.exists() else None
    result = train(frame, config, truth=truth, progress=progress)
    save_run(result, out)
    return result


def save_run(result: TrainResult, run_dir: str | Path) -> Path:
    """Write scorecard.json, metrics.json and split.parquet (:data:`toolkit.run.folder.TRAIN_OUTPUTS`)
    into ``run_dir``, each atomically."""
    from toolkit.run.folder import METRICS, SCORECARD, SPLIT, Run

    _check_run_outputs(run_dir)
    run = Run(run_dir)
    run.path.mkdir(parents=True, exist_ok=True)
    result.scorecard.save(run.file(SCORECARD))
    atomic_write_json(run.file(METRICS), result.metrics)
    atomic_write_frame(run.file(SPLIT), result.split)
    return run.path


def _check_run_outputs(run_dir: str | Path, inputs: list = ()) -> Path:
    """The run folder and the files training writes into it, checked before any work."""
    from toolkit.data.outputs import check_outputs

    from toolkit.run.folder import TRAIN_OUTPUTS, Run

    run = Run(run_dir)
    check_outputs(inputs=inputs, folders=[run.path], outputs=[run.file(name) for name in TRAIN_OUTPUTS])
    return run.path

