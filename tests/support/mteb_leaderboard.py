"""mteb's own leaderboard tables for results folders, printed as ``mieb report --format json`` prints them.

Runs under a python with mteb 2.26.24 (not this project's): ``python mteb_leaderboard.py BENCHMARK
ROOT [ROOT ...]``. The roots are merged into one results cache (a later root's file replaces an
earlier one's) and loaded the way the leaderboard app loads its results: ``ResultCache``
(``require_model_meta=False``), ``BenchmarkResults._to_results_df(benchmark.tasks)`` (revision
join, eval split/subset validation), then ``Benchmark._create_summary_table`` and
``Benchmark._create_per_task_table``.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
from pathlib import Path


def _value(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def main(benchmark_name: str, roots: list[str]) -> None:
    import mteb
    from mteb.benchmarks._create_table import _create_summary_table
    from mteb.benchmarks.benchmark import BenchmarkAggregation
    from mteb.cache import ResultCache
    from mteb.get_tasks import _TASKS_REGISTRY

    with tempfile.TemporaryDirectory() as tmp:
        cache_root = Path(tmp) / "cache"
        target = cache_root / "results"
        target.mkdir(parents=True)
        for root in roots:
            shutil.copytree(root, target, dirs_exist_ok=True)
        benchmark = mteb.get_benchmark(benchmark_name)
        cache = ResultCache(cache_root)
        results = cache.load_results(
            tasks=[t.metadata.name for t in benchmark.tasks], require_model_meta=False, include_remote=False
        )
        frame = results._to_results_df(benchmark.tasks)
        summary = benchmark._create_summary_table(frame)
        # MIEB hides Mean (Task); mteb computes it in the same table when asked for it.
        with_mean_task = _create_summary_table(
            frame, aggregations=(BenchmarkAggregation.MEAN_TASK, *benchmark.aggregations)
        )
        mean_task_of = {r["Model"]: r["Mean (Task)"] for r in with_mean_task.df.iter_rows(named=True)}
        per_task = benchmark._create_per_task_table(frame)
        task_cols = [c for c in per_task.columns if c not in {"Model", "_experiment_id"}]
        type_cols = sorted({_TASKS_REGISTRY[t].metadata.type for t in task_cols})
        task_rows = {row["Model"]: row for row in per_task.iter_rows(named=True)}
        revisions = {}
        for model_result in results.select_tasks(benchmark.tasks).join_revisions():
            revisions.setdefault(model_result.model_name, set()).add(model_result.model_revision)
        models = []
        for row in summary.df.iter_rows(named=True):
            name = row["Model"]
            tasks = {t: _value(task_rows[name][t]) for t in task_cols}
            models.append(
                {
                    "model": name,
                    "revision": ", ".join(sorted(revisions.get(name, ()))),
                    "mean_task_type": _value(row["Mean (TaskType)"]),
                    "mean_task": _value(mean_task_of[name]),
                    "task_types": {t: _value(row[t]) for t in type_cols},
                    "tasks": tasks,
                    "borda_rank": row["Rank (Borda)"],
                }
            )
    # The summary keeps only models in mteb's registry (an inner join on its model metadata); the
    # per-task table and the Borda ranks cover every model.
    per_task_json = {name: {t: _value(row[t]) for t in task_cols} for name, row in task_rows.items()}
    print(json.dumps({"benchmark": benchmark_name, "models": models, "per_task": per_task_json}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
