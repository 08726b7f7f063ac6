"""Retrieval metrics with mteb 2.x semantics, vectorised over queries.

Reference (mteb 2.26.24): ``calculate_retrieval_scores``, ``parse_metrics_from_scores``, ``mrr``,
``confidence_scores``, ``nauc``, ``evaluate_abstention`` and ``make_score_dict`` in
``mteb/_evaluators/retrieval_metrics.py``; query filtering in ``mteb/abstasks/retrieval.py``
(``_filter_queries_without_positives``) and ``mteb/abstasks/retrieval_dataset_loaders.py``; result
dict construction in ``mteb/models/search_wrappers.py``. mteb feeds a ``{qid: {doc_id: score}}``
dict to ``pytrec_eval`` (trec_eval 9); everything below reproduces that without building it.

Behaviours reproduced, step by step:

1. **Query filtering.** mteb's loader keeps only queries whose id appears in the qrels, then
   ``_filter_queries_without_positives`` drops queries whose qrels dict is *empty* (despite the
   name, a query whose qrels are all 0 is kept and scores 0 everywhere). Both are applied here to
   ``query_ids`` before anything else; qrels entries for queries not in ``query_ids`` are ignored
   (pytrec_eval only reports queries present in the run). Zero remaining queries raise
   ``ValueError`` (mteb divides by zero).
2. **Run contents.** Every kept query is in the run, even with no retrieved document (e.g. an
   empty candidate list); padding (index ``-1``) is not a document.
3. **skip_first_result** (``calculate_retrieval_scores``): each ranking is re-sorted by score
   and its first document dropped *before* every metric, MRR and the confidence scores. mteb's sort
   is stable over heap-array order, so with an exact tie at the top the dropped document is
   heap-dependent. We drop the one trec_eval would rank first (largest document id among the
   tied), which is what mteb's heap yields for the common case of a two-way tie in a
   single-chunk corpus (<= 50,000 documents) with ``top_k`` 1000. (Simulated; with several chunks
   or wider ties mteb's choice also depends on torch.topk's tie order, which varies by device.)
4. **Ranking order** (trec_eval ``form_res_rels.c``, ``comp_sim_docno``): scores are compared as C
   ``float`` (float32), ties broken by document id in *descending* ``strcmp`` order (code-point
   order, equal to Python ``str`` order). ``mrr`` sorts by ``(score, doc_id)`` descending on the
   double values; for float32 scores both orders coincide.
5. **Per-query measures** (trec_eval ``m_ndcg_cut.c``, ``m_map_cut.c``, ``m_recall.c``, ``m_P.c``,
   ``m_success.c``, relevance level 1): a document is relevant iff its qrel is ``>= 1``; ndcg gain
   is the qrel value when ``> 0`` (no exponential gain), discount ``log2(rank + 1)`` computed with
   libm ``log2``; ideal DCG uses every positive qrel, retrieved or not, including documents absent
   from the corpus; ``map_cut`` and ``recall`` divide by that relevant count (0 when it is 0);
   ``P@k`` divides by ``k`` even when fewer than ``k`` documents were retrieved. The sums are
   accumulated in rank order as trec_eval does, so per-query values are bit-identical to
   pytrec_eval's.
6. **Averaging and rounding** (``parse_metrics_from_scores``): ndcg, map, recall, precision and
   hit rate are ``round(sum(values) / n, 5)`` with Python's builtin ``sum`` in query order (the
   same summation as mteb's on the same interpreter). ``mrr_at_k`` is
   the plain mean, **not rounded**; ``accuracy`` is ``recall_at_1`` (present when 1 is a k value).
7. **MRR** (``mrr``): reciprocal rank of the first document with qrel ``> 0`` within the top k,
   ties broken by descending id as in trec_eval (mteb 2.26.24; before mteb #5092 ties followed
   the result dict's order).
8. **nAUC** (``evaluate_abstention``, ``nauc``): per query, confidences ``max``, ``std``
   (population, ``np.std``) and ``diff1`` (top score minus second, 0 with fewer than two; all 0
   for an empty ranking) of the retrieved scores *after* skip_first. For ndcg, map, recall,
   precision and mrr at every k: an abstention curve at rates 0, 0.1, ..., 0.9 over queries sorted
   stably by confidence, where each group of equal confidences contributes its mean metric (mteb
   #5613), the oracle curve (confidence = the metric itself), trapezoid areas, and
   ``(auc - flat) / (oracle - flat)``, NaN when oracle == flat. Not rounded. Hit rate gets none.
9. **Keys and order** (``make_score_dict``): ``ndcg_at_k``, ``map_at_k``, ``recall_at_k``,
   ``accuracy``, ``precision_at_k``, ``mrr_at_k``, ``nauc_{ndcg,map,recall,precision}_at_k_{max,
   std,diff1}``, ``nauc_mrr_at_k_*``, ``hit_rate_at_k``.

Vectorisation: the qrels dicts are walked once to build sorted ``(query, doc) -> relevance`` keys;
all ranking and metric math is numpy over blocks of queries. Floating point: per-query measures
are bit-identical to pytrec_eval's and the averages use the same summation, so the rounded values
match exactly. ``std`` is bit-identical when mteb's heap saw a single corpus chunk (<= 50,000
documents) or reranked candidates; with several chunks mteb's dict order depends on the merge
history, and our ``std`` can differ in the last bit (it only orders queries for nAUC).
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Mapping, Sequence

import numpy as np

from harness.evaluators.search import search

__all__ = [
    "DEFAULT_K_VALUES",
    "candidates_from_top_ranked",
    "per_query_metrics",
    "retrieval",
    "retrieval_metrics",
]

DEFAULT_K_VALUES = (1, 3, 5, 10, 20, 100, 1000)
_ABSTENTION_RATES = np.linspace(0, 1, 11)[:-1]  # mteb's _DEFAULT_ABSTENTION_RATES
_CONFIDENCES = ("max", "std", "diff1")
_ROW_BLOCK = 4096  # queries per block in the metric math (bounds float64 temporaries)


# --------------------------------------------------------------------------- query filtering
def _kept_queries(query_ids: Sequence[str], qrels: Mapping[str, Mapping[str, int]]) -> np.ndarray:
    """Row numbers of the queries mteb evaluates: id in qrels with a non-empty qrels dict."""
    return np.fromiter((i for i, qid in enumerate(query_ids) if len(qrels.get(qid, ())) > 0), dtype=np.int64)


# --------------------------------------------------------------------------- ordering helpers
def _rows_needing_sort(s32: np.ndarray, valid: np.ndarray) -> np.ndarray:
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


def _local_id_ranks(idx: np.ndarray, valid: np.ndarray, corpus_ids: Sequence[str]) -> np.ndarray:
    """String-order rank of each valid entry's corpus id among the ids present (-1 = padding)."""
    docs = np.unique(idx[valid])
    ids = np.array([corpus_ids[i] for i in docs.tolist()], dtype=str)
    rank_of_doc = np.empty(docs.size, dtype=np.int64)
    rank_of_doc[np.argsort(ids, kind="stable")] = np.arange(docs.size)
    ranks = np.full(idx.shape, -1, dtype=np.int64)
    ranks[valid] = rank_of_doc[np.searchsorted(docs, idx[valid])]
    return ranks


def _trec_order(s32: np.ndarray, ranks: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per-row permutation: valid entries by (float32 score desc, id desc), padding last."""
    key = (_float32_order_key(s32) << np.uint64(32)) | (ranks + 1).astype(np.uint64)
    key = np.where(valid, key, np.uint64(0))
    return np.argsort(~key, axis=1, kind="stable")


def _double_order(scores: np.ndarray, ranks: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per-row permutation by (float64 score desc, id desc), padding last (mteb's ``mrr`` sort)."""
    s = np.where(valid, scores.astype(np.float64), -np.inf)
    return np.lexsort((-ranks, -s), axis=1)


def _reorder(rows: np.ndarray, order: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """Copies of ``arrays`` with ``rows`` permuted by ``order``."""
    out = []
    for a in arrays:
        a = a.copy()
        a[rows] = np.take_along_axis(a[rows], order, axis=1)
        out.append(a)
    return out


# --------------------------------------------------------------------------- qrels lookup
class _Qrels:
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


def _discounts(n: int) -> np.ndarray:
    # math.log2 is libm's log2, the function trec_eval calls
    return np.array([math.log2(i + 2) for i in range(n)], dtype=np.float64)


def _per_query_block(
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


def _confidences(scores: np.ndarray, valid: np.ndarray, heap_order: bool) -> dict[str, np.ndarray]:
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
class _Abstention:
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


def _nauc(abstention: _Abstention, metric: np.ndarray) -> float:
    """mteb's ``nauc``: (area - flat) / (oracle area - flat), NaN when oracle == flat."""
    rates = _ABSTENTION_RATES
    curve = abstention.curve(metric)
    oracle = _Abstention(metric).curve(metric)
    area = np.trapezoid(curve, rates)  # sklearn.metrics.auc on increasing x
    oracle_area = np.trapezoid(oracle, rates)
    flat_area = oracle[0] * (rates[-1] - rates[0])
    if oracle_area == flat_area:
        return float("nan")
    return float((area - flat_area) / (oracle_area - flat_area))


# --------------------------------------------------------------------------- public API
def per_query_metrics(
    scores: np.ndarray,
    indices: np.ndarray,
    query_ids: Sequence[str],
    corpus_ids: Sequence[str],
    qrels: Mapping[str, Mapping[str, int]],
    k_values: Sequence[int] = DEFAULT_K_VALUES,
    skip_first_result: bool = False,
) -> tuple[list[str], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-query measures and confidences for the queries mteb evaluates.

    Returns ``(kept_query_ids, measures, confidences)``; ``measures`` maps ``"ndcg_10"``,
    ``"map_10"``, ``"recall_10"``, ``"precision_10"``, ``"hit_rate_10"``, ``"mrr_10"`` ... to
    float64 arrays in ``kept_query_ids`` order (equal to pytrec_eval's ``ndcg_cut_10`` ...).
    """
    scores = np.asarray(scores)
    indices = np.asarray(indices, dtype=np.int64)
    if scores.shape != indices.shape or scores.ndim != 2:
        raise ValueError("scores and indices must both be [n_queries, k]")
    if len(query_ids) != scores.shape[0]:
        raise ValueError("query_ids must have one entry per row of scores")
    ks = [int(k) for k in k_values]
    if not ks or min(ks) < 1:
        raise ValueError("k_values must be positive")

    kept = _kept_queries(query_ids, qrels)
    if kept.size == 0:
        raise ValueError("no query has qrels; mteb cannot score this split")
    kept_ids = [query_ids[i] for i in kept]
    if kept.size < scores.shape[0]:
        scores, indices = scores[kept], indices[kept]
    valid = indices >= 0
    if np.isnan(scores[valid]).any():
        raise ValueError("NaN values detected in the similarity scores")

    table = _Qrels(kept_ids, corpus_ids, qrels, max(ks))
    disc = _discounts(max(scores.shape[1], table.ideal.shape[1], 1))
    float32_scores = scores.dtype in (np.float32, np.float16)

    measures: dict[str, list[np.ndarray]] = {}
    confs: dict[str, list[np.ndarray]] = {c: [] for c in _CONFIDENCES}
    for b0 in range(0, len(kept), _ROW_BLOCK):
        b1 = min(b0 + _ROW_BLOCK, len(kept))
        s, idx, ok = scores[b0:b1], indices[b0:b1], valid[b0:b1]
        s32 = s.astype(np.float32, copy=False)
        s_t, idx_t, ok_t = s, idx, ok
        s_d, idx_d, ok_d = s, idx, ok
        same_order = True
        fix = _rows_needing_sort(s32, ok)
        if fix.size:
            ranks = _local_id_ranks(idx[fix], ok[fix], corpus_ids)
            trec = _trec_order(s32[fix], ranks, ok[fix])
            s_t, idx_t, ok_t = _reorder(fix, trec, s, idx, ok)
            s_d, idx_d, ok_d = s_t, idx_t, ok_t
            if not float32_scores:
                dbl = _double_order(s[fix], ranks, ok[fix])
                same_order = bool((dbl == trec).all())
                if not same_order:
                    s_d, idx_d, ok_d = _reorder(fix, dbl, s, idx, ok)
        if skip_first_result and s.shape[1]:
            # mteb sorts by score and drops the first; see module docstring, step 3
            if not same_order:  # drop the double-order first from the trec order too
                keep = ~((idx_t == idx_d[:, :1]) & ok_t & ok_d[:, :1])
                keep[~ok_d[:, 0], -1] = False  # empty row: drop one padding slot instead
                shape = (s.shape[0], s.shape[1] - 1)
                s_t, idx_t, ok_t = (a[keep].reshape(shape) for a in (s_t, idx_t, ok_t))
            else:
                s_t, idx_t, ok_t = s_t[:, 1:], idx_t[:, 1:], ok_t[:, 1:]
            s_d, idx_d, ok_d = s_d[:, 1:], idx_d[:, 1:], ok_d[:, 1:]
        rows = np.arange(b0, b1, dtype=np.int64)
        rel_t = table.lookup(rows, idx_t, ok_t)
        rel_d = rel_t if same_order else table.lookup(rows, idx_d, ok_d)
        block = _per_query_block(rel_t, rel_d, table.num_rel[b0:b1], table.ideal[b0:b1], ks, disc)
        for name, values in block.items():
            measures.setdefault(name, []).append(values)
        for name, values in _confidences(s_d, ok_d, not skip_first_result).items():
            confs[name].append(values)
    return (
        kept_ids,
        {name: np.concatenate(parts) for name, parts in measures.items()},
        {name: np.concatenate(parts) for name, parts in confs.items()},
    )


def retrieval_metrics(
    scores: np.ndarray,
    indices: np.ndarray,
    query_ids: Sequence[str],
    corpus_ids: Sequence[str],
    qrels: Mapping[str, Mapping[str, int]],
    k_values: Sequence[int] = DEFAULT_K_VALUES,
    skip_first_result: bool = False,
) -> dict[str, float]:
    """mteb 2.x retrieval scores from a search result (see the module docstring).

    Args:
        scores: ``[n_queries, K]`` similarity scores, each row as returned by
            :func:`harness.evaluators.search.search` (any order; padding ``-inf``).
        indices: ``[n_queries, K]`` corpus row numbers, ``-1`` for padding.
        query_ids: id of each row.
        corpus_ids: id of each corpus row (unique).
        qrels: ``{query_id: {corpus_id: relevance}}``.
        k_values: cutoffs; mteb's default is ``(1, 3, 5, 10, 20, 100, 1000)``.
        skip_first_result: drop each ranking's top document before scoring.

    Returns:
        The score dict, keys and order as mteb's ``make_score_dict``; plain Python floats.
    """
    _, measures, confs = per_query_metrics(scores, indices, query_ids, corpus_ids, qrels, k_values, skip_first_result)
    ks = [int(k) for k in k_values]
    n = len(next(iter(measures.values())))

    def mean5(name: str) -> float:
        # Python's sum in query order, then round: parse_metrics_from_scores
        return round(sum(measures[name].tolist()) / n, 5)

    out: dict[str, float] = {}
    for family in ("ndcg", "map", "recall"):
        out.update({f"{family}_at_{k}": mean5(f"{family}_{k}") for k in ks})
    if 1 in ks:
        out["accuracy"] = out["recall_at_1"]
    out.update({f"precision_at_{k}": mean5(f"precision_{k}") for k in ks})
    for k in ks:
        values = measures[f"mrr_{k}"].tolist()
        out[f"mrr_at_{k}"] = sum(values) / len(values)
    abstentions = {conf: _Abstention(confs[conf]) for conf in _CONFIDENCES}
    for family in ("ndcg", "map", "recall", "precision", "mrr"):
        for k in ks:
            metric = measures[f"{family}_{k}"]
            for conf in _CONFIDENCES:
                out[f"nauc_{family}_at_{k}_{conf}"] = _nauc(abstentions[conf], metric)
    out.update({f"hit_rate_at_{k}": mean5(f"hit_rate_{k}") for k in ks})
    return out


def candidates_from_top_ranked(
    top_ranked: Mapping[str, Sequence[str]],
    query_ids: Sequence[str],
    corpus_ids: Sequence[str],
) -> list[np.ndarray]:
    """mteb ``top_ranked`` (``{qid: [doc ids]}``) as per-query corpus indices for ``search``.

    A query missing from ``top_ranked`` gets no candidates (mteb logs a warning and leaves its
    results empty). Multiple-choice tasks build ``top_ranked[qid] = list(qrels[qid])``.
    """
    corpus_index = {cid: i for i, cid in enumerate(corpus_ids)}
    return [np.fromiter((corpus_index[d] for d in top_ranked.get(qid, ())), dtype=np.int64) for qid in query_ids]


def retrieval(
    query_emb: np.ndarray,
    corpus_emb: np.ndarray,
    query_ids: Sequence[str],
    corpus_ids: Sequence[str],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    k_values: Sequence[int] = DEFAULT_K_VALUES,
    skip_first_result: bool = False,
    similarity: str = "cosine",
    device: str | None = None,
    candidates: Sequence[np.ndarray] | None = None,
    chunk_size: int = 50_000,
) -> dict[str, float]:
    """Search then score, as mteb's ``AbsTaskRetrieval._evaluate_subset`` with an encoder.

    Queries mteb would drop (step 1 of the module docstring) are removed before searching.
    ``top_k`` is ``max(k_values)``, as in mteb (skip_first_result then leaves one fewer).
    """
    if len(query_ids) != len(query_emb):
        raise ValueError("query_ids must have one entry per query embedding")
    kept = _kept_queries(query_ids, qrels)
    if kept.size == 0:
        raise ValueError("no query has qrels; mteb cannot score this split")
    kept_ids = [query_ids[i] for i in kept]
    kept_candidates = None if candidates is None else [candidates[i] for i in kept]
    if kept.size < len(query_ids):
        query_emb = query_emb[kept]
    scores, indices = search(
        query_emb,
        corpus_emb,
        max(int(k) for k in k_values),
        similarity=similarity,
        device=device,
        chunk_size=chunk_size,
        candidates=kept_candidates,
    )
    return retrieval_metrics(scores, indices, kept_ids, corpus_ids, qrels, k_values, skip_first_result)
