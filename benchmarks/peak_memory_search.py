"""Peak host memory of :func:`harness.evaluators.retrieval.search.search` beyond the embeddings.

Run as a script (it is also driven by ``benchmarks/test_retrieval_speed.py``)::

    python benchmarks/peak_memory_search.py --docs 1000000 --queries 100000 --dim 512

The embeddings (float16, random) are generated in place, chunk by chunk, so creating them adds
no temporary. The process's resident set is read once they exist; the reported number is
``ru_maxrss`` after the search minus that baseline, i.e. everything the search allocated on the
host (its float32 work buffers and the returned arrays). On CUDA the device peak is printed too.
One JSON line goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _random_fp16(rows: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((rows, dim), dtype=np.float16)
    step = 65_536
    for r0 in range(0, rows, step):
        r1 = min(r0 + step, rows)
        out[r0:r1] = rng.standard_normal((r1 - r0, dim), dtype=np.float32)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--top-k", type=int, default=1000)
    parser.add_argument("--device", default=None)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    args = parser.parse_args(argv)

    import importlib.util

    import torch

    # load the module by path: only torch and numpy are needed (not the harness package's imports)
    path = Path(__file__).resolve().parents[1] / "harness" / "evaluators" / "search.py"
    spec = importlib.util.spec_from_file_location("_mieb_search", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    search = module.search

    rng = np.random.default_rng(0)
    corpus = _random_fp16(args.docs, args.dim, rng)
    queries = _random_fp16(args.queries, args.dim, rng)
    if args.device and args.device.startswith("cuda"):
        torch.zeros(1, device=args.device)  # initialise the CUDA context before the baseline
    baseline = _rss_bytes()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    scores, indices = search(queries, corpus, args.top_k, device=args.device, chunk_size=args.chunk_size)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report = {
        "docs": args.docs,
        "queries": args.queries,
        "dim": args.dim,
        "top_k": args.top_k,
        "device": args.device or "cpu",
        "torch_threads": torch.get_num_threads(),
        "seconds": round(seconds, 2),
        "embeddings_gib": round((corpus.nbytes + queries.nbytes) / 2**30, 3),
        "output_gib": round((scores.nbytes + indices.nbytes) / 2**30, 3),
        "peak_rss_before_search_gib": round(max(peak_before, baseline) / 2**30, 3),
        "peak_beyond_embeddings_gib": round((peak - baseline) / 2**30, 3),
    }
    if args.device and args.device.startswith("cuda"):
        report["cuda_peak_allocated_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
