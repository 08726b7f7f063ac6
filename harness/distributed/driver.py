"""The driver: submit encode groups to a Ray cluster, write what comes back, report progress.

Each group is one Ray task asking for one GPU where the cluster has GPUs (else ``cpus`` CPUs),
submitted longest first so the longest groups start first. Fault tolerance is Ray's own: a task
whose worker process or node dies is retried on another node (``max_retries``), and so is one that
raises ``NodeFault`` (``retry_exceptions``). Only the driver writes the results folder: each task
file arrives once, when its group's Ray task returns, and is written atomically then.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.catalogue.queries import TaskSpec
from harness.data.hub import DataSource
from harness.distributed.outcomes import CaseOutcome, ClusterOutcomes, ModelKey
from harness.distributed.plan import EncodeGroup, encode_groups
from harness.distributed.worker import GroupResult, JobSettings, NodeFault, run_group
from harness.results.predictions import commit_with_predictions
from harness.results.store import ResultStore, read_result
from harness.results.task_result import TaskResult, model_folder, result_path, safe_path_part
from harness.runner import expected_provenance, finished_result, modality_gap

MAX_RETRIES = 3  # per group, on top of the first attempt: worker or node deaths, NodeFault
LOCAL = "local"


class ClusterUnavailable(RuntimeError):
    """Ray is missing, the cluster cannot be reached, or no node can run a group."""


@dataclass
class NodeLoad:
    groups: int = 0
    busy_s: float = 0.0
    encoded: int = 0


@dataclass
class ClusterRun:
    """Bookkeeping of one run: per-node busy time and the files written."""

    started: float = field(default_factory=time.perf_counter)
    nodes: dict[str, NodeLoad] = field(default_factory=lambda: defaultdict(NodeLoad))
    written: list[Path] = field(default_factory=list)


def connect(address: str) -> None:
    """Join the cluster at ``address`` (``auto``, ``ray://host:port``, ``host:port``) or start a local one."""
    try:
        import ray
    except ImportError:
        raise ClusterUnavailable('--ray needs Ray: pip install "mieb[ray]"') from None
    try:
        if address == LOCAL:
            ray.init(address="local", include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ClusterUnavailable(f"cannot join the Ray cluster at {address!r}: {err}") from err


def resources_per_group(cpus: int | None) -> dict[str, float]:
    """One GPU (and its share of the node's CPUs) where the cluster has GPUs, else ``cpus`` CPUs (default 1)."""
    import ray

    alive = [n["Resources"] for n in ray.nodes() if n["Alive"]]
    gpu_nodes = [r for r in alive if r.get("GPU", 0) >= 1]
    if gpu_nodes:
        share = min(int(r.get("CPU", 0) // r["GPU"]) for r in gpu_nodes)
        request = {"num_gpus": 1, "num_cpus": cpus if cpus is not None else share}
    else:
        request = {"num_gpus": 0, "num_cpus": cpus if cpus is not None else 1}
    fits = [r for r in alive if r.get("CPU", 0) >= request["num_cpus"] and r.get("GPU", 0) >= request["num_gpus"]]
    if not fits:
        raise ClusterUnavailable(
            f"no node of the cluster can run a group needing {request['num_gpus']} GPU and "
            f"{request['num_cpus']} CPUs (nodes: {alive}); start worker nodes or lower --ray-cpus"
        )
    return request


def node_names() -> dict[str, str]:
    """Node id -> its host name, with the id's prefix when several nodes share a host."""
    import ray

    nodes = ray.nodes()
    hosts = [n.get("NodeManagerHostname") or n["NodeName"] for n in nodes]
    return {
        n["NodeID"]: host if hosts.count(host) == 1 else f"{host}:{n['NodeID'][:6]}"
        for n, host in zip(nodes, hosts, strict=True)
    }


def pending_cases(
    cases: Sequence[tuple[str, TaskSpec]],
    jobs: dict[str, JobSettings],
    results_dir: str,
    outcomes: ClusterOutcomes | None = None,
) -> tuple[list[tuple[str, TaskSpec]], dict[str, object]]:
    """The cases that need the cluster (not finished with these settings, not skipped for a modality),
    as their dataset source reads them, and the models' metadata.

    A ``module:factory`` model's metadata is known only after loading it, so all its cases are sent.
    Without ``--device`` the settings are judged as a GPU computes them; a worker that computes
    otherwise judges its stored cells again itself (``run_task``), so nothing is reused on a guess.
    """
    from mieb_models.registry import get_model_meta

    metas = {}
    for model in jobs:
        meta = get_model_meta(model)
        metas[model] = None if "factory" in meta.loader_kwargs else meta
        if metas[model] is not None and outcomes is not None:
            job = jobs[model]
            outcomes.provenance[model] = expected_provenance(
                meta, job.dataset_source, job.precision, job.device or "cuda", job.fast_preprocess, job.cache_dtype
            )
    todo = []
    for model, task in cases:
        job, meta = jobs[model], metas[model]
        task = job.task_view(task)
        if meta is not None and modality_gap(task, meta):
            continue
        expected = outcomes.provenance.get(model) if outcomes is not None else None
        if (
            meta is not None
            and not job.overwrite
            and finished_result(task, meta, results_dir, job.subsets_of(task), expected)
        ):
            continue
        todo.append((model, task))
    return todo, metas


def previous_files(group: EncodeGroup, meta: object, results_dir: str, overwrite: bool) -> dict[str, str]:
    """The group's existing task files (and their raw tasks'), so the worker reuses finished cells."""
    if meta is None or overwrite:
        return {}
    names = {t.name for t in group.tasks} | {t.aggregate_of for t in group.tasks if t.aggregate_of}
    files = {}
    for name in sorted(names):
        path = result_path(results_dir, meta.name, meta.revision, name)
        previous = read_result(path, name)  # validated: an invalid file is not sent to be reused
        if previous is not None:
            files[path.name] = json.dumps(previous.to_json())
    return files


def run_cases_on_ray(
    cases: Sequence[tuple[str, TaskSpec]],
    jobs: dict[str, JobSettings],
    *,
    address: str,
    results_dir: str,
    cpus: int | None = None,
    write_line: Callable[[str], None] = print,
) -> ClusterOutcomes:
    """Run the (model argument, task) cases on the cluster; the cases then gate on the returned outcomes."""
    outcomes = ClusterOutcomes(results_dir)
    if not cases:
        return outcomes
    todo, metas = pending_cases(cases, jobs, results_dir, outcomes)
    if not todo:
        write_line("mieb ray: every selected task is finished; nothing to send to the cluster")
        return outcomes
    connect(address)
    import ray

    try:
        request = resources_per_group(cpus)
        names = node_names()
        alive_at_start = {node_id for node_id, node in _alive(ray).items() if node}
        first = next(iter(jobs.values()))
        groups = encode_groups(todo, DataSource.from_env(first.datasets_dir, first.dataset_source))
        remote = ray.remote(run_group)
        submitted = {}
        for group in groups:  # longest first: Ray starts queued tasks in submission order
            job = jobs[group.model]
            previous = previous_files(group, metas[group.model], results_dir, job.overwrite)
            options = {"max_retries": MAX_RETRIES, "retry_exceptions": [NodeFault], "name": f"mieb {group.label}"}
            ref = remote.options(**options, **request).remote(group.dataset.path, group.task_names, job, previous)
            submitted[ref] = group
        where = "GPU" if request["num_gpus"] else f"{request['num_cpus']} CPU"
        write_line(
            f"mieb ray: {len(groups)} encode groups ({len(todo)} tasks) on {len(alive_at_start)} nodes, "
            f"one {where} each"
        )
        run = ClusterRun()
        pending = list(submitted)
        while pending:
            [done], pending = ray.wait(pending, num_returns=1)
            group = submitted[done]
            position = f"[{len(submitted) - len(pending)}/{len(submitted)}]"
            try:
                result: GroupResult = ray.get(done)
            except Exception as err:  # retries exhausted (ray.exceptions.RayError and the task's own error)
                message = f"{group.label} failed on the cluster after {MAX_RETRIES} retries: {err}"
                for task in group.tasks:
                    outcomes.cases[(group.model, task.name)] = CaseOutcome("failed", message)
                write_line(f"mieb ray {position} FAILED {message.splitlines()[0]}")
                continue
            if result.node_id not in names:
                names = node_names()
            node = names.get(result.node_id, result.node_id[:8])
            written = _write_group(result, results_dir, run)
            _record(group, result, outcomes)
            load = run.nodes[node]
            load.groups, load.busy_s, load.encoded = (
                load.groups + 1,
                load.busy_s + result.wall_s,
                load.encoded + result.encoded,
            )
            rate = result.encoded / result.wall_s if result.wall_s else 0.0
            write_line(
                f"mieb ray {position} {node}: {group.label} in {result.wall_s:.1f} s, {result.encoded:,} items encoded "
                f"({rate:,.0f}/s), {result.from_cache:,} from cache; wrote {', '.join(written) or 'nothing'}"
            )
        for line in busy_table(run, time.perf_counter() - run.started):
            write_line(line)
        lost = sorted(names.get(i, i[:8]) for i in alive_at_start if not _alive(ray).get(i))
        if lost:
            write_line(f"mieb ray: nodes lost during the run (their groups were retried elsewhere): {', '.join(lost)}")
    finally:
        ray.shutdown()
    return outcomes


def _alive(ray: object) -> dict[str, bool]:
    return {n["NodeID"]: bool(n["Alive"]) for n in ray.nodes()}


def _write_group(result: GroupResult, results_dir: str, run: ClusterRun) -> list[str]:
    """Merge the cells the group computed into the driver's results folder (through the store, under
    each file's lock, so cells written meanwhile by other runs stay); the task names written."""
    store = ResultStore(results_dir)
    folder = model_folder(results_dir, result.model_name, result.revision)
    if result.files:
        store.claim_model_folder(folder, result.model_meta)
    written = []
    for name, text in sorted(result.files.items()):
        if safe_path_part(name) != name or not name.endswith(".json"):
            raise ValueError(f"a worker returned an unsafe result file name {name!r}")
        path = folder / name
        computed = TaskResult.from_json(json.loads(text))
        cells = [tuple(cell) for cell in result.cells.get(name, [])]
        with store.transaction(path, computed.task_name) as tx:  # recomputed cells drop stale predictions
            commit_with_predictions(tx, computed, cells, {}, (result.model_name, result.revision))  # type: ignore[arg-type]
        run.written.append(path)
        written.append(name.removesuffix(".json"))
    return written


def _record(group: EncodeGroup, result: GroupResult, outcomes: ClusterOutcomes) -> None:
    key = ModelKey(result.model_name, result.revision)
    for task in group.tasks:
        state = result.tasks.get(task.name, {"status": "failed", "message": f"{task.name}: no outcome returned"})
        outcomes.cases[(group.model, task.name)] = CaseOutcome(
            state["status"], state.get("message", ""), key, bool(state.get("reused"))
        )


def busy_table(run: ClusterRun, wall_s: float) -> list[str]:
    """Per-node busy time, so an unbalanced schedule is visible."""
    lines = [
        f"mieb ray: per-node busy time (run wall time {wall_s:.1f} s)",
        f"  {'node':<28} {'groups':>6} {'busy s':>8} {'busy/wall':>9} {'items encoded':>14}",
    ]
    for node, load in sorted(run.nodes.items()):
        share = load.busy_s / wall_s if wall_s else 0.0
        lines.append(f"  {node:<28} {load.groups:>6} {load.busy_s:>8.1f} {share:>9.0%} {load.encoded:>14,}")
    return lines
