"""A previous release's results folder as the reference a run is gated on (``--baseline-dir``).

The baseline is another model (a previous checkpoint has another name and revision), so it is
chosen by folder, not by the candidate's name: the folder may be a results root with one model,
that model's folder, or one revision folder; ``--baseline-model`` picks one model where there are
several. Results are matched to cases by task name and dataset revision. When the baseline has
several revisions of its model, each task takes the one ``mieb report`` would (pinned revision,
then newest mteb version).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.catalogue.queries import TaskSpec, UnknownNameError
from harness.gating.references import ReferenceCell, dataset_revision_matches
from harness.results.folders import ResultFile, ResultsFolderError, read_results
from harness.results.leaderboard import select_revisions


@dataclass(frozen=True)
class BaselineLookup:
    """What the baseline holds for one task: its cells, or why there are none."""

    cells: list[ReferenceCell]
    problem: str = ""  # non-empty when the baseline has no usable value for the task


class Baseline:
    """The results of one baseline model, indexed by task."""

    def __init__(self, folder: str | Path, model: str, by_task: dict[str, ResultFile]):
        self.folder = Path(folder)
        self.model = model
        self.by_task = by_task

    @classmethod
    def open(cls, folder: str | Path, model: str | None = None) -> Baseline:
        """Read a baseline folder; raises ``ResultsFolderError`` when it is empty or ambiguous."""
        results = read_results([folder])
        models = sorted({r.model for r in results})
        if model is None:
            if len(models) > 1:
                raise ResultsFolderError(
                    f"baseline {folder} holds results of {len(models)} models ({', '.join(models)}); "
                    f"choose one with --baseline-model"
                )
            model = models[0]
        elif model not in models:
            raise ResultsFolderError(f"baseline {folder}: {UnknownNameError('model', model, models)}")
        chosen = select_revisions([r for r in results if r.model == model])
        return cls(folder, model, {task: result for (_, task), result in chosen.items()})

    def describe(self) -> str:
        revisions = sorted({r.revision for r in self.by_task.values()})
        return f"{self.model} ({', '.join(r[:12] for r in revisions)}) in {self.folder}"

    def lookup(self, task: TaskSpec) -> BaselineLookup:
        """The baseline cells for every (eval split, subset) the case gates, or the reason there are none."""
        result = self.by_task.get(task.name)
        where = f"baseline {self.describe()}"
        if result is None:
            return BaselineLookup([], f"{task.name}: {where} has no result for this task")
        if not dataset_revision_matches(task, result.dataset_revision):
            return BaselineLookup(
                [],
                f"{task.name}: {where} was computed on dataset revision {result.dataset_revision}, "
                f"this run uses {task.dataset.revision}",
            )
        subsets = ["default"] if task.aggregate_of else list(task.subsets)
        cells, missing = [], []
        for split in task.eval_splits:
            for subset in subsets:
                entry = result.entry(split, subset)
                score = None if entry is None else entry.get("main_score")
                if score is None:
                    missing.append(split if subset == "default" else f"{split}/{subset}")
                    continue
                cells.append(
                    ReferenceCell(
                        split,
                        subset,
                        float(score),
                        result.dataset_revision,
                        f"baseline {result.path}",
                        result.mteb_version or "",
                    )
                )
        if missing:
            return BaselineLookup(cells, f"{task.name}: {where} lacks {', '.join(missing)}")
        return BaselineLookup(cells)
