"""Confidence scores and nAUC of mteb's abstention evaluation; see ``harness.evaluators.retrieval.metrics``,
behaviour 8."""

from __future__ import annotations

import functools
import heapq

import numpy as np

_ABSTENTION_RATES = np.linspace(0, 1, 11)[:-1]  # mteb's _DEFAULT_ABSTENTION_RATES


@functools.lru_cache(maxsize=64)
def _heap_array_order(m: int) -> np.ndarray:
    """Positions (in descending-score order) of mteb's result dict entries for ``m`` results.

    mteb pushes each chunk's ``torch.topk`` output, best first, onto a ``heapq`` and builds the
    result dict by walking the heap array. For a descending push sequence every push bubbles the
    new minimum to the root along a fixed path, so the array order depends only on ``m`` (equal
    scores may swap places, which does not change the sequence of values). This holds for a
    single corpus chunk and for reranking; ``np.std`` over the values in this order is then
    bit-identical to mteb's.
    """
    heap: list[int] = []
    for rank in range(m):
        heapq.heappush(heap, m - rank)  # strictly decreasing values m, m-1, ..., 1
    return m - np.asarray(heap, dtype=np.int64)


def confidences(scores: np.ndarray, valid: np.ndarray, heap_order: bool) -> dict[str, np.ndarray]:
    """mteb's ``confidence_scores`` per row; ``scores`` sorted descending, padding last.

    ``std`` is ``np.std`` over each row's values in mteb's dict order: heap-array order, or score
    order after skip_first_result (whose re-sort rebuilt the dict).
    """
    n_valid = valid.sum(axis=1)
    s = np.where(valid, scores.astype(np.float64), 0.0)
    top = s[:, 0] if s.shape[1] else np.zeros(s.shape[0])
    second = s[:, 1] if s.shape[1] > 1 else np.zeros(s.shape[0])
    std = np.zeros(s.shape[0])
    for m in np.unique(n_valid[n_valid > 1]).tolist():
        rows = np.flatnonzero(n_valid == m)
        cols = _heap_array_order(m) if heap_order else np.arange(m)
        # contiguous rows: numpy then sums each row pairwise, exactly as np.std on a 1-D list
        std[rows] = np.std(np.ascontiguousarray(s[rows][:, cols]), axis=1)
    return {
        "max": np.where(n_valid > 0, top, 0.0),
        "std": std,
        "diff1": np.where(n_valid > 1, top - second, 0.0),
    }


# --------------------------------------------------------------------------- nAUC
class Abstention:
    """mteb's ``abstention_curve`` for one confidence vector, reusable across metrics.

    Queries are sorted stably by confidence; each run of equal confidences contributes its mean
    metric (mteb #5613); the curve at rate r is the mean over the queries left after abstaining
    on the ``min(round(r * n), n - 1)`` least confident.
    """

    def __init__(self, conf: np.ndarray) -> None:
        self.n = conf.size
        self.order = np.argsort(conf, stable=True)
        ordered = conf[self.order]
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        self.sizes = np.diff(np.r_[self.starts, self.n])

    def curve(self, metric: np.ndarray) -> np.ndarray:
        if self.n == 0:
            return np.full(len(_ABSTENTION_RATES), np.nan)
        ordered = metric[self.order]
        ordered = np.repeat(np.add.reduceat(ordered, self.starts) / self.sizes, self.sizes)
        curve = np.zeros(len(_ABSTENTION_RATES))
        for i, rate in enumerate(_ABSTENTION_RATES):
            n_abstain = min(round(rate * self.n), self.n - 1)
            curve[i] = ordered[n_abstain:].mean()
        return curve


def nauc(abstention: Abstention, metric: np.ndarray) -> float:
    """mteb's ``nauc``: (area - flat) / (oracle area - flat), NaN when oracle == flat."""
    rates = _ABSTENTION_RATES
    curve = abstention.curve(metric)
    oracle = Abstention(metric).curve(metric)
    area = np.trapezoid(curve, rates)  # sklearn.metrics.auc on increasing x
    oracle_area = np.trapezoid(oracle, rates)
    flat_area = oracle[0] * (rates[-1] - rates[0])
    if oracle_area == flat_area:
        return float("nan")
    return float((area - flat_area) / (oracle_area - flat_area))
