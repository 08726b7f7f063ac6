"""Encode groups: the tasks of one model that share a dataset, ordered longest first.

A group is the unit of work on a cluster: its tasks encode the same images once, on one worker.
The expected cost of a task is its published ``evaluation_time`` (the reference run of
openai/clip-vit-base-patch16, shipped in ``reference_data``); a task without one costs the size
of its dataset in the local mirror (in seconds at a nominal rate, so both kinds of cost sort
together), else a nominal minute.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from harness.catalogue.queries import DatasetRef, TaskSpec
from harness.data.hub import DataSource

TIMES_FILE = "published_evaluation_times.tsv"
BYTES_PER_SECOND = 1_000_000  # nominal: a task without a published time costs 1 s per MB of data
DEFAULT_COST_S = 60.0


@dataclass(frozen=True)
class EncodeGroup:
    """One model's tasks on one dataset; ``cost_s`` is the expected run time used for ordering."""

    model: str
    dataset: DatasetRef
    tasks: tuple[TaskSpec, ...]
    cost_s: float

    @property
    def task_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tasks)

    @property
    def label(self) -> str:
        return f"{self.model} {self.dataset.path} ({len(self.tasks)} task{'s' if len(self.tasks) > 1 else ''})"


@cache
def published_evaluation_times() -> dict[str, float]:
    """Task name -> seconds its published reference result took."""
    text = resources.files("harness").joinpath("reference_data", TIMES_FILE).read_text()
    return {
        row["task_name"]: float(row["evaluation_time_s"]) for row in csv.DictReader(text.splitlines(), delimiter="\t")
    }


def task_cost(task: TaskSpec, source: DataSource) -> float:
    """Expected seconds: published evaluation time, else local dataset size, else a nominal minute."""
    published = published_evaluation_times().get(task.name)
    if published is not None:
        return published
    local = source.local_path(task.dataset)
    if local is not None:
        size = sum(f.stat().st_size for f in Path(local).rglob("*") if f.is_file())
        return max(size / BYTES_PER_SECOND, 1.0)
    return DEFAULT_COST_S


def encode_groups(cases: Iterable[tuple[str, TaskSpec]], source: DataSource) -> list[EncodeGroup]:
    """Group (model, task) cases by model and dataset, most expensive group first.

    Ties keep the order the cases came in, so the plan is deterministic.
    """
    grouped: dict[tuple[str, DatasetRef], list[TaskSpec]] = {}
    for model, task in cases:
        members = grouped.setdefault((model, task.dataset), [])
        if task not in members:
            members.append(task)
    groups = [
        EncodeGroup(model, dataset, tuple(tasks), sum(task_cost(t, source) for t in tasks))
        for (model, dataset), tasks in grouped.items()
    ]
    return sorted(groups, key=lambda g: -g.cost_s)
