"""Published scores as assertions: tolerances, direction and the comparison of a result with them.

References ship with the package: the published MIEB scores of 14 models and the project's own
recorded scores for its offline models. A baseline results folder (``harness.gating.baseline``), when
given, replaces them.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from harness.catalogue.queries import TaskSpec
from harness.results.folders import parse_version
from harness.results.task_result import TaskResult

Mode = Literal["regression", "reproduce", "off"]
MODES: tuple[str, ...] = ("regression", "reproduce", "off")

REFERENCE_FILES = ("published_scores.tsv", "offline_scores.tsv")


@dataclass(frozen=True)
class ReferenceCell:
    split: str
    subset: str
    score: float
    dataset_revision: str
    source: str
    mteb_version: str = ""  # the mteb release whose protocol produced the score ("" = unknown)

    def protocol_major(self) -> int | None:
        version = parse_version(self.mteb_version)
        if version is not None:
            return version.major
        return 1 if self.source.startswith("embeddings-benchmark/") else None


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing a result with its reference."""

    checked: bool
    passed: bool
    message: str
    expected: float | None = None  # the reference's task score (mean over its cells)
    tolerance: float | None = None


@cache
def _table() -> dict[tuple[str, str], list[ReferenceCell]]:
    table: dict[tuple[str, str], list[ReferenceCell]] = {}
    folder = resources.files("harness").joinpath("reference_data")
    for name in REFERENCE_FILES:
        with folder.joinpath(name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                cell = ReferenceCell(
                    row["split"],
                    row["hf_subset"],
                    float(row["main_score"]),
                    row["dataset_revision"],
                    row.get("source", ""),
                    row.get("mteb_version", ""),
                )
                table.setdefault((row["model"], row["task_name"]), []).append(cell)
    return table


def reference_cells(model_name: str, task_name: str) -> list[ReferenceCell]:
    """The published cells (split x subset) for a model and task; empty when there are none."""
    return _table().get((model_name, task_name), [])


# mteb writes no data revision for an aggregate task (VisualSTS17Eng ...): its result files carry
# the placeholder "1" of ``AggregateTaskMetadata``. Its sub-task's data is pinned by the task itself.
AGGREGATE_REVISION = "1"


def dataset_revision_matches(task: TaskSpec, revision: str) -> bool:
    """Whether a reference on ``revision`` was computed on this task's data."""
    return revision == task.dataset.revision or (task.aggregate_of is not None and revision == AGGREGATE_REVISION)


def tolerance_for(task: TaskSpec, override: float | None = None) -> float:
    """The user's tolerance, else the task family's default (``mieb_records.families``)."""
    return override if override is not None else task.facts.tolerance


def compare(
    task: TaskSpec,
    result: TaskResult,
    cells: list[ReferenceCell],
    *,
    mode: Mode = "regression",
    tolerance: float | None = None,
) -> Verdict:
    """Compare every (split, subset) main score of ``result`` with its reference cell."""
    if mode == "off":
        return Verdict(False, True, "reference check off")
    subsets = ["default"] if task.aggregate_of else list(task.subsets)  # aggregates store one "default" cell
    wanted = {(s, sub) for s in task.eval_splits for sub in subsets}
    cells = [c for c in cells if (c.split, c.subset) in wanted]
    if not cells:
        return Verdict(False, True, f"{task.name}: no reference score for this model")
    expected = sum(c.score for c in cells) / len(cells)
    # This harness runs the mteb 2.x protocol; a reference from mteb 1.x (published or a baseline
    # folder written by mteb 1.x) of a task whose protocol changed is reported, never asserted.
    if task.published_protocol_differs and any((c.protocol_major() or 2) < 2 for c in cells):
        return Verdict(False, True, f"{task.name}: {task.published_protocol_differs}; not compared", expected=expected)
    published = all(c.source.startswith("embeddings-benchmark/") for c in cells)
    if task.reference_not_comparable and published:
        return Verdict(False, True, f"{task.name}: {task.reference_not_comparable}; not compared", expected=expected)
    revisions = {c.dataset_revision for c in cells}
    if not all(dataset_revision_matches(task, r) for r in revisions):
        return Verdict(
            False,
            True,
            f"{task.name}: reference computed on dataset revision {', '.join(sorted(revisions))}, "
            f"this run on {task.dataset.revision}; not compared",
            expected=expected,
        )
    tol = tolerance_for(task, tolerance)
    failures = []
    for cell in cells:
        entry = result.entry(cell.split, cell.subset)
        got = float("nan") if entry is None else float(entry["main_score"])
        low = got < cell.score - tol
        high = mode == "reproduce" and got > cell.score + tol
        if math.isnan(got) or low or high:
            where = cell.split if cell.subset == "default" else f"{cell.split}/{cell.subset}"
            failures.append(f"{where}: got {got:.6f}, expected {cell.score:.6f}")
    if failures:
        direction = "below" if mode == "regression" else "away from"
        return Verdict(
            True,
            False,
            f"{task.name} {task.main_score} {direction} reference by more than tolerance {tol} "
            f"(dataset revision {task.dataset.revision}, {mode} mode): " + "; ".join(failures),
            expected=expected,
            tolerance=tol,
        )
    return Verdict(True, True, f"{task.name}: {len(cells)} reference cell(s) within {tol}", expected, tol)
