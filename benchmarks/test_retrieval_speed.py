"""Speed and memory of retrieval: ours against a plain numpy baseline.

Not part of the default run (``benchmarks/`` is outside the default testpaths). Run with::

    python -m pytest benchmarks/test_retrieval_speed.py -s -p no:cacheprovider

Workload: 10,000 queries x 200,000 documents, d=512, float32, random, one relevant document per
query, ``k_values`` = mteb's default (top 1000).

* ``ours``: :func:`harness.evaluators.retrieval.metrics.retrieval` (chunked torch search + vectorised
  metrics).
* ``numpy``: normalise, one full ``queries @ corpus.T`` matmul per 1,000 queries (the whole
  10k x 200k score matrix plus ``argpartition``'s int64 indices would need 24 GB at once),
  ``np.argpartition`` for the top 1000, sort them, then the same metrics function.

``test_speed_ratio`` prints ``numpy / ours``. The peak-memory case (1M fp16 documents x 100k
queries) is ``test_peak_memory_1m_docs_100k_queries``; it takes a long time on a small CPU and is
skipped unless ``MIEB_BENCH_BIG=1`` (``MIEB_BENCH_DEVICE=cuda`` runs the search on a GPU).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.evaluators.retrieval.metrics import DEFAULT_K_VALUES, retrieval, retrieval_metrics

N_QUERIES, N_DOCS, DIM = 10_000, 200_000, 512
TOP_K = max(DEFAULT_K_VALUES)
_TIMES: dict[str, float] = {}
_RESULTS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def workload():
    rng = np.random.default_rng(0)
    corpus = rng.standard_normal((N_DOCS, DIM), dtype=np.float32)
    queries = rng.standard_normal((N_QUERIES, DIM), dtype=np.float32)
    corpus_ids = [f"doc{i}" for i in range(N_DOCS)]
    query_ids = [f"q{i}" for i in range(N_QUERIES)]
    targets = rng.integers(0, N_DOCS, N_QUERIES)
    # make the relevant document findable: query = target + noise
    queries += corpus[targets] * 0.5
    qrels = {qid: {corpus_ids[t]: 1} for qid, t in zip(query_ids, targets, strict=True)}
    return queries, corpus, query_ids, corpus_ids, qrels


def numpy_baseline(queries, corpus, query_ids, corpus_ids, qrels, block=1_000):
    qn = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    dn = corpus / np.maximum(np.linalg.norm(corpus, axis=1, keepdims=True), 1e-12)
    k = min(TOP_K, len(corpus))
    scores = np.empty((len(queries), k), dtype=np.float32)
    indices = np.empty((len(queries), k), dtype=np.int64)
    for q0 in range(0, len(queries), block):
        sims = qn[q0 : q0 + block] @ dn.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_scores, axis=1)
        indices[q0 : q0 + block] = np.take_along_axis(top, order, axis=1)
        scores[q0 : q0 + block] = np.take_along_axis(top_scores, order, axis=1)
    return retrieval_metrics(scores, indices, query_ids, corpus_ids, qrels, DEFAULT_K_VALUES)


def test_ours(benchmark, workload):
    result = benchmark.pedantic(retrieval, args=workload, rounds=1, iterations=1)
    _TIMES["ours"] = benchmark.stats.stats.mean
    _RESULTS["ours"] = result


def test_numpy_baseline(benchmark, workload):
    result = benchmark.pedantic(numpy_baseline, args=workload, rounds=1, iterations=1)
    _TIMES["numpy"] = benchmark.stats.stats.mean
    _RESULTS["numpy"] = result


def test_speed_ratio(capsys):
    if set(_TIMES) != {"ours", "numpy"}:
        pytest.skip("run together with test_ours and test_numpy_baseline")
    ours, base = _RESULTS["ours"], _RESULTS["numpy"]
    for key in ("ndcg_at_10", "recall_at_1000", "mrr_at_10", "hit_rate_at_1"):
        assert ours[key] == pytest.approx(base[key], abs=1e-4), key
    with capsys.disabled():
        print(
            f"\nretrieval {N_QUERIES} x {N_DOCS} x {DIM}: ours {_TIMES['ours']:.2f} s, "
            f"numpy {_TIMES['numpy']:.2f} s, numpy/ours = {_TIMES['numpy'] / _TIMES['ours']:.2f}"
        )


@pytest.mark.skipif(os.environ.get("MIEB_BENCH_BIG") != "1", reason="set MIEB_BENCH_BIG=1")
def test_peak_memory_1m_docs_100k_queries(capsys):
    script = Path(__file__).with_name("peak_memory_search.py")
    cmd = [sys.executable, str(script), "--docs", "1000000", "--queries", "100000"]
    if os.environ.get("MIEB_BENCH_DEVICE"):
        cmd += ["--device", os.environ["MIEB_BENCH_DEVICE"]]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    with capsys.disabled():
        print(f"\npeak memory: {report}")
    assert report["peak_beyond_embeddings_gib"] < 2.5
