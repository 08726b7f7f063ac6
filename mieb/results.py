"""Results by mteb's names: ``ModelResult``, ``BenchmarkResults``, ``load_results(...).to_dataframe()``.

``load_results`` reads local results folders in the MTEB layout (``<model>/<revision>/<Task>.json``,
written by mieb or by any mteb version). One score per (model, task, split, subset) is the cell's
``main_score``; ``to_dataframe`` aggregates them as mteb's ``BenchmarkResults.to_dataframe`` does
(the mean over the level below). With several revisions of one model, each task takes the revision
``mieb report`` would (mteb's ``join_revisions`` rule) unless ``include_model_revision=True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from harness.results.folders import ResultFile, read_results
from harness.results.leaderboard import select_revisions
from harness.results.store import read_result
from harness.results.task_result import TaskResult
from mieb_records.models import ModelMeta
from mieb_records.tasks import TaskSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BenchmarkResults", "ModelResult", "TaskResult", "load_results"]

AggregationLevel = Literal["subset", "split", "task", "language"]
_INDEX: dict[str, list[str]] = {
    "subset": ["task_name", "split", "subset"],
    "split": ["task_name", "split"],
    "task": ["task_name"],
    "language": ["language"],
}


@dataclass
class ModelResult:
    """One model revision's task results (mteb's ``ModelResult``)."""

    model_name: str
    model_revision: str | None
    task_results: list[TaskResult] = field(default_factory=list)
    # task name -> the file a result was read from (its mteb version decides between revisions)
    source_files: dict[str, ResultFile] = field(default_factory=dict, repr=False)

    def to_dataframe(self, aggregation_level: AggregationLevel = "task", format: str = "wide") -> pd.DataFrame:
        return BenchmarkResults([self]).to_dataframe(aggregation_level, format=format)


@dataclass
class BenchmarkResults:
    """Results of several models (mteb's ``BenchmarkResults``); iterating yields the ``ModelResult``s."""

    model_results: list[ModelResult] = field(default_factory=list)

    def __iter__(self) -> Iterator[ModelResult]:
        return iter(self.model_results)

    def __len__(self) -> int:
        return len(self.model_results)

    def to_dataframe(
        self,
        aggregation_level: AggregationLevel = "task",
        *,
        include_model_revision: bool = False,
        format: Literal["wide", "long"] = "wide",
    ) -> pd.DataFrame:
        """Main scores per model and ``task`` / ``split`` / ``subset`` / ``language``.

        ``wide``: one row per task (and split, subset), one column per model; ``long``: one row per
        model and task (...), the score in column ``score``. Aggregation is the mean.
        """
        import pandas as pd

        if aggregation_level not in _INDEX:
            raise ValueError(f"aggregation_level must be one of {', '.join(_INDEX)}, not {aggregation_level!r}")
        if format not in ("wide", "long"):
            raise ValueError(f"format must be 'wide' or 'long', not {format!r}")
        columns = ["model_name", *(["model_revision"] if include_model_revision else [])]
        rows = list(self._cells(include_model_revision))
        if not rows:
            return pd.DataFrame(columns=[*columns, *_INDEX[aggregation_level], "score"])
        frame = pd.DataFrame(rows)
        if aggregation_level == "language":
            frame = frame.explode("language")
        index = _INDEX[aggregation_level]
        if format == "wide":
            return frame.pivot_table(index=index, columns=columns, values="score", aggfunc="mean").reset_index()
        return frame.groupby(columns + index).agg(score=("score", "mean")).reset_index()

    def _cells(self, include_model_revision: bool) -> Iterator[dict[str, Any]]:
        chosen = self.model_results if include_model_revision else self._one_revision_per_task()
        for model in chosen:
            for result in model.task_results:
                for split, entries in result.scores.items():
                    for entry in entries:
                        yield {
                            "model_name": model.model_name,
                            "model_revision": model.model_revision,
                            "task_name": result.task_name,
                            "split": split,
                            "subset": entry.get("hf_subset"),
                            "language": list(entry.get("languages") or []) or [None],
                            "score": entry.get("main_score"),
                        }

    def _one_revision_per_task(self) -> list[ModelResult]:
        """Each (model, task) from one revision, chosen by mteb's ``join_revisions`` rule."""
        files: dict[tuple[str, str, str], tuple[ResultFile, TaskResult]] = {}
        for model in self.model_results:
            for result in model.task_results:
                file = model.source_files.get(result.task_name) or _as_file(model, result)
                files[(file.model, file.revision, file.task_name)] = (file, result)
        merged: dict[str, ModelResult] = {}
        for (model_name, _task), file in select_revisions(f for f, _ in files.values()).items():
            joined = merged.setdefault(model_name, ModelResult(model_name, None))
            joined.task_results.append(files[(file.model, file.revision, file.task_name)][1])
        return list(merged.values())


def _as_file(model: ModelResult, result: TaskResult) -> ResultFile:
    """A result computed in this process, as the record the revision rule reads (no file, no version)."""
    return ResultFile(
        model=model.model_name,
        revision=model.model_revision or "",
        task_name=result.task_name,
        dataset_revision=result.dataset_revision,
        scores=result.scores,
        mteb_version=None,
        date=None,
        path=Path(),
    )


def load_results(
    results_repo: str | Path | Sequence[str | Path] = "results",
    *,
    models: Iterable[str | ModelMeta] | None = None,
    tasks: Iterable[str | TaskSpec] | None = None,
) -> BenchmarkResults:
    """The results under local results folders (one path or several), optionally only some models and tasks.

    mteb's default ``results_repo`` is the public results repository's URL; mieb reads local
    folders only: clone that repository and pass its ``results/`` folder.
    """
    roots = [results_repo] if isinstance(results_repo, str | Path) else list(results_repo)
    for root in roots:
        if "://" in str(root):
            raise ValueError(
                f"{root}: mieb reads local results folders; clone the repository and pass its results folder"
            )
    model_names = None if models is None else {m.name if isinstance(m, ModelMeta) else m for m in models}
    task_names = None if tasks is None else {t.name if isinstance(t, TaskSpec) else t for t in tasks}
    grouped: dict[tuple[str, str], ModelResult] = {}
    for file in read_results(roots):
        if (model_names is not None and file.model not in model_names) or (
            task_names is not None and file.task_name not in task_names
        ):
            continue
        result = read_result(file.path, file.task_name)
        if result is None:
            continue
        model = grouped.setdefault((file.model, file.revision), ModelResult(file.model, file.revision))
        model.task_results.append(result)
        model.source_files[result.task_name] = file
    return BenchmarkResults(list(grouped.values()))
