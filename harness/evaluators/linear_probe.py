"""Few-shot linear probe (single-label) and k-NN multilabel probe, as in mteb v2.

Sources (mteb 2.26.24): ``mteb/abstasks/classification.py`` (``_undersample_data``,
``_calculate_scores``, ``_calculate_avg_scores``), ``mteb/abstasks/multilabel_classification.py``
(``_undersample_data_indices``, ``_evaluate_subset``, ``_calculate_scores``) and
``mteb/_evaluators/classification_metrics.py`` (``hamming_score``).

Embeddings are passed to sklearn unchanged: mteb feeds the encoder's output straight to the
classifiers, and its dtype decides the solver's: float32 stays float32, float16 (CUDA autocast)
is fitted in float64. Casting would change lbfgs / k-NN results (with float16 cast to float32,
one test prediction in 400 flipped on the parity data).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    label_ranking_average_precision_score,
    precision_score,
    recall_score,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import MultiLabelBinarizer


def undersample_indices(
    labels: np.ndarray | Sequence[Hashable],
    samples_per_label: int,
    n_experiments: int,
    seed: int = 42,
) -> list[np.ndarray]:
    """Training indices per experiment, in mteb's selection order.

    One index list ``range(n)`` is carried across experiments; each experiment shuffles it in
    place with a *fresh* ``np.random.RandomState(seed)`` (so experiment ``i`` sees the
    permutation applied ``i + 1`` times), then keeps an index while its label's count is below
    ``samples_per_label``.
    """
    labels = list(labels)
    idxs = list(range(len(labels)))
    out = []
    for _ in range(n_experiments):
        np.random.RandomState(seed).shuffle(idxs)
        counts: dict[Hashable, int] = defaultdict(int)
        kept = []
        for i in idxs:
            if counts[labels[i]] < samples_per_label:
                kept.append(i)
                counts[labels[i]] += 1
        out.append(np.asarray(kept, dtype=np.int64))
    return out


def _single_label_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | None]:
    """mteb ``AbsTaskClassification._calculate_scores`` (sklearn defaults, zero_division 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        scores: dict[str, float | None] = {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "f1": float(f1_score(y_true, y_pred, average="macro")),
            "f1_weighted": float(f1_score(y_true, y_pred, average="weighted")),
            "precision": float(precision_score(y_true, y_pred, average="macro")),
            "precision_weighted": float(precision_score(y_true, y_pred, average="weighted")),
            "recall": float(recall_score(y_true, y_pred, average="macro")),
            "recall_weighted": float(recall_score(y_true, y_pred, average="weighted")),
            "ap": None,
            "ap_weighted": None,
        }
    if len(np.unique(y_true)) == 2:
        # mteb scores the *hard predictions* here, not probabilities or decision values.
        scores["ap"] = float(average_precision_score(y_true, y_pred, average="macro"))
        scores["ap_weighted"] = float(average_precision_score(y_true, y_pred, average="weighted"))
    return scores


def _average(per_experiment: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean of each metric over experiments; all-None metrics become NaN, as in mteb."""
    avg: dict[str, Any] = {}
    for key in per_experiment[0]:
        values = [s[key] for s in per_experiment if s[key] is not None]
        avg[key] = float(np.mean(values)) if values else float("nan")
    avg["scores_per_experiment"] = per_experiment
    return avg


def linear_probe(
    experiments: Sequence[tuple[np.ndarray, np.ndarray | Sequence[Hashable]]],
    test_emb: np.ndarray,
    test_labels: np.ndarray | Sequence[Hashable],
    seed: int = 42,
) -> dict[str, Any]:
    """Fit ``LogisticRegression(max_iter=100, random_state=seed)`` per ``(X_train, y_train)``.

    Returns each metric averaged over experiments plus ``scores_per_experiment``. ``ap`` and
    ``ap_weighted`` exist only when ``test_labels`` holds exactly two distinct values; in the
    average they are NaN (mteb's ``np.nan``) otherwise, while per experiment they are None.
    """
    y_test = np.asarray(test_labels)
    per_experiment = []
    for x_train, y_train in experiments:
        clf = LogisticRegression(max_iter=100, random_state=seed)
        clf.fit(x_train, np.asarray(y_train))
        per_experiment.append(_single_label_scores(y_test, clf.predict(test_emb)))
    return _average(per_experiment)


def multilabel_undersample_indices(
    label_lists: Sequence[Sequence[Hashable]],
    samples_per_label: int,
    n_experiments: int,
    seed: int = 42,
) -> list[np.ndarray]:
    """Training indices per experiment for multilabel tasks, in mteb's selection order.

    One ``np.random.default_rng(seed)`` (the task's ``np_rng``) is created once and shuffles a
    *fresh* ``range(n)`` each experiment. A sample is kept if any of its labels is still under
    ``samples_per_label``; then every one of its labels is counted.
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_experiments):
        idxs = list(range(len(label_lists)))
        rng.shuffle(idxs)
        counts: dict[Hashable, int] = defaultdict(int)
        kept = []
        for i in idxs:
            if any(counts[label] < samples_per_label for label in label_lists[i]):
                kept.append(i)
                for label in label_lists[i]:
                    counts[label] += 1
        out.append(np.asarray(kept, dtype=np.int64))
    return out


def hamming_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """mteb's "hamming": per-sample |true AND pred| / |true OR pred| (1.0 if both empty), mean."""
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    inter = (t & p).sum(axis=1)
    union = (t | p).sum(axis=1)
    return float(np.mean(np.where(union == 0, 1.0, inter / np.maximum(union, 1))))


def multilabel_probe(
    experiments: Sequence[tuple[np.ndarray, Sequence[Sequence[Hashable]]]],
    test_emb: np.ndarray,
    test_label_lists: Sequence[Sequence[Hashable]],
    n_neighbors: int = 5,
) -> dict[str, Any]:
    """k-NN multilabel probe: accuracy (subset), lrap, f1 (macro), hamming; mean + per experiment.

    As in mteb, the ``MultiLabelBinarizer`` is fit on the *test* label lists only; train
    labels absent from the test set are dropped. LRAP is computed on the hard 0/1 predictions.
    """
    binarizer = MultiLabelBinarizer()
    y_test = binarizer.fit_transform(test_label_lists)
    per_experiment = []
    for x_train, train_lists in experiments:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "unknown class(es) ... ignored"
            y_train = binarizer.transform(train_lists)
        clf = KNeighborsClassifier(n_neighbors=n_neighbors).fit(x_train, y_train)
        y_pred = clf.predict(test_emb)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            f1 = f1_score(y_test, y_pred, average="macro")
        per_experiment.append(
            {
                "accuracy": float(accuracy_score(y_test, y_pred)),  # == clf.score
                "lrap": float(label_ranking_average_precision_score(y_test, y_pred)),
                "f1": float(f1),
                "hamming": hamming_score(y_test, y_pred),
            }
        )
    return _average(per_experiment)
