"""Tasks and benchmarks by mteb's names and keywords: ``get_tasks``, ``get_task``, ``get_benchmark(s)``.

Where mteb narrows a task (``languages=``, ``hf_subsets=``, ``eval_splits=``), the task returned
here is the catalogue's record with only the selected subsets and splits, and running it runs
only those. Filters mieb has no data for (mteb's ``script``, ``domains``, ``exclude_superseded``
...) are not accepted: a script passing them fails with a ``TypeError`` naming the keyword.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from types import MappingProxyType

from harness.catalogue import queries
from harness.catalogue.queries import Benchmark, TaskSpec, UnknownNameError
from harness.catalogue.subsets import SubsetSelection

__all__ = [
    "Benchmark",
    "TaskSpec",
    "UnknownNameError",
    "get_benchmark",
    "get_benchmarks",
    "get_task",
    "get_tasks",
    "narrow",
    "resolve_tasks",
]


def _names(value: str | Sequence[str] | None) -> list[str] | None:
    """A list of names; one string is one name (never its characters)."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def get_benchmark(benchmark_name: str) -> Benchmark:
    """The benchmark called ``benchmark_name`` (``MIEB(lite)`` ...); unknown names list close matches."""
    return queries.get_benchmark(benchmark_name)


def get_benchmarks(names: str | Sequence[str] | None = None) -> list[Benchmark]:
    """Every benchmark, or those named. A single name is taken as one name (MIEB's documentation
    writes ``get_benchmarks("MIEB(Multilingual)")``), not as a sequence of characters."""
    return list(queries.get_benchmarks(_names(names)))


def get_task(
    task_name: str,
    languages: Sequence[str] | None = None,
    *,  # mteb's third positional parameter is ``script``
    eval_splits: Sequence[str] | None = None,
    hf_subsets: Sequence[str] | None = None,
) -> TaskSpec:
    """The task called ``task_name``, narrowed to the given languages, splits and HF subsets."""
    return narrow(
        queries.get_task(task_name),
        languages=_names(languages),
        eval_splits=_names(eval_splits),
        hf_subsets=_names(hf_subsets),
    )


def get_tasks(
    tasks: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    *,  # mteb's third positional parameter is ``script``: keywords only from here, so none is misread
    task_types: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    eval_splits: Sequence[str] | None = None,
    modalities: Sequence[str] | None = None,
    exclusive_modality_filter: bool = False,
    exclude_aggregate: bool = False,
    families: Sequence[str] | None = None,
    benchmarks: Sequence[str] | None = None,
) -> list[TaskSpec]:
    """Tasks passing every filter, as mteb's ``get_tasks`` selects them.

    ``tasks`` names tasks (the other filters then only narrow them to ``languages`` and
    ``eval_splits``, as in mteb). ``languages`` keeps tasks with a subset in one of the languages
    (``eng`` or ``eng-Latn``) and narrows multilingual tasks to those subsets. ``modalities`` keeps
    tasks sharing a modality with the list, or with ``exclusive_modality_filter`` exactly that set.
    ``families`` and ``benchmarks`` are mieb's own filters (pytest's family and benchmark markers).
    """
    tasks, languages, eval_splits, modalities = (
        _names(tasks),
        _names(languages),
        _names(eval_splits),
        _names(modalities),
    )
    task_types, categories = _names(task_types), _names(categories)
    if tasks is not None:
        chosen = [queries.get_task(name) for name in tasks]
    else:
        chosen = list(
            queries.get_tasks(task_types=task_types, categories=categories, families=families, benchmarks=benchmarks)
        )
        if modalities is not None:
            wanted = set(modalities)
            chosen = [
                t
                for t in chosen
                if (set(t.modalities) == wanted if exclusive_modality_filter else wanted & set(t.modalities))
            ]
        if exclude_aggregate:
            chosen = [t for t in chosen if not t.aggregate_of]
    if languages is not None:  # as mteb, tasks without a subset in those languages are left out
        selection = SubsetSelection.of(languages)
        chosen = [t for t in chosen if selection.subsets_of(t)]
    if eval_splits is not None:
        chosen = [t for t in chosen if set(t.eval_splits) & set(eval_splits)]
    return [narrow(t, languages=languages, eval_splits=eval_splits) for t in chosen]


def narrow(
    task: TaskSpec,
    *,
    languages: Sequence[str] | None = None,
    eval_splits: Sequence[str] | None = None,
    hf_subsets: Sequence[str] | None = None,
) -> TaskSpec:
    """``task`` keeping only the given eval splits and the subsets the languages and names select.

    A split or subset filter that leaves nothing of a task named on its own is an error listing
    what the task has (``SelectionError`` for subsets, ``ValueError`` for splits).
    """
    if languages or hf_subsets:
        selection = SubsetSelection.of(languages, hf_subsets)
        selection.check([task])
        kept = selection.subsets_of(task)
        task = replace(task, subsets=MappingProxyType({s: task.subsets[s] for s in kept}))
    if eval_splits is not None:
        splits = tuple(s for s in task.eval_splits if s in eval_splits)
        if not splits:
            raise ValueError(
                f"{task.name} has no eval split {', '.join(map(repr, eval_splits))}; "
                f"its eval splits: {', '.join(task.eval_splits)}"
            )
        task = replace(task, eval_splits=splits)
    return task


def resolve_tasks(tasks: TaskSpec | Benchmark | str | Iterable[TaskSpec | Benchmark | str]) -> list[TaskSpec]:
    """A flat task list from a task, a name, a benchmark, or an iterable of those (order kept,
    each task once: MIEB(Multilingual) and MIEB(lite) together run each shared task once)."""
    items = [tasks] if isinstance(tasks, TaskSpec | Benchmark | str) else list(tasks)
    flat: dict[str, TaskSpec] = {}
    for item in items:
        if isinstance(item, Benchmark):
            members = list(item.tasks)
        elif isinstance(item, str):
            members = [queries.get_task(item)]
        elif isinstance(item, TaskSpec):
            members = [item]
        else:
            raise TypeError(f"expected a task, a task name or a benchmark, got {type(item).__name__}: {item!r}")
        for task in members:
            flat.setdefault(task.name, task)
    return list(flat.values())
