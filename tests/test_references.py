"""Reference-score assertions: modes, tolerances, revisions and messages."""

from __future__ import annotations

from harness.catalogue.queries import get_task
from harness.gating.references import ReferenceCell, compare, reference_cells
from harness.results.task_result import TaskResult

TASK = get_task("CIFAR10ZeroShot")


def _result(score: float) -> TaskResult:
    entry = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": score, "accuracy": score}
    return TaskResult(TASK.name, TASK.dataset.revision, {"test": [entry]})


def _cells(score: float, revision: str | None = None) -> list[ReferenceCell]:
    return [ReferenceCell("test", "default", score, revision or TASK.dataset.revision, "x")]


def test_published_scores_ship_with_the_package() -> None:
    cells = reference_cells("openai/clip-vit-base-patch16", "CIFAR10ZeroShot")
    assert len(cells) == 1
    assert 0.8 < cells[0].score < 1.0
    assert cells[0].dataset_revision == TASK.dataset.revision


def test_regression_mode_fails_only_below() -> None:
    assert compare(TASK, _result(0.90), _cells(0.90), tolerance=0.01).passed
    assert compare(TASK, _result(0.95), _cells(0.90), tolerance=0.01).passed
    verdict = compare(TASK, _result(0.85), _cells(0.90), tolerance=0.01)
    assert verdict.checked and not verdict.passed
    for word in ("CIFAR10ZeroShot", "accuracy", "0.850000", "0.900000", "0.01", TASK.dataset.revision):
        assert word in verdict.message


def test_reproduce_mode_fails_either_way_and_off_never() -> None:
    assert not compare(TASK, _result(0.95), _cells(0.90), mode="reproduce", tolerance=0.01).passed
    assert compare(TASK, _result(0.905), _cells(0.90), mode="reproduce", tolerance=0.01).passed
    assert compare(TASK, _result(0.10), _cells(0.90), mode="off").passed


def test_other_dataset_revision_is_not_asserted() -> None:
    verdict = compare(TASK, _result(0.10), _cells(0.90, revision="other"))
    assert not verdict.checked and verdict.passed
    assert "other" in verdict.message and "not compared" in verdict.message


def test_published_scores_under_another_protocol_are_not_asserted() -> None:
    stl10 = get_task("STL10")
    cells = reference_cells("openai/clip-vit-base-patch16", "STL10")
    assert cells and cells[0].dataset_revision == stl10.dataset.revision
    entry = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": 0.1}
    verdict = compare(stl10, TaskResult("STL10", stl10.dataset.revision, {"test": [entry]}), cells)
    assert not verdict.checked and verdict.passed and "8 x 10" in verdict.message
