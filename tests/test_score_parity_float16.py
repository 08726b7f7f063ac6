"""Score parity with mteb on float16 embeddings: duplicate-image STS and a near-boundary linear probe.

Runs the parity script's own steps (``scripts/parity``) for three tasks with
``MIEB_PARITY_DTYPE=float16``: the same local data and encoder through mieb and through mteb's
``mteb.evaluate``, every metric compared exactly. With float16 cast to float32 before the evaluators,
mteb's probe differed in one test prediction and the STS ``*_pearson`` fields in the 9th digit.
Needs ``MIEB_MTEB_PYTHON`` (an interpreter with mteb 2.x); about a minute.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

MTEB_PYTHON = os.environ.get("MIEB_MTEB_PYTHON")
PARITY = Path(__file__).resolve().parents[1] / "scripts" / "parity"
TASKS = ["STS12VisualSTS", "STS14VisualSTS", "MNIST"]

sys.path.insert(0, str(PARITY))
from compare import flatten  # noqa: E402


def _nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


@pytest.mark.skipif(not MTEB_PYTHON, reason="set MIEB_MTEB_PYTHON to a python with mteb 2.x installed")
def test_float16_scores_equal_mteb_exactly(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "MIEB_PARITY_DTYPE": "float16"}
    data = tmp_path / "data"

    def run(python: str, script: str, *args: str, cache: str, cwd: Path) -> None:
        done = subprocess.run(
            [python, str(PARITY / script), *args],
            env={**env, "HF_DATASETS_CACHE": str(tmp_path / cache)},
            cwd=cwd,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"{script} failed:\n{done.stderr[-3000:]}"

    repo = PARITY.parents[1]
    run(sys.executable, "build_datasets.py", str(data), *TASKS, cache="c-mieb", cwd=repo)
    run(sys.executable, "run_mieb.py", str(data), str(tmp_path / "mieb.json"), cache="c-mieb", cwd=repo)
    run(MTEB_PYTHON, "run_mteb.py", str(data), str(tmp_path / "mteb.json"), cache="c-mteb", cwd=tmp_path)

    ours = json.loads((tmp_path / "mieb.json").read_text())
    ref = json.loads((tmp_path / "mteb.json").read_text())
    assert sorted(ours) == sorted(ref) == sorted(TASKS)
    compared = 0
    for task in TASKS:
        a = {k: v for k, v in flatten(ref[task]).items() if not k.endswith("mteb_version")}
        b = flatten(ours[task])
        assert set(a) == set(b), f"{task}: keys differ: {sorted(set(a) ^ set(b))}"
        different = {k: (a[k], b[k]) for k in a if a[k] != b[k] and not (_nan(a[k]) and _nan(b[k]))}
        assert not different, f"{task}: mteb vs mieb differ: {different}"
        compared += len(a)
    # STS: 9 metrics each; probe: 10 metrics averaged + 7 or 9 per experiment (5 experiments)
    assert compared >= 2 * 9 + 10 + 5 * 7, compared
