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

Modules: ranking order in ``trec_order``, the qrels lookup and per-query measures in
``trec_measures``, confidences and nAUC in ``abstention``; this module filters, ranks and averages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from harness.evaluators.items import Scored, metrics_only
from harness.evaluators.retrieval.abstention import Abstention, confidences, nauc
from harness.evaluators.retrieval.search import search
from harness.evaluators.retrieval.trec_measures import Qrels, discounts, per_query_block
from harness.evaluators.retrieval.trec_order import (
    double_order,
    local_id_ranks,
    reorder,
    rows_needing_sort,
    trec_order,
)
from mieb_records.outcomes import ItemOutcomes
from mieb_records.tasks import DEFAULT_K_VALUES

__all__ = [
    "DEFAULT_K_VALUES",
    "candidates_from_top_ranked",
    "per_query_metrics",
    "retrieval",
    "retrieval_metrics",
    "retrieval_scored",
]

_CONFIDENCES = ("max", "std", "diff1")
_ROW_BLOCK = 4096  # queries per block in the metric math (bounds float64 temporaries)


# --------------------------------------------------------------------------- query filtering
def _kept_queries(query_ids: Sequence[str], qrels: Mapping[str, Mapping[str, int]]) -> np.ndarray:
    """Row numbers of the queries mteb evaluates: id in qrels with a non-empty qrels dict."""
    return np.fromiter((i for i, qid in enumerate(query_ids) if len(qrels.get(qid, ())) > 0), dtype=np.int64)


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

    table = Qrels(kept_ids, corpus_ids, qrels, max(ks))
    disc = discounts(max(scores.shape[1], table.ideal.shape[1], 1))
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
        fix = rows_needing_sort(s32, ok)
        if fix.size:
            ranks = local_id_ranks(idx[fix], ok[fix], corpus_ids)
            trec = trec_order(s32[fix], ranks, ok[fix])
            s_t, idx_t, ok_t = reorder(fix, trec, s, idx, ok)
            s_d, idx_d, ok_d = s_t, idx_t, ok_t
            if not float32_scores:
                dbl = double_order(s[fix], ranks, ok[fix])
                same_order = bool((dbl == trec).all())
                if not same_order:
                    s_d, idx_d, ok_d = reorder(fix, dbl, s, idx, ok)
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
        block = per_query_block(rel_t, rel_d, table.num_rel[b0:b1], table.ideal[b0:b1], ks, disc)
        for name, values in block.items():
            measures.setdefault(name, []).append(values)
        for name, values in confidences(s_d, ok_d, not skip_first_result).items():
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
            :func:`harness.evaluators.retrieval.search.search` (any order; padding ``-inf``).
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
    return _score_dict(measures, confs, [int(k) for k in k_values])


def _score_dict(measures: dict[str, np.ndarray], confs: dict[str, np.ndarray], ks: list[int]) -> dict[str, float]:
    """The averages of the per-query measures, keys and rounding as mteb's ``make_score_dict``."""
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
    abstentions = {conf: Abstention(confs[conf]) for conf in _CONFIDENCES}
    for family in ("ndcg", "map", "recall", "precision", "mrr"):
        for k in ks:
            metric = measures[f"{family}_{k}"]
            for conf in _CONFIDENCES:
                out[f"nauc_{family}_at_{k}_{conf}"] = nauc(abstentions[conf], metric)
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


def retrieval_scored(
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
    details_depth: int = 100,
) -> Scored:
    """Search then score, as mteb's ``AbsTaskRetrieval._evaluate_subset`` with an encoder.

    Queries mteb would drop (step 1 of the module docstring) are removed before searching.
    ``top_k`` is ``max(k_values)``, as in mteb (skip_first_result then leaves one fewer).

    Per query (the kept ones, by their ids): an outcome for every averaged metric (``ndcg_at_10``,
    ``map_at_5``, ``hit_rate_at_1``, ``mrr_at_10``, ``accuracy`` ...: the query's own value, whose
    mean is the metric before mteb's rounding to 5 places), and details: the query's first
    ``min(details_depth, top_k)`` documents as searched, ``top_docs`` (rows into ``doc_ids``, -1 for
    none) with ``top_scores`` (float32, best first; -inf for none).
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
    ks = [int(k) for k in k_values]
    _, measures, confs = per_query_metrics(scores, indices, kept_ids, corpus_ids, qrels, ks, skip_first_result)
    metrics = _score_dict(measures, confs, ks)
    ids = np.asarray(kept_ids, dtype=str)
    outcomes = {
        f"{family}_at_{k}": ItemOutcomes(f"{family}_at_{k}", "mean", ids, measures[f"{family}_{k}"])
        for family in ("ndcg", "map", "recall", "precision", "mrr", "hit_rate")
        for k in ks
    }
    if 1 in ks:
        outcomes["accuracy"] = ItemOutcomes("accuracy", "mean", ids, measures["recall_1"])
    return Scored(metrics, outcomes, _top_documents(scores, indices, corpus_ids, details_depth))


retrieval = metrics_only(retrieval_scored, "retrieval")


def _top_documents(
    scores: np.ndarray, indices: np.ndarray, corpus_ids: Sequence[str], depth: int
) -> dict[str, np.ndarray]:
    """Each query's first ``depth`` documents, best first, with the ids they name stored once."""
    depth = min(depth, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :depth]
    top = np.take_along_axis(indices, order, axis=1)
    used, rows = np.unique(top[top >= 0], return_inverse=True)
    top_docs = np.full(top.shape, -1, dtype=np.int32)
    top_docs[top >= 0] = rows
    top_scores = np.take_along_axis(np.asarray(scores, dtype=np.float32), order, axis=1)  # -inf: no document
    doc_ids = np.asarray([str(corpus_ids[i]) for i in used], dtype=str)
    return {"top_docs": top_docs, "top_scores": top_scores, "doc_ids": doc_ids}
