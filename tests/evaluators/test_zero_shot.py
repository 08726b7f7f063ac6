"""zero_shot: hand-worked cases and independent (float64 / manual) computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import precision_recall_fscore_support

from harness.evaluators.zero_shot import zero_shot, zero_shot_scores
from mieb_records.models import SIMILARITIES

LABELS_2D = np.array([[1.0, 0.0], [0.0, 1.0]])


def _at_gap(gap: float) -> list[float]:
    """Unit 2-D vector whose logit gap 100*(cos1 - cos0) against LABELS_2D is ``gap``."""
    theta = np.pi / 4 + np.arcsin(gap / (100 * np.sqrt(2)))
    return [np.cos(theta), np.sin(theta)]


def test_binary_hand_worked() -> None:
    # p1 ranking c > b > d > a, gold [0, 0, 1, 1], prediction [0, 1, 1, 1].
    images = np.array([_at_gap(-12.3), _at_gap(2.4), _at_gap(12.3), _at_gap(1.2)])
    gold = np.array([0, 0, 1, 1])
    m = zero_shot(images, LABELS_2D, gold)
    assert m["accuracy"] == pytest.approx(3 / 4)
    # class 0: P=1, R=1/2, F1=2/3; class 1: P=2/3, R=1, F1=4/5; supports 2 and 2.
    assert m["f1"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert m["f1_weighted"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert m["precision"] == pytest.approx((1 + 2 / 3) / 2)
    assert m["precision_weighted"] == pytest.approx((1 + 2 / 3) / 2)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["recall_weighted"] == pytest.approx(3 / 4)
    # ranked pos, neg, pos, neg -> AP = 1/2 * 1 + 1/2 * 2/3; binary ignores `average`.
    assert m["ap"] == pytest.approx(5 / 6)
    assert m["ap_weighted"] == pytest.approx(5 / 6)


def test_scores_match_float64_softmax() -> None:
    rng = np.random.default_rng(0)
    img, lbl = rng.normal(size=(20, 8)), rng.normal(size=(5, 8))
    cos = np.array([[a @ b / np.sqrt((a @ a) * (b @ b)) for b in lbl] for a in img])
    np.testing.assert_allclose(zero_shot_scores(img, lbl), softmax(100 * cos, axis=1), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(zero_shot_scores(img, lbl, "model"), cos, atol=1e-6)
    assert zero_shot_scores(img, lbl).dtype == np.float32


def test_float32_saturation_ties_like_mteb() -> None:
    # In float64 the order is pos (gap 40) > neg (gap 23) > pos > neg, AP = 5/6. In float32 (as
    # torch in mteb) both top probabilities round to 1.0 and tie: AP = 1/2*1/2 + 1/2*2/3 = 7/12.
    images = np.array([_at_gap(40), _at_gap(23), _at_gap(5), _at_gap(-5)])
    m = zero_shot(images, LABELS_2D, [1, 0, 1, 0])
    assert m["ap"] == pytest.approx(7 / 12)


def test_cosine_scoring_ranks_by_column_one() -> None:
    # x: cos0=.7 cos1=.5 (gold 0); y: cos0=.1 cos1=.4 (gold 1); labels are unit axes of R^3.
    lbl = np.eye(3)[:2]
    images = np.array([[0.7, 0.5, np.sqrt(0.26)], [0.1, 0.4, np.sqrt(0.83)]])
    gold = [0, 1]
    assert zero_shot(images, lbl, gold)["ap"] == pytest.approx(1.0)  # softmax: y ranks first
    cos_m = zero_shot(images, lbl, gold, scoring="model")
    assert cos_m["ap"] == pytest.approx(0.5)  # cosine column 1: x (0.5) ranks above y (0.4)
    assert cos_m["accuracy"] == 1.0


def test_model_scoring_follows_the_declared_similarity() -> None:
    # Labels (1, 0) and (0, 3). x = (2, 1): cosine .894 / .447 -> 0; dot 2 / 3 -> 1; distances
    # 1.414 / 2.828 -> 0. z = (3, 2.9): cosine .719 / .695 -> 0; dot 3 / 8.7 -> 1; distances
    # 3.523 / 3.002 -> 1.
    lbl = np.array([[1.0, 0.0], [0.0, 3.0]])
    images = np.array([[2.0, 1.0], [3.0, 2.9]])
    gold = [0, 1]
    np.testing.assert_allclose(zero_shot_scores(images, lbl, "model", "dot"), [[2, 3], [3, 8.7]], rtol=1e-6)
    np.testing.assert_allclose(
        zero_shot_scores(images, lbl, "model", "euclidean"),
        [[-np.sqrt(2), -np.sqrt(8)], [-np.sqrt(4 + 2.9**2), -np.sqrt(9 + 0.01)]],
        rtol=1e-6,
    )
    accuracy = {s: zero_shot(images, lbl, gold, scoring="model", similarity=s)["accuracy"] for s in SIMILARITIES}
    assert accuracy == {"cosine": 0.5, "dot": 0.5, "euclidean": 1.0}
    assert zero_shot(images, lbl, gold, scoring="model", similarity="dot")["recall"] == 0.5  # both predicted 1
    # softmax scoring (["image", "text"] tasks) normalises whatever the model declares, as mteb does
    assert zero_shot(images, lbl, gold, similarity="dot") == zero_shot(images, lbl, gold)
    with pytest.raises(ValueError, match="similarity must be one of"):
        zero_shot_scores(images, lbl, "model", "manhattan")


def test_multiclass_matches_independent_computation() -> None:
    rng = np.random.default_rng(1)
    lbl = rng.normal(size=(5, 16))
    gold = rng.integers(0, 5, 60)
    img = lbl[gold] + 0.8 * rng.normal(size=(60, 16))
    img[:10] = rng.normal(size=(10, 16))  # some noise images -> errors
    cos = (img / np.linalg.norm(img, axis=1)[:, None]) @ (lbl / np.linalg.norm(lbl, axis=1)[:, None]).T
    pred = cos.argmax(1)
    p, r, f, support = precision_recall_fscore_support(gold, pred, average=None, zero_division=0)
    w = support / support.sum()
    m = zero_shot(img, lbl, gold)
    assert m["accuracy"] == pytest.approx(np.mean(pred == gold))
    assert m["f1"] == pytest.approx(f.mean())
    assert m["f1_weighted"] == pytest.approx(f @ w)
    assert m["precision"] == pytest.approx(p.mean())
    assert m["precision_weighted"] == pytest.approx(p @ w)
    assert m["recall"] == pytest.approx(r.mean())
    assert m["recall_weighted"] == pytest.approx(r @ w)
    assert m["ap"] is None and m["ap_weighted"] is None


def test_ap_keyed_on_labels_present_not_class_count() -> None:
    lbl = np.eye(3)
    images = np.array([[1.0, 0.2, 0.0], [0.1, 1.0, 0.0], [0.9, 0.0, 0.3], [0.0, 0.8, 0.1]])
    m = zero_shot(images, lbl, [0, 1, 0, 1])  # 3 candidates, 2 present -> ap from scores[:, 1]
    assert m["ap"] == pytest.approx(1.0)
    with pytest.raises(ValueError):  # present {0, 2}: mteb's call fails the same way
        zero_shot(images, lbl, [0, 2, 0, 2])


def test_string_labels_map_to_candidates() -> None:
    images = np.array([_at_gap(-12.3), _at_gap(2.4), _at_gap(12.3), _at_gap(1.2)])
    names = ["a cat", "a dog"]
    as_str = zero_shot(images, LABELS_2D, ["a cat", "a cat", "a dog", "a dog"], candidate_labels=names)
    assert as_str == zero_shot(images, LABELS_2D, [0, 0, 1, 1])
    with pytest.raises(ValueError):
        zero_shot(images, LABELS_2D, ["a cat", "a cow", "a dog", "a dog"], candidate_labels=names)
    with pytest.raises(ValueError):
        zero_shot(images, LABELS_2D, ["a cat", "a cat", "a dog", "a dog"])
