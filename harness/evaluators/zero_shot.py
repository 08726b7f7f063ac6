"""Zero-shot classification: mteb v2 ``AbsTaskZeroShotClassification`` semantics.

Sources: ``mteb/abstasks/zeroshot_classification.py`` (``_calculate_scores``,
``_normalize_labels``), ``mteb/_evaluators/zeroshot_classification_evaluator.py`` and
``mteb/similarity_functions.py`` (``similarity``, ``cos_sim``) of mteb 2.26.24.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
from sklearn import metrics
from sklearn.exceptions import UndefinedMetricWarning


def zero_shot_scores(
    image_emb: np.ndarray,
    label_emb: np.ndarray,
    scoring: Literal["softmax", "cosine"] = "softmax",
) -> np.ndarray:
    """Return the ``[n_images, n_labels]`` score matrix mteb ranks classes with.

    ``"softmax"`` is mteb's ``similarity()`` (used when the task's ``modalities`` is exactly
    ``["image", "text"]``): L2-normalise, ``logits = 100 * img @ lbl.T``, softmax.
    ``"cosine"`` is ``model.similarity`` for CLIP-family metas (tasks declaring
    ``["text", "image"]``): plain cosine similarity, no softmax.
    """
    # mteb converts numpy inputs with torch.tensor(..., dtype=float32) and scores in float32.
    # This matters for the binary ``ap``: in float32 the softmax saturates (p == 1.0 once the
    # logit gap exceeds ~17) and close probabilities collide, and those ties change
    # average_precision. float64 would break them and drift from mteb's numbers.
    img = np.asarray(image_emb, dtype=np.float32)
    lbl = np.asarray(label_emb, dtype=np.float32)
    if scoring == "softmax":
        img = img / np.linalg.norm(img, axis=-1, keepdims=True)
        lbl = lbl / np.linalg.norm(lbl, axis=-1, keepdims=True)
        logits = (img @ lbl.T) * np.float32(100)
        exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return exp / exp.sum(axis=-1, keepdims=True)
    if scoring == "cosine":
        eps = np.float32(1e-12)  # torch.nn.functional.normalize's default eps
        img = img / np.maximum(np.linalg.norm(img, axis=-1, keepdims=True), eps)
        lbl = lbl / np.maximum(np.linalg.norm(lbl, axis=-1, keepdims=True), eps)
        return img @ lbl.T
    raise ValueError(f"unknown scoring {scoring!r}")


def _to_indices(labels: Sequence, candidate_labels: Sequence[str] | None) -> np.ndarray:
    """Map string labels to candidate indices as mteb's ``_normalize_labels`` does."""
    labels = list(labels)
    if not labels or not isinstance(labels[0], str):
        return np.asarray(labels)
    if candidate_labels is None:
        raise ValueError("string labels need candidate_labels to map them to indices")
    index = {c: i for i, c in enumerate(candidate_labels)}
    unknown = sorted(set(labels) - index.keys())
    if unknown:
        raise ValueError(f"labels {unknown} match no candidate label")
    return np.asarray([index[label] for label in labels])


def zero_shot(
    image_emb: np.ndarray,
    label_emb: np.ndarray,
    labels: np.ndarray | Sequence,
    *,
    scoring: Literal["softmax", "cosine"] = "softmax",
    candidate_labels: Sequence[str] | None = None,
) -> dict[str, float | None]:
    """Score zero-shot predictions ``argmax(scores)`` against gold candidate indices.

    ``labels`` are indices into the rows of ``label_emb`` (or strings, mapped through
    ``candidate_labels``). ``ap``/``ap_weighted`` are computed from ``scores[:, 1]`` only when
    exactly two distinct labels are *present* in ``labels`` (not keyed on the number of
    classes); otherwise they are None. sklearn defaults throughout (``zero_division="warn"``,
    i.e. 0), as in mteb.
    """
    y = _to_indices(labels, candidate_labels)
    scores = zero_shot_scores(image_emb, label_emb, scoring)
    pred = scores.argmax(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        out: dict[str, float | None] = {
            "accuracy": float(metrics.accuracy_score(y, pred)),
            "f1": float(metrics.f1_score(y, pred, average="macro")),
            "f1_weighted": float(metrics.f1_score(y, pred, average="weighted")),
            "precision": float(metrics.precision_score(y, pred, average="macro")),
            "precision_weighted": float(metrics.precision_score(y, pred, average="weighted")),
            "recall": float(metrics.recall_score(y, pred, average="macro")),
            "recall_weighted": float(metrics.recall_score(y, pred, average="weighted")),
            "ap": None,
            "ap_weighted": None,
        }
    if len(np.unique(y)) == 2:
        # Like mteb, this raises when label 1 is absent (e.g. present labels {0, 2}).
        positive = scores[:, 1]
        out["ap"] = float(metrics.average_precision_score(y, positive, average="macro"))
        out["ap_weighted"] = float(metrics.average_precision_score(y, positive, average="weighted"))
    return out
