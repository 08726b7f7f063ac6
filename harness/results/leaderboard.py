"""The MIEB leaderboard tables computed from result files, as mteb 2.26.24's leaderboard computes them.

The steps and their mteb counterparts (``tests/test_leaderboard.py`` runs mteb's own code on the
same files and compares):

1. **Revision per (model, task)** (``BenchmarkResults.join_revisions``): the model's pinned
   revision wins, then a file with a parseable ``mteb_version``, then a real revision name, then
   the newest ``mteb_version``. File dates play no part. An explicit ``--revision`` keeps only
   that revision. Two revisions still tied are an error (mteb would pick by file order).
2. **Eval splits and subsets** (``TaskResult.validate_and_filter_scores``): other splits and
   subsets are dropped; a missing subset or split becomes a missing (NaN) score; aggregate tasks
   keep their ``default`` entry only.
3. **Task score** (``_create_summary_table``): the mean over the (split, subset) scores present;
   a model with fewer scored (split, subset) cells than the task has across all models in the
   table (distinct subsets x distinct splits) gets a missing task score.
4. **Means**: per task type and over tasks with ``skipna=False`` (one missing task makes its
   type and the overall value missing); Mean(TaskType) is the ``skipna=False`` mean of the type
   means. Only tasks that some model in the table has count; models without any score are dropped.
5. **Borda rank** (``_borda_rank_from_long``): per task, on the means of the scores present
   (before step 3's nulling), ``n - rank`` points with average ranks, ``n`` the models in the
   table; totals ranked with ``min``.
6. **Order**: by Mean(TaskType), descending, missing last (``MIEBBenchmark.summary_sort_column``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from harness.catalogue.queries import TaskSpec
from harness.results.aggregate import MEAN_TASK_TYPE, borda_ranks, mean_task_type
from harness.results.folders import NO_REVISION_NAMES, ResultFile, ResultsFolderError
from harness.results.store import cell_scores, task_cells

Score = float | None


@dataclass
class ModelRow:
    """One model's line of the leaderboard (scores on the files' 0-1 scale; None = missing)."""

    model: str
    revision: str  # the revision(s) its task scores come from, comma-separated when mixed
    mean_task_type: Score
    mean_task: Score
    task_types: dict[str, Score]
    tasks: dict[str, Score]
    borda_rank: int | None = None
    revisions: dict[str, str] = field(default_factory=dict)  # task -> revision
    found: int = 0  # tasks of the benchmark (or, without one, of the table) with a score
    found_by_type: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "revision": self.revision,
            "mean_task_type": self.mean_task_type,
            "mean_task": self.mean_task,
            "task_types": self.task_types,
            "tasks": self.tasks,
            "borda_rank": self.borda_rank,
            "found": self.found,
        }


@dataclass
class Leaderboard:
    benchmark: str | None
    rows: list[ModelRow]
    task_types: list[str]
    tasks: list[str]
    ignored: list[str] = field(default_factory=list)  # why files were not used (unknown tasks, ...)
    # What coverage is measured against: the benchmark's tasks, or (without one) the tasks in the table.
    total: int = 0
    total_by_type: dict[str, int] = field(default_factory=dict)

    def complete(self, row: ModelRow, task_type: str | None = None) -> bool:
        """Whether ``row`` has a score for every task (of ``task_type``) the coverage counts."""
        if task_type is None:
            return row.found == self.total
        return row.found_by_type.get(task_type, 0) == self.total_by_type.get(task_type, 0)

    def to_json(self) -> dict:
        return {"benchmark": self.benchmark, "total": self.total, "models": [r.to_json() for r in self.rows]}


def _missing(x: float | None) -> bool:
    return x is None or math.isnan(x)


@cache
def _pinned_revisions() -> dict[str, str | None]:
    from mieb_models.registry import list_models

    return {meta.name: meta.revision for meta in list_models("*")}


def _pinned_revision(model: str) -> str | None:
    """The revision the registry pins for a model name (mteb: its ``ModelMeta.revision``)."""
    return _pinned_revisions().get(model)


def select_revisions(
    results: Iterable[ResultFile], revisions: Mapping[str | None, str] | None = None
) -> dict[tuple[str, str], ResultFile]:
    """One result per (model, task), chosen as mteb's ``join_revisions`` chooses (see module doc).

    ``revisions`` maps a model name (or None for every model) to the revision to use. Copies of
    the same (model, revision, task) from several folders (shards) are merged cell by cell
    (``merge_copies``); two copies holding different scores for one cell are an error naming both.
    """
    revisions = dict(revisions or {})
    copies: dict[tuple[str, str, str], list[ResultFile]] = defaultdict(list)
    for result in results:
        wanted = revisions.get(result.model, revisions.get(None))
        if wanted is not None and result.revision != wanted:
            continue
        if not any(result.scores.values()):
            continue  # mteb drops results without scores before choosing
        copies[(result.model, result.task_name, result.revision)].append(result)
    by_key: dict[tuple[str, str], dict[str, ResultFile]] = defaultdict(dict)
    for (model, task, revision), found in copies.items():
        by_key[(model, task)][revision] = merge_copies(found)
    chosen: dict[tuple[str, str], ResultFile] = {}
    for (model, task), candidates in by_key.items():
        pinned = _pinned_revision(model)

        def priority(r: ResultFile, pinned: str | None = pinned) -> tuple:
            points = 1000 * (r.revision == pinned) + 100 * (r.version is not None)
            points += 10 * (r.revision not in NO_REVISION_NAMES)
            return (points, r.version or _NO_VERSION)

        ranked = sorted(candidates.values(), key=priority, reverse=True)
        if len(ranked) > 1 and priority(ranked[0]) == priority(ranked[1]):
            tied = sorted(r.revision for r in ranked if priority(r) == priority(ranked[0]))
            raise ResultsFolderError(
                f"{model}: {task} has results for revisions {', '.join(tied)} and nothing decides between "
                f"them (none is the model's pinned revision, same mteb version); choose one with "
                f"--revision {model}=REVISION"
            )
        chosen[(model, task)] = ranked[0]
    return chosen


def merge_copies(copies: Sequence[ResultFile]) -> ResultFile:
    """One (model, revision, task) from several folders: the union of their cells.

    A cell two copies hold with different main scores (or on different dataset revisions) is
    reported as a ``ResultsFolderError`` naming both files, never resolved by picking one.
    """
    if len(copies) == 1:
        return copies[0]
    first = copies[0]
    revisions = {c.dataset_revision for c in copies}
    if len(revisions) > 1:
        raise ResultsFolderError(
            f"{first.model} ({first.revision}): {first.task_name} was computed on dataset revisions "
            f"{', '.join(sorted(revisions))} in {', '.join(str(c.path) for c in copies)}; keep one of them"
        )
    cells: dict[str, dict[str, tuple[dict, ResultFile]]] = defaultdict(dict)
    conflicts = []
    for copy in sorted(copies, key=lambda c: c.date or -math.inf):
        for split, entries in copy.scores.items():
            for entry in entries:
                subset = entry.get("hf_subset", "default")
                held = cells[split].get(subset)
                if held is not None and not _same_score(held[0].get("main_score"), entry.get("main_score")):
                    conflicts.append(
                        f"{split}/{subset}: {held[0].get('main_score')} in {held[1].path}, "
                        f"{entry.get('main_score')} in {copy.path}"
                    )
                cells[split][subset] = (entry, copy)
    if conflicts:
        raise ResultsFolderError(
            f"{first.model} ({first.revision}) {first.task_name}: the merged folders disagree on "
            f"{'; '.join(conflicts)}; remove the copy that is wrong or pass one folder"
        )
    newest = max(copies, key=lambda c: c.date or -math.inf)
    scores = {split: [entry for entry, _ in by_subset.values()] for split, by_subset in cells.items()}
    return replace(newest, scores=scores)


def _same_score(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)  # type: ignore[arg-type]


class _Lowest:
    def __lt__(self, other: object) -> bool:
        return not isinstance(other, _Lowest)

    def __gt__(self, other: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Lowest)

    __hash__ = object.__hash__


_NO_VERSION = _Lowest()


def filtered_cells(task: TaskSpec, result: ResultFile) -> list[tuple[str, str, Score]]:
    """``(split, subset, main_score)`` over the task's cells (``store.task_cells``); missing ones are None.

    As mteb's filter, an aggregate task's split that is present without a ``default`` entry adds no cell.
    """
    scores = cell_scores(result, task_cells(task))
    return [
        (split, subset, value)
        for (split, subset), value in scores.items()
        if not (task.aggregate_of and split in result.scores and result.entry(split, subset) is None)
    ]


def _as_score(value: object) -> Score:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _mean(values: Sequence[float]) -> Score:
    return sum(values) / len(values) if values else None


def build_leaderboard(
    results: Iterable[ResultFile],
    tasks: Sequence[TaskSpec],
    *,
    benchmark: str | None = None,
    revisions: Mapping[str | None, str] | None = None,
) -> Leaderboard:
    """The summary and per-task tables of ``tasks`` (a benchmark's) over the given result files."""
    by_name = {t.name: t for t in tasks}
    results = list(results)
    ignored = sorted({r.task_name for r in results if r.task_name not in by_name})
    chosen = select_revisions([r for r in results if r.task_name in by_name], revisions)
    if not chosen:
        where = f" of {benchmark}" if benchmark else ""
        raise ResultsFolderError(f"no results for any task{where} in the given folders")

    cells: dict[tuple[str, str], list[tuple[str, str, Score]]] = {
        key: filtered_cells(by_name[key[1]], result) for key, result in chosen.items()
    }
    # Step 3: the (split, subset) coverage a task has across the table.
    scored_subsets: dict[str, set[str]] = defaultdict(set)
    scored_splits: dict[str, set[str]] = defaultdict(set)
    for (_, task), found in cells.items():
        for split, subset, score in found:
            if score is not None:
                scored_subsets[task].add(subset)
                scored_splits[task].add(split)
    raw: dict[str, dict[str, Score]] = defaultdict(dict)  # before the coverage rule (Borda)
    scores: dict[str, dict[str, Score]] = defaultdict(dict)
    task_order: list[str] = []
    for (model, task), found in cells.items():
        if not found:
            continue  # no row at all: the task is absent for this model, as in mteb's long frame
        if task not in task_order:
            task_order.append(task)
        present = [s for _, _, s in found if s is not None]
        mean = _mean(present)
        raw[model][task] = mean
        have = len({(split, subset) for split, subset, s in found if s is not None})
        required = len(scored_subsets[task]) * len(scored_splits[task])
        scores[model][task] = None if have < required else mean

    task_cols = [t.name for t in tasks if t.name in task_order]
    models = [m for m in scores if any(not _missing(scores[m].get(t)) for t in task_cols)]
    types = {t: by_name[t].type for t in task_cols}
    borda = borda_ranks({m: {t: s for t, s in raw[m].items() if s is not None} for m in raw}, n_models=len(models))
    rows = []
    for model in models:
        per_task = {t: scores[model].get(t) for t in task_cols}
        summary = mean_task_type({t: math.nan if s is None else s for t, s in per_task.items()}, types)
        type_means = {k: (None if math.isnan(v) else v) for k, v in summary.items() if k != MEAN_TASK_TYPE}
        overall = summary[MEAN_TASK_TYPE]
        all_tasks = [s for s in per_task.values()]
        mean_task = None if any(s is None for s in all_tasks) or not all_tasks else sum(all_tasks) / len(all_tasks)
        task_revisions = {t: chosen[(model, t)].revision for t in task_cols if (model, t) in chosen}
        rows.append(
            ModelRow(
                model=model,
                revision=", ".join(sorted(set(task_revisions.values()))),
                mean_task_type=None if math.isnan(overall) else overall,
                mean_task=mean_task,
                task_types=type_means,
                tasks=per_task,
                borda_rank=borda.get(model),
                revisions=task_revisions,
            )
        )
    rows.sort(key=lambda r: (r.mean_task_type is None, -(r.mean_task_type or 0.0)))
    type_names = list(dict.fromkeys(types.values()))
    counted = list(tasks) if benchmark else [by_name[t] for t in task_cols]
    total_by_type = dict(Counter(t.type for t in counted))
    for row in rows:
        scored = [by_name[t] for t, s in row.tasks.items() if s is not None]
        row.found, row.found_by_type = len(scored), dict(Counter(t.type for t in scored))
    return Leaderboard(benchmark, rows, type_names, task_cols, ignored, len(counted), total_by_type)
