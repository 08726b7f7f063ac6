"""The registry queries over the catalogue: get_task, get_tasks, get_benchmark, ...

The records themselves (``TaskSpec``, ``Benchmark``, ...) live in ``mieb_records`` and the
declarations in ``mieb_tasks``; this module stands above both and only queries them. The
registry is built once, on first use, and never mutated afterwards. The record names are
re-exported here for the harness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from types import MappingProxyType

from mieb_records.errors import UnknownNameError
from mieb_records.families import FAMILIES, FAMILY_OF_TYPE, PAPER_CATEGORY_OF_TYPE
from mieb_records.tasks import (
    BENCHMARK_MARKERS,
    DEFAULT_K_VALUES,
    Benchmark,
    DatasetRef,
    TaskSpec,
)
from mieb_tasks import ALL_TASKS
from mieb_tasks.benchmarks import BENCHMARKS

__all__ = [
    "BENCHMARK_MARKERS",
    "DEFAULT_K_VALUES",
    "FAMILIES",
    "FAMILY_OF_TYPE",
    "PAPER_CATEGORY_OF_TYPE",
    "Benchmark",
    "DatasetRef",
    "TaskSpec",
    "UnknownNameError",
    "all_tasks",
    "get_benchmark",
    "get_benchmarks",
    "get_task",
    "get_tasks",
]


@cache
def _registry() -> Mapping[str, TaskSpec]:
    names = [t.name for t in ALL_TASKS]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"Task names declared twice: {sorted(duplicates)}")
    return MappingProxyType({t.name: t for t in ALL_TASKS})


def all_tasks() -> tuple[TaskSpec, ...]:
    """Every declared task, in catalogue order."""
    return tuple(_registry().values())


def get_task(name: str) -> TaskSpec:
    """The task called ``name``; an unknown name raises with close matches."""
    try:
        return _registry()[name]
    except KeyError:
        raise UnknownNameError("task", name, _registry()) from None


def get_tasks(
    tasks: Sequence[str] | None = None,
    *,
    task_types: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    languages: Sequence[str] | None = None,
    modalities: Sequence[str] | None = None,
    families: Sequence[str] | None = None,
    benchmarks: Sequence[str] | None = None,
) -> tuple[TaskSpec, ...]:
    """Tasks matching every given filter (mteb's ``get_tasks`` semantics).

    ``languages`` accepts ISO 639-3 codes (``eng``) or full ``eng-Latn`` codes; ``modalities``
    keeps tasks whose modalities are all among those given.
    """
    selected = [get_task(n) for n in tasks] if tasks is not None else list(all_tasks())
    if task_types is not None:
        _check_known("task type", task_types, {t.type for t in all_tasks()})
        selected = [t for t in selected if t.type in task_types]
    if categories is not None:
        selected = [t for t in selected if t.category in categories]
    if families is not None:
        _check_known("task family", families, FAMILIES)
        selected = [t for t in selected if t.family in families]
    if benchmarks is not None:
        members = {t.name for b in benchmarks for t in get_benchmark(b).tasks}
        selected = [t for t in selected if t.name in members]
    if languages is not None:
        wanted = set(languages)
        selected = [t for t in selected if any(lang in wanted or lang.split("-")[0] in wanted for lang in t.languages)]
    if modalities is not None:
        selected = [t for t in selected if set(t.modalities) <= set(modalities)]
    return tuple(selected)


def _check_known(kind: str, names: Iterable[str], known: Iterable[str]) -> None:
    known = set(known)
    for name in names:
        if name not in known:
            raise UnknownNameError(kind, name, known)


@cache
def _benchmarks() -> Mapping[str, Benchmark]:
    return MappingProxyType({b.name: b for b in BENCHMARKS})


def get_benchmark(name: str) -> Benchmark:
    """The benchmark called ``name`` (``MIEB(lite)``, ...); unknown names raise with close matches."""
    try:
        return _benchmarks()[name]
    except KeyError:
        raise UnknownNameError("benchmark", name, _benchmarks()) from None


def get_benchmarks(names: Sequence[str] | None = None) -> tuple[Benchmark, ...]:
    """All benchmarks, or those named."""
    if names is None:
        return tuple(_benchmarks().values())
    return tuple(get_benchmark(n) for n in names)
