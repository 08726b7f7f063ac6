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

from harness.evaluators.items import Scored, mean_outcomes, metrics_only


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


def linear_probe_scored(
    experiments: Sequence[tuple[np.ndarray, np.ndarray | Sequence[Hashable]]],
    test_emb: np.ndarray,
    test_labels: np.ndarray | Sequence[Hashable],
    seed: int = 42,
) -> Scored:
    """Fit ``LogisticRegression(max_iter=100, random_state=seed)`` per ``(X_train, y_train)``.

    Metrics: each averaged over experiments plus ``scores_per_experiment``. ``ap`` and
    ``ap_weighted`` exist only when ``test_labels`` holds exactly two distinct values; in the
    average they are NaN (mteb's ``np.nan``) otherwise, while per experiment they are None.
    Per item: ``accuracy`` outcomes ``(n_experiments, n)`` (1.0 when right), details ``predicted``
    ``(n_experiments, n)``.
    """
    y_test = np.asarray(test_labels)
    per_experiment, predicted = [], []
    for x_train, y_train in experiments:
        clf = LogisticRegression(max_iter=100, random_state=seed)
        clf.fit(x_train, np.asarray(y_train))
        pred = clf.predict(test_emb)
        per_experiment.append(_single_label_scores(y_test, pred))
        predicted.append(pred)
    predictions = np.stack(predicted)
    outcomes = mean_outcomes({"accuracy": (predictions == y_test).astype(np.float64)}, len(y_test))
    return Scored(_average(per_experiment), outcomes, {"predicted": predictions})


linear_probe = metrics_only(linear_probe_scored, "linear_probe")


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


def hamming_per_sample(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per sample: |true AND pred| / |true OR pred|, 1.0 if both are empty."""
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    inter = (t & p).sum(axis=1)
    union = (t | p).sum(axis=1)
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1))


def hamming_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """mteb's "hamming": the mean of :func:`hamming_per_sample`."""
    return float(np.mean(hamming_per_sample(y_true, y_pred)))


def lrap_per_sample_hard(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per-sample label ranking average precision for hard 0/1 predictions (sklearn's definition).

    sklearn ranks with ties counted against: a relevant label predicted 1 has rank ``P`` (labels
    predicted 1) and ``TP`` relevant labels at or above it; one predicted 0 has rank ``n_labels``
    and all ``R`` relevant labels at or above it. A sample with no or only relevant labels scores 1.
    Closed form, so no second per-sample ranking pass (sklearn's own loop) is needed.
    """
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    n_labels = t.shape[1]
    relevant = t.sum(axis=1)
    hits = (t & p).sum(axis=1)
    predicted = p.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        above = np.where(hits > 0, hits * (hits / np.maximum(predicted, 1)), 0.0)
        below = (relevant - hits) * (relevant / n_labels)
        value = (above + below) / relevant
    return np.where((relevant == 0) | (relevant == n_labels), 1.0, value)


def multilabel_probe_scored(
    experiments: Sequence[tuple[np.ndarray, Sequence[Sequence[Hashable]]]],
    test_emb: np.ndarray,
    test_label_lists: Sequence[Sequence[Hashable]],
    n_neighbors: int = 5,
) -> Scored:
    """k-NN multilabel probe: accuracy (subset), lrap, f1 (macro), hamming; mean + per experiment.

    As in mteb, the ``MultiLabelBinarizer`` is fit on the *test* label lists only; train
    labels absent from the test set are dropped. LRAP is computed on the hard 0/1 predictions.
    Per item, ``(n_experiments, n)``: ``accuracy`` (1.0 when every label is right), ``lrap`` and
    ``hamming`` outcomes; details ``predicted`` ``(n_experiments, n, n_labels)`` over ``labels``.
    """
    binarizer = MultiLabelBinarizer()
    y_test = binarizer.fit_transform(test_label_lists)
    per_experiment, predicted = [], []
    items: dict[str, list[np.ndarray]] = {"accuracy": [], "lrap": [], "hamming": []}
    for x_train, train_lists in experiments:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "unknown class(es) ... ignored"
            y_train = binarizer.transform(train_lists)
        clf = KNeighborsClassifier(n_neighbors=n_neighbors).fit(x_train, y_train)
        y_pred = clf.predict(test_emb)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            f1 = f1_score(y_test, y_pred, average="macro")
        hamming = hamming_per_sample(y_test, y_pred)
        per_experiment.append(
            {
                "accuracy": float(accuracy_score(y_test, y_pred)),  # == clf.score
                "lrap": float(label_ranking_average_precision_score(y_test, y_pred)),
                "f1": float(f1),
                "hamming": float(np.mean(hamming)),  # hamming_score
            }
        )
        predicted.append(np.asarray(y_pred, dtype=bool))
        items["accuracy"].append((y_pred == y_test).all(axis=1).astype(np.float64))
        items["lrap"].append(lrap_per_sample_hard(y_test, y_pred))
        items["hamming"].append(hamming)
    outcomes = mean_outcomes({name: np.stack(rows) for name, rows in items.items()}, len(y_test))
    details = {"predicted": np.stack(predicted), "labels": np.asarray(binarizer.classes_)}
    return Scored(_average(per_experiment), outcomes, details)


multilabel_probe = metrics_only(multilabel_probe_scored, "multilabel_probe")
