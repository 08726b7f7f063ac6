"""Reports that do not overstate: rounded JSON deltas, plots that mark missing values and tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.results.task_result import TaskResult, result_path, write_result


def _write(folder: Path, model: str, task: str, score: float) -> None:
    entry = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": score}
    write_result(result_path(folder, model, "r1", task), TaskResult(task, "x", {"test": [entry]}, 1.0))


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    base, candidate = tmp_path / "base", tmp_path / "candidate"
    for task, score in (("CIFAR10", 0.1), ("CIFAR100", 0.2), ("CIFAR10Clustering", 0.7)):
        _write(base, "org/base", task, score)
    _write(candidate, "org/cand", "CIFAR10", 0.4)
    _write(candidate, "org/cand", "CIFAR10Clustering", 0.7)
    return base, candidate  # CIFAR100 is missing in the candidate


def test_json_deltas_are_rounded_as_the_files_are(two_runs, capsys) -> None:
    base, candidate = two_runs
    assert main(["compare", str(base), str(candidate), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    cifar = next(t for t in out["tasks"] if t["task"] == "CIFAR10")
    assert 0.4 - 0.1 == 0.30000000000000004  # what was written before
    assert cifar["delta"] == 0.3
    assert out["task_types"]["ImageClassification"]["delta"] == 0.3


@pytest.fixture
def kept_figure(monkeypatch):
    """The figure a plot function draws, kept open to be read."""
    plt = pytest.importorskip("matplotlib.pyplot", reason="matplotlib (a declared dependency) is not installed")
    monkeypatch.setattr(plt, "close", lambda *a, **k: None)
    yield lambda: plt.gcf().axes[0]
    plt.close("all")


def test_the_compare_plot_shows_missing_tasks(two_runs, tmp_path: Path, kept_figure) -> None:
    base, candidate = two_runs
    assert main(["compare", str(base), str(candidate), "--plot", str(tmp_path / "d.png")]) == 1
    ax = kept_figure()
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert "ImageClassification · CIFAR100 (missing in candidate)" in labels  # absent from the plot before
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and len(ax.patches) == 2  # two bars, one cross


def test_the_report_plot_marks_missing_values_instead_of_no_bar(two_runs, tmp_path: Path, kept_figure) -> None:
    base, candidate = two_runs
    root = tmp_path / "both"
    for side in (base, candidate):
        for path in side.rglob("*.json"):
            target = root / path.relative_to(side)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert main(["report", str(root), "--plot", str(tmp_path / "t.png")]) == 0
    ax = kept_figure()
    # org/cand lacks CIFAR100, so its ImageClassification mean is missing: a cross and "n/a", not a bar at 0
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and [t.get_text() for t in ax.texts] == ["n/a"]
    assert all(patch.get_height() > 0 for patch in ax.patches)
