"""Run one task for one model: data view -> encode -> evaluator -> TaskResult on disk.

The runner knows nothing of pytest: the plugin, the Python API and the Ray workers build their
engine with ``build_engine`` and call ``run_task``. Finished (split, subset) cells found in the
results folder are reused when they were computed with the same settings (``Provenance``), so an
interrupted run resumes without redoing work; a cell computed with other settings is recomputed
with a ``SettingsChanged`` warning naming what differs. Only the cells a run computes are written
(``harness.results.store``): no run removes a cell it did not select.
"""

from __future__ import annotations

import math
import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.catalogue.queries import TaskSpec, get_task
from harness.data.fingerprints import verify_content
from harness.data.hub import DataSource
from harness.data.sources import resolve_source, task_for_source
from harness.data.views import TaskViews
from harness.encode.cache import DEFAULT_STORAGE_DTYPE, EmbeddingCache, default_cache_dir
from harness.encode.checks import ModelError
from harness.encode.engine import EncodeEngine
from harness.files import package_version
from harness.pipelines import score_split
from harness.results.aggregate import aggregate_subsets
from harness.results.intervals import interval_fields
from harness.results.predictions import CellPredictions, commit_with_predictions
from harness.results.store import Cell, Provenance, ResultStore, score_of, task_cells
from harness.results.task_result import NO_REVISION, TaskResult
from mieb_models.base import Encoder, ModelMeta, has_modalities


class TaskSkipped(Exception):
    """The task cannot run on this model (e.g. it needs a modality the model lacks)."""


class DataNotVerifiedWarning(UserWarning):
    """A task ran on data whose content has no reference fingerprint to be checked against."""


class SettingsChanged(UserWarning):
    """Stored cells were computed with other settings (precision, preprocessing, ...); they are recomputed."""


class ResultsNotWritable(OSError):
    """The results folder cannot be written; raised before any encoding work is done."""


@dataclass
class RunOutcome:
    result: TaskResult
    path: Path
    reused: bool
    # What the content check of the task's data found (``harness.data.fingerprints``); empty: not run.
    content_check: str = ""
    cells: list[Cell] = field(default_factory=list)  # the cells this run selected (its score's cells)
    items: int = 0  # inputs this run encoded or read from the cache (0 when reused)
    phases: dict[str, float] = field(default_factory=dict)  # this run's seconds per phase (PHASES)

    @property
    def score(self) -> float:
        """The task's score over the selected cells (NaN when one has none), as report and compare compute it."""
        value, _ = score_of(self.result, self.cells)
        return math.nan if value is None else value


# Where a case's time goes, recorded in its result as ``TaskResult.phase_seconds``: loading the model
# (charged to the first task a process computes with it), encoding (forward passes and cache reads),
# and evaluating (reading the data view and computing the metrics).
PHASES = ("load", "encode", "evaluate")
_pending_load: weakref.WeakKeyDictionary[EncodeEngine, float] = weakref.WeakKeyDictionary()


def effective_precision(precision: str | None, device: str | None) -> str:
    """The precision embeddings are computed in: fp16/bf16 autocast on CUDA only; fp32 elsewhere."""
    on_cuda = str(device or "").startswith("cuda")
    return precision if on_cuda and precision not in (None, "") else "fp32"


def provenance_of(engine: EncodeEngine, source: DataSource) -> Provenance:
    """The settings this engine and data source compute scores with."""
    model = engine.model
    return Provenance(
        dataset_source=source.dataset_source,
        precision=effective_precision(getattr(model, "precision", None), engine.device),
        fast_preprocess=bool(engine.fast_preprocess),
        model_revision=model.meta.revision or NO_REVISION,
        cache_dtype=engine.cache.storage_dtype if engine.cache is not None else DEFAULT_STORAGE_DTYPE,
    )


def expected_provenance(
    meta: ModelMeta,
    dataset_source: str,
    precision: str | None,
    device: str | None,
    fast_preprocess: bool,
    cache_dtype: str = DEFAULT_STORAGE_DTYPE,
) -> Provenance:
    """The settings a run will compute with, known before the model is loaded (registry models)."""
    return Provenance(
        dataset_source=resolve_source(dataset_source),
        precision=effective_precision(precision or meta.reference_precision, device),
        fast_preprocess=bool(fast_preprocess),
        model_revision=meta.revision or NO_REVISION,
        cache_dtype=cache_dtype,
    )


def build_engine(
    model: Encoder,
    *,
    cache_dir: str | Path | None = None,
    batch_size: int = 32,
    num_workers: int | None = None,
    progress: bool = True,
    fast_preprocess: bool = False,
    cache_dtype: str = DEFAULT_STORAGE_DTYPE,
    batch_timeout: float | None = None,
    progress_file: Any = None,
    progress_position: int = 0,
    load_seconds: float = 0.0,
) -> EncodeEngine:
    """The one place that wires a loaded model to the embedding cache and the encode engine.

    ``cache_dir`` defaults to ``$MIEB_CACHE_DIR`` or ``~/.cache/mieb/embeddings`` of the process
    that calls it (on a Ray worker: that node's own disk). ``progress_file``: where encode bars go
    (None: stderr). ``cache_dtype``: the cache's storage dtype (``--cache-dtype``). ``load_seconds``:
    how long loading ``model`` took, charged to the first task computed.
    """
    cache = EmbeddingCache(cache_dir or default_cache_dir(), storage_dtype=cache_dtype)
    engine = EncodeEngine(
        model,
        cache,
        batch_size=batch_size,
        num_workers=num_workers,
        progress=progress,
        fast_preprocess=fast_preprocess,
        progress_file=progress_file,
        progress_position=progress_position,
    )
    engine.guard.timeout = batch_timeout
    _pending_load[engine] = load_seconds
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


def reusable_cells(
    task: TaskSpec, previous: TaskResult | None, cells: list[Cell], provenance: Provenance | None, *, warn: bool
) -> set[Cell]:
    """The ``cells`` stored in ``previous`` that may be reused: same dataset revision, same settings.

    With ``warn``, stored cells that are not reused because their settings differ are named in a
    ``SettingsChanged`` warning (they are then recomputed).
    """
    if previous is None or previous.dataset_revision != task.dataset.revision:
        return set()
    reusable, changed = set(), {}
    for split, subset in cells:
        if previous.entry(split, subset) is None:
            continue
        recorded = previous.provenance.get(split, {}).get(subset)
        differences = provenance.differences(recorded) if provenance is not None else []
        if differences:
            changed[(split, subset)] = differences
        else:
            reusable.add((split, subset))
    if changed and warn:
        where = ", ".join(f"{s}/{b}" for s, b in changed)
        why = "; ".join(sorted({d for ds in changed.values() for d in ds}))
        warnings.warn(
            SettingsChanged(f"{task.name}: stored {where} computed with other settings ({why}); recomputing"),
            stacklevel=3,
        )
    return reusable


def finished_result(
    task: TaskSpec,
    meta: ModelMeta,
    results_dir: str | Path,
    subsets: list[str] | None = None,
    provenance: Provenance | None = None,
) -> RunOutcome | None:
    """A stored result that already covers every selected cell of ``task`` with the same settings.

    Lets a rerun report finished tasks without loading the model at all. Without ``provenance``
    (settings not known before loading) nothing counts as finished.
    """
    if provenance is None:
        return None
    store = ResultStore(results_dir)
    path = store.path(meta.name, meta.revision, task.name)
    previous = store.read(path, task.name)
    cells = task_cells(task, subsets)
    if len(reusable_cells(task, previous, cells, provenance, warn=False)) == len(cells):
        return RunOutcome(previous, path, reused=True, cells=cells)  # type: ignore[arg-type]
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
    predictions: bool = True,
) -> RunOutcome:
    """Evaluate ``task`` (every eval split x subset, or the given ones) and merge its cells into its JSON.

    With ``predictions``, what each test item got is saved beside it (``harness.results.predictions``).
    """
    task = task_for_source(task, source.dataset_source)
    check_modalities(task, engine)
    meta = engine.model.meta
    store = ResultStore(results_dir)
    path = store.path(meta.name, meta.revision, task.name)
    _writable(path, lambda: store.claim_model_folder(path.parent, meta.to_dict()))  # fail before encoding anything
    wanted = subsets or list(task.subsets)
    if unknown := [s for s in wanted if s not in task.subsets]:
        raise ValueError(f"{task.name} has no subset {', '.join(unknown)} (subsets: {', '.join(task.subsets)})")
    provenance = provenance_of(engine, source)
    previous = store.read(path, task.name)
    if task.aggregate_of:
        return _run_aggregate(task, engine, source, store, path, previous, provenance, overwrite, predictions)

    cells = task_cells(task, wanted, splits)
    reuse = set() if overwrite else reusable_cells(task, previous, cells, provenance, warn=True)
    todo = [cell for cell in cells if cell not in reuse]
    if not todo:
        return RunOutcome(previous, path, reused=True, cells=cells)  # type: ignore[arg-type]
    todo_splits = list(dict.fromkeys(split for split, _ in todo))
    todo_subsets = list(dict.fromkeys(subset for _, subset in todo))
    views = TaskViews(source, task)  # each split read once, for the content check and the evaluation
    check = verify_content(task, source, splits=todo_splits, subsets=todo_subsets, views=views)  # before encoding
    if check.status == "no fingerprint":
        warnings.warn(check.message, DataNotVerifiedWarning, stacklevel=2)
    scores: dict[str, list[dict]] = {}
    saved: dict[Cell, CellPredictions] = {}
    encoded_before, encode_before, pipeline_s = engine.stats.items, engine.stats.seconds, 0.0
    for split, subset in todo:
        start = time.perf_counter()
        try:
            scored = score_split(task, split, subset, views, engine)
        except ModelError as err:
            raise type(err)(f"{task.name} ({split} split, subset {subset}): {err}") from err
        pipeline_s += time.perf_counter() - start
        outcomes = scored.outcome(task.main_score)
        entry = {**_entry(task, subset, scored.metrics), **interval_fields(outcomes)}
        scores.setdefault(split, []).append(entry)
        if predictions:
            saved[(split, subset)] = CellPredictions(outcomes, entry["main_score"], scored.details)
    phases = _phases(engine, pipeline_s, engine.stats.seconds - encode_before)
    computed = _result(task, scores, pipeline_s, provenance, todo, phases)
    merged = _commit(store, path, computed, todo, saved, meta)
    checked = f"{check.status}: {check.message}"
    items = engine.stats.items - encoded_before
    return RunOutcome(merged, path, reused=False, content_check=checked, cells=cells, items=items, phases=phases)


def _result(
    task: TaskSpec,
    scores: dict[str, list[dict]],
    elapsed: float,
    provenance: Provenance,
    cells: list[Cell],
    phases: dict[str, float],
) -> TaskResult:
    record: dict[str, dict[str, dict]] = {}
    made_by = {**provenance.to_json(), "mieb_version": package_version()}  # the version: recorded, not compared
    for split, subset in cells:
        record.setdefault(split, {})[subset] = made_by
    return TaskResult(task.name, task.dataset.revision, scores, elapsed, phase_seconds=phases, provenance=record)


def _commit(
    store: ResultStore,
    path: Path,
    result: TaskResult,
    cells: list[Cell],
    saved: dict[Cell, CellPredictions],
    meta: ModelMeta,
) -> TaskResult:
    """Merge ``cells`` into the stored result and its per-item predictions, under the result's lock."""
    try:
        with store.transaction(path, result.task_name) as tx:
            return commit_with_predictions(tx, result, cells, saved, (meta.name, meta.revision))
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ResultsNotWritable(f"cannot write results to {path.parent}: {reason} ({err})") from err


def _phases(engine: EncodeEngine, pipeline_s: float, encode_s: float) -> dict[str, float]:
    """This run's seconds per phase; the model's load time is charged once, to the first task computed."""
    load_s = _pending_load.pop(engine, 0.0)
    return {"load": load_s, "encode": encode_s, "evaluate": max(pipeline_s - encode_s, 0.0)}


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
    store: ResultStore,
    path: Path,
    previous: TaskResult | None,
    provenance: Provenance,
    overwrite: bool,
    predictions: bool,
) -> RunOutcome:
    """An aggregate task: its raw task's selected subsets (computed or reused, merged into the raw
    task's file, whose other subsets stay), averaged. Per-item predictions stay with the raw task."""
    cells = task_cells(task)
    if not overwrite and len(reusable_cells(task, previous, cells, provenance, warn=True)) == len(cells):
        return RunOutcome(previous, path, reused=True, cells=cells)  # type: ignore[arg-type]
    raw = get_task(task.aggregate_of)
    start = time.perf_counter()
    raw_outcome = run_task(
        raw,
        engine,
        source,
        store.root,
        overwrite=overwrite,
        subsets=list(task.subsets),
        splits=list(task.eval_splits),
        predictions=predictions,
    )
    scores = {}
    for split in task.eval_splits:
        value = aggregate_subsets(
            [e for e in raw_outcome.result.scores.get(split, []) if e["hf_subset"] in task.subsets], list(task.subsets)
        )
        scores[split] = [
            {"hf_subset": "default", "languages": list(task.languages), "main_score": value, task.main_score: value}
        ]
    computed = _result(task, scores, time.perf_counter() - start, provenance, cells, raw_outcome.phases)
    merged = _commit(store, path, computed, cells, {}, engine.model.meta)
    return RunOutcome(merged, path, reused=False, cells=cells, items=raw_outcome.items, phases=raw_outcome.phases)
