"""The Python API: load a model, evaluate tasks on it (the runner the plugin also uses)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.catalogue.queries import Benchmark, TaskSpec
from harness.catalogue.subsets import SubsetSelection
from harness.data.hub import DataSource
from harness.results.task_result import TaskResult
from harness.runner import TaskSkipped, build_engine, run_task
from mieb_models.base import Encoder
from mieb_models.registry import load_model

log = logging.getLogger("mieb")


def get_model(
    name: str,
    *,
    device: str | None = None,
    precision: str | None = None,
    trust_remote_code: bool = False,
    revision: str | None = None,
) -> Encoder:
    """Load a model by registry name, alias, any hub id, local checkpoint directory or ``module:factory``;
    ``revision`` is a hub branch, tag or commit (mteb's ``get_model(name, revision)``)."""
    return load_model(name, device=device, precision=precision, trust_remote_code=trust_remote_code, revision=revision)


def evaluate(
    model: Encoder,
    tasks: Iterable[TaskSpec] | Benchmark,
    *,
    results_dir: str | Path = "results",
    datasets_dir: str | Path | None = None,
    dataset_source: str | None = None,
    cache_dir: str | Path | None = None,
    batch_size: int = 32,
    num_workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
    fast_preprocess: bool = False,
    cache_dtype: str = "float32",
    languages: Sequence[str] | None = None,
    subsets: Sequence[str] | None = None,
    verify_data: bool | None = None,
    predictions: bool = True,
    raise_error: bool = True,
) -> list[TaskResult]:
    """Run ``tasks`` on ``model``; finished tasks in ``results_dir`` are reused, skipped ones logged.

    Each task's data is checked against the reference's counts before encoding; ``verify_data=False``
    skips that check (logged as "dataset content not verified"); None follows ``MIEB_VERIFY_DATA``.

    ``languages`` / ``subsets`` select HF subsets as mteb's ``languages=`` / ``hf_subsets=`` do
    (``harness.catalogue.subsets``); tasks left without a subset are not run. ``predictions=False``
    saves no per-item predictions beside the results. ``cache_dtype="float16"`` stores cached embeddings
    at half the bytes (values rounded to float16; ``--cache-dtype``).

    ``raise_error=False`` logs a task that fails (its data, its model) and goes on with the next,
    as mteb's ``raise_error`` does; the failed task is absent from the returned list.
    """
    if isinstance(tasks, Benchmark):
        tasks = tasks.tasks
    selection = SubsetSelection.of(languages, subsets)
    tasks = selection.select(list(tasks))
    engine = build_engine(
        model,
        cache_dir=cache_dir,
        batch_size=batch_size,
        num_workers=num_workers,
        progress=progress,
        fast_preprocess=fast_preprocess,
        cache_dtype=cache_dtype,
    )
    source = DataSource.from_env(datasets_dir, dataset_source, verify_data)
    if verify_data is False:
        log.warning("dataset content not verified (verify_data=False)")
    from harness.offline.build import datasets_dir_for  # the offline builders, only when evaluating

    results = []
    for task in tasks:
        try:
            chosen = list(selection.subsets_of(task)) if selection.is_partial(task) else None
            task_source = source
            if (offline_dir := datasets_dir_for(task, source.datasets_dir)) != source.datasets_dir:
                task_source = DataSource.from_env(offline_dir, dataset_source, verify_data)  # built locally
            outcome = run_task(
                task, engine, task_source, results_dir, overwrite=overwrite, subsets=chosen, predictions=predictions
            )
            results.append(outcome.result)
        except TaskSkipped as skip:
            log.warning("skipped %s: %s", task.name, skip)
        except Exception as err:
            if raise_error:
                raise
            log.error("%s failed: %s: %s", task.name, type(err).__name__, err)
    return results
