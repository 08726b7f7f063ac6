"""What the cluster did for each (model, task) case, for the pytest cases to gate on the driver.

After the cluster work the cases run as in a local run, except that they never compute: a task
the cluster finished is read from the results folder the driver wrote, a skip or failure on a
worker becomes the case's skip or failure, and a task that was finished before the run is
reported as reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.catalogue.queries import TaskSpec
from harness.results.store import Provenance, read_result, task_cells
from harness.results.task_result import result_path
from harness.runner import RunOutcome, TaskSkipped, finished_result
from mieb_models.base import ModelMeta


class ClusterTaskFailed(RuntimeError):
    """The task failed on the cluster; the message says where and why."""


@dataclass(frozen=True)
class ModelKey:
    """The part of a model's metadata that locates and gates its results."""

    name: str
    revision: str | None


@dataclass(frozen=True)
class CaseOutcome:
    status: str  # finished | skipped | failed
    message: str = ""
    model: ModelKey | None = None
    reused: bool = False


@dataclass
class ClusterOutcomes:
    """(model argument, task name) -> what happened on the cluster; absent: not sent (finished before)."""

    results_dir: str
    cases: dict[tuple[str, str], CaseOutcome] = field(default_factory=dict)
    # model argument -> the settings its finished results must match (registry models only)
    provenance: dict[str, Provenance] = field(default_factory=dict)

    def outcome_for(
        self, model: str, task: TaskSpec, meta: ModelMeta | None, subsets: list[str] | None = None
    ) -> tuple[RunOutcome, ModelKey]:
        """The case's result on the driver (``subsets``: the selected ones, None: all); raises TaskSkipped or
        ClusterTaskFailed as a local run would."""
        case = self.cases.get((model, task.name))
        if case is None:
            expected = self.provenance.get(model)
            previous = finished_result(task, meta, self.results_dir, subsets, expected) if meta is not None else None
            if previous is None:
                raise ClusterTaskFailed(f"{task.name} on {model}: not finished and not run on the cluster")
            return previous, ModelKey(meta.name, meta.revision)
        if case.status == "skipped":
            raise TaskSkipped(case.message)
        if case.status != "finished" or case.model is None:
            raise ClusterTaskFailed(case.message)
        path = result_path(self.results_dir, case.model.name, case.model.revision, task.name)
        result = read_result(Path(path), task.name)
        if result is None:
            raise ClusterTaskFailed(f"{task.name} on {model}: the cluster finished it but {path} is unreadable")
        return RunOutcome(result, path, reused=case.reused, cells=task_cells(task, subsets)), case.model
