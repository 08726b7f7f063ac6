"""Run one encode group on the node this process lives on and hand its result files back.

The worker needs no filesystem shared with the driver: it evaluates into a private results
folder seeded with the driver's previous files of the group (so finished cells are reused), uses
its node's own embedding cache, and returns the task files it wrote as text. Nothing here imports
Ray at module level; the driver wraps ``run_group`` as a Ray task.
"""

from __future__ import annotations

import errno
import json
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.catalogue.queries import TaskSpec
from harness.catalogue.subsets import SubsetSelection
from harness.data.sources import task_for_source
from harness.encode.engine import MAX_WORKERS, EncodeEngine
from harness.results.task_result import MODEL_META_FILE, model_folder, safe_path_part
from harness.run_options import OPTIONS, record_class
from mieb_tasks.offline import ORG as OFFLINE_ORG


class NodeFault(RuntimeError):
    """A failure of the node rather than of the task (out of memory, disk full): Ray retries it elsewhere."""


def _task_view(self: Any, task: TaskSpec) -> TaskSpec:
    """The task as this run reads it (its dataset source)."""
    return task_for_source(task, self.dataset_source)


def _subsets_of(self: Any, task: TaskSpec) -> list[str] | None:
    """The subsets of ``task`` (as ``task_view`` gives it) this run computes; None: all of them."""
    selection = SubsetSelection.of(self.languages, self.subsets)
    return list(selection.subsets_of(task)) if selection.is_partial(task) else None


# The model plus every run option with ``travels=True`` in ``harness.run_options.OPTIONS``, so a worker
# computes what the local run does. Plain data (it pickles); the options that only gate stay on the driver.
JobSettings = record_class(
    "JobSettings",
    [row for row in OPTIONS if row.travels],
    module=__name__,
    doc="What a Ray worker needs to compute as the local run does: the model and the travelling options.",
    first=[("model", str)],
    namespace={"task_view": _task_view, "subsets_of": _subsets_of},
)


@dataclass
class GroupResult:
    """What a finished group sends back: task outcomes, the files it wrote, and where and how fast it ran."""

    node_id: str
    wall_s: float
    encoded: int
    from_cache: int
    model_name: str
    revision: str | None
    model_meta: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # task file name -> JSON text
    cells: dict[str, list[list[str]]] = field(default_factory=dict)  # task file name -> [split, subset] computed
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # task name -> {status, message, reused}


class _CountingEngine:
    """The engine, counting how many inputs were encoded and how many came from the cache."""

    def __init__(self, engine: EncodeEngine):
        self.engine = engine
        self.encoded = 0
        self.from_cache = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def _count(self, n: int, encode: Any) -> Any:
        before = len(self.engine.stats.computed)
        array = encode()
        if len(self.engine.stats.computed) > before:
            self.encoded += n
        else:
            self.from_cache += n
        return array

    def images(self, source: Any, label: str = "") -> Any:
        return self._count(len(source), lambda: self.engine.images(source, label))

    def texts(self, texts: Any, label: str = "") -> Any:
        texts = list(texts)
        return self._count(len(texts), lambda: self.engine.texts(texts, label))

    def fused(self, texts: Any, images: Any, label: str = "") -> Any:
        return self._count(len(images), lambda: self.engine.fused(texts, images, label))


_loaded: dict[tuple, Any] = {}  # the last model this worker process loaded: groups of one model reuse it


def _load(job: JobSettings, device: str) -> Any:
    from mieb_models.registry import load_model

    key = (job.model, device, job.precision, job.trust_remote_code, job.model_revision)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = load_model(
            job.model,
            device=device,
            precision=job.precision,
            trust_remote_code=job.trust_remote_code,
            revision=job.model_revision,
        )
    return _loaded[key]


def _assigned() -> tuple[str, str | None, float]:
    """(node id, device, CPUs) of this Ray task; outside Ray: ("local", None, 1)."""
    try:
        import ray

        context = ray.get_runtime_context()
        resources = context.get_assigned_resources()
        device = "cuda" if resources.get("GPU") else "cpu"  # Ray sets CUDA_VISIBLE_DEVICES to the GPU it gave
        return context.get_node_id(), device, float(resources.get("CPU", 1))
    except Exception:  # not inside a Ray task
        return "local", None, 1.0


def _datasets_dir(dataset: str, job: JobSettings) -> str | None:
    """The driver's datasets folder when this node has it; the offline datasets are built here if missing."""
    if job.datasets_dir and Path(job.datasets_dir, *dataset.split("/")).is_dir():
        return job.datasets_dir
    if not dataset.startswith(f"{OFFLINE_ORG}/"):
        return job.datasets_dir  # the hub (or a mirror this node lacks: the task fails with the remedy)
    from filelock import FileLock

    from harness.offline.build import build_offline_datasets, default_offline_dir

    target = default_offline_dir()
    target.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target / ".build.lock")):
        build_offline_datasets(target, progress=False, only=[dataset.removeprefix(f"{OFFLINE_ORG}/")])
    return str(target)


def _is_node_fault(err: BaseException) -> bool:
    if isinstance(err, MemoryError) or type(err).__name__ == "OutOfMemoryError":  # torch.cuda.OutOfMemoryError
        return True
    return isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.ENOMEM)


def _failure(err: BaseException) -> str:
    from harness.data.hub import DatasetUnavailable
    from harness.encode.engine import ModelOutputError

    if isinstance(err, DatasetUnavailable | ModelOutputError):
        return str(err)  # already names the dataset or model and the remedy
    return "".join(traceback.format_exception(err)).strip()


def run_group(dataset: str, task_names: tuple[str, ...], job: JobSettings, previous: dict[str, str]) -> GroupResult:
    """Evaluate the tasks of one encode group (finished cells in ``previous`` are reused); return the files.

    Tasks travel by name (every node has the catalogue), so nothing but plain data is pickled.
    """
    from harness.catalogue.queries import get_task
    from harness.data.hub import DataSource
    from harness.runner import TaskSkipped, build_engine, run_task

    group_tasks = [job.task_view(get_task(name)) for name in task_names]

    start = time.perf_counter()
    node_id, device, cpus = _assigned()
    try:
        model = _load(job, job.device or device)
    except Exception as err:
        if _is_node_fault(err):
            raise NodeFault(f"loading {job.model}: {err}") from err
        message = f"loading {job.model} failed: {_failure(err)}"
        tasks = {name: {"status": "failed", "message": message} for name in task_names}
        return GroupResult(node_id, time.perf_counter() - start, 0, 0, job.model, None, {}, tasks=tasks)
    workers = job.num_workers if job.num_workers is not None else max(0, min(MAX_WORKERS, int(cpus) - 1))
    engine = _CountingEngine(
        build_engine(
            model,
            cache_dir=job.cache_dir,
            batch_size=job.batch_size,
            num_workers=workers,
            progress=False,
            fast_preprocess=job.fast_preprocess,
            cache_dtype=job.cache_dtype,
            batch_timeout=job.batch_timeout,
        )
    )
    meta = model.meta
    tasks: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="mieb-group-") as scratch:
        folder = model_folder(scratch, meta.name, meta.revision)
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in previous.items():
            (folder / safe_path_part(name)).write_text(text)
        source = DataSource.from_env(_datasets_dir(dataset, job), job.dataset_source, verify_data=job.verify_data)
        for task in group_tasks:
            try:
                # Only result files travel back to the driver; predictions are not shipped (yet).
                subsets = job.subsets_of(task)
                outcome = run_task(
                    task, engine, source, scratch, overwrite=job.overwrite, subsets=subsets, predictions=False
                )
                tasks[task.name] = {"status": "finished", "reused": outcome.reused}
            except TaskSkipped as skip:
                tasks[task.name] = {"status": "skipped", "message": str(skip)}
            except Exception as err:  # a failing task fails its case, not the group
                if _is_node_fault(err):
                    raise NodeFault(f"{task.name} on {job.model}: {err}") from err
                tasks[task.name] = {"status": "failed", "message": _failure(err)}
        files = {
            path.name: path.read_text()
            for path in sorted(folder.glob("*.json"))
            if path.name != MODEL_META_FILE and path.read_text() != previous.get(path.name)
        }
        cells = {name: changed_cells(previous.get(name), text) for name, text in files.items()}
    return GroupResult(
        node_id=node_id,
        wall_s=time.perf_counter() - start,
        encoded=engine.encoded,
        from_cache=engine.from_cache,
        model_name=meta.name,
        revision=meta.revision,
        model_meta=meta.to_dict(),
        files=files,
        cells=cells,
        tasks=tasks,
    )


def changed_cells(before: str | None, after: str) -> list[list[str]]:
    """The [split, subset] cells whose entry or settings differ between two texts of one result file
    (what the group computed; reused cells are copied unchanged)."""

    def cells_of(text: str | None) -> dict[tuple[str, str], tuple[Any, Any]]:
        data = json.loads(text) if text else {}
        block = data.get("mieb") if isinstance(data.get("mieb"), dict) else {}
        settings = block.get("provenance") or {}
        return {
            (split, entry["hf_subset"]): (entry, settings.get(split, {}).get(entry["hf_subset"]))
            for split, entries in (data.get("scores") or {}).items()
            for entry in entries
        }

    old, new = cells_of(before), cells_of(after)
    return [[split, subset] for (split, subset), value in new.items() if old.get((split, subset)) != value]
