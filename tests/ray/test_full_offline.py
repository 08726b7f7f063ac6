"""The release check of the Ray path: all of MIEB(offline) at full size on the local cluster (a head and
two worker nodes as separate processes) writes the scores a single-process ``mieb run`` writes (what
``make run`` runs): every main and secondary score value of every results file equal, not close.

Behind ``-m ray_full`` (several minutes on two cores). ``-s`` prints the number of values compared
and both wall times (not asserted: the machine is shared).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.catalogue.queries import get_tasks
from tests.ray.test_cluster_runs import MODEL_DIR, _failed_cases, _tally, _written

pytestmark = pytest.mark.ray_full


def _run(root: Path, datasets: Path, *extra: str) -> tuple[float, subprocess.CompletedProcess]:
    """``mieb run`` as ``make run`` runs it (default model, benchmark and gate), in its own folders."""
    root.mkdir()
    command = [sys.executable, "-m", "harness.cli", "run", "--results-dir", str(root / "results")]
    command += ["--datasets-dir", str(datasets), *extra, "--", "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=3600)
    return time.perf_counter() - start, done


def _score_files(results: Path) -> dict[str, tuple[str, object]]:
    """Task -> (its scores serialised canonically, the parsed scores)."""
    out = {}
    for path in sorted(results.glob(f"{MODEL_DIR}/*/*.json")):
        if path.name != "model_meta.json":
            scores = json.loads(path.read_text())["scores"]
            out[path.stem] = (json.dumps(scores, sort_keys=True), scores)
    return out


def _values(node: object) -> int:
    """How many score values (numbers) a scores tree holds."""
    if isinstance(node, dict):
        return sum(_values(v) for v in node.values())
    if isinstance(node, list):
        return sum(_values(v) for v in node)
    return int(isinstance(node, int | float) and not isinstance(node, bool))


def test_full_offline_benchmark_on_the_cluster_equals_the_single_process_run(cluster, tmp_path):
    from harness.offline.build import build_offline_datasets

    datasets = build_offline_datasets(tmp_path / "offline-datasets", progress=False)  # full size
    tasks = {t.name for t in get_tasks(benchmarks=["MIEB(offline)"])}
    # The machine's own thread count, as `make run` runs (a one-CPU Ray worker runs one thread).
    single_s, single = _run(tmp_path / "single", datasets, "--cache-dir", str(tmp_path / "cache"))
    assert single.returncode in (0, 1), single.stdout[-3000:] + single.stderr[-3000:]
    cluster_s, on_ray = _run(tmp_path / "ray", datasets, "--ray", cluster.address)
    output = on_ray.stdout + on_ray.stderr
    assert on_ray.returncode == single.returncode, output[-4000:]

    expected = _score_files(tmp_path / "single" / "results")
    got = _score_files(tmp_path / "ray" / "results")
    assert set(expected) == tasks and set(got) == tasks
    assert sorted(_written(on_ray.stdout)) == sorted(tasks)  # each file written once
    differing = [name for name in sorted(tasks) if got[name][0] != expected[name][0]]
    assert differing == []
    assert _failed_cases(on_ray.stdout) == _failed_cases(single.stdout)
    assert _tally(on_ray.stdout) == _tally(single.stdout)
    values = sum(_values(scores) for _, scores in expected.values())
    print(
        f"\nMIEB(offline) full size: {len(tasks)} tasks, {values} score values compared, "
        f"{len(differing)} differ; single process {single_s:.0f} s, "
        f"local Ray cluster (head + 2 worker nodes x 1 CPU) {cluster_s:.0f} s"
    )
    print("\n".join(line for line in on_ray.stdout.splitlines() if line.startswith(("mieb ray:", "  "))))
