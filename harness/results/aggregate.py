"""Leaderboard arithmetic for MIEB: task scores, Mean(TaskType), Borda rank, aggregate tasks.

Pure functions on plain dicts. They do no I/O and do not depend on the result schema beyond
``{"hf_subset": ..., "main_score": ...}`` entries. Semantics follow mteb 2.x:

* ``task_score``: ``TaskResult.get_score()`` is ``np.mean`` of ``main_score`` over every
  (split, subset) entry, so splits and subsets weigh the same and sample counts play no part.
* ``mean_task_type``: the MIEB summary table (``mteb/benchmarks/_create_table.py``,
  ``_get_means_per_types`` plus the ``Mean (TaskType)`` column; ``MIEBBenchmark`` aggregations
  ``MEAN_TASK_TYPE, TASK_TYPES``). Each task type is the mean of its tasks with ``skipna=False``, so
  one missing or NaN task makes that type NaN. The overall value is the ``skipna=False`` mean of the
  type means.
* ``borda_ranks``: ``_get_borda_rank``. For each task, models are ranked by score, descending, with
  ``method="average"``, and earn ``n - rank`` points, where ``n`` is the number of models in the
  table. A model without a score for a task earns 0 for it (the NaN is skipped in the row sum). The
  point totals are ranked descending with ``method="min"``. Models with no score at all are dropped
  from the table first, as mteb does ("Remove models with no scores").
* ``aggregate_subsets``: ``AbsTaskAggregate.task_results_to_scores`` via
  ``TaskResult.get_score_fast`` (``mteb/abstasks/aggregated_task.py``). The main score of an
  aggregate task such as ``VisualSTS17Eng`` is the mean ``main_score`` over the sub-task entries of
  the selected subsets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "MEAN_TASK_TYPE",
    "aggregate_subsets",
    "borda_ranks",
    "mean_task_type",
    "task_score",
]

MEAN_TASK_TYPE = "Mean (TaskType)"  # mteb's summary-column name


def _is_missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float | np.floating) and math.isnan(x))


def _skipna_false_mean(values: Sequence[float | None]) -> float:
    """pandas ``mean(skipna=False)``: NaN if any value is missing or NaN (or none are given)."""
    if not values or any(_is_missing(v) for v in values):
        return math.nan
    return float(sum(values) / len(values))


def task_score(scores_by_split: Mapping[str, Sequence[Mapping]]) -> float:
    """One task's score: the mean ``main_score`` over every split x subset entry.

    ``scores_by_split`` is the ``scores`` block of a result file: ``{split: [{hf_subset, main_score,
    ...}, ...]}``. Restricting to the task's eval splits is the caller's job. No entries gives NaN.
    """
    values = [float(entry["main_score"]) for entries in scores_by_split.values() for entry in entries]
    if not values:
        return math.nan
    return float(np.mean(values))


def mean_task_type(task_scores: Mapping[str, float], task_types: Mapping[str, str]) -> dict:
    """Per-type means and the overall Mean(TaskType).

    Args:
        task_scores: ``{task_name: score}`` for one model. A task can be absent or NaN.
        task_types: ``{task_name: task_type}`` for every task of the benchmark. This is the
            benchmark's task list; scores of tasks that are not in it are ignored.

    Returns:
        ``{task_type: mean, ..., "Mean (TaskType)": overall}``. Types appear in the order they
        first occur in ``task_types``. A type with a missing or NaN task is NaN, and so is the
        overall value (pandas ``skipna=False``). Empty ``task_types`` gives only the overall NaN.
    """
    by_type: dict[str, list[float | None]] = {}
    for task, task_type in task_types.items():
        by_type.setdefault(task_type, []).append(task_scores.get(task))
    out = {task_type: _skipna_false_mean(values) for task_type, values in by_type.items()}
    out[MEAN_TASK_TYPE] = _skipna_false_mean(list(out.values()))
    return out


def _average_desc_ranks(values: Mapping[str, float]) -> dict[str, float]:
    """pandas ``rank(method="average", ascending=False)``: 1 = best, and tied values share the mean rank."""
    ranks: dict[str, float] = {}
    for key, value in values.items():
        greater = sum(1 for v in values.values() if v > value)
        equal = sum(1 for v in values.values() if v == value)
        ranks[key] = greater + (equal + 1) / 2
    return ranks


def borda_ranks(scores: Mapping[str, Mapping[str, float]], *, n_models: int | None = None) -> dict[str, int]:
    """Borda rank per model, where 1 is best. Models that share a point total share the best rank.

    Args:
        scores: ``{model: {task: score}}``. Missing or NaN scores earn 0 points for that task.
        n_models: the ``n`` of ``n - rank`` (mteb: the models of the summary table); default the
            number of models with at least one score.

    Returns:
        ``{model: rank}`` for every model with at least one score. Models with none are dropped,
        as in mteb.
    """
    table = {
        model: {task: float(s) for task, s in per_task.items() if not _is_missing(s)}
        for model, per_task in scores.items()
    }
    table = {model: per_task for model, per_task in table.items() if per_task}
    n = len(table) if n_models is None else n_models
    tasks = dict.fromkeys(task for per_task in table.values() for task in per_task)
    points = dict.fromkeys(table, 0.0)
    for task in tasks:
        column = {model: per_task[task] for model, per_task in table.items() if task in per_task}
        for model, rank in _average_desc_ranks(column).items():
            points[model] += n - rank
    return {model: 1 + sum(1 for q in points.values() if q > p) for model, p in points.items()}


def aggregate_subsets(entries: Iterable[Mapping], subsets: Sequence[str]) -> float:
    """Main score of an aggregate task: the mean ``main_score`` over the selected ``hf_subset`` entries.

    ``entries`` are the sub-task's score entries for the aggregate's eval split(s) (``test`` for
    the VisualSTS aggregates). For example, ``VisualSTS17Eng`` is STS17MultilingualVisualSTS with
    ``["en-en"]``, and ``VisualSTS-b-Multilingual`` is STSBenchmarkMultilingualVisualSTS with
    ``["de", "es", "fr", "it", "nl", "pl", "pt", "ru", "zh"]``. A missing ``main_score`` raises, and
    so does finding no selected subset, as in ``get_score_fast``.
    """
    wanted = set(subsets)
    total = 0.0
    count = 0
    for entry in entries:
        main = entry.get("main_score")
        if main is None:
            raise ValueError(f"missing main_score for subset {entry.get('hf_subset')!r}")
        if entry.get("hf_subset") in wanted:
            total += main
            count += 1
    if count == 0:
        raise ValueError(f"no entries for subsets {sorted(wanted)}")
    return float(total / count)
