"""Quality check of the synthetic sample: speed, prevalence, oracle, segment recovery, EBM gap.

    .venv/bin/python bench/check_generator.py --rows 180000 --seed 42 [--ebm] [--big 2400000]

Oracle = ranking by the generator's true_probability. The EBM check trains on a 60K-row
stratified split of the 35 features (threshold chosen on a 30K validation split, measured on
the remaining rows), the setting of the product's acceptance bar (test AUC >= 0.82,
F1 >= 0.68, within 0.015 of the oracle).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import polars as pl
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, precision_recall_curve, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import RobustScaler

from toolkit import schema
from toolkit.data.generate import generate


def best_f1(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    i = int(np.argmax(f1[:-1]))
    return float(f1[i]), float(thresholds[i])


def f1_at(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    pred = p >= threshold
    tp = float((pred & (y == 1)).sum())
    return 2 * tp / max(float(pred.sum() + (y == 1).sum()), 1.0)


def segment_numeric(frame: pl.DataFrame) -> list[str]:
    return [c.name for c in schema.COLUMNS
            if c.group != "profile" and not c.is_categorical]


def kmeans_ari(customers: pl.DataFrame, types: np.ndarray, seed: int) -> dict[str, float]:
    out = {}
    names = segment_numeric(customers)
    x = customers.select(names).cast(pl.Float64).to_numpy()
    med = np.nanmedian(x, axis=0)
    x = np.where(np.isnan(x), med, x)
    z = RobustScaler().fit_transform(np.log1p(x))
    out["robust_log1p_all"] = adjusted_rand_score(
        types, KMeans(6, n_init=10, random_state=seed).fit_predict(z))
    try:
        from toolkit.segments.space import fit_space
        space = fit_space(customers)
        z2 = space.transform(customers)
        out["segment_space"] = adjusted_rand_score(
            types, KMeans(6, n_init=10, random_state=seed).fit_predict(z2))
    except ImportError:
        pass
    return out


def ebm_check(customers: pl.DataFrame, p_true: np.ndarray, seed: int) -> dict[str, float]:
    from interpret.glassbox import ExplainableBoostingClassifier

    y = customers.get_column(schema.TARGET_COLUMN).to_numpy().astype(int)
    idx = np.arange(len(y))
    train, rest = train_test_split(idx, train_size=60_000, stratify=y, random_state=seed)
    valid, test = train_test_split(rest, train_size=30_000, stratify=y[rest], random_state=seed)
    cats = [c.name for c in schema.COLUMNS if c.is_categorical]
    pdf = customers.select(schema.FEATURES).with_columns(
        [pl.col(c).cast(pl.String) for c in cats]).to_pandas()
    for c in cats:
        pdf[c] = pdf[c].astype(object)
    nums = [c for c in schema.FEATURES if c not in cats]
    pdf[nums] = pdf[nums].astype(float)
    types = ["nominal" if c in cats else "continuous" for c in schema.FEATURES]
    ebm = ExplainableBoostingClassifier(feature_types=types, outer_bags=4, interactions=10,
                                        n_jobs=2, random_state=seed)
    started = time.perf_counter()
    ebm.fit(pdf.iloc[train], y[train])
    fit_s = time.perf_counter() - started
    pv = ebm.predict_proba(pdf.iloc[valid])[:, 1]
    pt = ebm.predict_proba(pdf.iloc[test])[:, 1]
    _, thr = best_f1(y[valid], pv)
    _, othr = best_f1(y[valid], p_true[valid])
    auc = roc_auc_score(y[test], pt)
    oauc = roc_auc_score(y[test], p_true[test])
    top = sorted(zip(ebm.term_importances(), ebm.term_names_), reverse=True)[:12]
    print("EBM top terms:", ", ".join(f"{n} ({v:.3f})" for v, n in top))
    return {"fit_seconds": fit_s, "ebm_test_auc": auc, "oracle_test_auc": oauc,
            "gap": oauc - auc, "ebm_test_f1@valid_thr": f1_at(y[test], pt, thr),
            "oracle_test_f1@valid_thr": f1_at(y[test], p_true[test], othr),
            "ebm_best_test_f1": best_f1(y[test], pt)[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=180_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--ebm", action="store_true")
    ap.add_argument("--big", type=int, default=0, help="also time this many rows")
    args = ap.parse_args()

    started = time.perf_counter()
    customers, truth = generate(args.rows, args.seed)
    print(f"generate({args.rows:,}, {args.seed}): {time.perf_counter() - started:.2f} s")
    y = customers.get_column(schema.TARGET_COLUMN).to_numpy()
    p = truth.get_column("true_probability").to_numpy()
    f1, _ = best_f1(y, p)
    print(f"positive rate {y.mean():.4f}  oracle AUC {roc_auc_score(y, p):.4f}  oracle best F1 {f1:.4f}")
    types = truth.get_column("latent_type").to_numpy()
    for name, ari in kmeans_ari(customers, types, args.seed).items():
        print(f"k-means (k=6) ARI vs latent types [{name}]: {ari:.3f}")
    if args.ebm:
        for k, v in ebm_check(customers, p, args.seed).items():
            print(f"{k}: {v:.4f}")
    if args.big:
        del customers, truth
        started = time.perf_counter()
        big, _ = generate(args.big, args.seed)
        print(f"generate({args.big:,}, {args.seed}): {time.perf_counter() - started:.2f} s, "
              f"positive rate {big.get_column(schema.TARGET_COLUMN).mean():.4f}, "
              f"frame {big.estimated_size() / 2**20:.0f} MiB")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
