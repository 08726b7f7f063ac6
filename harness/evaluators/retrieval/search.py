"""Exact dense search with bounded memory: the scoring half of mteb 2.x retrieval.

Reference: ``SearchEncoderWrapper`` in ``mteb/models/search_wrappers.py`` and ``cos_sim`` /
``dot_score`` / ``euclidean_sim`` in ``mteb/similarity_functions.py`` (mteb 2.26.24).

What mteb does, and what this module does about it:

* **Scores.** mteb converts embeddings to float32 tensors (``_convert_to_tensor`` turns numpy input
  into float32 and upcasts torch fp16/bf16 "to break ties"), then for cosine computes
  ``normalize(q) @ normalize(d).T`` with ``torch.nn.functional.normalize`` (eps 1e-12, so a zero
  vector scores 0 against everything). We do the same operations, always in float32: fp16
  arithmetic would collapse near-ties into exact ties, and trec_eval breaks exact ties by document
  id, so low-precision scoring changes the metrics, not only their last digits. The output scores
  are float32, like mteb's ``topk`` values before ``.tolist()`` widens them to exact doubles.
* **Chunking.** mteb scores all queries against 50,000-document corpus chunks, takes
  ``torch.topk(top_k + 1)`` per chunk and merges chunks through a per-query ``heapq`` of
  ``(score, corpus_id)`` tuples capped at ``top_k``. We keep the corpus chunks (converted and
  normalised once each), additionally chunk the queries so a score block stays within
  ``block_bytes``, and merge with a running ``torch.topk`` over ``[kept | new]`` candidates. The
  running top-k lives in the output arrays themselves, so peak memory is the output
  (``n_queries * top_k * 12`` bytes) + the float32 normalised queries + one corpus chunk + one
  score block.
* **Ties.** Which documents survive is the same as mteb's for every document whose score is not
  exactly tied with the ``top_k``-th one. At that boundary mteb's choice depends on ``torch.topk``'s
  unspecified tie order inside each chunk and then prefers larger corpus ids through the heap's
  tuple comparison; ours depends on ``torch.topk`` only. Rows are returned sorted by score
  descending; the order *among* exactly tied scores is unspecified here, as it is in mteb (whose
  result dict is in heap-array order). That order does not reach the metrics:
  :func:`harness.evaluators.retrieval.metrics.retrieval_metrics` re-sorts every row the way trec_eval does
  (score descending, then document id descending).
* **Candidates (reranking / multiple choice).** mteb's ``rerank_top_ranked_documents`` scores each
  query only against its ``top_ranked`` documents and keeps ``min(top_k, len(candidates))`` of
  them. ``candidates[i]`` gives those corpus indices for query ``i``; rows shorter than the output
  width are padded with score ``-inf`` and index ``-1``. NaN scores raise ``ValueError`` (mteb
  raises there too; in full search NaN would sort first in ``torch.topk``, so we raise as well).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from mieb_records.models import SIMILARITIES

__all__ = ["SIMILARITIES", "search"]

_DEFAULT_BLOCK_BYTES = 256 * 2**20  # one float32 score block (query chunk x corpus chunk)


def _rows_to_float32(x: np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    """A 2-D float32 tensor on ``device`` (mteb's ``_convert_to_tensor`` + ``.to(device)``)."""
    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(x))
    if t.ndim == 1:
        t = t.unsqueeze(0)
    return t.to(device=device, dtype=torch.float32)


def _prepare(x: torch.Tensor, similarity: str, owned: bool) -> torch.Tensor:
    """Cosine: ``F.normalize(x, p=2, dim=1)``, in place when ``x`` is our own copy.

    ``F.normalize`` divides by ``x.norm(2, 1, keepdim=True).clamp_min(1e-12)``; dividing in
    place by the same tensor gives the same bits without a second copy of the queries.
    """
    if similarity != "cosine":
        return x
    if not owned:
        return F.normalize(x, p=2, dim=1)
    return x.div_(x.norm(2, 1, keepdim=True).clamp_min(1e-12))


def _owned_float32(x: np.ndarray | torch.Tensor, device: torch.device) -> tuple[torch.Tensor, bool]:
    """(float32 tensor on ``device``, whether it is a fresh copy we may modify in place)."""
    t = _rows_to_float32(x, device)
    source = x if isinstance(x, torch.Tensor) else None
    shares = (source is not None and t.data_ptr() == source.data_ptr()) or (
        isinstance(x, np.ndarray) and t.device.type == "cpu" and x.dtype == np.float32
    )
    return t, not shares


def _load(x: np.ndarray | torch.Tensor, device: torch.device, similarity: str) -> torch.Tensor:
    t, owned = _owned_float32(x, device)
    return _prepare(t, similarity, owned)


def _score(q: torch.Tensor, d: torch.Tensor, similarity: str) -> torch.Tensor:
    if similarity == "euclidean":
        return -torch.cdist(q, d, p=2.0)
    return q @ d.transpose(0, 1)


def _resolve_device(device: str | torch.device | None, *arrays: object) -> torch.device:
    if device is not None:
        return torch.device(device)
    for a in arrays:
        if isinstance(a, torch.Tensor):
            return a.device
    return torch.device("cpu")


def _check_nan(values: torch.Tensor) -> None:
    if torch.isnan(values).any():
        raise ValueError("NaN values detected in the similarity scores")


def search(
    query_emb: np.ndarray | torch.Tensor,
    corpus_emb: np.ndarray | torch.Tensor,
    top_k: int,
    *,
    similarity: str = "cosine",
    device: str | torch.device | None = None,
    chunk_size: int = 50_000,
    candidates: Sequence[np.ndarray] | None = None,
    query_chunk_size: int | None = None,
    block_bytes: int = _DEFAULT_BLOCK_BYTES,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``top_k`` search of every query against the corpus.

    Args:
        query_emb: ``[n_queries, dim]`` embeddings (numpy or torch, any float dtype).
        corpus_emb: ``[n_docs, dim]`` embeddings. Read one chunk at a time, so a memory-mapped
            array works without loading it whole.
        top_k: documents to keep per query (mteb uses ``max(k_values)``).
        similarity: ``"cosine"`` (mteb default), ``"dot"`` or ``"euclidean"`` (negative L2).
        device: torch device to score on; default CPU (or the inputs' device if they are
            tensors). Results always come back as numpy arrays.
        chunk_size: corpus documents per chunk (mteb's ``corpus_chunk_size`` is 50,000).
        candidates: per-query arrays of allowed corpus indices; only those are scored.
        query_chunk_size: queries per score block; default keeps a float32 block of
            ``query_chunk_size * chunk_size`` within ``block_bytes``.
        block_bytes: memory budget of one score block when ``query_chunk_size`` is not given.

    Returns:
        ``(scores, indices)``, float32 ``[n_queries, k]`` and int64 ``[n_queries, k]``, each row
        sorted by score descending. ``k = min(top_k, n_docs)``, or with ``candidates``
        ``min(top_k, longest candidate list)``; missing entries are ``-inf`` / ``-1``.
    """
    if similarity not in SIMILARITIES:
        raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")
    if top_k < 1:
        raise ValueError("top_k must be >= 1")
    dev = _resolve_device(device, query_emb, corpus_emb)
    n_queries = int(query_emb.shape[0])
    if candidates is not None:
        if len(candidates) != n_queries:
            raise ValueError("candidates must have one entry per query")
        return _search_candidates(
            query_emb, corpus_emb, top_k, candidates, similarity, dev, query_chunk_size, block_bytes
        )
    return _search_full(query_emb, corpus_emb, top_k, similarity, dev, chunk_size, query_chunk_size, block_bytes)


def _alloc_output(n_queries: int, width: int, dev: torch.device):
    """Output arrays; on CPU the running top-k is kept directly in them (no final copy)."""
    scores = np.full((n_queries, width), -np.inf, dtype=np.float32)
    indices = np.full((n_queries, width), -1, dtype=np.int64)
    if dev.type == "cpu":
        return scores, indices, torch.from_numpy(scores), torch.from_numpy(indices)
    return (
        scores,
        indices,
        torch.full((n_queries, width), -torch.inf, dtype=torch.float32, device=dev),
        torch.full((n_queries, width), -1, dtype=torch.int64, device=dev),
    )


def _search_full(
    query_emb, corpus_emb, top_k, similarity, dev, chunk_size, query_chunk_size, block_bytes
) -> tuple[np.ndarray, np.ndarray]:
    n_queries, n_docs = int(query_emb.shape[0]), int(corpus_emb.shape[0])
    width = min(top_k, n_docs)
    scores, indices, run_v, run_i = _alloc_output(n_queries, width, dev)
    if n_queries == 0 or n_docs == 0:
        return scores, indices
    chunk_size = max(1, min(chunk_size, n_docs))
    qcs = query_chunk_size or max(1, block_bytes // (4 * chunk_size))

    with torch.inference_mode():
        queries = _load(query_emb, dev, similarity)
        for c0 in range(0, n_docs, chunk_size):
            c1 = min(c0 + chunk_size, n_docs)
            docs = _load(corpus_emb[c0:c1], dev, similarity)
            k_chunk = min(width, c1 - c0)
            for q0 in range(0, n_queries, qcs):
                q1 = min(q0 + qcs, n_queries)
                block = _score(queries[q0:q1], docs, similarity)
                new_v, new_i = torch.topk(block, k_chunk, dim=1, largest=True, sorted=True)
                del block
                _check_nan(new_v)
                new_i += c0
                if c0 == 0:
                    run_v[q0:q1, :k_chunk] = new_v
                    run_i[q0:q1, :k_chunk] = new_i
                    continue
                both_v = torch.cat((run_v[q0:q1], new_v), dim=1)
                both_i = torch.cat((run_i[q0:q1], new_i), dim=1)
                top_v, pos = torch.topk(both_v, width, dim=1, largest=True, sorted=True)
                run_v[q0:q1] = top_v
                run_i[q0:q1] = torch.gather(both_i, 1, pos)
            del docs
    if dev.type != "cpu":
        scores[:] = run_v.cpu().numpy()
        indices[:] = run_i.cpu().numpy()
    return scores, indices


def _pad_candidates(candidates: Sequence[np.ndarray], n_docs: int) -> np.ndarray:
    lengths = np.fromiter((len(c) for c in candidates), dtype=np.int64, count=len(candidates))
    longest = int(lengths.max()) if len(lengths) else 0
    padded = np.full((len(candidates), longest), -1, dtype=np.int64)
    if longest:
        flat = np.concatenate([np.asarray(c, dtype=np.int64).ravel() for c in candidates])
        if flat.size and (flat.min() < 0 or flat.max() >= n_docs):
            raise ValueError("candidate index out of range")
        rows = np.repeat(np.arange(len(candidates)), lengths)
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        padded[rows, np.arange(flat.size) - starts] = flat
    return padded


def _search_candidates(
    query_emb, corpus_emb, top_k, candidates, similarity, dev, query_chunk_size, block_bytes
) -> tuple[np.ndarray, np.ndarray]:
    n_queries, n_docs = int(query_emb.shape[0]), int(corpus_emb.shape[0])
    padded = _pad_candidates(candidates, n_docs)
    longest = padded.shape[1]
    width = min(top_k, longest)
    scores, indices, run_v, run_i = _alloc_output(n_queries, width, dev)
    if n_queries == 0 or width == 0:
        return scores, indices
    dim = int(corpus_emb.shape[1])
    qcs = query_chunk_size or max(1, block_bytes // (4 * longest * dim))
    corpus_is_tensor = isinstance(corpus_emb, torch.Tensor)

    with torch.inference_mode():
        queries = _load(query_emb, dev, similarity)
        for q0 in range(0, n_queries, qcs):
            q1 = min(q0 + qcs, n_queries)
            cand = padded[q0:q1]
            valid = torch.from_numpy(cand >= 0).to(dev)
            safe = np.where(cand >= 0, cand, 0).ravel()
            rows = corpus_emb[torch.from_numpy(safe).to(corpus_emb.device) if corpus_is_tensor else safe]
            docs = _load(rows, dev, similarity).reshape(q1 - q0, longest, dim)
            q = queries[q0:q1].unsqueeze(1)
            if similarity == "euclidean":
                block = -torch.cdist(q, docs, p=2.0).squeeze(1)
            else:
                block = torch.bmm(q, docs.transpose(1, 2)).squeeze(1)
            _check_nan(block[valid])
            block = block.masked_fill(~valid, -torch.inf)
            top_v, pos = torch.topk(block, width, dim=1, largest=True, sorted=True)
            top_i = torch.gather(torch.from_numpy(cand).to(dev), 1, pos)
            run_v[q0:q1] = top_v
            run_i[q0:q1] = top_i
    if dev.type != "cpu":
        scores[:] = run_v.cpu().numpy()
        indices[:] = run_i.cpu().numpy()
    return scores, indices
