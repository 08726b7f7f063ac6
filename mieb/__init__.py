"""mieb: the Massive Image Embedding Benchmark, with mteb's names.

A script written for mteb runs with ``import mieb as mteb``; MIEB's three steps::

    import mieb as mteb

    benchmarks = mteb.get_benchmarks("MIEB(Multilingual)")  # or tasks = mteb.get_tasks(tasks=[...])
    model = mteb.get_model(model_name="openai/clip-vit-base-patch16")
    evaluation = mteb.MTEB(tasks=benchmarks)
    results = evaluation.run(model)  # results/<org>__<model>/<revision>/<Task>.json

``import harness`` keeps working; this package is the same machinery under the product's name.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from mieb.tasks import Benchmark, TaskSpec, UnknownNameError, get_benchmark, get_benchmarks, get_task, get_tasks

try:
    __version__ = version("mieb")
except PackageNotFoundError:  # a source tree on sys.path without an installed distribution
    __version__ = "0+unknown"

__all__ = [
    "MTEB",
    "Benchmark",
    "BenchmarkResults",
    "ModelMeta",
    "ModelResult",
    "TaskResult",
    "TaskSpec",
    "UnknownNameError",
    "__version__",
    "evaluate",
    "get_benchmark",
    "get_benchmarks",
    "get_model",
    "get_model_meta",
    "get_task",
    "get_tasks",
    "load_results",
]

# The model and evaluation API pulls in torch, the encode engine and the data layer; loading it on
# first use keeps ``import mieb`` (and ``mieb.get_tasks``) to the records and their queries.
_LAZY = {
    "MTEB": "mieb.evaluation",
    "evaluate": "mieb.evaluation",
    "get_model": "mieb.models",
    "get_model_meta": "mieb.models",
    "ModelMeta": "mieb.models",
    "BenchmarkResults": "mieb.results",
    "ModelResult": "mieb.results",
    "TaskResult": "mieb.results",
    "load_results": "mieb.results",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mieb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
