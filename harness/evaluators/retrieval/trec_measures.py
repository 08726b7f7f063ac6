"""trec_eval's per-query measures over blocks of rankings: the qrels lookup, ndcg, map, recall,
precision, hit rate and MRR at every k; see ``harness.evaluators.retrieval.metrics``, behaviours 5 and 7."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


# --------------------------------------------------------------------------- qrels lookup
class Qrels:
    """Qrels of the kept queries as sorted int64 keys ``row * n_docs + doc`` plus per-row stats."""

    def __init__(
        self,
        kept_ids: Sequence[str],
        corpus_ids: Sequence[str],
        qrels: Mapping[str, Mapping[str, int]],
        max_k: int,
    ) -> None:
        rows: list[int] = []
        doc_ids: list[str] = []
        rels: list[int] = []
        for row, qid in enumerate(kept_ids):
            for doc_id, rel in qrels[qid].items():
                rows.append(row)
                doc_ids.append(doc_id)
                rels.append(int(rel))
        judged = set(doc_ids)
        corpus_index = {c: i for i, c in enumerate(corpus_ids) if c in judged}
        n_docs = max(len(corpus_ids), 1)
        row_a = np.asarray(rows, dtype=np.int64)
        doc_a = np.fromiter((corpus_index.get(d, -1) for d in doc_ids), np.int64, len(doc_ids))
        rel_a = np.asarray(rels, dtype=np.int64)
        n = len(kept_ids)
        self.num_rel = np.bincount(row_a[rel_a >= 1], minlength=n)
        # ideal gains: positive qrels per query, sorted descending, the first max_k kept
        pos = rel_a > 0
        pos_rows, pos_rels = row_a[pos], rel_a[pos]
        order = np.lexsort((-pos_rels, pos_rows))
        pos_rows, pos_rels = pos_rows[order], pos_rels[order]
        counts = np.bincount(pos_rows, minlength=n)
        rank_in_row = np.arange(pos_rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
        first = rank_in_row < max_k
        width = min(int(counts.max()) if n else 0, max_k)
        self.ideal = np.zeros((n, width), dtype=np.float64)
        self.ideal[pos_rows[first], rank_in_row[first]] = pos_rels[first]
        # lookup of (row, doc) -> relevance for judged documents that are in the corpus
        in_corpus = doc_a >= 0
        keys = row_a[in_corpus] * n_docs + doc_a[in_corpus]
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.rels = rel_a[in_corpus][order]
        self.n_docs = n_docs
        self.is_judged = np.zeros(n_docs, dtype=bool)
        self.is_judged[doc_a[in_corpus]] = True

    def lookup(self, rows: np.ndarray, docs: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Relevance of ``docs`` (``[b, K]`` corpus indices) for query ``rows``; 0 if unjudged."""
        out = np.zeros(docs.shape, dtype=np.int64)
        candidate = valid & self.is_judged[np.where(valid, docs, 0)]
        r, c = np.nonzero(candidate)
        if r.size == 0:
            return out
        keys = rows[r] * self.n_docs + docs[r, c]
        pos = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        hit = self.keys[pos] == keys
        out[r[hit], c[hit]] = self.rels[pos[hit]]
        return out


# --------------------------------------------------------------------------- per-query math
def _cut(cum: np.ndarray, k: int) -> np.ndarray:
    """Value of a running sum after the first ``k`` ranks (0 when nothing was retrieved)."""
    if cum.shape[1] == 0:
        return np.zeros(cum.shape[0], dtype=cum.dtype)
    return cum[:, min(k, cum.shape[1]) - 1]


def discounts(n: int) -> np.ndarray:
    # math.log2 is libm's log2, the function trec_eval calls
    return np.array([math.log2(i + 2) for i in range(n)], dtype=np.float64)


def per_query_block(
    rel: np.ndarray,
    mrr_rel: np.ndarray,
    num_rel: np.ndarray,
    ideal: np.ndarray,
    ks: Sequence[int],
    disc: np.ndarray,
) -> dict[str, np.ndarray]:
    """trec_eval's measures for one block. ``rel``: qrels of the ranking in trec order."""
    width = rel.shape[1]
    is_rel = rel >= 1
    rel_so_far = np.cumsum(is_rel, axis=1, dtype=np.int64)
    ranks = np.arange(1, width + 1, dtype=np.float64)
    ap_terms = np.where(is_rel, rel_so_far / ranks, 0.0)
    ap_cum = np.cumsum(ap_terms, axis=1)
    gains = np.where(rel > 0, rel, 0).astype(np.float64)
    dcg_cum = np.cumsum(gains / disc[:width], axis=1)
    ideal_cum = np.cumsum(ideal / disc[: ideal.shape[1]], axis=1)
    nrel = num_rel.astype(np.float64)
    has_rel = num_rel > 0
    safe_nrel = np.where(has_rel, nrel, 1.0)
    # first rank (1-based) of a qrel > 0 in mteb's mrr order; 0 = none
    mrr_hit = mrr_rel > 0
    first = np.zeros(rel.shape[0], dtype=np.int64)
    if mrr_rel.shape[1]:
        first = np.where(mrr_hit.any(axis=1), mrr_hit.argmax(axis=1) + 1, 0)

    out: dict[str, np.ndarray] = {}
    for k in ks:
        hits = _cut(rel_so_far, k)
        idcg = _cut(ideal_cum, k)
        dcg = _cut(dcg_cum, k)
        out[f"ndcg_{k}"] = np.where(idcg > 0.0, dcg / np.where(idcg > 0.0, idcg, 1.0), dcg)
        out[f"map_{k}"] = np.where(has_rel, _cut(ap_cum, k) / safe_nrel, 0.0)
        out[f"recall_{k}"] = np.where(has_rel, hits / safe_nrel, 0.0)
        out[f"precision_{k}"] = hits / float(k)
        out[f"hit_rate_{k}"] = (hits > 0).astype(np.float64)
        out[f"mrr_{k}"] = np.where((first > 0) & (first <= k), 1.0 / np.maximum(first, 1), 0.0)
    return out
