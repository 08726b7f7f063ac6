"""Image clustering: mteb v2 ``AbsTaskClusteringLegacy`` (image path) semantics.

Sources (mteb 2.26.24): ``mteb/_evaluators/clustering_evaluator.py`` (the MiniBatchKMeans fit)
and ``mteb/abstasks/clustering_legacy.py`` (``_compute_metrics``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics import (
    adjusted_rand_score,
    confusion_matrix,
    normalized_mutual_info_score,
    v_measure_score,
)

from harness.evaluators.items import Scored, metrics_only, row_ids
from mieb_records.outcomes import ItemOutcomes


def cluster_accuracy(labels: np.ndarray | Sequence[Hashable], clusters: np.ndarray) -> float:
    """Best one-to-one cluster→label matching (Hungarian, maximised) over N."""
    _, y = np.unique(np.asarray(labels), return_inverse=True)
    # mteb builds confusion_matrix(labels, clusters) on the union of both value sets; the
    # extra all-zero rows/columns do not change the optimum. Integer codes keep string
    # labels working (sklearn refuses mixed str/int) without changing any metric.
    matrix = confusion_matrix(y, np.asarray(clusters))
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return float(matrix[rows, cols].sum() / len(y))


def clustering_scored(
    emb: np.ndarray,
    labels: np.ndarray | Sequence[Hashable],
    seed: int = 42,
    batch_size: int = 500,
) -> Scored:
    """MiniBatchKMeans with k = number of distinct labels on the raw embeddings, then scores.

    ``emb`` is passed to sklearn unchanged (mteb uses the encoder's output, float32 or float16; the dtype
    changes k-means results). Metrics use sklearn defaults: ``nmi`` is arithmetic-mean NMI.
    Per item: ``nmi`` and ``v_measure`` outcomes, the cluster each item was assigned (values) against
    its true label (reference).
    """
    gold = np.asarray(labels)
    model = MiniBatchKMeans(
        n_clusters=len(set(gold.tolist())),
        batch_size=batch_size,
        n_init="auto",
        compute_labels=True,
        random_state=seed,
    )
    model.fit(emb)
    pred = model.labels_
    metrics = {
        "v_measure": float(v_measure_score(gold, pred)),
        "nmi": float(normalized_mutual_info_score(gold, pred)),
        "ari": float(adjusted_rand_score(gold, pred)),
        "cluster_accuracy": cluster_accuracy(gold, pred),
    }
    ids = row_ids(len(gold))
    outcomes = {kind: ItemOutcomes(kind, kind, ids, np.asarray(pred), reference=gold) for kind in ("nmi", "v_measure")}
    return Scored(metrics, outcomes)


clustering = metrics_only(clustering_scored, "clustering")
