"""A subset selection end to end through the runner: only the selected subsets, resume, finished."""

from __future__ import annotations

import pytest

from harness.catalogue.queries import get_task
from harness.data.hub import DatasetUnavailable
from harness.results.store import read_result
from harness.runner import expected_provenance, finished_result, run_task
from tests.support.layouts import snapshot, sts_split

STS17 = "STS17MultilingualVisualSTS"
PAIRS = [(1, 1, 5.0), (2, 3, 0.5), (4, [(4, 6), (5, 2)], 3.5)]


def _source(tmp_path):
    task = get_task(STS17)
    configs = {subset: {"test": sts_split(PAIRS)} for subset in ("en-de", "ko-ko", "en-en")}
    return task, snapshot(tmp_path / "data", task.dataset.path, configs)


def test_selected_subsets_only_then_resume_adds_the_rest(tmp_path, engine) -> None:
    task, source = _source(tmp_path)
    results = tmp_path / "results"
    first = run_task(task, engine, source, results, subsets=["en-de"])
    assert [e["hf_subset"] for e in first.result.scores["test"]] == ["en-de"]
    written = read_result(first.path).scores["test"]
    assert [e["hf_subset"] for e in written] == ["en-de"]
    settings = expected_provenance(engine.model.meta, "published", None, "cpu", False)
    assert finished_result(task, engine.model.meta, results, ["en-de"], settings) is not None  # this selection
    assert finished_result(task, engine.model.meta, results, None, settings) is None  # but not the whole task

    second = run_task(task, engine, source, results, subsets=["en-de", "ko-ko"])
    entries = read_result(second.path).scores["test"]
    assert [e["hf_subset"] for e in entries] == ["en-de", "ko-ko"]  # en-de reused, ko-ko added
    assert entries[0] == written[0]
    assert finished_result(task, engine.model.meta, results, ["ko-ko", "en-de"], settings) is not None


def test_unknown_subset_is_refused_by_name(tmp_path, engine) -> None:
    task, source = _source(tmp_path)
    with pytest.raises(ValueError, match="has no subset en-dee"):
        run_task(task, engine, source, tmp_path / "results", subsets=["en-dee"])


def test_missing_subset_in_the_data_names_dataset_revision_subset_and_what_exists(tmp_path, engine) -> None:
    task, source = _source(tmp_path)  # the snapshot lacks es-en
    with pytest.raises(DatasetUnavailable) as err:
        run_task(task, engine, source, tmp_path / "results", subsets=["es-en"])
    message = str(err.value)
    assert task.dataset.path in message and task.dataset.revision in message
    assert "has no subset (config) 'es-en'" in message
    assert "en-de, en-en, ko-ko" in message
    assert "not found" not in message


def test_missing_split_names_the_split_and_the_existing_ones(tmp_path, engine) -> None:
    task = get_task(STS17)
    source = snapshot(tmp_path / "data", task.dataset.path, {"en-de": {"validation": sts_split(PAIRS)}})
    with pytest.raises(DatasetUnavailable) as err:
        run_task(task, engine, source, tmp_path / "results", subsets=["en-de"])
    message = str(err.value)
    assert "subset 'en-de' has no split 'test'" in message
    assert "splits there: validation" in message
