"""Running tasks by mteb's names: ``evaluate(model, tasks)`` and ``MTEB(tasks=...).run(model)``.

Both call ``harness.api.evaluate`` (the runner the pytest plugin uses too), so results, resume and
caching are those of any mieb run: ``<results>/<org>__<model>/<revision>/<Task>.json`` plus
``model_meta.json``, finished (split, subset) cells reused. mteb keywords whose meaning mieb has
(``encode_kwargs={"batch_size": n}``, ``overwrite_strategy``, ``eval_splits`` ...) are accepted;
values mieb cannot honour are an error naming what it supports, never silently ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness import api
from harness.catalogue.queries import Benchmark, TaskSpec
from harness.results.task_result import TaskResult
from mieb.models import get_model
from mieb.results import ModelResult
from mieb.tasks import narrow, resolve_tasks
from mieb_models.base import Encoder
from mieb_records.models import ModelMeta

__all__ = ["MTEB", "evaluate"]

log = logging.getLogger("mieb")

OVERWRITE_STRATEGIES = ("only-missing", "always")
ENCODE_KWARGS = ("batch_size",)
Tasks = TaskSpec | Benchmark | str | Iterable[TaskSpec | Benchmark | str]


def evaluate(
    model: Encoder | ModelMeta | str,
    tasks: Tasks,
    *,
    raise_error: bool = True,
    encode_kwargs: Mapping[str, Any] | None = None,
    overwrite_strategy: str = "only-missing",
    show_progress_bar: bool = True,
    results_dir: str | Path = "results",
    **options: Any,
) -> ModelResult:
    """Run ``tasks`` (tasks, names or benchmarks) on ``model`` (an encoder, or a name to load).

    ``overwrite_strategy``: ``only-missing`` (default) computes only the cells missing from
    ``results_dir``; ``always`` recomputes everything. Other keywords go to ``harness.api.evaluate``
    (``datasets_dir``, ``dataset_source``, ``cache_dir``, ``num_workers``, ``fast_preprocess``,
    ``languages``, ``subsets``, ``verify_data``).
    """
    if overwrite_strategy not in OVERWRITE_STRATEGIES:
        raise ValueError(
            f"overwrite_strategy {overwrite_strategy!r} is not supported; mieb has {', '.join(OVERWRITE_STRATEGIES)}"
        )
    encode_options = _encode_options(encode_kwargs)  # checked before a model is loaded
    encoder = _encoder(model)
    results = api.evaluate(
        encoder,
        resolve_tasks(tasks),
        results_dir=results_dir,
        overwrite=overwrite_strategy == "always",
        progress=show_progress_bar,
        raise_error=raise_error,
        **encode_options,
        **options,
    )
    return ModelResult(encoder.meta.name, encoder.meta.revision, results)


class MTEB:
    """mteb's evaluation object: ``MTEB(tasks=...).run(model)`` writes ``results/`` and returns the results."""

    def __init__(self, tasks: Tasks):
        self.tasks: list[TaskSpec] = resolve_tasks(tasks)
        if not self.tasks:
            raise ValueError("MTEB(tasks=...) needs at least one task")

    def run(
        self,
        model: Encoder | ModelMeta | str,
        *,
        verbosity: int = 1,
        output_folder: str | Path = "results",
        eval_splits: Sequence[str] | None = None,
        eval_subsets: Sequence[str] | None = None,
        overwrite_results: bool = False,
        raise_error: bool = True,
        encode_kwargs: Mapping[str, Any] | None = None,
    ) -> list[TaskResult]:
        """Evaluate every task on ``model``; results go to ``output_folder/<org>__<model>/<revision>/``.

        ``eval_splits`` / ``eval_subsets`` restrict the splits and HF subsets run; ``verbosity`` 0
        hides the progress bars.
        """
        tasks = self.tasks
        if eval_splits is not None:
            tasks = [narrow(t, eval_splits=eval_splits) for t in tasks if set(t.eval_splits) & set(eval_splits)]
        return evaluate(
            model,
            tasks,
            raise_error=raise_error,
            encode_kwargs=encode_kwargs,
            overwrite_strategy="always" if overwrite_results else "only-missing",
            show_progress_bar=verbosity > 0,
            results_dir=output_folder,
            subsets=eval_subsets,
        ).task_results


def _encoder(model: Encoder | ModelMeta | str) -> Encoder:
    if isinstance(model, str):
        return get_model(model)
    if isinstance(model, ModelMeta):
        return get_model(model.name, model.revision)
    return model


def _encode_options(encode_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    unknown = sorted(set(encode_kwargs or {}) - set(ENCODE_KWARGS))
    if unknown:
        raise ValueError(f"encode_kwargs {', '.join(unknown)} are not supported; mieb takes {', '.join(ENCODE_KWARGS)}")
    return dict(encode_kwargs or {})
