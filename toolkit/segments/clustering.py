"""k-means, the choice of k, and bootstrap stability (Hennig's clusterboot).

Why k-means and not a Gaussian mixture: segments must be distilled into short rules and
reported with a cost ("price of explainability") that is defined for k-means partitions;
k-means on robust-scaled, log-transformed columns gives compact, roughly convex groups that
axis-aligned rules approximate well, and a fitted model is just k centroids (plain data in
``segments.json``). Measured on the 180K sample (``bench/bench_segments.py``): one k-means
fit (4 starts, 40K rows) takes ~0.3 s single-threaded and recovers the generator's latent
types at ARI 0.95; one full-covariance GMM (40K rows + predict) takes ~16 s and reaches ARI
0.74: on count data with many ties (zeros) its components stretch along the ties, and 28
bootstrap refits x 5 candidates would cost minutes.

Speed: every fit runs on a random subsample of ``fit_rows`` rows (default 40,000) with
``n_init`` k-means++ starts, and the remaining rows are assigned to the nearest centroid.
With well over a thousand points per cluster the centroids of a 40K sample are as good as
those of the full table, and the whole procedure (subsample, fit, assign) is what the
bootstrap measures, so the stability figures describe exactly what is shipped.

Stability (clusterboot): each bootstrap draws n rows with replacement, refits k-means on it
(same procedure), assigns the distinct resampled rows, and compares with the original
clustering *on those rows*: per original cluster the best Jaccard with any refit cluster,
and the adjusted Rand index of the two partitions. Hennig's reading of the mean Jaccard:
<= 0.5 dissolved, < 0.6 not to trust, 0.6-0.75 a pattern, >= 0.75 stable, >= 0.85 highly
stable. Resample b uses the seed ``(seed, b)`` whatever k is, so the candidates are compared
on the same resamples and the first bootstraps of the chosen k are reused, not redone.

Choosing k (documented rule, see :func:`choose_k`): the candidates whose clusters are all
stable (min cluster Jaccard >= 0.75) are kept; among them the one with the best
``silhouette + mean Jaccard`` wins (both on a 0-1 scale, silhouette on a 10K sample).
Silhouette alone prefers few clusters once clusters overlap, and stability alone prefers
whatever k splits the data the same way every time (often the smallest); the sum rewards a
k that is both well separated and reproducible. When no candidate is stable, the most
stable one (mean Jaccard) is chosen and the run says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans

from toolkit.policy import HIGHLY_STABLE_JACCARD as HIGHLY_STABLE
from toolkit.policy import STABLE_JACCARD as STABLE


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def assign(X: np.ndarray, centroids: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Index of the nearest centroid per row (squared Euclidean), in chunks to bound memory."""
    c = np.asarray(centroids, dtype=X.dtype)
    cc = (c * c).sum(axis=1)
    out = np.empty(X.shape[0], dtype=np.int32)
    for start in range(0, X.shape[0], chunk):
        part = X[start:start + chunk]
        out[start:start + chunk] = np.argmin(cc[None, :] - 2.0 * part @ c.T, axis=1)
    return out


def fit_kmeans(X: np.ndarray, k: int, *, seed: int, n_init: int = 4, fit_rows: int = 40_000,
               rows: np.ndarray | None = None) -> np.ndarray:
    """Centroids (k x d) of k-means fitted on ``fit_rows`` of ``X`` (or of ``X[rows]``).

    Clusters are numbered by size on the fit sample, largest first, so the numbering is
    reproducible and cluster 0 is the biggest.
    """
    rng = _rng(seed, 1)
    pool = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
    if pool.shape[0] > fit_rows:
        pool = pool[rng.choice(pool.shape[0], fit_rows, replace=False)]
    sample = X[pool]
    km = KMeans(n_clusters=k, n_init=n_init, random_state=int(rng.integers(2**31 - 1)))
    km.fit(sample)
    centroids = km.cluster_centers_.astype(np.float64)
    sizes = np.bincount(km.labels_, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    return centroids[order]


def partition_cost(X: np.ndarray, labels: np.ndarray) -> float:
    """k-means cost of a partition: sum of squared distances to each part's own mean."""
    labels = np.asarray(labels)
    _, inv = np.unique(labels, return_inverse=True)
    m = inv.max() + 1 if inv.size else 0
    counts = np.bincount(inv, minlength=m).astype(float)
    total = float((X * X).sum())
    sums = np.zeros((m, X.shape[1]))
    np.add.at(sums, inv, X)
    # sum ||x - mean||^2 = sum ||x||^2 - sum_parts ||sum_part||^2 / n_part
    return total - float(((sums * sums).sum(axis=1) / np.maximum(counts, 1)).sum())


def contingency(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> np.ndarray:
    """ka x kb table of counts of (a, b) label pairs; labels are 0..k-1 (-1 rows dropped)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    keep = (a >= 0) & (b >= 0)
    return np.bincount(a[keep] * kb + b[keep], minlength=ka * kb).reshape(ka, kb)


def jaccard_best(table: np.ndarray) -> np.ndarray:
    """Per row cluster of a contingency table: the best Jaccard with any column cluster.

    ``nan`` for a row cluster with no points (it cannot be judged on this resample).
    """
    table = np.asarray(table, dtype=float)
    rows = table.sum(axis=1, keepdims=True)
    cols = table.sum(axis=0, keepdims=True)
    union = rows + cols - table
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, table / union, 0.0)
    best = jac.max(axis=1) if table.shape[1] else np.zeros(table.shape[0])
    return np.where(rows[:, 0] > 0, best, np.nan)


def adjusted_rand(table: np.ndarray) -> float:
    """Adjusted Rand index from a contingency table (Hubert & Arabie)."""
    t = np.asarray(table, dtype=float)
    n = t.sum()
    if n < 2:
        return 1.0
    comb = lambda x: x * (x - 1) / 2.0  # noqa: E731
    index = comb(t).sum()
    a = comb(t.sum(axis=1)).sum()
    b = comb(t.sum(axis=0)).sum()
    expected = a * b / comb(n)
    top = (a + b) / 2.0
    if top == expected:
        return 1.0
    return float((index - expected) / (top - expected))


def silhouette(X: np.ndarray, labels: np.ndarray, chunk: int = 1024) -> float:
    """Mean silhouette (Euclidean) of the rows given; O(n^2), so pass a sample (~10K).

    Computed with one matrix product per chunk against a one-hot label matrix: the same
    number as :func:`sklearn.metrics.silhouette_score`, several times faster.
    """
    labels = np.asarray(labels)
    _, inv = np.unique(labels, return_inverse=True)
    m = int(inv.max()) + 1
    if m < 2 or m >= X.shape[0]:
        return float("nan")
    Xf = np.asarray(X, dtype=np.float64)
    onehot = np.zeros((Xf.shape[0], m))
    onehot[np.arange(Xf.shape[0]), inv] = 1.0
    sizes = onehot.sum(axis=0)
    sq = (Xf * Xf).sum(axis=1)
    scores = np.empty(Xf.shape[0])
    for s in range(0, Xf.shape[0], chunk):
        part = Xf[s:s + chunk]
        d2 = sq[s:s + chunk, None] - 2.0 * part @ Xf.T + sq[None, :]
        d = np.sqrt(np.maximum(d2, 0.0))
        sums = d @ onehot  # chunk x m
        own = inv[s:s + chunk]
        idx = np.arange(part.shape[0])
        own_size = sizes[own]
        a = np.where(own_size > 1, sums[idx, own] / np.maximum(own_size - 1, 1), 0.0)
        mean_other = sums / sizes[None, :]
        mean_other[idx, own] = np.inf
        b = mean_other.min(axis=1)
        sil = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
        scores[s:s + chunk] = sil
    return float(scores.mean())


def resample(n: int, b: int, seed: int) -> np.ndarray:
    """Row indices of bootstrap ``b``: n draws with replacement (same for every k)."""
    return _rng(seed, 2, b).integers(0, n, n)


@dataclass
class Bootstraps:
    """Per-bootstrap comparison of refits with the original clustering."""

    k: int
    jaccard: list[np.ndarray] = field(default_factory=list)   # per bootstrap: k values
    ari: list[float] = field(default_factory=list)
    centroids: list[np.ndarray] = field(default_factory=list)  # refit centroids, for reuse

    @property
    def count(self) -> int:
        return len(self.ari)

    def cluster_jaccard(self) -> np.ndarray:
        """Mean over bootstraps of each cluster's best Jaccard (clusterboot's figure)."""
        return np.nanmean(np.vstack(self.jaccard), axis=0) if self.jaccard else np.full(self.k, np.nan)

    def mean_ari(self) -> float:
        return float(np.mean(self.ari)) if self.ari else float("nan")


def _refit_compare(X: np.ndarray, labels: np.ndarray, k: int, b: int, *, seed: int, n_init: int,
                   fit_rows: int) -> tuple[np.ndarray, float, np.ndarray]:
    """One clusterboot step: (best Jaccard per original cluster, ARI, refit centroids)."""
    idx = resample(X.shape[0], b, seed)
    cents = fit_kmeans(X, k, seed=seed * 1000 + b + 17, n_init=n_init, fit_rows=fit_rows,
                       rows=idx[:fit_rows])
    pts = np.unique(idx)
    table = contingency(labels[pts], assign(X[pts], cents), k, k)
    return jaccard_best(table), adjusted_rand(table), cents


def parallel_map(fn, items: list, workers: int = 1) -> list:
    """``[fn(x) for x in items]``, on ``workers`` threads (numpy/sklearn release the GIL).

    Call inside ``single_threaded()`` so the threads do not also each start a BLAS/OpenMP
    pool: on a 2-core machine that oversubscription made k-means 5x slower under load.
    """
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    def limited(x):
        # OpenMP's thread count is per calling thread: limit it in every worker too, which
        # also keeps results identical to a serial run (same reduction order)
        with single_threaded():
            return fn(x)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(limited, items))


def single_threaded():
    """Context manager limiting BLAS and OpenMP (sklearn's k-means) to one thread each."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def default_workers() -> int:
    import os

    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))


def bootstrap_stability(X: np.ndarray, labels: np.ndarray, k: int, *, bootstraps: int, seed: int,
                        n_init: int = 4, fit_rows: int = 40_000, start: int = 0,
                        into: Bootstraps | None = None, on_step=None, workers: int = 1) -> Bootstraps:
    """Refit k-means on bootstraps ``start .. bootstraps-1`` and compare (see module doc)."""
    out = into if into is not None else Bootstraps(k)

    def one(b: int):
        r = _refit_compare(X, labels, k, b, seed=seed, n_init=n_init, fit_rows=fit_rows)
        if on_step is not None:
            on_step()
        return r

    for jac, ari, cents in parallel_map(one, list(range(start, bootstraps)), workers):
        out.jaccard.append(jac)
        out.ari.append(ari)
        out.centroids.append(cents)
    return out


@dataclass
class Candidate:
    """One k tried: its scores and fitted centroids."""

    k: int
    centroids: np.ndarray
    silhouette: float
    inertia: float            # mean squared distance to the nearest centroid (training rows)
    boots: Bootstraps
    chosen: bool = False

    @property
    def stability(self) -> float:
        return float(np.nanmean(self.boots.cluster_jaccard()))

    @property
    def min_jaccard(self) -> float:
        return float(np.nanmin(self.boots.cluster_jaccard()))

    @property
    def score(self) -> float:
        return self.silhouette + self.stability

    def to_dict(self) -> dict:
        return {
            "k": self.k,
            "silhouette": round(self.silhouette, 4),
            "stability": round(self.stability, 4),
            "min_jaccard": round(self.min_jaccard, 4),
            "cluster_jaccard": [round(float(v), 4) for v in self.boots.cluster_jaccard()],
            "ari": round(self.boots.mean_ari(), 4),
            "bootstraps": self.boots.count,
            "inertia": round(self.inertia, 4),
            "score": round(self.score, 4),
            "all_stable": bool(self.min_jaccard >= STABLE),
            "chosen": self.chosen,
        }


def choose_k(candidates: list[Candidate]) -> tuple[Candidate, str]:
    """The candidate to use and a one-line reason (rule in the module docstring)."""
    stable = [c for c in candidates if c.min_jaccard >= STABLE]
    if stable:
        best = max(stable, key=lambda c: (round(c.score, 6), -c.k))
        reason = (f"k={best.k}: best silhouette + stability ({best.silhouette:.3f} + "
                  f"{best.stability:.3f}) among the {len(stable)} candidate(s) whose clusters "
                  f"all have bootstrap Jaccard >= {STABLE}")
    else:
        best = max(candidates, key=lambda c: (round(c.stability, 6), -c.k))
        reason = (f"k={best.k}: no candidate had all clusters stable (Jaccard >= {STABLE}); "
                  f"chose the most stable (mean Jaccard {best.stability:.3f})")
    return best, reason


def evaluate_candidates(X: np.ndarray, ks: list[int], *, seed: int, bootstraps: int,
                        n_init: int = 4, fit_rows: int = 40_000, silhouette_rows: int = 10_000,
                        on_step=None, workers: int = 1) -> list[Candidate]:
    """Fit every k, score it by silhouette (sample) and ``bootstraps`` stability refits."""
    rng = _rng(seed, 3)
    sil_rows = rng.choice(X.shape[0], min(silhouette_rows, X.shape[0]), replace=False)

    def first(k: int):
        cents = fit_kmeans(X, k, seed=seed, n_init=n_init, fit_rows=fit_rows)
        labels = assign(X, cents)
        sil = silhouette(X[sil_rows], labels[sil_rows])
        d2 = ((X - cents.astype(X.dtype)[labels]) ** 2).sum(axis=1, dtype=np.float64)
        if on_step is not None:
            on_step()
        return cents, labels, sil, float(d2.mean())

    fitted = dict(zip(ks, parallel_map(first, list(ks), workers)))

    def boot(item: tuple[int, int]):
        k, b = item
        r = _refit_compare(X, fitted[k][1], k, b, seed=seed, n_init=n_init, fit_rows=fit_rows)
        if on_step is not None:
            on_step()
        return r

    jobs = [(k, b) for k in ks for b in range(bootstraps)]
    results = dict(zip(jobs, parallel_map(boot, jobs, workers)))
    out = []
    for k in ks:
        cents, _, sil, inertia = fitted[k]
        boots = Bootstraps(k)
        for b in range(bootstraps):
            jac, ari, c = results[(k, b)]
            boots.jaccard.append(jac)
            boots.ari.append(ari)
            boots.centroids.append(c)
        out.append(Candidate(k, cents, sil, inertia, boots))
    return out
