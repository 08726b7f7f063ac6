"""Ranking order of a run: trec_eval's (float32 score descending, document id descending) and the
double-precision order of mteb's ``mrr``; see ``harness.evaluators.retrieval.metrics``, behaviour 4."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rows_needing_sort(s32: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Rows that are not already valid-first and strictly descending in float32.

    A strictly descending row is in trec_eval order whatever the ids (and in double order too:
    float32 rounding is monotonic), so only rows with ties or disorder are sorted.
    """
    if s32.shape[1] < 2:
        return np.zeros(0, dtype=np.int64)
    nxt = valid[:, 1:]
    bad = (nxt & ~(s32[:, :-1] > s32[:, 1:])) | (nxt & ~valid[:, :-1])
    return np.flatnonzero(bad.any(axis=1))


def _float32_order_key(scores32: np.ndarray) -> np.ndarray:
    """uint64 whose unsigned order equals float32 order (for packing with an id rank)."""
    bits = scores32.view(np.uint32).astype(np.uint64)
    negative = (bits & 0x80000000) != 0
    return np.where(negative, ~bits & 0xFFFFFFFF, bits | 0x80000000)


def local_id_ranks(idx: np.ndarray, valid: np.ndarray, corpus_ids: Sequence[str]) -> np.ndarray:
    """String-order rank of each valid entry's corpus id among the ids present (-1 = padding)."""
    docs = np.unique(idx[valid])
    ids = np.array([corpus_ids[i] for i in docs.tolist()], dtype=str)
    rank_of_doc = np.empty(docs.size, dtype=np.int64)
    rank_of_doc[np.argsort(ids, kind="stable")] = np.arange(docs.size)
    ranks = np.full(idx.shape, -1, dtype=np.int64)
    ranks[valid] = rank_of_doc[np.searchsorted(docs, idx[valid])]
    return ranks


def trec_order(s32: np.ndarray, ranks: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per-row permutation: valid entries by (float32 score desc, id desc), padding last."""
    key = (_float32_order_key(s32) << np.uint64(32)) | (ranks + 1).astype(np.uint64)
    key = np.where(valid, key, np.uint64(0))
    return np.argsort(~key, axis=1, kind="stable")


def double_order(scores: np.ndarray, ranks: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per-row permutation by (float64 score desc, id desc), padding last (mteb's ``mrr`` sort)."""
    s = np.where(valid, scores.astype(np.float64), -np.inf)
    return np.lexsort((-ranks, -s), axis=1)


def reorder(rows: np.ndarray, order: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """Copies of ``arrays`` with ``rows`` permuted by ``order``."""
    out = []
    for a in arrays:
        a = a.copy()
        a[rows] = np.take_along_axis(a[rows], order, axis=1)
        out.append(a)
    return out
