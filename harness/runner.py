"""Run one task for one model: data view -> encode -> evaluator -> TaskResult on disk.

The runner knows nothing of pytest: the plugin, the Python API and the Ray workers build their
engine with ``build_engine`` and call ``run_task``. Finished
(split, subset) cells found in the results folder are reused, so an interrupted run resumes
without redoing work; missing cells are computed and merged.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.catalogue.queries import TaskSpec, get_task
from harness.data.fingerprints import verify_content
from harness.data.hub import DataSource
from harness.data.sources import task_for_source
from harness.encode.cache import EmbeddingCache, default_cache_dir
from harness.encode.checks import ModelError
from harness.encode.engine import EncodeEngine
from harness.pipelines import PIPELINES
from harness.results.aggregate import aggregate_subsets
from harness.results.task_result import TaskResult, read_result, result_path, write_model_meta, write_result
from mieb_models.base import Encoder, ModelMeta, has_modalities


class TaskSkipped(Exception):
    """The task cannot run on this model (e.g. it needs a modality the model lacks)."""


class DataNotVerifiedWarning(UserWarning):
    """A task ran on data whose content has no reference fingerprint to be checked against."""


class ResultsNotWritable(OSError):
    """The results folder cannot be written; raised before any encoding work is done."""


@dataclass
class RunOutcome:
    result: TaskResult
    path: Path
    reused: bool
    # What the content check of the task's data found (``harness.data.fingerprints``); empty: not run.
    content_check: str = ""


def build_engine(
    model: Encoder,
    *,
    cache_dir: str | Path | None = None,
    batch_size: int = 32,
    num_workers: int | None = None,
    progress: bool = True,
    fast_preprocess: bool = False,
    batch_timeout: float | None = None,
) -> EncodeEngine:
    """The one place that wires a loaded model to the embedding cache and the encode engine.

    ``cache_dir`` defaults to ``$MIEB_CACHE_DIR`` or ``~/.cache/mieb/embeddings`` of the process
    that calls it (on a Ray worker: that node's own disk).
    """
    cache = EmbeddingCache(cache_dir or default_cache_dir())
    engine = EncodeEngine(
        model, cache, batch_size=batch_size, num_workers=num_workers, progress=progress, fast_preprocess=fast_preprocess
    )
    engine.guard.timeout = batch_timeout
    return engine


def modality_gap(task: TaskSpec, meta: ModelMeta) -> str | None:
    """Why the model cannot run the task (a modality it lacks), or None."""
    if has_modalities(meta, task.modalities):
        return None
    missing = sorted(set(task.modalities) - set(meta.modalities))
    return f"{meta.name} has no {' or '.join(missing)} encoder; {task.name} needs {', '.join(task.modalities)}"


def check_modalities(task: TaskSpec, engine: EncodeEngine) -> None:
    gap = modality_gap(task, engine.model.meta)
    if gap:
        raise TaskSkipped(gap)


def finished_result(
    task: TaskSpec, meta: ModelMeta, results_dir: str | Path, subsets: list[str] | None = None
) -> RunOutcome | None:
    """A stored result that already covers every split and subset of ``task`` (or the selected
    ``subsets``) on its dataset revision.

    Lets a rerun report finished tasks without loading the model at all.
    """
    path = result_path(results_dir, meta.name, meta.revision, task.name)
    previous = read_result(path)
    if previous is None or previous.dataset_revision != task.dataset.revision:
        return None
    subsets = ["default"] if task.aggregate_of else list(subsets or task.subsets)
    if all(previous.entry(split, subset) for split in task.eval_splits for subset in subsets):
        return RunOutcome(previous, path, reused=True)
    return None


def run_task(
    task: TaskSpec,
    engine: EncodeEngine,
    source: DataSource,
    results_dir: str | Path,
    *,
    overwrite: bool = False,
    subsets: list[str] | None = None,
    splits: list[str] | None = None,
) -> RunOutcome:
    """Evaluate ``task`` (every eval split x subset, or the given ones) and write its JSON."""
    task = task_for_source(task, source.dataset_source)
    check_modalities(task, engine)
    meta = engine.model.meta
    path = result_path(results_dir, meta.name, meta.revision, task.name)
    _writable(path, lambda: write_model_meta(path.parent, meta.to_dict()))  # fail before encoding anything
    previous = None if overwrite else read_result(path)
    if previous is not None and previous.dataset_revision != task.dataset.revision:
        previous = None  # computed on other data: never merged
    wanted = subsets or list(task.subsets)
    if unknown := [s for s in wanted if s not in task.subsets]:
        raise ValueError(f"{task.name} has no subset {', '.join(unknown)} (subsets: {', '.join(task.subsets)})")
    if task.aggregate_of:
        return _run_aggregate(task, engine, source, results_dir, path, previous, overwrite)

    todo_splits = [
        s for s in splits or task.eval_splits if previous is None or any(not previous.entry(s, b) for b in wanted)
    ]
    check = None
    if todo_splits:  # the data is checked before anything is encoded
        check = verify_content(task, source, splits=todo_splits, subsets=wanted)
        if check.status == "no fingerprint":
            warnings.warn(check.message, DataNotVerifiedWarning, stacklevel=2)
    scores = {split: list(previous.scores.get(split, [])) if previous else [] for split in task.eval_splits}
    elapsed = previous.evaluation_time if previous else 0.0
    computed = False
    for split in splits or task.eval_splits:
        for subset in wanted:
            if previous is not None and previous.entry(split, subset) is not None:
                continue
            start = time.perf_counter()
            try:
                scored = PIPELINES[task.family](task, split, subset, source, engine)
            except ModelError as err:
                raise type(err)(f"{task.name} ({split} split, subset {subset}): {err}") from err
            elapsed += time.perf_counter() - start
            scores[split].append(_entry(task, subset, scored.metrics))
            computed = True
    scores = {split: entries for split, entries in scores.items() if entries}  # splits not (yet) computed
    result = TaskResult(task.name, task.dataset.revision, scores, elapsed)
    if computed or previous is None:
        _writable(path, lambda: write_result(path, result))
    checked = f"{check.status}: {check.message}" if check else ""
    return RunOutcome(result if computed else previous, path, reused=not computed, content_check=checked)


def _writable(path: Path, write: Callable[[], None]) -> None:
    try:
        write()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ResultsNotWritable(f"cannot write results to {path.parent}: {reason} ({err})") from err


def _entry(task: TaskSpec, subset: str, metrics: dict) -> dict:
    if task.main_score not in metrics:
        raise KeyError(f"{task.name}: evaluator returned no {task.main_score!r} (got {sorted(metrics)})")
    return {
        "hf_subset": subset,
        "languages": list(task.subsets[subset]),
        "main_score": metrics[task.main_score],
        **metrics,
    }


def _run_aggregate(
    task: TaskSpec,
    engine: EncodeEngine,
    source: DataSource,
    results_dir: str | Path,
    path: Path,
    previous: TaskResult | None,
    overwrite: bool,
) -> RunOutcome:
    """An aggregate task: its raw task's selected subsets (computed or reused), averaged."""
    if previous is not None and all(previous.entry(s, "default") for s in task.eval_splits):
        return RunOutcome(previous, path, reused=True)
    raw = get_task(task.aggregate_of)
    start = time.perf_counter()
    raw_outcome = run_task(
        raw, engine, source, results_dir, overwrite=overwrite, subsets=list(task.subsets), splits=list(task.eval_splits)
    )
    scores = {}
    for split in task.eval_splits:
        value = aggregate_subsets(raw_outcome.result.scores.get(split, []), list(task.subsets))
        scores[split] = [
            {"hf_subset": "default", "languages": list(task.languages), "main_score": value, task.main_score: value}
        ]
    result = TaskResult(task.name, task.dataset.revision, scores, time.perf_counter() - start)
    _writable(path, lambda: write_result(path, result))
    return RunOutcome(result, path, reused=False)
