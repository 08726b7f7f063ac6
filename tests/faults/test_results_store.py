"""The results store: finished cells never lost, wrong files never used, settings never ignored.

Each test is one way a run used to lose a finished score or show a wrong one with exit status 0.
"""

from __future__ import annotations

import dataclasses
import json
import math
import multiprocessing
import os
import warnings
from pathlib import Path

import pytest

from harness.catalogue.queries import get_task
from harness.results.compare import task_score
from harness.results.folders import ResultsFolderError, read_result_file, read_results
from harness.results.leaderboard import select_revisions
from harness.results.report import load_leaderboard
from harness.results.store import InvalidResultFile, ResultStore, problems_of, read_result, task_cells
from harness.results.task_result import TaskResult, write_result
from harness.runner import SettingsChanged, run_task
from tests.faults.store_support import STS17, engine, sts17_source


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory):
    return sts17_source(tmp_path_factory.mktemp("sts17"))


def _subsets(path: Path) -> list[str]:
    return [e["hf_subset"] for e in json.loads(path.read_text())["scores"]["test"]]


def test_overwrite_of_some_subsets_keeps_the_others(tmp_path: Path, source) -> None:
    task = get_task(STS17)
    first = run_task(task, engine(), source, tmp_path, subsets=["en-de", "es-en"])
    run_task(task, engine(), source, tmp_path, subsets=["en-de"], overwrite=True)
    assert sorted(_subsets(first.path)) == ["en-de", "es-en"]


def test_overwrite_of_an_aggregate_keeps_the_raw_tasks_other_subsets(tmp_path: Path, source) -> None:
    raw = run_task(get_task(STS17), engine(), source, tmp_path, subsets=["en-de", "ko-ko"])
    run_task(get_task("VisualSTS17Eng"), engine(), source, tmp_path, overwrite=True)
    assert sorted(_subsets(raw.path)) == ["en-de", "en-en", "ko-ko"]


def _run_subsets(results: str, datasets: str, subsets: list[str]) -> None:
    from harness.data.hub import DataSource

    run_task(get_task(STS17), engine(), DataSource.from_env(datasets), results, subsets=subsets)


def test_two_concurrent_runs_with_different_subsets_keep_both(tmp_path: Path, source) -> None:
    context = multiprocessing.get_context("fork")
    groups = [["en-de", "es-en", "ar-ar"], ["ko-ko", "fr-en", "it-en"]]
    runs = [context.Process(target=_run_subsets, args=(str(tmp_path), str(source.datasets_dir), g)) for g in groups]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
        assert run.exitcode == 0
    (path,) = tmp_path.glob("*/*/STS17MultilingualVisualSTS.json")
    assert sorted(_subsets(path)) == sorted(groups[0] + groups[1])


def test_a_cell_computed_with_other_settings_is_recomputed_not_reused(tmp_path: Path, source) -> None:
    task = get_task(STS17)
    run_task(task, engine(), source, tmp_path, subsets=["en-de"])
    with pytest.warns(SettingsChanged, match="fast_preprocess: False -> True"):
        again = run_task(task, engine(fast_preprocess=True), source, tmp_path, subsets=["en-de"])
    assert not again.reused
    stored = json.loads(again.path.read_text())
    assert stored["mieb"]["provenance"]["test"]["en-de"]["fast_preprocess"] is True
    same = run_task(task, engine(fast_preprocess=True), source, tmp_path, subsets=["en-de"])
    assert same.reused  # same settings: reused


def test_a_file_is_honest_about_who_wrote_it(tmp_path: Path, source) -> None:
    outcome = run_task(get_task(STS17), engine(), source, tmp_path, subsets=["en-de"])
    data = json.loads(outcome.path.read_text())
    assert data["mteb_version"] is None  # mteb did not write it
    assert data["mieb"]["protocol"] == "mteb 2.26.24"
    assert data["mieb"]["version"]
    settings = data["mieb"]["provenance"]["test"]["en-de"]
    assert settings == {
        "dataset_source": "published",
        "precision": "fp32",
        "fast_preprocess": False,
        "model_revision": "1",
        "cache_dtype": "float32",
        "mieb_version": data["mieb"]["version"],
    }


def test_a_subset_run_scores_only_its_subsets(tmp_path: Path, source) -> None:
    task = get_task(STS17)
    run_task(task, engine(), source, tmp_path, subsets=["en-de", "ko-ko"])
    only = run_task(task, engine(), source, tmp_path, subsets=["en-de"])
    assert only.reused
    assert only.score == only.result.entry("test", "en-de")["main_score"]


def test_another_tasks_file_is_moved_aside_and_recomputed(tmp_path: Path, source) -> None:
    task = get_task(STS17)
    outcome = run_task(task, engine(), source, tmp_path, subsets=["en-de"])
    other = TaskResult("VisualSTS17Eng", task.dataset.revision, {"test": [_entry("en-de", 0.99)]})
    write_result(outcome.path, other)
    with pytest.warns(InvalidResultFile, match="another task's file"):
        again = run_task(task, engine(), source, tmp_path, subsets=["en-de"])
    assert not again.reused
    assert again.result.entry("test", "en-de")["main_score"] != 0.99
    assert list(outcome.path.parent.glob("STS17MultilingualVisualSTS.json.invalid-*"))


def _entry(subset: str, score: object) -> dict:
    return {"hf_subset": subset, "languages": ["eng-Latn"], "main_score": score, "cosine_spearman": score}


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([_entry("en-de", 0.5), _entry("en-de", 0.9)], "test/en-de appears twice"),
        ([_entry("en-de", True)], "main_score is True, not a finite number"),
        ([_entry("en-de", "0.5")], "main_score is '0.5', not a finite number"),
        ([{"hf_subset": "en-de", "languages": []}], "has no main_score"),
        ([{"languages": [], "main_score": 0.5}], "has no hf_subset string"),
    ],
)
def test_invalid_files_are_named_and_never_read_as_scores(tmp_path: Path, entries: list, problem: str) -> None:
    path = tmp_path / "org__m" / "1" / f"{STS17}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"dataset_revision": "r", "task_name": STS17, "scores": {"test": entries}}))
    assert any(problem in p for p in problems_of(json.loads(path.read_text()), STS17))
    with pytest.warns(InvalidResultFile, match="result file not used"):
        assert read_result(path, STS17) is None
    with pytest.warns(InvalidResultFile), pytest.raises(ResultsFolderError):  # report and compare refuse it too
        read_results([tmp_path])


def test_run_report_and_compare_show_the_same_score(tmp_path: Path, source) -> None:
    task = get_task(STS17)
    outcome = run_task(task, engine(), source, tmp_path)
    board = load_leaderboard([tmp_path])
    (row,) = board.rows
    compared, missing = task_score(task, read_result_file(outcome.path))
    assert not missing
    assert outcome.score == pytest.approx(row.tasks[STS17], abs=1e-12) == pytest.approx(compared, abs=1e-12)


def test_conflicting_copies_in_merged_folders_are_reported(tmp_path: Path) -> None:
    for folder, score in (("a", 0.5), ("b", 0.7)):
        write_result(
            tmp_path / folder / "org__m" / "1" / f"{STS17}.json",
            TaskResult(STS17, "r", {"test": [_entry("en-de", score)]}),
        )
    write_result(
        tmp_path / "c" / "org__m" / "1" / f"{STS17}.json", TaskResult(STS17, "r", {"test": [_entry("ko-ko", 0.1)]})
    )
    merged = select_revisions(read_results([tmp_path / "a", tmp_path / "c"]))
    assert sorted(e["hf_subset"] for e in merged[("org/m", STS17)].scores["test"]) == ["en-de", "ko-ko"]
    with pytest.raises(ResultsFolderError, match=r"disagree on test/en-de: 0.5 in .* 0.7 in "):
        select_revisions(read_results([tmp_path / "a", tmp_path / "b"]))


def test_a_fifo_in_place_of_a_result_is_refused_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "org__m" / "1" / f"{STS17}.json"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    with pytest.warns(InvalidResultFile, match="is a FIFO"):
        assert read_result(path, STS17) is None  # would block forever if it were opened for reading
    with pytest.warns(InvalidResultFile, match="is a FIFO"), pytest.raises(ResultsFolderError):
        read_results([tmp_path])


def test_companion_files_are_written_with_the_result_under_its_lock(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    path = store.path("org/m", "1", STS17)
    result = TaskResult(STS17, "r", {"test": [_entry("en-de", 0.5)]})
    store.write(path, result, [("test", "en-de")], companions={f"{STS17}.predictions.npz": b"npz"})
    with store.transaction(path, STS17) as tx:
        assert tx.read_companion(f"{STS17}.predictions.npz") == b"npz"
        assert tx.previous.entry("test", "en-de")["main_score"] == 0.5
        with pytest.raises(ValueError, match="plain file name"):
            tx.read_companion("../escape")
    assert sorted(p.name for p in path.parent.iterdir()) == [
        f"{STS17}.json",
        f"{STS17}.predictions.npz",
    ]  # and no lock file left


def test_task_cells_is_the_one_answer_for_plain_and_aggregate_tasks() -> None:
    assert task_cells(get_task("VisualSTS17Multilingual")) == [("test", "default")]
    assert task_cells(get_task(STS17), ["ko-ko"]) == [("test", "ko-ko")]
    assert len(task_cells(get_task(STS17))) == len(get_task(STS17).subsets)


def test_null_main_score_is_valid_and_scores_as_missing(tmp_path: Path) -> None:
    path = tmp_path / f"{STS17}.json"
    write_result(path, TaskResult(STS17, "r", {"test": [_entry("en-de", math.nan)]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = read_result(path, STS17)
    assert result is not None and math.isnan(result.entry("test", "en-de")["main_score"])


def test_two_model_names_that_share_a_folder_name_are_refused_naming_both(tmp_path: Path, source) -> None:
    from harness.runner import ResultsNotWritable
    from tests.faults.store_support import MeanColour

    first, second = MeanColour(), MeanColour()
    first.meta = dataclasses.replace(first.meta, name="org/a b")
    second.meta = dataclasses.replace(second.meta, name="org/a_b")
    run_task(get_task(STS17), engine(first), source, tmp_path, subsets=["en-de"])
    with pytest.raises(ResultsNotWritable, match=r"holds model 'org/a b'.*'org/a_b'.*maps to the same folder"):
        run_task(get_task(STS17), engine(second), source, tmp_path, subsets=["en-de"])
