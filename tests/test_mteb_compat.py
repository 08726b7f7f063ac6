"""mteb itself reads our result files and reports the same scores.

mteb is not a dependency; point ``MIEB_MTEB_PYTHON`` at an interpreter that has it (for example a
scratch venv with ``pip install mteb==2.26.24``) to run this check.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from harness.results.task_result import TaskResult, result_path, write_result

MTEB_PYTHON = os.environ.get("MIEB_MTEB_PYTHON")

READER = """
import json, sys
from pathlib import Path
from mteb.results import TaskResult
out = {}
for p in sys.argv[1:]:
    r = TaskResult.from_disk(Path(p))
    out[r.task_name] = r.get_score()
print(json.dumps(out))
"""


@pytest.mark.skipif(not MTEB_PYTHON, reason="set MIEB_MTEB_PYTHON to a python with mteb installed")
def test_mteb_task_result_reads_our_files(tmp_path: Path) -> None:
    entries = {
        "CIFAR10ZeroShot": {
            "test": [
                {
                    "hf_subset": "default",
                    "languages": ["eng-Latn"],
                    "main_score": 0.5,
                    "accuracy": 0.5,
                    "f1": 0.4,
                    "ap": None,
                }
            ]
        },
        "STS17MultilingualVisualSTS": {
            "test": [
                {"hf_subset": "en-en", "languages": ["eng-Latn"], "main_score": 0.8, "cosine_spearman": 0.8},
                {"hf_subset": "es-es", "languages": ["spa-Latn"], "main_score": 0.6, "cosine_spearman": 0.6},
            ]
        },
    }
    paths = []
    for task, scores in entries.items():
        path = result_path(tmp_path, "org/model", "rev", task)
        # everything mieb adds to mteb's schema: phase times and each cell's provenance block
        made_by = {"dataset_source": "published", "precision": "fp32", "fast_preprocess": False, "mieb_version": "0"}
        provenance = {split: {e["hf_subset"]: made_by for e in cells} for split, cells in scores.items()}
        phases = {"load": 1.0, "encode": 2.0, "evaluate": 0.5}
        write_result(path, TaskResult(task, "datasetrev", scores, 1.0, phase_seconds=phases, provenance=provenance))
        paths.append(str(path))
    done = subprocess.run([MTEB_PYTHON, "-c", READER, *paths], capture_output=True, text=True, check=True)
    scores = json.loads(done.stdout.strip().splitlines()[-1])
    assert scores == pytest.approx({"CIFAR10ZeroShot": 0.5, "STS17MultilingualVisualSTS": 0.7})
