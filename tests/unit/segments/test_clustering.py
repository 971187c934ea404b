"""k-means helpers, Jaccard/ARI/silhouette on hand-made examples, k selection on blobs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score

from toolkit.segments import clustering as C
from toolkit.segments.space import fit_space

from segment_fixtures import blobs


def test_jaccard_best_by_hand():
    # original clusters: {0,1,2} and {3,4,5}; refit: {0,1,2} -> 1, {3,4} -> 0, {5} -> 2
    orig = np.array([0, 0, 0, 1, 1, 1])
    refit = np.array([1, 1, 1, 0, 0, 2])
    table = C.contingency(orig, refit, 2, 3)
    assert table.tolist() == [[0, 3, 0], [2, 0, 1]]
    jac = C.jaccard_best(table)
    assert jac[0] == 1.0                      # identical to refit cluster 1
    assert jac[1] == pytest.approx(2 / 3)     # |{3,4}| / |{3,4,5}|
    # a cluster absent from this resample cannot be judged: nan, not 0
    assert np.isnan(C.jaccard_best(np.array([[0, 0], [1, 2]]))[0])


def test_jaccard_matches_set_definition_on_random_labels():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 4, 300), rng.integers(0, 5, 300)
    jac = C.jaccard_best(C.contingency(a, b, 4, 5))
    for i in range(4):
        A = set(np.flatnonzero(a == i))
        best = max(len(A & set(np.flatnonzero(b == j))) / len(A | set(np.flatnonzero(b == j)))
                   for j in range(5))
        assert jac[i] == pytest.approx(best)


def test_adjusted_rand_by_hand_and_against_sklearn():
    same = C.contingency(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0]), 2, 2)
    assert C.adjusted_rand(same) == pytest.approx(1.0)  # label names do not matter
    # classic example: ARI of [0,0,1,1] vs [0,0,1,2] is 0.5714...
    t = C.contingency(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 2]), 2, 3)
    assert C.adjusted_rand(t) == pytest.approx(adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]))
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 6, 500), rng.integers(0, 4, 500)
    assert C.adjusted_rand(C.contingency(a, b, 6, 4)) == pytest.approx(adjusted_rand_score(a, b))


def test_silhouette_and_cost_match_definitions():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (150, 3)), rng.normal(4, 1, (120, 3)), rng.normal(-4, 1, (90, 3))])
    labels = np.repeat([0, 1, 2], [150, 120, 90])
    assert C.silhouette(X, labels, chunk=64) == pytest.approx(silhouette_score(X, labels), abs=1e-9)
    manual = sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum() for c in range(3))
    assert C.partition_cost(X, labels) == pytest.approx(manual)
    # labels may be any integers, including -1 for a default part
    assert C.partition_cost(X, labels - 1) == pytest.approx(manual)


def test_fit_and_assign_number_clusters_by_size():
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 0.3, (50, 2)), rng.normal(5, 0.3, (300, 2)), rng.normal(-5, 0.3, (120, 2))])
    cents = C.fit_kmeans(X, 3, seed=0, fit_rows=200)
    labels = C.assign(X, cents, chunk=37)
    assert np.bincount(labels).tolist() == [300, 120, 50]
    d = ((X[:, None, :] - cents[None, :, :]) ** 2).sum(axis=2)
    assert (labels == d.argmin(axis=1)).all()


def test_resamples_are_reproducible_and_shared_across_k():
    a, b = C.resample(1000, 3, 42), C.resample(1000, 3, 42)
    assert (a == b).all() and not (a == C.resample(1000, 4, 42)).all()


@pytest.fixture(scope="module")
def blob_space():
    frame, truth = blobs(3000, k=5, seed=2, separation=3.0)
    X = fit_space(frame).transform(frame).astype(np.float32)
    return X, truth


def test_k_selection_finds_true_k_on_separated_blobs(blob_space):
    X, truth = blob_space
    cands = C.evaluate_candidates(X, [3, 4, 5, 6, 7], seed=1, bootstraps=4, fit_rows=3000,
                                  silhouette_rows=1500, workers=2)
    best, reason = C.choose_k(cands)
    assert best.k == 5, reason
    assert best.min_jaccard >= 0.95
    labels = C.assign(X, best.centroids)
    assert C.adjusted_rand(C.contingency(truth, labels, 5, 5)) > 0.97
    d = best.to_dict()
    assert {"silhouette", "stability", "min_jaccard", "cluster_jaccard", "ari", "inertia", "chosen"} <= set(d)
    # splitting a true blob in two is unstable: some cluster of k=6 or 7 falls below 0.75
    assert any(c.min_jaccard < C.STABLE for c in cands if c.k > 5)


def test_bootstrap_extension_reuses_first_refits(blob_space):
    X, _ = blob_space
    cents = C.fit_kmeans(X, 5, seed=1, fit_rows=3000)
    labels = C.assign(X, cents)
    short = C.bootstrap_stability(X, labels, 5, bootstraps=2, seed=9, fit_rows=3000)
    long = C.bootstrap_stability(X, labels, 5, bootstraps=2, seed=9, fit_rows=3000)
    C.bootstrap_stability(X, labels, 5, bootstraps=4, seed=9, fit_rows=3000, start=2, into=long,
                          workers=2)
    assert long.count == 4 and long.ari[:2] == short.ari
    assert (long.cluster_jaccard() > 0.95).all() and long.mean_ari() > 0.95


def _cand(k, sil, jac):
    boots = C.Bootstraps(k, jaccard=[np.array(jac)], ari=[0.9], centroids=[np.zeros((k, 1))])
    return C.Candidate(k, np.zeros((k, 1)), sil, 1.0, boots)


def test_choose_k_rule():
    # k=4 has the best silhouette but an unstable cluster: not eligible
    cands = [_cand(3, 0.30, [0.9, 0.9, 0.9]), _cand(4, 0.40, [0.99, 0.99, 0.99, 0.6]),
             _cand(5, 0.32, [0.95] * 5)]
    best, reason = C.choose_k(cands)
    assert best.k == 5 and "silhouette + stability" in reason
    # nothing stable: the most stable wins and the reason says so
    cands = [_cand(3, 0.5, [0.7, 0.5, 0.9]), _cand(4, 0.4, [0.74, 0.8, 0.8, 0.8])]
    best, reason = C.choose_k(cands)
    assert best.k == 4 and "no candidate" in reason
