"""``spearman_rounding_range``: Spearman over the orders float32 rounding can give near-tied scores,
checked against scipy on the explicit orders."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from harness.evaluators.sts import spearman_rounding_range


def test_a_near_tied_group_spans_its_two_orders_and_its_tie():
    gold = np.array([1.0, 2.0, 3.0, 4.0])
    one = np.float32(0.5)
    scores = np.array([0.1, one, np.nextafter(one, np.float32(1)), 0.9], dtype=np.float32)
    low, high = spearman_rounding_range(gold, scores)
    orders = [[0, 1, 2, 3], [0, 2, 1, 3], [0, 1.5, 1.5, 3]]  # as scored, swapped, tied
    expected = [spearmanr(gold, ranks)[0] for ranks in orders]
    assert (low, high) == (min(expected), max(expected))
    assert np.allclose((low, high), (0.8, 1.0))


def test_scores_apart_by_more_than_the_grid_have_no_range():
    gold = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    scores = np.array([0.3, 0.1, 0.2, 0.5, 0.4], dtype=np.float32)
    low, high = spearman_rounding_range(gold, scores)
    assert low == high == spearmanr(gold, scores)[0]


def test_equal_gold_inside_a_group_moves_spearman_only_through_the_tie():
    gold = np.array([0.0, 1.0, 5.0, 5.0, 5.0])
    scores = np.array([0.2, 0.6, 1.0, 1.0, np.nextafter(np.float32(1), np.float32(0))], dtype=np.float32)
    low, high = spearman_rounding_range(gold, scores)
    assert low == spearmanr(gold, [0, 1, 2, 3, 4])[0] and high == spearmanr(gold, [0, 1, 3, 3, 3])[0]
    assert high > low
