"""Visual STS scoring: correlate pair similarities of rendered-sentence embeddings with gold scores.

Semantics follow mteb 2.x ``AbsTaskSTS._calculate_scores`` (``mteb/abstasks/sts.py``) fed by
``AnySTSEvaluator`` (``mteb/_evaluators/any_sts_evaluator.py``):

* gold scores are normalised elementwise, ``(score - min_score) / (max_score - min_score)``, in
  float64. Pearson and Spearman are invariant to this positive affine map, so it changes results
  only in the last bits; it is kept so the arithmetic matches mteb's.
* ``cosine = 1 - sklearn.paired_cosine_distances``, ``manhattan = -paired_manhattan_distances``,
  ``euclidean = -paired_euclidean_distances``. They are computed with scikit-learn, as mteb does,
  in the embeddings' own dtype (float32 embeddings give float32 scores; scikit-learn computes
  float16 embeddings, which mteb's wrappers return under CUDA autocast, in float64), then widened
  to float64 (mteb calls ``.tolist()``).
* ``pearson`` / ``spearman`` use the model's own pairwise similarity when given. Otherwise they use
  the similarity the model declares (``ModelMeta.similarity``), as mteb's
  ``AbsEncoder.similarity_pairwise`` does with ``similarity_fn_name``: ``"dot"`` is
  ``pairwise_dot_score``, ``"euclidean"`` is ``pairwise_euclidean_sim`` (minus the L2 distance, as
  ``select_pairwise_similarity`` computes it) and ``"cosine"`` (the default) is
  ``pairwise_cos_sim`` (``mteb/similarity_functions.py``), computed with the same torch calls on
  CPU: ``torch.tensor(x, dtype=float32)``, ``torch.nn.functional.normalize(p=2, dim=1)`` and
  ``(a * b).sum(dim=-1)``. (mteb 2.26.24's ``AbsEncoder.similarity_pairwise`` raises for
  ``"euclidean"``; mieb then uses ``select_pairwise_similarity``'s formula.)
  That float32 cosine is not bit-identical to the sklearn cosine (or to a numpy float32 one), so
  ``pearson`` can differ from ``cosine_pearson`` in the last digits, and float32 rounding decides
  ties that change Spearman's average ranks. Identical image pairs (a sentence paired with itself)
  all have cosine ~1.0, and numpy's reduction rounds them to 0.9999999 / 1.0 / 1.0000001 differently
  from torch's: on a parity run that moved ``spearman`` by 1.3e-3. Using torch's arithmetic keeps
  ``spearman`` identical to mteb's (same torch build). The ``cosine_*``, ``manhattan_*`` and
  ``euclidean_*`` metrics go through the same scikit-learn and scipy calls and are bit-identical.
  Given the same embeddings every field is bit-identical to mteb's. Embeddings computed by another
  pipeline differ in their last bits (the image normalisation's arithmetic, batch composition):
  the ``cosine_*`` fields hardly move (scikit-learn computes ``1 - ||a - b||^2 / 2`` from the
  difference, so identical images give exactly 1 on both sides and near-identical ones keep their
  order), but the model similarity ``a . b`` of normalised float32 vectors lands on the float32
  grid near 1 (steps of 6e-8), and pairs whose true similarities are closer than a few steps are
  ordered by rounding. ``spearman`` can then move anywhere within ``spearman_rounding_range``.
* every correlation is ``float(scipy.stats.pearsonr(gold, pred)[0])`` /
  ``float(scipy.stats.spearmanr(gold, pred)[0])``, gold first. The values are plain Python floats.
  NaN is not caught: a constant input gives NaN (scipy emits ``ConstantInputWarning``), and NaN in
  the input propagates. Fewer than two pairs raises, as scipy does.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics.pairwise import (
    paired_cosine_distances,
    paired_euclidean_distances,
    paired_manhattan_distances,
)

from harness.evaluators.items import Scored, metrics_only, row_ids
from mieb_records.models import SIMILARITIES
from mieb_records.outcomes import ItemOutcomes

__all__ = [
    "default_pairwise_similarity",
    "pairwise_scores",
    "spearman_rounding_range",
    "visual_sts",
    "visual_sts_scored",
]

_NORMALIZE_EPS = 1e-12  # torch.nn.functional.normalize default


def default_pairwise_similarity(emb1: np.ndarray, emb2: np.ndarray) -> np.ndarray:
    """The pairwise cosine that mteb uses for a model without its own similarity. The result is float32.

    mteb's ``pairwise_cos_sim`` with its own torch arithmetic: numpy's float32 reduction rounds
    differently, and the rounding decides Spearman ties (see the module docstring).
    """
    import torch

    a = torch.tensor(np.asarray(emb1), dtype=torch.float32)
    b = torch.tensor(np.asarray(emb2), dtype=torch.float32)
    a = torch.nn.functional.normalize(a, p=2, dim=1, eps=_NORMALIZE_EPS)
    b = torch.nn.functional.normalize(b, p=2, dim=1, eps=_NORMALIZE_EPS)
    return (a * b).sum(dim=-1).numpy()


def pairwise_scores(emb1: np.ndarray, emb2: np.ndarray, similarity: str = "cosine") -> np.ndarray:
    """``sim(emb1[i], emb2[i])`` for a declared similarity, in mteb's float32 torch arithmetic."""
    if similarity == "cosine":
        return default_pairwise_similarity(emb1, emb2)
    if similarity not in SIMILARITIES:
        raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")
    import torch

    a = torch.tensor(np.asarray(emb1), dtype=torch.float32)
    b = torch.tensor(np.asarray(emb2), dtype=torch.float32)
    if similarity == "dot":
        return (a * b).sum(dim=-1).numpy()
    return (-torch.sqrt(torch.sum((a - b) ** 2, dim=-1))).numpy()


def spearman_rounding_range(gold: np.ndarray, scores: np.ndarray, ulps: int = 4) -> tuple[float, float]:
    """The range of ``spearman(gold, scores)`` over the orders float32 rounding could give ``scores``.

    float32 similarities near 1 sit on a grid of 6e-8: pairs whose true similarities differ by less
    than a few grid steps (identical images: exactly 1; a weak model's near-identical embeddings) are
    ordered, or tied, by the last bits of the embeddings, which differ between implementations
    (preprocessing arithmetic, batch composition). Scores are grouped where neighbours lie within
    ``ulps`` float32 steps; each group is then ordered by gold ascending, by gold descending, or tied,
    all groups alike, and the extremes of the three Spearman values are returned.
    """
    gold = np.asarray(gold, dtype=np.float64)
    values = np.asarray(scores, dtype=np.float32)
    order = np.argsort(values, kind="stable")
    steps = np.spacing(np.abs(values[order[:-1]])) * ulps
    group = np.concatenate([[0], np.cumsum(np.diff(values[order]) > steps)])
    n = len(order)
    rank_of = np.empty(n)  # each item's rank within the sorted scores, groups reordered
    results = []
    for variant in ("ascending", "descending", "tied"):
        position = 0
        for g in np.unique(group):
            members = order[group == g]
            ranks = np.arange(position, position + len(members), dtype=np.float64)
            if variant == "tied":
                rank_of[members] = ranks.mean()
            else:
                by_gold = members[np.argsort(gold[members] * (1 if variant == "ascending" else -1), kind="stable")]
                rank_of[by_gold] = ranks
            position += len(members)
        results.append(float(spearmanr(gold, rank_of)[0]))
    return min(results), max(results)


def _corr(gold: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    return float(pearsonr(gold, pred)[0]), float(spearmanr(gold, pred)[0])


def visual_sts_scored(
    emb1: np.ndarray,
    emb2: np.ndarray,
    gold_scores: np.ndarray,
    *,
    min_score: float = 0.0,
    max_score: float = 5.0,
    pairwise_similarity: np.ndarray | None = None,
    similarity: str = "cosine",
) -> Scored:
    """STS metrics for ``n`` pairs: ``emb1[i]`` vs ``emb2[i]`` against ``gold_scores[i]``.

    Args:
        emb1, emb2: ``[n, d]`` embeddings of the first and second rendered sentence.
        gold_scores: ``[n]`` human similarity scores on the ``[min_score, max_score]`` scale.
        min_score, max_score: bounds used to normalise the gold scores (mteb: 0 and 5).
        pairwise_similarity: ``[n]`` scores from the model's own ``similarity_pairwise``. If None,
            ``pairwise_scores(emb1, emb2, similarity)`` is used.
        similarity: the model's declared similarity (``"cosine"``, ``"dot"`` or ``"euclidean"``).

    Returns:
        metrics ``pearson``, ``spearman``, ``cosine_pearson``, ``cosine_spearman``,
        ``manhattan_pearson``, ``manhattan_spearman``, ``euclidean_pearson`` and
        ``euclidean_spearman`` (Python floats; the main score is ``cosine_spearman``), and for each
        an outcome: every pair's similarity (values) against its normalised gold score (reference).
    """
    e1 = np.asarray(emb1)
    e2 = np.asarray(emb2)
    if e1.ndim != 2 or e1.shape != e2.shape:
        raise ValueError(f"emb1 and emb2 must both be [n, d] arrays, got {e1.shape} and {e2.shape}")
    gold = np.asarray(gold_scores, dtype=np.float64).reshape(-1)
    if gold.shape[0] != e1.shape[0]:
        raise ValueError(f"{gold.shape[0]} gold scores for {e1.shape[0]} pairs")
    gold = (gold - min_score) / (max_score - min_score)

    cosine = (1 - paired_cosine_distances(e1, e2)).astype(np.float64)
    manhattan = (-paired_manhattan_distances(e1, e2)).astype(np.float64)
    euclidean = (-paired_euclidean_distances(e1, e2)).astype(np.float64)
    if pairwise_similarity is None:
        model_sim = pairwise_scores(e1, e2, similarity).astype(np.float64)
    else:
        model_sim = np.asarray(pairwise_similarity, dtype=np.float64).reshape(-1)
        if model_sim.shape[0] != e1.shape[0]:
            raise ValueError(f"{model_sim.shape[0]} pairwise similarities for {e1.shape[0]} pairs")

    metrics: dict[str, float] = {}
    outcomes: dict[str, ItemOutcomes] = {}
    ids = row_ids(len(gold))
    for prefix, pred in (("", model_sim), ("cosine_", cosine), ("manhattan_", manhattan), ("euclidean_", euclidean)):
        metrics[f"{prefix}pearson"], metrics[f"{prefix}spearman"] = _corr(gold, pred)
        for kind in ("pearson", "spearman"):
            outcomes[f"{prefix}{kind}"] = ItemOutcomes(f"{prefix}{kind}", kind, ids, pred, reference=gold)
    order = ("pearson", "spearman", "cosine_pearson", "cosine_spearman")
    order += ("manhattan_pearson", "manhattan_spearman", "euclidean_pearson", "euclidean_spearman")
    return Scored({name: metrics[name] for name in order}, outcomes)


visual_sts = metrics_only(visual_sts_scored, "visual_sts")
