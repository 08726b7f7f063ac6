"""Per-item predictions saved beside a result: the file format, the cell-wise merge, the checks on read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from harness.results.outcomes import ItemOutcomes
from harness.results.predictions import (
    CellPredictions,
    PredictionsUnreadable,
    commit_with_predictions,
    companion_path,
    decode,
    encode,
    load_outcomes,
    load_predictions,
    mteb_predictions_path,
)
from harness.results.store import ResultStore
from harness.results.task_result import TaskResult

TASK = "SomeRetrieval"
REV = "r" * 40
MODEL = ("org/model", "abc")


def _entry(subset: str, score: float) -> dict:
    return {"hf_subset": subset, "languages": ["eng-Latn"], "main_score": score, "ndcg_at_10": score}


def _cell(values: list[float], ids: list[str] | None = None, *, top: bool = False) -> CellPredictions:
    ids = ids or [f"q{i}" for i in range(len(values))]
    outcomes = ItemOutcomes("ndcg_at_10", "mean", np.asarray(ids), np.asarray(values, dtype=np.float64))
    details = {}
    if top:
        details = {
            "top_docs": np.array([[1, 0], [0, -1]][: len(values)], dtype=np.int32),
            "top_scores": np.array([[0.9, 0.5], [0.7, -np.inf]][: len(values)], dtype=np.float32),
            "doc_ids": np.array(["d0", "d1"]),
        }
    return CellPredictions(outcomes, float(np.mean(values)), details)


def _write(store: ResultStore, scores: dict[str, float], new: dict, computed: list | None = None) -> Path:
    path = store.path(*MODEL, TASK)
    result = TaskResult(TASK, REV, {"test": [_entry(s, v) for s, v in scores.items()]})
    with store.transaction(path, TASK) as tx:
        commit_with_predictions(tx, result, computed or [("test", s) for s in scores], new, MODEL)
    return path


def test_round_trip_keeps_every_array_and_needs_no_pickle() -> None:
    labels = np.array(["cat", 3, None], dtype=object)  # object arrays are saved as strings
    cell = CellPredictions(
        ItemOutcomes("nmi", "nmi", np.array(["0", "1", "2"]), np.array([0, 1, 1]), reference=labels),
        0.25,
        {"predicted": np.array([[True, False]] * 3)},
    )
    data = encode(TASK, REV, {("test", "default"): cell})
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:  # readable without pickle
        assert all(npz[name].dtype != object for name in npz.files)
    back = decode(data)[("test", "default")]
    assert back.outcomes.kind == "nmi" and back.outcomes.main_metric == "nmi"
    assert back.outcomes.reference.tolist() == ["cat", "3", "None"]
    assert back.outcomes.values.tolist() == [0, 1, 1]
    assert back.details["predicted"].tolist() == [[True, False]] * 3
    assert back.main_score == 0.25


def test_a_file_that_needs_pickle_is_refused() -> None:
    buffer = io.BytesIO()
    cell = {"split": "test", "subset": "default", "main_metric": "accuracy", "kind": "mean", "main_score": 1.0}
    header = {"format": 1, "dataset_revision": REV, "cells": [{**cell, "details": []}]}
    arrays = {"c0.item_ids": np.array(["a"], dtype=object), "c0.values": np.array([1.0])}
    np.savez(buffer, index=np.asarray(json.dumps(header)), **arrays)
    with pytest.raises(PredictionsUnreadable, match="allow_pickle"):
        decode(buffer.getvalue())


def test_saved_with_the_result_and_served_only_while_they_belong_to_it(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    path = _write(store, {"en": 0.5, "de": 0.25}, {("test", "en"): _cell([0.5, 0.5]), ("test", "de"): _cell([0.5, 0])})
    assert companion_path(path).is_file()
    outcomes = load_outcomes(path)
    assert outcomes is not None and set(outcomes) == {("test", "en"), ("test", "de")}
    assert outcomes[("test", "de")].values.tolist() == [0.5, 0.0]

    # The result is rewritten by hand with another score for "de": its predictions no longer belong.
    data = json.loads(path.read_text())
    data["scores"]["test"][1]["main_score"] = 0.75
    path.write_text(json.dumps(data))
    saved = load_predictions(path)
    assert set(saved.cells) == {("test", "en")}
    assert saved.missing == [("test", "de")] and saved.stale == [("test", "de")]
    assert "none saved for test/de" in saved.describe()


def test_merge_keeps_other_cells_and_a_recomputed_cell_without_predictions_loses_them(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    _write(store, {"en": 0.5}, {("test", "en"): _cell([0.5, 0.5])})
    path = _write(store, {"de": 0.25}, {("test", "de"): _cell([0.5, 0.0])})
    assert set(load_outcomes(path)) == {("test", "en"), ("test", "de")}  # computed in two runs, both kept

    _write(store, {"en": 0.5}, {})  # "en" recomputed with predictions off
    saved = load_predictions(path)
    assert set(saved.cells) == {("test", "de")} and saved.missing == [("test", "en")]


def test_a_result_without_predictions_is_reported_not_invented(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    path = _write(store, {"en": 0.5}, {})
    assert not companion_path(path).exists()
    assert load_outcomes(path) is None
    assert load_predictions(path).missing == [("test", "en")]


def test_retrieval_top_documents_in_mtebs_prediction_folder_format(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    path = _write(store, {"en": 0.5}, {("test", "en"): _cell([0.5, 0.5], top=True)})
    data = json.loads(mteb_predictions_path(path).read_text())
    assert mteb_predictions_path(path).name == f"{TASK}_predictions.json"
    assert data["mteb_model_meta"] == {"model_name": "org/model", "revision": "abc"}
    assert data["en"]["test"] == {"q0": {"d1": pytest.approx(0.9), "d0": 0.5}, "q1": {"d0": pytest.approx(0.7)}}
    # mteb's results reader globs <model>/<revision>/*.json: the prediction folder is out of its way
    assert not list(path.parent.glob("*_predictions.json"))

    _write(store, {"en": 0.5}, {})  # recomputed without predictions: the mteb file goes too
    assert not mteb_predictions_path(path).exists()


def test_interval_fields_match_the_analytic_standard_error_of_an_accuracy() -> None:
    from harness.results.intervals import HIGH, LOW, SE, interval_fields

    correct = np.r_[np.ones(300), np.zeros(100)]  # accuracy 0.75 on 400 items
    fields = interval_fields(ItemOutcomes("accuracy", "mean", np.arange(400).astype(str), correct))
    analytic = np.sqrt(0.75 * 0.25 / 400)  # binomial standard error, independent of the bootstrap
    assert fields[SE] == pytest.approx(analytic, rel=0.1)
    assert fields[LOW] < 0.75 < fields[HIGH]
    assert fields[HIGH] - fields[LOW] == pytest.approx(2 * 1.96 * analytic, rel=0.15)


def test_task_interval_of_one_cell_is_its_own_and_of_several_the_mean_of_independent_cells() -> None:
    from harness.results.intervals import task_interval

    one = {"main_score": 0.5, "main_score_se": 0.1, "main_score_ci_low": 0.3, "main_score_ci_high": 0.68}
    assert task_interval([one]) == (0.3, 0.68)
    other = {"main_score": 0.7, "main_score_se": 0.2, "main_score_ci_low": 0.3, "main_score_ci_high": 1.0}
    low, high = task_interval([one, other])
    se = np.sqrt(0.1**2 + 0.2**2) / 2  # hand-worked: sqrt(0.05) / 2
    assert (low, high) == pytest.approx((0.6 - 1.959964 * se, 0.6 + 1.959964 * se))
    assert task_interval([one, {"main_score": 0.7}]) is None  # a cell without items: no interval


def test_run_table_shows_the_interval_or_a_dash() -> None:
    from harness.results.report import summary_lines

    row = {"model": "m", "task": "T", "type": "Any2AnyRetrieval", "main_score": 0.5, "main_score_name": "ndcg_at_10"}
    lines = summary_lines([{**row, "main_score_ci": [0.41, 0.587]}, {**row, "task": "U"}])
    assert "95% CI" in lines[0]
    assert "[41.0, 58.7]" in lines[2] and " - " in lines[3]
