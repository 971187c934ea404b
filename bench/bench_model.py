"""The EBM against LightGBM (the black-box peer) on the same 180K sample and the same split.

Both get the same engineered features, the same train / validation / test rows, and a
threshold chosen on validation rows; AUC and F1 are measured on test rows. LightGBM uses
early stopping on the validation rows (its best case). Writes the ``bench_model`` section of
bench/RESULTS.md.

    python bench/bench_model.py [--rows 180000] [--seed 42]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from _common import machine, write_section

from toolkit.model import metrics
from toolkit.data.generate import generate
from toolkit.schema import ID_COLUMN, TARGET_COLUMN
from toolkit.model.train import TrainConfig, train


def lightgbm_peer(result, frame: pl.DataFrame, seed: int) -> dict:
    import lightgbm as lgb

    from toolkit.model import features as feats
    from toolkit.model.model_input import to_model_input

    specs = result.feature_specs
    derived = [feats.Ratio.from_dict(d) for d in result.metrics["training"]["derived_features"]]
    engineered = feats.add_derived(frame, derived)
    split = result.split.get_column("split").to_numpy()
    y = frame.get_column(TARGET_COLUMN).to_numpy()
    X = to_model_input(engineered, specs)
    for s in specs:
        if s.type == "nominal":
            X[s.name] = X[s.name].astype("category")
    parts = {name: split == name for name in ("train", "validation", "test")}
    model = lgb.LGBMClassifier(n_estimators=2000, learning_rate=0.03, num_leaves=31,
                               min_child_samples=50, subsample=0.8, subsample_freq=1,
                               colsample_bytree=0.8, random_state=seed, n_jobs=2, verbose=-1)
    started = time.perf_counter()
    model.fit(X[parts["train"]], y[parts["train"]],
              eval_set=[(X[parts["validation"]], y[parts["validation"]])],
              callbacks=[lgb.early_stopping(100, verbose=False)])
    fit_seconds = time.perf_counter() - started
    p_valid = model.predict_proba(X[parts["validation"]])[:, 1]
    p_test = model.predict_proba(X[parts["test"]])[:, 1]
    threshold, _ = metrics.best_f1_threshold(y[parts["validation"]], p_valid)
    out = metrics.headline(y[parts["test"]], p_test, threshold)
    out["fit_seconds"] = fit_seconds
    out["trees"] = int(model.best_iteration_ or model.n_estimators)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=180_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    frame, truth = generate(args.rows, args.seed)
    result = train(frame, TrainConfig(target=TARGET_COLUMN, id_column=ID_COLUMN, seed=args.seed),
                   truth=truth, progress=print)
    ebm = result.metrics["test"]
    ebm_fit = result.metrics["training"]["fit_seconds"]
    lgbm = lightgbm_peer(result, frame, args.seed)
    oracle = result.metrics["baselines"].get("oracle", {})
    logit = result.metrics["baselines"]["logistic_regression"]

    rows = [
        ("EBM (segkit: 4 outer bags, 10 pairs)", ebm, ebm_fit),
        (f"LightGBM ({lgbm['trees']} trees, early stopping)", lgbm, lgbm["fit_seconds"]),
        ("logistic regression", logit, None),
        ("oracle (true probability)", oracle, None),
    ]
    lines = [
        "## Model: EBM vs LightGBM on the same split (`bench/bench_model.py`)",
        "",
        f"Command: `python bench/bench_model.py --rows {args.rows} --seed {args.seed}`  ",
        f"Machine: {machine()}",
        f"Rows: {args.rows:,} (train {result.metrics['training']['rows']['train']:,}, validation "
        f"{result.metrics['training']['rows']['validation']:,}, test {result.metrics['training']['rows']['test']:,}); "
        "thresholds chosen on validation rows, metrics on test rows.",
        "",
        "| model | test ROC-AUC | test F1 | PR-AUC | fit seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, m, fit in rows:
        if not m:
            continue
        lines.append(f"| {name} | {m['roc_auc']:.4f} | {m['f1']:.4f} | {m['pr_auc']:.4f} | "
                     + (f"{fit:.1f}" if fit is not None else "-") + " |")
    gap = lgbm["roc_auc"] - ebm["roc_auc"]
    lines += [
        "",
        f"AUC gap LightGBM - EBM: {gap:+.4f} (target: within 0.005). "
        f"EBM fit time / LightGBM fit time: {ebm_fit / lgbm['fit_seconds']:.1f}x.",
    ]
    if oracle:
        lines.append(f"Gap oracle - EBM: {oracle['roc_auc'] - ebm['roc_auc']:+.4f} (target: within 0.015).")
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("bench_model", text)


if __name__ == "__main__":
    main()
