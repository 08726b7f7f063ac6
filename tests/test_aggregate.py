"""Leaderboard arithmetic: task score, Mean(TaskType), Borda rank and aggregate-task subsets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import rankdata

from harness.results import aggregate as agg

MEAN_TASK_TYPE = agg.MEAN_TASK_TYPE


def test_task_score_weights_split_subset_entries_equally():
    scores = {
        "test": [{"hf_subset": "a", "main_score": 0.5}, {"hf_subset": "b", "main_score": 0.7}],
        "dev": [{"hf_subset": "a", "main_score": 0.9}],
    }
    # (0.5 + 0.7 + 0.9) / 3, not the mean of the split means ((0.6 + 0.9) / 2 = 0.75).
    assert agg.task_score(scores) == pytest.approx(0.7, abs=1e-15)
    assert math.isnan(agg.task_score({}))


TYPES = {"A": "X", "B": "X", "C": "Y"}


def test_mean_task_type_is_mean_of_type_means():
    out = agg.mean_task_type({"A": 0.2, "B": 0.4, "C": 0.9}, TYPES)
    assert list(out) == ["X", "Y", MEAN_TASK_TYPE]
    assert out["X"] == pytest.approx(0.3)
    assert out["Y"] == pytest.approx(0.9)
    # (0.3 + 0.9) / 2 = 0.6, whereas the plain task mean would be 0.5.
    assert out[MEAN_TASK_TYPE] == pytest.approx(0.6)


def test_mean_task_type_missing_task_is_nan():
    out = agg.mean_task_type({"A": 0.2, "B": 0.4}, TYPES)
    assert out["X"] == pytest.approx(0.3)
    assert math.isnan(out["Y"])
    assert math.isnan(out[MEAN_TASK_TYPE])


def test_mean_task_type_nan_score_is_nan_and_extra_tasks_ignored():
    out = agg.mean_task_type({"A": 0.2, "B": float("nan"), "C": 0.9, "Other": 1.0}, TYPES)
    assert math.isnan(out["X"])
    assert out["Y"] == pytest.approx(0.9)
    assert math.isnan(out[MEAN_TASK_TYPE])


SCORES = {
    "m1": {"T1": 0.9, "T2": 0.5, "T3": 0.1},
    "m2": {"T1": 0.8, "T2": 0.5, "T3": 0.7},
    "m3": {"T1": 0.1, "T2": 0.2, "T3": 0.8},
}


def test_borda_three_models_by_hand():
    # n = 3 and each model earns n - rank per task (average ranks on ties):
    # T1 ranks m1 1, m2 2, m3 3, giving 2, 1, 0 points.
    # T2 has m1 and m2 tied at rank 1.5 and m3 at 3, giving 1.5, 1.5, 0.
    # T3 ranks m3 1, m2 2, m1 3, giving m1 0, m2 1, m3 2.
    # Totals are m1 3.5, m2 3.5, m3 2, so the "min" ranks are 1, 1, 3.
    assert agg.borda_ranks(SCORES) == {"m1": 1, "m2": 1, "m3": 3}


def test_borda_missing_score_earns_zero_and_empty_model_dropped():
    scores = {k: dict(v) for k, v in SCORES.items()}
    del scores["m1"]["T1"]
    scores["m4"] = {}
    scores["m5"] = {"T1": float("nan")}
    # n stays 3, because m4 and m5 have no score and are dropped.
    # T1 is ranked over m2 and m3 only: m2 rank 1 and m3 rank 2 give 2 and 1 points; m1 gets 0.
    # Totals are m1 0+1.5+0 = 1.5, m2 2+1.5+1 = 4.5, m3 1+0+2 = 3.
    assert agg.borda_ranks(scores) == {"m1": 3, "m2": 1, "m3": 2}


def test_borda_matches_rankdata_formulation():
    rng = np.random.default_rng(0)
    models = [f"m{i}" for i in range(7)]
    tasks = [f"t{j}" for j in range(9)]
    table = np.round(rng.uniform(size=(7, 9)), 1)  # coarse values force ties
    scores = {m: dict(zip(tasks, row.tolist(), strict=True)) for m, row in zip(models, table, strict=True)}
    points = (len(models) - rankdata(-table, method="average", axis=0)).sum(axis=1)
    expected = rankdata(-points, method="min").astype(int)
    assert agg.borda_ranks(scores) == dict(zip(models, expected.tolist(), strict=True))


def test_aggregate_subsets():
    entries = [
        {"hf_subset": "en-en", "main_score": 0.8},
        {"hf_subset": "en-de", "main_score": 0.5},
        {"hf_subset": "ko-ko", "main_score": 0.3},
    ]
    assert agg.aggregate_subsets(entries, ["en-en"]) == pytest.approx(0.8)
    assert agg.aggregate_subsets(entries, ["en-de", "ko-ko"]) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        agg.aggregate_subsets(entries, ["fr"])
    with pytest.raises(ValueError):
        agg.aggregate_subsets([{"hf_subset": "en-en"}], ["en-en"])
