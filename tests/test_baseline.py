"""Baseline lookup and the gate's comparison on genuine published result files (mteb 1.14.15)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.catalogue.queries import get_task
from harness.gating.baseline import Baseline
from harness.gating.references import compare
from harness.results.folders import ResultsFolderError
from harness.results.task_result import TaskResult, write_result

FIXTURES = Path(__file__).parent / "fixtures" / "published_results"
CLIP = FIXTURES / "openai__clip-vit-base-patch16"


def _result(task_name: str, scores: dict) -> TaskResult:
    task = get_task(task_name)
    return TaskResult(task.name, task.dataset.revision, scores)


def _entry(subset: str, score: float) -> dict:
    return {"hf_subset": subset, "languages": [], "main_score": score}


def test_model_folder_is_a_baseline_and_a_root_with_several_models_needs_a_name() -> None:
    assert Baseline.open(CLIP).model == "openai/clip-vit-base-patch16"
    with pytest.raises(ResultsFolderError, match=r"holds results of 4 models.*--baseline-model"):
        Baseline.open(FIXTURES)
    assert Baseline.open(FIXTURES, "google/siglip-base-patch16-224").model == "google/siglip-base-patch16-224"
    with pytest.raises(ResultsFolderError, match="Did you mean: google/siglip-base-patch16-224"):
        Baseline.open(FIXTURES, "google/siglip-base-patch16")


def test_multilingual_subsets_gate_each_subset() -> None:
    baseline = Baseline.open(CLIP)
    task = get_task("STS17MultilingualVisualSTS")
    lookup = baseline.lookup(task)
    assert not lookup.problem and len(lookup.cells) == 11
    published = json.loads((next(CLIP.glob("*/STS17MultilingualVisualSTS.json"))).read_text())["scores"]["test"]
    scores = {e["hf_subset"]: e["main_score"] for e in published}
    assert compare(task, _result(task.name, {"test": [_entry(s, v) for s, v in scores.items()]}), lookup.cells).passed
    scores["ko-ko"] -= 0.05  # one language regresses
    verdict = compare(task, _result(task.name, {"test": [_entry(s, v) for s, v in scores.items()]}), lookup.cells)
    assert verdict.checked and not verdict.passed and "test/ko-ko" in verdict.message
    assert "test/en-en" not in verdict.message


def test_aggregate_task_gates_on_its_default_cell_even_from_mteb_files() -> None:
    """mteb writes aggregate results with dataset_revision "1" and one "default" subset."""
    task = get_task("VisualSTS-b-Multilingual")
    lookup = Baseline.open(CLIP).lookup(task)
    assert not lookup.problem and [(c.subset, c.score) for c in lookup.cells] == [("default", 0.262778)]
    low = compare(task, _result(task.name, {"test": [_entry("default", 0.24)]}), lookup.cells)
    assert low.checked and not low.passed and "got 0.240000, expected 0.262778" in low.message
    assert compare(task, _result(task.name, {"test": [_entry("default", 0.26)]}), lookup.cells).passed


def test_protocol_changed_task_is_reported_whichever_side_the_reference_came_from(tmp_path: Path) -> None:
    task = get_task("STL10")
    result = _result("STL10", {"test": [_entry("default", 0.10)]})
    # A baseline folder written by mteb 1.x: reported, not asserted.
    verdict = compare(task, result, Baseline.open(CLIP).lookup(task).cells)
    assert not verdict.checked and verdict.passed and "8 x 10" in verdict.message
    # A baseline written by this harness (2.x protocol) is asserted.
    write_result(tmp_path / "org__prev" / "r1" / "STL10.json", _result("STL10", {"test": [_entry("default", 0.9)]}))
    verdict = compare(task, result, Baseline.open(tmp_path).lookup(task).cells)
    assert verdict.checked and not verdict.passed


def test_missing_task_partial_subsets_and_other_data_are_problems(tmp_path: Path) -> None:
    root = tmp_path / "base"
    shutil.copytree(CLIP, root / "openai__clip-vit-base-patch16")
    path = next(root.glob("*/*/STS17MultilingualVisualSTS.json"))
    data = json.loads(path.read_text())
    data["scores"]["test"] = [e for e in data["scores"]["test"] if e["hf_subset"] != "ar-ar"]
    path.write_text(json.dumps(data))
    fer = next(root.glob("*/*/FER2013ZeroShot.json"))
    fer.write_text(fer.read_text().replace("9399b94167523fe5c40b3a857e24ef931ee4395b", "an-older-revision"))
    baseline = Baseline.open(root)
    assert "has no result for this task" in baseline.lookup(get_task("CIFAR10")).problem
    partial = baseline.lookup(get_task("STS17MultilingualVisualSTS"))
    assert partial.problem.endswith("lacks test/ar-ar") and len(partial.cells) == 10
    other = baseline.lookup(get_task("FER2013ZeroShot"))
    assert not other.cells and "dataset revision an-older-revision" in other.problem
