"""Loader parity: every task's inputs through mieb's views equal those of the reference's own loader.

Runs ``scripts/parity/loaders/driver.py`` when ``MIEB_MTEB1_PYTHON`` points at a python with mteb
1.39.7 (``bash scripts/parity/side_env.sh mteb1 DIR``); ``MIEB_MTEB_GIT`` (a clone of mteb) adds the
tasks pinned by the pre-release MIEB code. About a minute on 2 CPUs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).resolve().parents[2] / "scripts" / "parity" / "loaders" / "driver.py"
MTEB1_PYTHON = os.environ.get("MIEB_MTEB1_PYTHON")
MTEB_GIT = os.environ.get("MIEB_MTEB_GIT")
MTEB2_PYTHON = os.environ.get("MIEB_MTEB_PYTHON")


def _driver_module():
    sys.path.insert(0, str(DRIVER.parent))
    try:
        import driver

        return driver
    finally:
        sys.path.remove(str(DRIVER.parent))


def test_comparison_finds_reordered_rows_changed_labels_and_missing_candidates() -> None:
    first_difference = _driver_module().first_difference
    ours = {"test/default": {"images": [1, 2, 3], "labels": [0, 1, 1], "candidates": {"q": ["a", "b"]}}}
    assert first_difference(ours, json.loads(json.dumps(ours))) is None
    reordered = {"test/default": {**ours["test/default"], "images": [2, 1, 3]}}
    assert "images[0]" in first_difference(ours, reordered)
    relabelled = {"test/default": {**ours["test/default"], "labels": [0, 1, 0]}}
    assert "labels[2]" in first_difference(ours, relabelled)
    unmasked = {"test/default": {**ours["test/default"], "candidates": None}}
    assert "candidates" in first_difference(ours, unmasked)
    assert "keys only in mieb" in first_difference(ours, {"train/default": ours["test/default"]})


@pytest.mark.skipif(
    not MTEB1_PYTHON, reason="set MIEB_MTEB1_PYTHON to a python with mteb 1.39.7 (scripts/parity/side_env.sh)"
)
def test_every_task_reads_what_the_reference_loader_reads(tmp_path: Path) -> None:
    command = [sys.executable, str(DRIVER), "--mteb1", MTEB1_PYTHON, "--work", str(tmp_path)]
    if MTEB_GIT:
        command += ["--mteb-git", MTEB_GIT]
    if MTEB2_PYTHON:  # adds the mteb 2.26.24 comparison (and proves the tasks read from 2.x copies)
        command += ["--mteb2", MTEB2_PYTHON]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    rows = json.loads((tmp_path / "loader_parity.json").read_text())["tasks"]
    assert len(rows) == 132
    statuses = {name: row["status"] for name, row in rows.items()}
    allowed = {"identical", "aggregate", "source differs"} | (set() if MTEB_GIT else {"not proven"})
    assert set(statuses.values()) <= allowed, {n: s for n, s in statuses.items() if s not in allowed}
    # what may be other than identical is exactly what the catalogue says reads another source
    from harness.catalogue.queries import get_task

    for name, status in statuses.items():
        task = get_task(name)
        if not task.follows_mteb1:  # read from the 2.x copy: proven against 2.26.24 when it is there
            assert status == ("identical" if MTEB2_PYTHON else "source differs"), name
        assert (status == "aggregate") == (task.aggregate_of is not None), name
    assert sum(s == "identical" for s in statuses.values()) >= (123 if MTEB_GIT else 110) + (5 if MTEB2_PYTHON else 0)
    if MTEB2_PYTHON:
        assert sum(row.get("mteb2") == "identical" for row in rows.values()) == 50
    # the content-fingerprint counts mieb takes of each snapshot are the reference's own statistics of it
    counted = {name: row["counts"] for name, row in rows.items() if "counts" in row}
    assert len(counted) == 115 and all(c == "identical" for c in counted.values()), counted
    if MTEB2_PYTHON:
        counted2 = {name: row["mteb2_counts"] for name, row in rows.items() if "mteb2_counts" in row}
        assert len(counted2) == 50
        # mteb 2.26.24's zero-shot statistics read the image column as text for tasks listing their
        # modalities as ["text", "image"]; those cannot be computed, every other one must agree
        assert all(c == "identical" or c.startswith("not computable") for c in counted2.values()), counted2
        assert sum(c == "identical" for c in counted2.values()) >= 41
