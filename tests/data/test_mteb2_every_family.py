"""``dataset_source="mteb2"`` runs every task family end to end on local copies in mteb 2.x's layouts.

The data is the score-parity data (``scripts/parity/build_datasets.py``: the layouts mteb 2.26.24's
own loaders read, where ``tests/test_score_parity_float16.py`` and ``scripts/parity/run.sh``
compare every metric with mteb); here it runs through the public API without mteb, so every CI
run proves each family reads the 2.x copies: the dataset revision written is the 2.x copy's, every
selected subset of every eval split is scored, and the published source refuses the same folder.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from harness.api import evaluate
from harness.catalogue.queries import FAMILIES, get_task
from harness.data.sources import task_for_source

PARITY = Path(__file__).resolve().parents[2] / "scripts" / "parity"
# one task per family (retrieval and document: two layouts each), all in 2.x layouts
TASKS = [
    "CIFAR10ZeroShot",
    "CIFAR10",
    "CIFAR10Clustering",
    "Flickr30kT2IRetrieval",
    "XM3600T2IRetrieval",
    "VidoreArxivQARetrieval",
    "CVBenchCount",
    "STS12VisualSTS",
    "Winoground",
    "ImageCoDe",
]


@pytest.fixture(scope="module")
def parity_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mteb2-layouts")
    done = subprocess.run(
        [sys.executable, str(PARITY / "build_datasets.py"), str(root), *TASKS], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def encoder() -> object:
    sys.path.insert(0, str(PARITY))
    try:
        from run_mieb import ParityEncoder
    finally:
        sys.path.remove(str(PARITY))
    return ParityEncoder()


def test_every_family_runs_on_mteb2_copies(parity_data: Path, encoder: object, tmp_path: Path) -> None:
    import json

    manifest = json.loads((parity_data / "tasks.json").read_text())
    tasks = [get_task(name) for name in TASKS]
    assert {task.family for task in tasks} == set(FAMILIES)
    results = {}
    for task in tasks:
        (result,) = evaluate(
            encoder,
            [task],
            results_dir=tmp_path / "results",
            datasets_dir=parity_data,
            dataset_source="mteb2",
            cache_dir=tmp_path / "cache",
            num_workers=0,
            progress=False,
            subsets=manifest[task.name]["subsets"],
            verify_data=False,  # tiny by design
        )
        results[task.name] = result
    for task in tasks:
        result, variant = results[task.name], task_for_source(task, "mteb2")
        assert result.dataset_revision == variant.dataset.revision, task.name
        for split in variant.eval_splits:
            scored = {entry["hf_subset"] for entry in result.scores[split]}
            assert scored == set(manifest[task.name]["subsets"]), (task.name, split, scored)
            assert all(math.isfinite(entry["main_score"]) for entry in result.scores[split]), task.name


def test_published_source_does_not_read_a_2x_retrieval_layout(parity_data: Path, encoder: object, tmp_path) -> None:
    """The two sources really differ: Flickr30k's 1.x loader finds no corpus split in the 2.x copy."""
    from harness.data.hub import DatasetUnavailable

    with pytest.raises(DatasetUnavailable, match="corpus"):
        evaluate(
            encoder,
            [get_task("Flickr30kT2IRetrieval")],
            results_dir=tmp_path / "results",
            datasets_dir=parity_data,
            cache_dir=tmp_path / "cache",
            num_workers=0,
            progress=False,
            verify_data=False,
        )
