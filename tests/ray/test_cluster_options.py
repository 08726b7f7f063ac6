"""The run options reach the Ray workers: a cluster run with a subset/language selection and the mteb2
dataset source writes what the single-process run with the same options writes, and not what the
defaults write.

The selection (``--languages deu eng --subsets en-de es-en de es default``) needs both filters: the
subsets list keeps XM3600's ``es``, which the languages drop. CIFAR10ZeroShot reads ``uoft-cs/cifar10``
by default and ``mteb/cifar10`` under ``--dataset-source mteb2``; the two local copies hold different
images, so the source shows in the score as well as in the recorded dataset revision.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from harness.catalogue.queries import get_task
from tests.ray.conftest import SCALE, mieb_run
from tests.ray.test_cluster_runs import MODEL_DIR, PROGRESS, _written

TASKS = ("EmojiVisualSTSMultilingualOffline", "EmojiXM3600T2IRetrievalOffline", "CIFAR10ZeroShot")
OPTIONS = ("--languages", "deu", "eng", "--subsets", "en-de", "es-en", "de", "es", "default")
SOURCE = ("--dataset-source", "mteb2")
SELECTED = {
    "EmojiVisualSTSMultilingualOffline": {"en-de", "es-en"},
    "EmojiXM3600T2IRetrievalOffline": {"de"},
    "CIFAR10ZeroShot": {"default"},
}


@pytest.fixture(scope="module")
def options_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two multilingual offline datasets and two different local copies of CIFAR10."""
    from harness.offline.build import build_offline_datasets
    from tests.support.datasets_local import write_classification

    root = build_offline_datasets(
        tmp_path_factory.mktemp("options-data"), progress=False, scale=SCALE, only=("emoji-sts-multi", "emoji-xm3600")
    )
    task = get_task("CIFAR10ZeroShot")
    write_classification(root, task.dataset.path, image_column="img", config="plain_text", n_train=10, n_test=100)
    write_classification(root, task.mteb2_dataset.path, image_column="img", n_train=10, n_test=40)
    return root


def _results(results: Path) -> dict[str, dict]:
    files = sorted(results.glob(f"{MODEL_DIR}/*/*.json"))
    return {f.stem: json.loads(f.read_text()) for f in files if f.name != "model_meta.json"}


def _subsets(result: dict) -> set[str]:
    return {entry["hf_subset"] for entries in result["scores"].values() for entry in entries}


def _single(root: Path, data: Path, *options: str) -> tuple[dict[str, dict], subprocess.CompletedProcess]:
    command = mieb_run(root / "results", data, "--cache-dir", str(root / "cache"), *options, tasks=TASKS)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # as on a one-CPU Ray worker (see conftest.single_process)
    done = subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=900, env=env)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    return _results(root / "results"), done


def test_selection_and_dataset_source_reach_the_workers(cluster, options_data, tmp_path):
    (tmp_path / "defaults").mkdir()
    (tmp_path / "single").mkdir()
    defaults, _ = _single(tmp_path / "defaults", options_data)
    single, single_done = _single(tmp_path / "single", options_data, *OPTIONS, *SOURCE)
    command = mieb_run(tmp_path / "results", options_data, *OPTIONS, *SOURCE, "--ray", cluster.address, tasks=TASKS)
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=900)
    output = done.stdout + done.stderr

    assert "3 encode groups (3 tasks)" in output, output[-4000:]
    assert sorted(_written(done.stdout)) == sorted(TASKS)
    on_cluster = _results(tmp_path / "results")
    assert set(on_cluster) == set(TASKS)
    # Every score, subset and dataset revision as the single-process run with the same options wrote them.
    for name in TASKS:
        assert on_cluster[name]["scores"] == single[name]["scores"], name
        assert on_cluster[name]["dataset_revision"] == single[name]["dataset_revision"], name
    assert done.returncode == single_done.returncode, output[-4000:]
    # ... and not what the defaults write: only the selected subsets, from the mteb2 copy.
    for name, subsets in SELECTED.items():
        assert _subsets(on_cluster[name]) == subsets, name
    assert _subsets(defaults["EmojiVisualSTSMultilingualOffline"]) == {"en-en", "en-de", "es-en", "fr-en"}
    assert _subsets(defaults["EmojiXM3600T2IRetrievalOffline"]) == {"de", "en", "es", "fr"}
    for name in ("EmojiVisualSTSMultilingualOffline", "EmojiXM3600T2IRetrievalOffline"):
        by_subset = {e["hf_subset"]: e for entries in defaults[name]["scores"].values() for e in entries}
        for entry in on_cluster[name]["scores"]["test"]:
            assert entry == by_subset[entry["hf_subset"]], (name, entry["hf_subset"])  # subsets are independent
    cifar = get_task("CIFAR10ZeroShot")
    assert on_cluster["CIFAR10ZeroShot"]["dataset_revision"] == cifar.mteb2_dataset.revision
    assert defaults["CIFAR10ZeroShot"]["dataset_revision"] == cifar.dataset.revision
    assert on_cluster["CIFAR10ZeroShot"]["scores"] != defaults["CIFAR10ZeroShot"]["scores"]

    # A rerun with the same options finds the selection finished and sends nothing to the cluster.
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert "every selected task is finished" in again.stdout, again.stdout[-3000:]
    assert not PROGRESS.findall(again.stdout)
