"""Retrieval search and metrics checked against pytrec_eval and a loop-based mteb 2.x oracle.

The oracle below re-states mteb 2.26.24's pipeline in plain dict-and-loop form:
``chunked_full_corpus_search`` / ``rerank_top_ranked_documents`` (per-chunk ``torch.topk`` and a
``heapq`` of ``(score, corpus_id)``, result dict in heap-array order) and
``calculate_retrieval_scores`` (pytrec_eval, ``mrr``, ``confidence_scores``, tie-grouped ``nauc``,
``make_score_dict`` keys and rounding). The vectorised implementation must reproduce it.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
import pytrec_eval
import torch
from sklearn.metrics import auc

from harness.evaluators.retrieval.metrics import (
    candidates_from_top_ranked,
    per_query_metrics,
    retrieval,
    retrieval_metrics,
)
from harness.evaluators.retrieval.search import search

K_VALUES = (1, 3, 5, 10, 20, 100, 1000)


# --------------------------------------------------------------------------- oracle
def _oracle_cos(q: np.ndarray, d: np.ndarray) -> torch.Tensor:
    qt = torch.nn.functional.normalize(torch.tensor(q, dtype=torch.float32), p=2, dim=1)
    dt = torch.nn.functional.normalize(torch.tensor(d, dtype=torch.float32), p=2, dim=1)
    return qt @ dt.T


def oracle_search(q, d, query_ids, corpus_ids, top_k, chunk):
    heaps = {qid: [] for qid in query_ids}
    for c0 in range(0, len(corpus_ids), chunk):
        ids = corpus_ids[c0 : c0 + chunk]
        sims = _oracle_cos(q, d[c0 : c0 + chunk])
        vals, idx = torch.topk(sims, min(top_k + 1, sims.shape[1]), dim=1, largest=True)
        for qi, qid in enumerate(query_ids):
            for j, s in zip(idx[qi].tolist(), vals[qi].tolist(), strict=True):
                if len(heaps[qid]) < top_k:
                    heapq.heappush(heaps[qid], (s, ids[j]))
                else:
                    heapq.heappushpop(heaps[qid], (s, ids[j]))
    return {qid: {cid: s for s, cid in heaps[qid]} for qid in query_ids}


def oracle_rerank(q, d, query_ids, corpus_ids, top_ranked, top_k):
    pos = {cid: i for i, cid in enumerate(corpus_ids)}
    results = {qid: {} for qid in query_ids}
    for qi, qid in enumerate(query_ids):
        ranked = top_ranked.get(qid, [])
        if not ranked:
            continue
        sims = _oracle_cos(q[qi : qi + 1], d[[pos[c] for c in ranked]])
        vals, idx = torch.topk(sims, min(top_k, len(ranked)), dim=1, largest=True)
        heap = []
        for j, s in zip(idx[0].tolist(), vals[0].tolist(), strict=True):
            heapq.heappush(heap, (s, ranked[j]))
        results[qid] = {cid: s for s, cid in heap}
    return results


def _oracle_nauc(conf, metric):
    rates = np.linspace(0, 1, 11)[:-1]

    def curve(c, m):
        order = np.argsort(c, stable=True)
        sc, sm = list(c[order]), list(m[order])
        grouped, i = [], 0
        while i < len(sc):
            j = i
            while j < len(sc) and sc[j] == sc[i]:
                j += 1
            mean = np.add.reduceat(np.array(sm[i:j]), [0])[0] / (j - i)
            grouped += [mean] * (j - i)
            i = j
        grouped = np.array(grouped)
        return np.array([grouped[min(round(r * len(c)), len(c) - 1) :].mean() for r in rates])

    raw, best = curve(conf, metric), curve(metric, metric)
    a, o, f = auc(rates, raw), auc(rates, best), best[0] * (rates[-1] - rates[0])
    return float("nan") if o == f else float((a - f) / (o - f))


def oracle_scores(results, qrels, k_values, skip_first=False):
    if skip_first:
        results = {
            qid: dict(sorted(docs.items(), key=lambda x: x[1], reverse=True)[1:]) for qid, docs in results.items()
        }
    ks = list(k_values)
    measures = {f"{m}.{','.join(map(str, ks))}" for m in ("map_cut", "ndcg_cut", "recall", "P", "success")}
    per_q = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(results)
    n = len(per_q)
    out, lists = {}, {}
    for fam, trec in (
        ("ndcg", "ndcg_cut"),
        ("map", "map_cut"),
        ("recall", "recall"),
        ("precision", "P"),
        ("hit_rate", "success"),
    ):
        for k in ks:
            vals = [per_q[qid][f"{trec}_{k}"] for qid in per_q]
            lists[(fam, k)] = vals
            out[f"{fam}_at_{k}"] = round(sum(vals) / n, 5)
    for k in ks:
        rr = []
        for qid, docs in results.items():
            ranked = sorted(docs.items(), key=lambda x: (x[1], x[0]), reverse=True)[:k]
            relevant = {d for d, r in qrels[qid].items() if r > 0}
            rr.append(next((1.0 / (i + 1) for i, (d, _) in enumerate(ranked) if d in relevant), 0.0))
        lists[("mrr", k)] = rr
        out[f"mrr_at_{k}"] = sum(rr) / len(rr)
    out["accuracy"] = out["recall_at_1"]
    confs = {"max": [], "std": [], "diff1": []}
    for docs in results.values():
        vals = list(docs.values())
        srt = sorted(vals, reverse=True)
        confs["max"].append(srt[0] if vals else 0.0)
        confs["std"].append(float(np.std(vals)) if vals else 0.0)
        confs["diff1"].append(srt[0] - srt[1] if len(vals) > 1 else 0.0)
    for fam in ("ndcg", "map", "recall", "precision", "mrr"):
        for k in ks:
            for c in confs:
                out[f"nauc_{fam}_at_{k}_{c}"] = _oracle_nauc(np.array(confs[c]), np.array(lists[(fam, k)]))
    return out


def results_from_arrays(scores, indices, query_ids, corpus_ids, keep):
    """mteb-style result dicts: best-first pushes onto a heapq, dict in heap-array order."""
    results = {}
    for i, qid in enumerate(query_ids):
        if not keep(qid):
            continue
        pairs = [(float(s), corpus_ids[j]) for s, j in zip(scores[i], indices[i], strict=True) if j >= 0]
        heap = []
        for pair in sorted(pairs, key=lambda p: p[0], reverse=True):
            heapq.heappush(heap, pair)
        results[qid] = {cid: s for s, cid in heap}
    return results


def assert_same(ours: dict, ref: dict, tol: float = 1e-9):
    assert set(ours) == set(ref), set(ours) ^ set(ref)
    for key, value in ref.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(ours[key]), key
        else:
            assert ours[key] == pytest.approx(value, abs=tol), (key, ours[key], value)


# --------------------------------------------------------------------------- random problems
def _random_problem(rng: np.random.Generator):
    n_docs = int(rng.integers(3, 40))
    corpus_ids = [f"d{v}" for v in rng.choice(10_000, n_docs, replace=False)]
    n_q = int(rng.integers(1, 12))
    query_ids = [f"q{i}" for i in range(n_q)]
    width = int(rng.integers(1, n_docs + 1))
    scores = np.full((n_q, width), -np.inf, dtype=np.float32)
    indices = np.full((n_q, width), -1, dtype=np.int64)
    levels = rng.integers(2, 6)  # few distinct score values -> many ties
    for i in range(n_q):
        m = int(rng.integers(0, width + 1))
        idx = rng.choice(n_docs, m, replace=False)
        scores[i, :m] = rng.integers(0, levels, m) / levels - 0.3
        indices[i, :m] = idx
        perm = rng.permutation(width)  # any order within a row, padding anywhere
        scores[i], indices[i] = scores[i, perm], indices[i, perm]
    qrels = {}
    for qid in query_ids:
        kind = rng.random()
        if kind < 0.1:
            continue  # no qrels row: dropped
        if kind < 0.15:
            qrels[qid] = {}  # empty: dropped
            continue
        n_rel = int(rng.integers(1, 6))
        docs = [str(x) for x in rng.choice(corpus_ids, min(n_rel, n_docs), replace=False)]
        docs += [f"missing{v}" for v in range(int(rng.integers(0, 2)))]
        qrels[qid] = {d: int(rng.integers(0, 4)) for d in docs}
    qrels["not_a_query"] = {corpus_ids[0]: 1}
    if not any(len(qrels.get(q, {})) for q in query_ids):
        qrels[query_ids[0]] = {corpus_ids[0]: 2}
    return scores, indices, query_ids, corpus_ids, qrels


def _kept(qrels):
    return lambda qid: len(qrels.get(qid, {})) > 0


# --------------------------------------------------------------------------- (a) pytrec parity
def test_per_query_measures_equal_pytrec_eval_on_random_runs_with_ties():
    rng = np.random.default_rng(1234)
    ks = (1, 2, 3, 5, 10, 50)
    trec_names = {"ndcg": "ndcg_cut", "map": "map_cut", "recall": "recall", "precision": "P", "hit_rate": "success"}
    for _ in range(200):
        scores, indices, qids, cids, qrels = _random_problem(rng)
        results = results_from_arrays(scores, indices, qids, cids, _kept(qrels))
        measures = {f"{m}.{','.join(map(str, ks))}" for m in trec_names.values()}
        ref = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(results)
        kept_ids, ours, _ = per_query_metrics(scores, indices, qids, cids, qrels, ks)
        assert kept_ids == list(ref)
        for fam, trec in trec_names.items():
            for k in ks:
                expected = np.array([ref[q][f"{trec}_{k}"] for q in kept_ids])
                np.testing.assert_array_equal(ours[f"{fam}_{k}"], expected, err_msg=f"{fam}@{k}")


def _mrr_reference(results, qrels, k):
    out = []
    for qid, docs in results.items():
        ranked = sorted(docs, key=lambda d: (docs[d], d), reverse=True)
        rank = next((i + 1 for i, d in enumerate(ranked) if qrels[qid].get(d, 0) > 0), None)
        out.append(1.0 / rank if rank is not None and rank <= k else 0.0)
    return out


def test_mrr_matches_hand_written_reference_on_random_runs():
    rng = np.random.default_rng(99)
    ks = (1, 3, 5, 10)
    for _ in range(200):
        scores, indices, qids, cids, qrels = _random_problem(rng)
        results = results_from_arrays(scores, indices, qids, cids, _kept(qrels))
        _, ours, _ = per_query_metrics(scores, indices, qids, cids, qrels, ks)
        for k in ks:
            assert ours[f"mrr_{k}"].tolist() == _mrr_reference(results, qrels, k)


@pytest.mark.parametrize("skip_first", [False, True])
def test_full_score_dict_matches_oracle_on_random_runs(skip_first):
    rng = np.random.default_rng(100 + skip_first)
    ks = (1, 3, 10)
    for _ in range(50):
        scores, indices, qids, cids, qrels = _random_problem(rng)
        if skip_first:  # no exact tie at the top: the dropped document is then well defined
            scores = scores + np.where(scores == scores.max(axis=1, keepdims=True), np.float32(0.0), np.float32(-0.01))
        results = results_from_arrays(scores, indices, qids, cids, _kept(qrels))
        if skip_first:
            top = {q: max(d.values()) for q, d in results.items() if d}
            if any(sum(v == top[q] for v in d.values()) > 1 for q, d in results.items() if d):
                continue
        full = retrieval_metrics(scores, indices, qids, cids, qrels, ks, skip_first)
        assert_same(full, oracle_scores(results, qrels, ks, skip_first))


def test_key_order_matches_make_score_dict():
    scores = np.array([[0.9, 0.5]], dtype=np.float32)
    out = retrieval_metrics(scores, np.array([[0, 1]]), ["q"], ["a", "b"], {"q": {"a": 1}}, (1, 3))
    keys = list(out)
    assert keys[:6] == ["ndcg_at_1", "ndcg_at_3", "map_at_1", "map_at_3", "recall_at_1", "recall_at_3"]
    assert keys[6:11] == ["accuracy", "precision_at_1", "precision_at_3", "mrr_at_1", "mrr_at_3"]
    assert keys[11:14] == ["nauc_ndcg_at_1_max", "nauc_ndcg_at_1_std", "nauc_ndcg_at_1_diff1"]
    assert keys[-2:] == ["hit_rate_at_1", "hit_rate_at_3"]
    assert "nauc_precision_at_3_diff1" in out and "nauc_mrr_at_3_std" in out
    assert len(out) == 6 + 1 + 4 + 5 * 2 * 3 + 2
    assert all(type(v) is float for v in out.values())


# --------------------------------------------------------------------------- (b) hand-worked
def _single(rank_of_relevant: int | None, n_docs: int = 30, k_values=K_VALUES):
    cids = [f"d{i:02d}" for i in range(n_docs)]
    scores = np.linspace(1.0, 0.0, n_docs, dtype=np.float32)[None, :]
    indices = np.arange(n_docs)[None, :]
    target = "absent" if rank_of_relevant is None else cids[rank_of_relevant - 1]
    return retrieval_metrics(scores, indices, ["q"], cids, {"q": {target: 1}}, k_values)


def test_relevant_at_rank_1():
    out = _single(1)
    for k in K_VALUES:
        assert out[f"ndcg_at_{k}"] == out[f"map_at_{k}"] == out[f"recall_at_{k}"] == 1.0
        assert out[f"mrr_at_{k}"] == out[f"hit_rate_at_{k}"] == 1.0
        assert out[f"precision_at_{k}"] == round(1 / k, 5)
    assert out["accuracy"] == 1.0


def test_relevant_at_rank_3():
    out = _single(3)
    assert out["ndcg_at_1"] == out["recall_at_1"] == out["mrr_at_1"] == out["accuracy"] == 0.0
    assert out["ndcg_at_3"] == 0.5  # 1 / log2(4)
    assert out["map_at_3"] == 0.33333 and out["precision_at_3"] == 0.33333
    assert out["mrr_at_3"] == 1 / 3  # mrr is not rounded
    assert out["recall_at_3"] == out["hit_rate_at_3"] == 1.0
    assert out["precision_at_5"] == 0.2


def test_relevant_at_rank_11():
    out = _single(11)
    for k in (1, 3, 5, 10):
        assert out[f"ndcg_at_{k}"] == out[f"mrr_at_{k}"] == out[f"hit_rate_at_{k}"] == 0.0
    assert out["ndcg_at_20"] == round(1 / math.log2(12), 5)
    assert out["mrr_at_20"] == 1 / 11 and out["map_at_20"] == round(1 / 11, 5)
    assert out["precision_at_20"] == 0.05 and out["precision_at_1000"] == 0.001
    assert out["recall_at_20"] == 1.0


def test_relevant_absent():
    out = _single(None)
    for key, value in out.items():
        if not key.startswith("nauc"):
            assert value == 0.0, key
        else:  # a single query: oracle curve is flat
            assert math.isnan(value), key


def test_graded_relevance_several_docs():
    cids = ["a", "b", "c", "d", "e"]
    # ranking b, x(c), a, d; qrels a=2, b=1, e=3 (e never retrieved), d=0
    scores = np.array([[0.4, 0.9, 0.8, 0.1]], dtype=np.float32)
    indices = np.array([[0, 1, 2, 3]])
    qrels = {"q": {"a": 2, "b": 1, "e": 3, "d": 0}}
    out = retrieval_metrics(scores, indices, ["q"], cids, qrels, (1, 3, 5))
    dcg3 = 1 / math.log2(2) + 2 / math.log2(4)
    idcg3 = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert out["ndcg_at_3"] == round(dcg3 / idcg3, 5)
    assert out["ndcg_at_1"] == round(1 / 3, 5)
    assert out["map_at_3"] == round((1 / 1 + 2 / 3) / 3, 5)  # 3 relevant in qrels
    assert out["recall_at_5"] == round(2 / 3, 5)
    assert out["precision_at_3"] == round(2 / 3, 5)
    assert out["mrr_at_1"] == 1.0


def test_ties_break_by_descending_doc_id():
    # all tied: trec_eval ranks "z" > "m" > "a"
    scores = np.array([[0.5, 0.5, 0.5]], dtype=np.float32)
    out = retrieval_metrics(scores, np.array([[0, 1, 2]]), ["q"], ["a", "m", "z"], {"q": {"m": 1}}, (1, 2))
    assert out["recall_at_1"] == 0.0 and out["recall_at_2"] == 1.0
    assert out["mrr_at_2"] == 0.5


def test_queries_without_qrels_are_dropped_but_all_zero_qrels_kept():
    cids = ["a", "b"]
    scores = np.array([[0.9, 0.1]] * 3, dtype=np.float32)
    indices = np.array([[0, 1]] * 3)
    qrels = {"q0": {"a": 1}, "q1": {}, "q2": {"a": 0}}  # q1 empty, q3 absent
    out = retrieval_metrics(
        np.vstack([scores, scores[:1]]), np.vstack([indices, indices[:1]]), ["q0", "q1", "q2", "q3"], cids, qrels, (1,)
    )
    assert out["recall_at_1"] == 0.5  # q0 = 1, q2 = 0; q1 and q3 dropped
    with pytest.raises(ValueError):
        retrieval_metrics(scores[:1], indices[:1], ["q1"], cids, qrels, (1,))


# --------------------------------------------------------------------------- (c) skip_first
def test_skip_first_result_hand_worked():
    cids = ["self", "pos", "neg"]
    scores = np.array([[1.0, 0.8, 0.2]], dtype=np.float32)
    qrels = {"q": {"pos": 1}}
    kept = retrieval_metrics(scores, np.array([[0, 1, 2]]), ["q"], cids, qrels, (1, 2))
    skipped = retrieval_metrics(scores, np.array([[0, 1, 2]]), ["q"], cids, qrels, (1, 2), skip_first_result=True)
    assert kept["recall_at_1"] == 0.0 and kept["mrr_at_2"] == 0.5
    assert skipped["recall_at_1"] == 1.0 and skipped["mrr_at_1"] == 1.0
    assert skipped["precision_at_2"] == 0.5


def test_skip_first_with_top_tie_drops_largest_id():
    cids = ["a_dup", "z_self", "other"]
    scores = np.array([[1.0, 1.0, 0.3]], dtype=np.float32)
    qrels = {"q": {"a_dup": 1}}
    out = retrieval_metrics(scores, np.array([[0, 1, 2]]), ["q"], cids, qrels, (1,), skip_first_result=True)
    assert out["recall_at_1"] == 1.0  # "z_self" (largest id among the tied) was dropped


def test_skip_first_pipeline_matches_oracle_including_duplicate_images():
    rng = np.random.default_rng(7)
    n_docs, n_q, d = 1500, 40, 16
    corpus = rng.standard_normal((n_docs, d)).astype(np.float32)
    cids = [f"img{v:05d}" for v in rng.permutation(n_docs)]
    q_rows = rng.choice(n_docs, n_q, replace=False)
    queries = corpus[q_rows].copy()
    # half of the queries have an exact duplicate image elsewhere in the corpus: a top-1 tie
    dup_targets = rng.choice(np.setdiff1d(np.arange(n_docs), q_rows), n_q // 2, replace=False)
    corpus[dup_targets] = queries[: n_q // 2]
    labels = rng.integers(0, 30, n_docs)
    labels[dup_targets] = labels[q_rows[: n_q // 2]]
    qids = [f"query-{cids[r]}" for r in q_rows]
    qrels = {
        qid: {cids[j]: 1 for j in np.flatnonzero(labels == labels[r])} for qid, r in zip(qids, q_rows, strict=True)
    }
    ours = retrieval(queries, corpus, qids, cids, qrels, skip_first_result=True)
    ref = oracle_scores(oracle_search(queries, corpus, qids, cids, 1000, 50_000), qrels, K_VALUES, skip_first=True)
    assert_same(ours, ref)


# --------------------------------------------------------------------------- (d) candidates
def test_multiple_choice_candidates_accuracy_is_recall_at_1():
    rng = np.random.default_rng(3)
    n_q, n_docs, d = 60, 80, 8
    queries = rng.standard_normal((n_q, d)).astype(np.float32)
    corpus = rng.standard_normal((n_docs, d)).astype(np.float32)
    cids = [f"corpus-test-{i}" for i in range(n_docs)]
    qids = [f"query-test-{i}" for i in range(n_q)]
    qrels, top_ranked, correct = {}, {}, []
    for qid in qids:
        n_choices = int(rng.integers(2, 7))
        choices = [cids[j] for j in rng.choice(n_docs, n_choices, replace=False)]
        answer = int(rng.integers(n_choices))
        qrels[qid] = {c: int(i == answer) for i, c in enumerate(choices)}
        top_ranked[qid] = list(qrels[qid])
        correct.append(choices[answer])
    cands = candidates_from_top_ranked(top_ranked, qids, cids)
    scores, indices = search(queries, corpus, 1000, candidates=cands)
    assert scores.shape == (n_q, 6)
    lengths = np.array([len(c) for c in cands])
    assert ((indices >= 0).sum(axis=1) == lengths).all()
    assert np.isneginf(scores[indices < 0]).all()
    for i, c in enumerate(cands):
        assert set(indices[i, : len(c)]) == set(c)  # only the candidates are scored

    out = retrieval(queries, corpus, qids, cids, qrels, candidates=cands)
    sims = _oracle_cos(queries, corpus).numpy()
    pos = {c: i for i, c in enumerate(cids)}
    brute = np.mean([max(top_ranked[q], key=lambda c, i=i: sims[i, pos[c]]) == correct[i] for i, q in enumerate(qids)])
    assert out["accuracy"] == out["recall_at_1"] == out["hit_rate_at_1"] == round(brute, 5)
    ref = oracle_scores(oracle_rerank(queries, corpus, qids, cids, top_ranked, 1000), qrels, K_VALUES)
    assert_same(out, ref)


def test_candidates_empty_list_gives_empty_ranking():
    corpus = np.eye(3, dtype=np.float32)
    cands = [np.array([0, 2]), np.array([], dtype=np.int64)]
    scores, indices = search(np.eye(2, 3, dtype=np.float32), corpus, 5, candidates=cands)
    assert indices.tolist() == [[0, 2], [-1, -1]]
    out = retrieval_metrics(scores, indices, ["a", "b"], ["x", "y", "z"], {"a": {"x": 1}, "b": {"y": 1}}, (1,))
    assert out["recall_at_1"] == 0.5


# --------------------------------------------------------------------------- (e) search
def _brute(q, d, similarity):
    qt, dt = torch.tensor(q, dtype=torch.float32), torch.tensor(d, dtype=torch.float32)
    if similarity == "cosine":
        qt = torch.nn.functional.normalize(qt, dim=1)
        dt = torch.nn.functional.normalize(dt, dim=1)
    sims = -torch.cdist(qt, dt) if similarity == "euclidean" else qt @ dt.T
    sims = sims.numpy()
    order = np.argsort(-sims, axis=1, kind="stable")
    return np.take_along_axis(sims, order, axis=1), order


@pytest.mark.parametrize("similarity", ["cosine", "dot", "euclidean"])
@pytest.mark.parametrize(("chunk_size", "query_chunk_size"), [(1, None), (7, 3), (64, 5), (1000, None), (250, 1)])
@pytest.mark.parametrize("top_k", [1, 10, 300])
def test_chunked_search_equals_brute_force(similarity, chunk_size, query_chunk_size, top_k):
    rng = np.random.default_rng(11)
    q = rng.standard_normal((23, 12)).astype(np.float32)
    d = rng.standard_normal((257, 12)).astype(np.float32)
    scores, indices = search(
        q, d, top_k, similarity=similarity, chunk_size=chunk_size, query_chunk_size=query_chunk_size
    )
    ref_s, ref_i = _brute(q, d, similarity)
    k = min(top_k, 257)
    assert scores.shape == indices.shape == (23, k)
    assert scores.dtype == np.float32 and indices.dtype == np.int64
    np.testing.assert_array_equal(indices, ref_i[:, :k])
    np.testing.assert_allclose(scores, ref_s[:, :k], rtol=0, atol=1e-5)


def test_search_fp16_input_is_scored_in_float32():
    rng = np.random.default_rng(5)
    q = rng.standard_normal((9, 32)).astype(np.float16)
    d = rng.standard_normal((400, 32)).astype(np.float16)
    scores, indices = search(q, d, 50, chunk_size=33)
    _, ref_i = _brute(q.astype(np.float32), d.astype(np.float32), "cosine")
    np.testing.assert_array_equal(indices, ref_i[:, :50])
    assert scores.dtype == np.float32


def test_search_nan_raises():
    d = np.ones((4, 3), dtype=np.float32)
    d[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        search(np.ones((2, 3), dtype=np.float32), d, 2)


def test_retrieval_pipeline_matches_oracle_with_several_chunks():
    rng = np.random.default_rng(21)
    n_docs, n_q, d = 700, 30, 10
    corpus = rng.standard_normal((n_docs, d)).astype(np.float32)
    queries = rng.standard_normal((n_q, d)).astype(np.float32)
    cids = [f"c{v}" for v in rng.permutation(n_docs)]
    qids = [f"q{i}" for i in range(n_q)]
    qrels = {qid: {cids[j]: int(rng.integers(0, 3)) for j in rng.choice(n_docs, 4)} for qid in qids[:-3]}
    ks = (1, 3, 10, 100)
    ours = retrieval(queries, corpus, qids, cids, qrels, k_values=ks, chunk_size=128)
    ref = oracle_scores(oracle_search(queries[:-3], corpus, qids[:-3], cids, 100, 128), qrels, ks)
    assert_same(ours, ref)


def test_float64_scores_tie_in_trec_eval_float32_but_not_in_mrr():
    # trec_eval stores scores as C float: 0.5 and 0.5 + 1e-12 tie there (id "b" > "a" first),
    # while mteb's mrr sorts the doubles ("a" first)
    scores = np.array([[0.5 + 1e-12, 0.5]], dtype=np.float64)
    indices = np.array([[0, 1]])
    qrels = {"q": {"a": 1}}
    results = {"q": {"a": 0.5 + 1e-12, "b": 0.5}}
    ref = pytrec_eval.RelevanceEvaluator(qrels, {"recall.1"}).evaluate(results)
    _, ours, _ = per_query_metrics(scores, indices, ["q"], ["a", "b"], qrels, (1,))
    assert ours["recall_1"].tolist() == [ref["q"]["recall_1"]] == [0.0]
    assert ours["mrr_1"].tolist() == _mrr_reference(results, qrels, 1) == [1.0]
