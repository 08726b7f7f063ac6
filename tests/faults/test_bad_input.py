"""Bad names, paths and state: partial results, escaping model names, unwritable results folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.results.report import load_leaderboard
from harness.results.task_result import TaskResult, write_result

NAMED_MODELS = """
import numpy as np
from mieb_models.base import ModelMeta


class Named:
    def __init__(self, name):
        self.meta = ModelMeta(name=name, revision="1", framework="custom", architecture="x", modalities=("image",))

    def encode_images(self, images):
        return np.stack([np.asarray(i.resize((2, 2)), dtype=np.float32).reshape(-1) for i in images])


def dotdot():
    return Named("../../escaped")


def absolute():
    return Named("/tmp/absolute-escape")


def odd():
    return Named("odd\\nname\\x00with*chars?<>|")
"""


def test_model_names_never_write_outside_the_results_folder(
    pytester: pytest.Pytester, cifar_mirror: Path, tmp_path: Path
) -> None:
    pytester.makepyfile(named_models=NAMED_MODELS)
    results = tmp_path / "inside" / "results"
    before = set(tmp_path.rglob("*"))
    result = pytester.runpytest_subprocess(
        *[a for m in ("dotdot", "absolute", "odd") for a in ("--model", f"named_models:{m}")],
        "--datasets-dir",
        str(cifar_mirror),
        "--cache-dir",
        str(results / "cache"),
        "--results-dir",
        str(results),
        "--task",
        "CIFAR10Clustering",
        "-p",
        "no:cacheprovider",
        "--no-progress",
    )
    result.assert_outcomes(passed=3)
    written = set(tmp_path.rglob("*")) - before
    assert written and all(results in p.parents or p == results for p in written if p != results.parent)
    assert len(list(results.glob("*/1/CIFAR10Clustering.json"))) == 3
    assert not Path("/tmp/absolute-escape").exists()


def test_unwritable_results_folder_fails_the_case_with_its_path_before_encoding(
    pytester: pytest.Pytester, cifar_mirror: Path, tmp_path: Path
) -> None:
    pytester.makepyfile(named_models=NAMED_MODELS)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = pytester.runpytest_subprocess(
        "--model",
        "named_models:dotdot",
        "--datasets-dir",
        str(cifar_mirror),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--results-dir",
        str(blocker / "results"),
        "--task",
        "CIFAR10Clustering",
        "-p",
        "no:cacheprovider",
        "--no-progress",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*cannot write results to {blocker}/results/*"])
    assert not (tmp_path / "cache").exists()  # nothing was encoded


def _result(task: str, subsets: list[str]) -> TaskResult:
    entries = [{"hf_subset": s, "languages": [], "main_score": 0.5} for s in subsets]
    return TaskResult(task, "rev", {"test": entries})


def test_report_never_shows_a_partial_result_as_a_score(tmp_path: Path) -> None:
    from harness.catalogue.queries import get_task

    task = get_task("EmojiVisualSTSMultilingualOffline")
    subsets = list(task.subsets)
    assert len(subsets) > 1
    folder = tmp_path / "results" / "org__model" / "1"
    write_result(folder / f"{task.name}.json", _result(task.name, subsets[:1]))
    write_result(folder / "MNISTOffline.json", _result("MNISTOffline", ["default"]))
    # mteb's leaderboard judges completeness by the subsets scored anywhere in the table: another
    # model's complete file makes the missing subsets visible
    write_result(tmp_path / "results" / "org__other" / "1" / f"{task.name}.json", _result(task.name, subsets))

    def model_scores() -> dict:
        board = load_leaderboard([tmp_path / "results"], benchmark="MIEB(offline)")
        return next(r for r in board.rows if r.model == "org/model").tasks

    scores = model_scores()
    assert scores["MNISTOffline"] == 0.5
    assert scores[task.name] is None  # the partial file is missing, never a score
    (folder / "Broken.json").write_text('{"task_name": "MNISTOffline", "scores": {"test": [{"hf_su')
    assert model_scores() == scores  # a truncated file is ignored too


def test_offline_task_named_alone_finds_the_offline_dataset(tmp_path: Path) -> None:
    from tests.faults.driver import requires_offline_assets

    requires_offline_assets()
    command = [sys.executable, "-m", "harness.cli", "run", "-t", "MNISTOffline", "--results-dir", "r"]
    done = subprocess.run(
        [*command, "--cache-dir", "c", "--", "--no-progress"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed" in done.stdout
    (path,) = (tmp_path / "r").glob("*/*/MNISTOffline.json")
    assert json.loads(path.read_text())["scores"]["test"][0]["main_score"] > 0.5
