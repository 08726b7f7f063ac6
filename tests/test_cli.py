"""The mieb command: listing, reports over results folders, and name errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.results.task_result import TaskResult, result_path, write_result


def test_list_benchmarks_tasks_and_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "benchmarks"]) == 0
    out = capsys.readouterr().out
    for line in (
        "MIEB(lite)             51 tasks",
        "MIEB(eng)             125 tasks",
        "MIEB(Img)              49 tasks",
    ):
        assert line in out
    assert main(["list", "tasks", "-b", "MIEB(lite)"]) == 0
    assert capsys.readouterr().out.strip().endswith("51 tasks")
    assert main(["list", "tasks", "--type", "ImageClustering", "*Tiny*"]) == 0
    assert "TinyImageNetClustering" in capsys.readouterr().out
    assert main(["list", "models", "*siglip*"]) == 0
    out = capsys.readouterr().out
    assert "google/siglip-base-patch16-224" in out and "openai/" not in out


def test_unknown_names_exit_2_with_close_matches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "tasks", "-b", "MIEB(Lite)"]) == 2
    assert "Did you mean: MIEB(lite)" in capsys.readouterr().err
    assert main(["run", "-t", "CIFAR10ZeroShoot"]) == 2
    assert "CIFAR10ZeroShot" in capsys.readouterr().err


def _write(folder: Path, model: str, task: str, score: float, date: str) -> None:
    entry = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": score}
    write_result(result_path(folder, model, "r1", task), TaskResult(task, "x", {"test": [entry]}, 1.0, date))


def test_report_refuses_shards_that_disagree_on_a_cell_naming_both_files(tmp_path: Path, capsys) -> None:
    _write(tmp_path / "a", "org/m", "CIFAR10", 0.1, "2025-01-01")
    _write(tmp_path / "b", "org/m", "CIFAR10", 0.9, "2026-01-01")  # newer, but a date decides nothing
    assert main(["report", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "disagree on test/default: 0.1 in" in err and str(tmp_path / "a") in err and str(tmp_path / "b") in err


def test_report_merges_shards_and_aggregates_by_task_type(tmp_path: Path, capsys) -> None:
    _write(tmp_path / "a", "org/m", "CIFAR10ZeroShot", 0.5, "2026-01-01")
    _write(tmp_path / "b", "org/m", "CIFAR100ZeroShot", 0.7, "2026-01-01")
    _write(tmp_path / "b", "org/m", "CIFAR10", 0.9, "2026-01-01")
    _write(tmp_path / "a", "org/m", "CIFAR10", 0.9, "2025-01-01")  # the same cell in both shards, same score
    assert main(["report", str(tmp_path / "a"), str(tmp_path / "b"), "--markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header, row = ([c.strip() for c in line.strip("|").split("|")] for line in (lines[0], lines[2]))
    cells = dict(zip(header, row, strict=True))
    assert cells["ZeroShotClassification"] == "60.00" and cells["ImageClassification"] == "90.00"
    assert cells["Mean(TaskType)"] == "75.00"
    assert json.loads((tmp_path / "a" / "org__m" / "r1" / "CIFAR10.json").read_text())["task_name"] == "CIFAR10"
