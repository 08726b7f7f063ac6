"""Published scores as assertions: tolerances, direction and the comparison of a result with them.

References ship with the package: the published MIEB scores of 14 models and the project's own
recorded scores for its offline models. A model without either can be gated against a baseline
results folder (a previous run in the MTEB layout).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from harness.results import TaskResult, read_result, result_path
from harness.spec import TaskSpec

Mode = Literal["regression", "reproduce", "off"]
MODES: tuple[str, ...] = ("regression", "reproduce", "off")

# Absolute tolerance on the main score per family, when the user gives none. Linear probes and
# clustering carry solver and batch-order noise; the others are deterministic up to float error.
DEFAULT_TOLERANCE: Mapping[str, float] = {
    "linear_probe": 0.02,
    "clustering": 0.03,
}
FALLBACK_TOLERANCE = 0.01
REFERENCE_FILES = ("published_scores.tsv", "offline_scores.tsv")


@dataclass(frozen=True)
class ReferenceCell:
    split: str
    subset: str
    score: float
    dataset_revision: str
    source: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing a result with its reference."""

    checked: bool
    passed: bool
    message: str


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
                )
                table.setdefault((row["model"], row["task_name"]), []).append(cell)
    return table


def reference_cells(model_name: str, task_name: str) -> list[ReferenceCell]:
    """The published cells (split x subset) for a model and task; empty when there are none."""
    return _table().get((model_name, task_name), [])


def baseline_cells(
    baseline_dir: str | Path, model_name: str, revision: str | None, task_name: str
) -> list[ReferenceCell]:
    """Cells from a baseline results folder (a previous run of the same model, MTEB layout)."""
    result = read_result(result_path(baseline_dir, model_name, revision, task_name))
    if result is None:
        return []
    return [
        ReferenceCell(
            split, e["hf_subset"], float(e["main_score"]), result.dataset_revision, f"baseline {baseline_dir}"
        )
        for split, entries in result.scores.items()
        for e in entries
    ]


def tolerance_for(task: TaskSpec, override: float | None = None) -> float:
    return override if override is not None else DEFAULT_TOLERANCE.get(task.family, FALLBACK_TOLERANCE)


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
    wanted = {(s, sub) for s in task.eval_splits for sub in task.subsets}
    cells = [c for c in cells if (c.split, c.subset) in wanted]
    if not cells:
        return Verdict(False, True, f"{task.name}: no reference score for this model")
    published = all(c.source.startswith("embeddings-benchmark/") for c in cells)
    if task.reference_not_comparable and published:
        return Verdict(False, True, f"{task.name}: {task.reference_not_comparable}; not compared")
    revisions = {c.dataset_revision for c in cells}
    if revisions != {task.dataset.revision}:
        return Verdict(
            False,
            True,
            f"{task.name}: reference computed on dataset revision {', '.join(sorted(revisions))}, "
            f"this run on {task.dataset.revision}; not compared",
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
        )
    return Verdict(True, True, f"{task.name}: {len(cells)} reference cell(s) within {tol}")
