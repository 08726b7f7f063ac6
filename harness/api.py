"""The Python API: load a model, evaluate tasks on it (the runner the plugin also uses)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from harness.data.hub import DataSource
from harness.results import TaskResult
from harness.runner import TaskSkipped, build_engine, run_task
from harness.spec import Benchmark, TaskSpec
from mieb_models.base import Encoder
from mieb_models.registry import load_model

log = logging.getLogger("mieb")


def get_model(
    name: str, *, device: str | None = None, precision: str | None = None, trust_remote_code: bool = False
) -> Encoder:
    """Load a model by registry name, alias, local checkpoint directory or ``module:factory``."""
    return load_model(name, device=device, precision=precision, trust_remote_code=trust_remote_code)


def evaluate(
    model: Encoder,
    tasks: Iterable[TaskSpec] | Benchmark,
    *,
    results_dir: str | Path = "results",
    datasets_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    batch_size: int = 32,
    num_workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> list[TaskResult]:
    """Run ``tasks`` on ``model``; finished tasks in ``results_dir`` are reused, skipped ones logged."""
    if isinstance(tasks, Benchmark):
        tasks = tasks.tasks
    engine = build_engine(model, cache_dir=cache_dir, batch_size=batch_size, num_workers=num_workers, progress=progress)
    source = DataSource.from_env(datasets_dir)
    results = []
    for task in tasks:
        try:
            results.append(run_task(task, engine, source, results_dir, overwrite=overwrite).result)
        except TaskSkipped as skip:
            log.warning("skipped %s: %s", task.name, skip)
    return results
