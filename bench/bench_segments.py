"""Segmentation at 180K rows: k selection, >= 20 bootstraps, distillation, rule stability.

Times the whole ``run_segmentation`` (what ``segkit segment`` runs; target: under 2 minutes
on 2 cores) and, in the same process on the same data and clustering space, peers:

- plain scikit-learn ``KMeans(n_init=10)`` on all rows for the chosen k, no k search and no
  stability (what "just run k-means" costs);
- a full-covariance ``GaussianMixture`` for the chosen k (the alternative to k-means);
- distillation alternatives on the same clusters and held-out customers: a depth-3 CART,
  an unconstrained 12-leaf CART (long paths), HSTree and FIGS.

Writes its section of bench/RESULTS.md between ``<!-- bench_segments -->`` markers.

    .venv/bin/python bench/bench_segments.py --rows 180000 --seed 42
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import numpy as np

from _common import machine, write_section  # also puts the repo root on sys.path

from toolkit.segments import clustering as C  # noqa: E402
from toolkit.segments import distill as D  # noqa: E402
from toolkit.data.generate import generate  # noqa: E402
from toolkit.segments.pipeline import run_segmentation  # noqa: E402


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def ari(a: np.ndarray, b: np.ndarray) -> float:
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    return C.adjusted_rand(C.contingency(ia, ib, ia.max() + 1, ib.max() + 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=180_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--bootstraps", type=int, default=20)
    ap.add_argument("--no-alternatives", action="store_true", help="Skip the distillation peers.")
    ap.add_argument("--no-write", action="store_true", help="Do not update bench/RESULTS.md.")
    args = ap.parse_args()

    frame, truth = generate(args.rows, args.seed)
    latent = truth["latent_type"].to_numpy()
    load_before = os.getloadavg()[0]

    # ---- ours -------------------------------------------------------------------------------
    out = tempfile.mkdtemp(prefix="bench_segments_")
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    result = run_segmentation(frame, out, seed=args.seed, bootstraps=args.bootstraps)
    ours_wall, ours_cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    s = result.summary
    k = s["k"]
    labels = result.assignments["cluster"].to_numpy() - 1
    print(f"ours: k={k} in {ours_wall:.1f} s wall, {ours_cpu:.1f} s CPU")

    # ---- peers: same space ------------------------------------------------------------------
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

    X = result.space.transform(frame).astype(np.float32)
    t = time.perf_counter()
    km = KMeans(n_clusters=k, n_init=10, random_state=args.seed).fit(X)
    km_wall = time.perf_counter() - t
    print(f"peer KMeans(n_init=10) on {len(X):,} rows: {km_wall:.1f} s")
    t = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    sub = rng.choice(len(X), min(40_000, len(X)), replace=False)
    gmm = GaussianMixture(n_components=k, covariance_type="full", n_init=1,
                          random_state=args.seed).fit(X[sub])
    gmm_labels = gmm.predict(X)
    gmm_wall = time.perf_counter() - t
    print(f"peer GMM(full) on 40K + predict: {gmm_wall:.1f} s")

    # ---- distillation alternatives on the same clusters ----------------------------------------
    alt_rows = []
    if not args.no_alternatives:
        import imodels

        perm = np.random.default_rng([args.seed, 11]).permutation(len(frame))
        held = np.sort(perm[:s["held_out_rows"]])
        train = np.sort(perm[s["held_out_rows"]:])
        fit_rows = train[np.random.default_rng(0).choice(len(train), 60_000, replace=False)]
        feats = s["settings"]["features"]
        infos = D.column_infos(frame[fit_rows], feats)
        Xt, Xh = D.tree_matrix(frame[fit_rows], infos), D.tree_matrix(frame[held], infos)
        yt, yh = labels[fit_rows], labels[held]
        Xc = X[held].astype(np.float64)
        base_cost = C.partition_cost(Xc, yh)

        def row(name, pred, seconds, paths, longest, note=""):
            alt_rows.append((name, float(np.mean(pred == yh)), C.partition_cost(Xc, pred) / base_cost,
                             seconds, paths, longest, note))

        row("ours: CART, ordered rules, <= 3 conditions", result.rules.assign(frame[held]),
            s["timings"]["distill"], len(result.rules.paths), result.rules.max_conditions,
            f"leaf budget {s['rules']['leaf_budget']} chosen on validation rows")
        for name, kw in (("CART depth 3 (plain paths)", dict(max_depth=3)),
                         ("CART 12 leaves, unconstrained paths", dict(max_leaf_nodes=12))):
            t = time.perf_counter()
            m = imodels.GreedyTreeClassifier(random_state=0, **kw).fit(Xt, yt, feature_names=feats)
            sec = time.perf_counter() - t
            raw = D.tree_rules(m, feats, infos, max_conditions=99, rounded=True)
            row(name, m.predict(Xh), sec, int((m.tree_.children_left == -1).sum()),
                raw.settings["unordered_max_conditions"], "standalone paths (no order)")
        t = time.perf_counter()
        hs = D.fit_tree(Xt, yt, leaves=s["rules"]["leaf_budget"], seed=0, features=feats, kind="hs")
        sec = time.perf_counter() - t
        hs_rules = D.tree_rules(hs, feats, infos, max_conditions=3)
        row("HSTree, ordered rules, <= 3 conditions", hs_rules.assign(frame[held]), sec,
            len(hs_rules.paths), hs_rules.max_conditions, "shrinkage rarely changes a leaf's majority")
        t = time.perf_counter()
        figs = imodels.FIGSClassifier(max_rules=12, random_state=0).fit(Xt[:30_000], yt[:30_000],
                                                                         feature_names=feats)
        sec = time.perf_counter() - t
        row("FIGS 12 rules (30K rows)", np.asarray(figs.predict(Xh)).astype(int), sec, None, None,
            "sum of trees: no per-customer path")
        for r in alt_rows:
            print(f"  {r[0]}: fidelity {r[1]:.4f}, cost ratio {r[2]:.3f}, {r[3]:.1f} s")

    load_after = os.getloadavg()[0]
    st = s["stability"]
    tm = s["timings"]
    jac_rows = "\n".join(
        f"| {seg['id']} | {seg['name']} | {seg['share']:.1%} | {seg['cluster_jaccard']:.3f} | "
        f"{seg['rules_jaccard']:.3f} | `{seg['rule'] or '(default: everyone else)'}` |"
        for seg in s["segments"])
    cand_rows = "\n".join(
        f"| {c['k']} | {c['silhouette']:.3f} | {c['stability']:.3f} | {c['min_jaccard']:.3f} | "
        f"{c['inertia']:.3f} | {c['bootstraps']} | {'**chosen**' if c['chosen'] else ''} |"
        for c in s["candidates"])
    alt_md = ""
    if alt_rows:
        alt_md = ("\n\nDistillation alternatives on the same clusters (tree fitted on 60K training "
                  "customers, measured on the held-out ones):\n\n"
                  "| tree | fidelity | cost ratio | fit s | leaves/paths | longest path | note |\n"
                  "|---|---:|---:|---:|---:|---:|---|\n" + "\n".join(
                      f"| {n} | {f:.4f} | {c:.3f} | {sec:.1f} | {p if p is not None else '-'} | "
                      f"{lp if lp is not None else '-'} | {note} |"
                      for n, f, c, sec, p, lp, note in alt_rows))
    md = f"""## Segments: k-means + bootstrap stability + distilled rules (`bench/bench_segments.py`)

Command: `.venv/bin/python bench/bench_segments.py --rows {args.rows} --seed {args.seed}`  
Machine: {machine()}; load average {load_before:.1f} before / {load_after:.1f} after
(other jobs shared the 2 cores, so wall times are upper bounds).

**`run_segmentation` on {args.rows:,} customers: {ours_wall:.1f} s wall ({ours_cpu:.1f} s CPU)**,
target < 120 s: {'met' if ours_wall < 120 else 'NOT met'}. It tried k = {s['settings']['k_min']}..{s['settings']['k_max']}
with {s['settings']['candidate_bootstraps']} bootstraps each, then {st['bootstraps']} bootstraps for the chosen
k, each with a k-means refit (n_init {s['settings']['n_init']} on {s['settings']['fit_rows']:,} rows) and a tree refit.
Stages (s): space {tm['space']}, candidates {tm['candidates']}, chosen-k bootstraps
{tm['cluster_bootstraps']}, distillation {tm['distill']}, rule stability {tm['rule_stability']},
profiles {tm['profiles']}, writing {tm['write']}.

Peers on the same clustering space, same process:

| method | seconds | ratio ours / peer | ARI vs latent types | note |
|---|---:|---:|---:|---|
| ours (`run_segmentation`) | {ours_wall:.1f} | 1.00 | {ari(latent, labels):.3f} | k search + {st['bootstraps']} bootstraps + rules + rule stability |
| sklearn `KMeans(n_init=10)`, all rows, k={k} | {km_wall:.1f} | {ours_wall / km_wall:.1f} | {ari(latent, km.labels_):.3f} | no k search, no stability, no rules; ARI vs ours {ari(labels, km.labels_):.3f} |
| `GaussianMixture(full)`, 40K fit + predict, k={k} | {gmm_wall:.1f} | {ours_wall / gmm_wall:.1f} | {ari(latent, gmm_labels):.3f} | one fit, no stability |

Chosen k = {k} ({s['k_reason']}). Candidates:

| k | silhouette (10K) | mean Jaccard | min Jaccard | inertia | bootstraps | |
|---|---:|---:|---:|---:|---:|---|
{cand_rows}

Held-out ({s['held_out_rows']:,} customers): **fidelity {s['fidelity']:.4f}** (before rounding
{s['fidelity_unrounded']:.4f}), **cost ratio {s['cost_ratio']:.3f}**, coverage {s['coverage']:.3f}
(share matched by an explicit rule; the rest is the default segment, itself a cluster).
Cluster ARI {st['cluster_ari']:.4f}, **rules ARI {st['rules_ari']:.4f}** (tree refitted on every bootstrap).
Longest path: {s['rules']['max_conditions']} conditions (the same tree's standalone paths: up to
{s['rules']['unordered_max_conditions']}); tree nodes cut to respect the 3-condition budget: {s['rules']['cut_nodes']}.
Leaf budgets tried (validation fidelity): {', '.join(f"{g['leaves']}: {g['validation_fidelity']}" for g in s['rules']['leaf_grid'])}.

| segment | name | share | cluster Jaccard | rules Jaccard | rule |
|---|---|---:|---:|---:|---|
{jac_rows}{alt_md}
"""
    print(md)
    if not args.no_write:
        write_section("bench_segments", md)
        print("updated bench/RESULTS.md")


if __name__ == "__main__":
    main()
