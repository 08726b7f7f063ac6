"""Compositionality (ImageTextPairClassification): Winoground-style text / image / group accuracy.

Semantics follow mteb 2.x ``ImageTextPairClassificationEvaluator``
(``mteb/_evaluators/image/imagetext_pairclassification_evaluator.py``) and
``AbsTaskImageTextPairClassification._compute_metrics``
(``mteb/abstasks/image/image_text_pair_classification.py``). Per sample, with ``I`` images and ``T``
texts, where index 0..k on each side is the matching pair:

* every embedding is divided by ``max(||x||, 1e-12)`` (``torch.nn.functional.normalize``) and
  ``S = img @ txt.T`` has shape ``I x T``;
* ``text_correct  = all(S.argmax(axis=1) == arange(I))``: each image's best text has its index;
* ``image_correct = all(S.argmax(axis=0) == arange(T))``: each text's best image has its index;
* ``group_correct = text_correct and image_correct``.

Ties: ``torch.argmax`` returns the *first* maximal index, and so does ``np.argmax``. A tie between
the positive (index 0) and a negative is therefore counted as correct, for example in ARO when a
shuffled caption equals the original. A NaN counts as the maximum in both libraries.
``S`` is built as an explicit sum of elementwise products (``einsum``), not with BLAS. Identical
embeddings therefore always get bit-identical scores, so such ties really are ties.
In mteb they are not always ties. Torch's CPU matmul for ``I = 1`` (a vector-matrix product) often
gives duplicate columns results that differ by 1 ulp. In a check against torch 2.x, about half the
exact duplicates went to the later index. Samples whose positive and a negative embed identically
are the one place this module and mteb can disagree, and mteb's outcome there depends on the BLAS.
On data without exact duplicates, the result was bit-identical to mteb's code run with torch, for
shapes 2x2, 1x5, 10x1 and 1x2 in float32 and float64.

Shapes: with ``I = 1`` and ``T > 1`` (ARO, SugarCrepe), ``argmax(axis=0)`` is all zeros and cannot
equal ``arange(T)``, so ``image_acc`` (and ``accuracy``) is 0 by construction. With ``I > 1`` and
``T = 1`` (ImageCoDe), ``text_acc`` is 0 for the same reason.

Each accuracy is the float32 mean of the per-sample booleans, returned as a Python float. mteb
computes ``torch.Tensor(bools).float().mean().item()``, so ``1/3`` is ``0.3333333432674408``.

The similarity is computed in the embeddings' float dtype (float32 or float64; any other dtype is
cast to float32). mteb keeps the dtype ``torch.tensor(ndarray)`` gives it.
"""

from __future__ import annotations

import numpy as np

from harness.evaluators.items import Scored, mean_outcomes, metrics_only

__all__ = ["compositionality", "compositionality_scored", "pair_scores"]

_NORMALIZE_EPS = 1e-12  # torch.nn.functional.normalize default
_CHUNK = 4096  # samples per einsum chunk; bounds temporary memory only, results do not depend on it


def _as_float(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32)
    return x


def _l2_normalize(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, x.dtype.type(_NORMALIZE_EPS))


def pair_scores(image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
    """Per-sample cosine matrices ``S[n] = norm(img[n]) @ norm(txt[n]).T``, with shape ``[N, I, T]``."""
    img = _as_float(image_emb)
    txt = _as_float(text_emb)
    if img.ndim != 3 or txt.ndim != 3:
        raise ValueError(f"expected [N, I, d] and [N, T, d], got {img.shape} and {txt.shape}")
    if img.shape[0] != txt.shape[0] or img.shape[2] != txt.shape[2]:
        raise ValueError(f"sample count / dim mismatch: {img.shape} vs {txt.shape}")
    dtype = np.result_type(img.dtype, txt.dtype)
    img = _l2_normalize(img.astype(dtype, copy=False))
    txt = _l2_normalize(txt.astype(dtype, copy=False))
    n = img.shape[0]
    out = np.empty((n, img.shape[1], txt.shape[1]), dtype=dtype)
    for start in range(0, n, _CHUNK):
        stop = start + _CHUNK
        out[start:stop] = np.einsum("nid,ntd->nit", img[start:stop], txt[start:stop])
    return out


def _float32_mean(flags: np.ndarray) -> float:
    # Sum of 0/1 flags is exact; float32 division matches torch's CPU mean (sum, then div_ by n).
    if flags.size == 0:
        return float("nan")
    return float(np.float32(int(flags.sum())) / np.float32(flags.size))


def compositionality_scored(image_emb: np.ndarray, text_emb: np.ndarray) -> Scored:
    """Winoground metrics for ``N`` samples of ``I`` images and ``T`` texts.

    Args:
        image_emb: ``[N, I, d]``. Image ``k`` of a sample is the match for text ``k``.
        text_emb: ``[N, T, d]``.

    Returns:
        metrics ``{"text_acc", "image_acc", "accuracy"}``: ``accuracy`` is the group score (both
        directions right). Values are Python floats rounded to float32, as in mteb. Per sample, an
        outcome for each (1.0 when right; the float32 of their mean is the metric).
    """
    scores = pair_scores(image_emb, text_emb)
    _, n_img, n_txt = scores.shape
    best_text = scores.argmax(axis=2)  # [N, I]; first max wins, like torch.argmax(dim=1)
    best_image = scores.argmax(axis=1)  # [N, T]; like torch.argmax(dim=0)
    text_ok = (best_text == np.arange(n_img)).all(axis=1)
    image_ok = (best_image == np.arange(n_txt)).all(axis=1)
    group_ok = text_ok & image_ok
    flags = {"image_acc": image_ok, "text_acc": text_ok, "accuracy": group_ok}
    return Scored({name: _float32_mean(ok) for name, ok in flags.items()}, mean_outcomes(flags, len(group_ok)))


compositionality = metrics_only(compositionality_scored, "compositionality")
