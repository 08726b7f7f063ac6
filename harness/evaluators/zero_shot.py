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

from harness.evaluators.items import Scored, mean_outcomes, metrics_only
from mieb_records.models import SIMILARITIES


def zero_shot_scores(
    image_emb: np.ndarray,
    label_emb: np.ndarray,
    scoring: Literal["softmax", "model"] = "softmax",
    similarity: str = "cosine",
) -> np.ndarray:
    """Return the ``[n_images, n_labels]`` score matrix mteb ranks classes with.

    ``"softmax"`` is mteb's ``similarity()`` (used when the task's ``modalities`` is exactly
    ``["image", "text"]``): L2-normalise, ``logits = 100 * img @ lbl.T``, softmax, whatever the
    model declares. ``"model"`` is ``model.similarity`` (tasks declaring ``["text", "image"]``):
    the model's declared ``similarity``, ``"cosine"`` (``cos_sim``), ``"dot"`` (``dot_score``) or
    ``"euclidean"`` (``euclidean_sim``, minus the L2 distance; mteb 2.26.24's
    ``AbsEncoder.similarity`` raises for it), no softmax.
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
    if scoring != "model":
        raise ValueError(f"unknown scoring {scoring!r}")
    if similarity not in SIMILARITIES:
        raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")
    import torch

    # The same torch calls as mteb/similarity_functions.py, so float32 rounding (and the ties
    # it makes in binary ap) is the reference's.
    a, b = torch.from_numpy(img), torch.from_numpy(lbl)
    if similarity == "cosine":
        a = torch.nn.functional.normalize(a, p=2, dim=1)
        b = torch.nn.functional.normalize(b, p=2, dim=1)
    if similarity == "euclidean":
        return (-torch.cdist(a, b, p=2.0)).numpy()
    return (a @ b.transpose(0, 1)).numpy()


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


def zero_shot_scored(
    image_emb: np.ndarray,
    label_emb: np.ndarray,
    labels: np.ndarray | Sequence,
    *,
    scoring: Literal["softmax", "model"] = "softmax",
    similarity: str = "cosine",
    candidate_labels: Sequence[str] | None = None,
) -> Scored:
    """Score zero-shot predictions ``argmax(scores)`` against gold candidate indices.

    ``labels`` are indices into the rows of ``label_emb`` (or strings, mapped through
    ``candidate_labels``). ``ap``/``ap_weighted`` are computed from ``scores[:, 1]`` only when
    exactly two distinct labels are *present* in ``labels`` (not keyed on the number of
    classes); otherwise they are None. ``similarity`` is the model's declared one, used by
    ``scoring="model"`` only. sklearn defaults throughout (``zero_division="warn"``,
    i.e. 0), as in mteb.

    Per item: ``accuracy`` outcomes (1.0 when right), details ``predicted`` and ``gold`` (label indices).
    """
    y = _to_indices(labels, candidate_labels)
    scores = zero_shot_scores(image_emb, label_emb, scoring, similarity)
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
    correct = (pred == y).astype(np.float64)
    return Scored(out, mean_outcomes({"accuracy": correct}, len(y)), {"predicted": pred, "gold": y})


zero_shot = metrics_only(zero_shot_scored, "zero_shot")
