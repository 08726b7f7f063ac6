"""linear_probe / multilabel_probe and their undersampling, against independent references."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from harness.evaluators.linear_probe import (
    hamming_score,
    linear_probe,
    multilabel_probe,
    multilabel_undersample_indices,
    undersample_indices,
)

LABELS = np.array([0, 1, 2, 0, 0, 1, 2, 2, 0, 1, 1, 0, 2, 0, 1, 0, 0, 2, 1, 0])


def _reference_single(labels: np.ndarray, spl: int, n_exp: int, seed: int) -> list[list[int]]:
    """mteb v2: shuffling the carried list in place with RandomState(seed) == indexing by perm."""
    perm = np.random.RandomState(seed).permutation(len(labels))
    order = np.arange(len(labels))
    result = []
    for _ in range(n_exp):
        order = order[perm]
        keep = np.zeros(len(order), dtype=bool)
        for label in np.unique(labels):
            keep[np.flatnonzero(labels[order] == label)[:spl]] = True
        result.append(order[keep].tolist())
    return result


def test_undersample_matches_reference() -> None:
    got = undersample_indices(LABELS, samples_per_label=2, n_experiments=4, seed=42)
    assert [g.tolist() for g in got] == _reference_single(LABELS, 2, 4, 42)


def test_undersample_properties() -> None:
    got = undersample_indices(LABELS, samples_per_label=3, n_experiments=5)
    for idx in got:
        assert Counter(LABELS[idx].tolist()) == {0: 3, 1: 3, 2: 3}
        assert len(set(idx.tolist())) == len(idx)
    assert len({tuple(g.tolist()) for g in got}) == 5  # the carried shuffle differs each time
    strings = undersample_indices(LABELS.astype(str), samples_per_label=3, n_experiments=5)
    assert [s.tolist() for s in strings] == [g.tolist() for g in got]


def test_linear_probe_hand_worked_binary() -> None:
    x_test = np.array([[-3.0], [-1.0], [2.0], [4.0]])
    y_test = np.array([0, 1, 1, 1])
    # Symmetric training sets put the boundary at their centre: 0 (-> preds 0,0,1,1), then -1.5.
    exp1 = (np.array([[-6.0], [-5.0], [5.0], [6.0]]), np.array([0, 0, 1, 1]))
    exp2 = (np.array([[-7.5], [-6.5], [3.5], [4.5]]), np.array([0, 0, 1, 1]))
    m = linear_probe([exp1, exp2], x_test, y_test)
    e1, e2 = m["scores_per_experiment"]
    assert e1["accuracy"] == pytest.approx(3 / 4)
    # class 0: P=1/2 R=1 F1=2/3 (support 1); class 1: P=1 R=2/3 F1=4/5 (support 3)
    assert e1["f1"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert e1["f1_weighted"] == pytest.approx((2 / 3 + 3 * 4 / 5) / 4)
    assert e1["precision"] == pytest.approx(3 / 4)
    assert e1["precision_weighted"] == pytest.approx((1 / 2 + 3) / 4)
    assert e1["recall"] == pytest.approx((1 + 2 / 3) / 2)
    assert e1["recall_weighted"] == pytest.approx(3 / 4)
    # AP of the hard predictions [0,0,1,1]: R 2/3 at P 1, then R 1 at P 3/4.
    assert e1["ap"] == pytest.approx(2 / 3 + 1 / 3 * 3 / 4)
    assert e2["accuracy"] == 1.0 and e2["ap"] == 1.0
    assert m["accuracy"] == pytest.approx((3 / 4 + 1) / 2)
    assert m["ap"] == pytest.approx((11 / 12 + 1) / 2)
    assert m["ap_weighted"] == pytest.approx(m["ap"])


def test_linear_probe_multiclass_and_string_labels() -> None:
    rng = np.random.default_rng(0)
    centres = 4 * np.eye(3, 5)
    y_train = np.repeat([0, 1, 2], 6)
    x_train = centres[y_train] + 0.3 * rng.normal(size=(18, 5))
    y_test = np.array([0, 1, 2, 2, 1, 0, 1])
    x_test = centres[y_test] + 0.3 * rng.normal(size=(7, 5))
    m = linear_probe([(x_train, y_train)], x_test, y_test)
    assert m["accuracy"] == 1.0 and m["f1"] == 1.0
    assert m["scores_per_experiment"][0]["ap"] is None
    assert math.isnan(m["ap"]) and math.isnan(m["ap_weighted"])  # mteb averages all-None to nan
    names = np.array(["cat", "dog", "emu"])
    ms = linear_probe([(x_train, names[y_train])], x_test, names[y_test])
    assert ms["accuracy"] == 1.0 and ms["f1_weighted"] == 1.0


LABEL_LISTS = [[0], [0, 1], [1], [2], [0, 2], [1, 2], [0], [2], [1], [0, 1, 2], [3], [0]]


def _reference_multi(lists: list[list[int]], spl: int, n_exp: int, seed: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)  # the task's np_rng: created once, shared by experiments
    result = []
    for _ in range(n_exp):
        order = rng.permutation(len(lists))  # fresh range(n) shuffled each experiment
        counts: Counter = Counter()
        kept = []
        for i in order:
            if min(counts[label] for label in lists[i]) < spl:
                kept.append(int(i))
                counts.update(lists[i])
        result.append(kept)
    return result


def test_multilabel_undersample_matches_reference() -> None:
    got = multilabel_undersample_indices(LABEL_LISTS, samples_per_label=2, n_experiments=3, seed=42)
    assert [g.tolist() for g in got] == _reference_multi(LABEL_LISTS, 2, 3, 42)
    assert len({tuple(g.tolist()) for g in got}) == 3
    totals = Counter(label for labels in LABEL_LISTS for label in labels)
    for idx in got:
        kept = Counter(label for i in idx for label in LABEL_LISTS[i])
        for label, total in totals.items():  # "any label under quota" keeps every rare label
            assert kept[label] >= min(2, total)


def test_multilabel_probe_hand_worked() -> None:
    x_train = np.array([[0.0], [0.1], [0.2], [-0.1], [-0.2], [10.0], [10.1], [10.2], [9.9], [9.8]])
    # label 7 never occurs in the test lists: mteb's binarizer (fit on test only) drops it
    train_lists = [[0]] * 5 + [[1, 2, 7]] * 5
    x_test = np.array([[0.05], [10.05], [-0.05]])
    test_lists = [[0], [1], [0, 2]]
    m = multilabel_probe([(x_train, train_lists)] * 2, x_test, test_lists)
    # y_test rows: 100, 010, 101; predictions: 100, 011, 100
    expected = {"accuracy": 1 / 3, "f1": 2 / 3, "hamming": (1 + 1 / 2 + 1 / 2) / 3}
    # LRAP on 0/1 scores: sample 1 -> 1; sample 2 -> 1/2 (tie with label 2);
    # sample 3 -> (1 + 2/3) / 2 (label 2 scores 0, tied with all 3 labels).
    expected["lrap"] = (1 + 1 / 2 + 5 / 6) / 3
    for key, value in expected.items():
        assert m[key] == pytest.approx(value), key
        assert m["scores_per_experiment"][1][key] == pytest.approx(value), key
    assert len(m["scores_per_experiment"]) == 2


def test_hamming_score_handles_empty_rows() -> None:
    t = np.array([[0, 0, 0], [1, 1, 0], [1, 0, 0]])
    p = np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0]])
    assert hamming_score(t, p) == pytest.approx((1 + 1 / 3 + 0) / 3)
