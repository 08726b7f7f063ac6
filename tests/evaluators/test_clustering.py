"""clustering: brute-force cluster accuracy and hand-written NMI / ARI formulas."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans

from harness.evaluators.clustering import cluster_accuracy, clustering


def _brute_accuracy(labels: list[int], clusters: list[int]) -> float:
    gold, found = sorted(set(labels)), sorted(set(clusters))
    best = 0
    if len(found) >= len(gold):
        maps = (dict(zip(gold, p, strict=True)) for p in itertools.permutations(found, len(gold)))
        best = max(sum(m[g] == c for g, c in zip(labels, clusters, strict=True)) for m in maps)
    else:
        maps = (dict(zip(found, p, strict=True)) for p in itertools.permutations(gold, len(found)))
        best = max(sum(m[c] == g for g, c in zip(labels, clusters, strict=True)) for m in maps)
    return best / len(labels)


@pytest.mark.parametrize("n_clusters", [3, 4, 5])
def test_cluster_accuracy_brute_force(n_clusters: int) -> None:
    rng = np.random.default_rng(n_clusters)
    labels = rng.integers(0, 4, 30).tolist()
    clusters = rng.integers(0, n_clusters, 30).tolist()
    assert cluster_accuracy(labels, np.array(clusters)) == pytest.approx(_brute_accuracy(labels, clusters))


def test_cluster_accuracy_permuted_and_string_labels() -> None:
    clusters = np.array([2, 2, 0, 0, 1, 1, 1])
    assert cluster_accuracy([5, 5, 7, 7, 9, 9, 7], clusters) == pytest.approx(6 / 7)
    assert cluster_accuracy(["b", "b", "a", "a", "c", "c", "a"], clusters) == pytest.approx(6 / 7)


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def test_clustering_metrics_match_hand_formulas() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 6)) * 2.0
    labels = rng.integers(0, 4, 300)
    emb = (centres[labels] + rng.normal(size=(300, 6))).astype(np.float32)
    m = clustering(emb, labels)

    pred = (
        MiniBatchKMeans(n_clusters=4, batch_size=500, n_init="auto", compute_labels=True, random_state=42)
        .fit(emb)
        .labels_
    )
    table = np.array([[np.sum((labels == g) & (pred == c)) for c in range(4)] for g in range(4)])
    n = table.sum()
    h_g, h_c = _entropy(table.sum(1)), _entropy(table.sum(0))
    mi = h_g + h_c - _entropy(table.ravel())
    nmi = mi / ((h_g + h_c) / 2)  # arithmetic normalisation, sklearn's default
    pairs = sum(comb(int(x), 2) for x in table.ravel())
    rows = sum(comb(int(x), 2) for x in table.sum(1))
    cols = sum(comb(int(x), 2) for x in table.sum(0))
    expected_pairs = rows * cols / comb(int(n), 2)
    ari = (pairs - expected_pairs) / ((rows + cols) / 2 - expected_pairs)

    assert m["nmi"] == pytest.approx(nmi)
    assert m["v_measure"] == pytest.approx(nmi)  # V-measure (beta=1) == arithmetic NMI
    assert m["ari"] == pytest.approx(ari)
    assert m["cluster_accuracy"] == pytest.approx(_brute_accuracy(labels.tolist(), pred.tolist()))
    assert 0.5 < m["cluster_accuracy"] <= 1.0


def test_clustering_perfect_separation_any_label_names() -> None:
    rng = np.random.default_rng(1)
    gold = np.repeat(["cat", "dog", "emu"], 20)
    emb = np.repeat(np.eye(3) * 50, 20, axis=0) + rng.normal(size=(60, 3))
    m = clustering(emb, gold)
    assert m == {"v_measure": 1.0, "nmi": 1.0, "ari": 1.0, "cluster_accuracy": 1.0}
