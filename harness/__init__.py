"""mieb: the Massive Image Embedding Benchmark as a pytest-native harness (the mechanism).

The public API is ``import mieb`` (mteb's names: ``mieb.get_tasks``, ``mieb.MTEB(...).run``, ...);
this package keeps its own names for existing users::

    import harness
    tasks = harness.get_benchmark("MIEB(lite)").tasks      # or harness.get_tasks(task_types=[...])
    model = harness.get_model("openai/clip-vit-base-patch16")
    results = harness.evaluate(model, tasks, results_dir="results")
"""

from typing import Any

from harness.catalogue.queries import (
    Benchmark,
    DatasetRef,
    TaskSpec,
    UnknownNameError,
    get_benchmark,
    get_benchmarks,
    get_task,
    get_tasks,
)

__all__ = [
    "Benchmark",
    "DatasetRef",
    "TaskSpec",
    "UnknownNameError",
    "evaluate",
    "get_benchmark",
    "get_benchmarks",
    "get_model",
    "get_task",
    "get_tasks",
]


def __getattr__(name: str) -> Any:
    # The model API pulls in the runner, the encode engine and the data layer; loading it on first
    # use keeps ``import harness`` to the records and their queries.
    if name in {"evaluate", "get_model"}:
        from harness import api

        return getattr(api, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
