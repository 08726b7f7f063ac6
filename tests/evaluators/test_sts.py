"""Visual STS metrics checked against hand-worked values and independent numpy/scipy formulations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ConstantInputWarning, rankdata

from harness.evaluators.sts import default_pairwise_similarity, pairwise_scores, visual_sts

KEYS = {
    "pearson",
    "spearman",
    "cosine_pearson",
    "cosine_spearman",
    "manhattan_pearson",
    "manhattan_spearman",
    "euclidean_pearson",
    "euclidean_spearman",
}


def _unit_at(cos_values, scale=1.0):
    c = np.asarray(cos_values, dtype=np.float64)
    return scale * np.stack([c, np.sqrt(1 - c**2)], axis=1)


def test_hand_worked_cosine_pearson_and_spearman():
    # emb1 points along x (with norm 3), emb2 has the cosines below, and gold is 1..5.
    # Cosine ranks are [1,3,2,5,4] against gold ranks [1..5]: d = [0,1,-1,1,-1], sum d^2 = 4, so
    # rho = 1 - 6*4/(5*(25-1)) = 0.8.
    # Pearson on the centred values, with normalised gold [.2,.4,.6,.8,1]:
    # x = [-.4,-.2,0,.2,.4] and y = [-.4,0,-.2,.4,.2] give 0.32 / sqrt(0.4 * 0.4) = 0.8.
    cos = [0.1, 0.5, 0.3, 0.9, 0.7]
    emb1 = np.tile([3.0, 0.0], (5, 1))
    emb2 = _unit_at(cos, scale=2.5)
    out = visual_sts(emb1, emb2, np.array([1, 2, 3, 4, 5]))
    assert set(out) == KEYS
    assert all(type(v) is float for v in out.values())
    assert out["cosine_spearman"] == pytest.approx(0.8, abs=1e-12)
    assert out["cosine_pearson"] == pytest.approx(0.8, abs=1e-12)
    # The default model similarity is the float32 cosine: same ranks, Pearson equal to float32 precision.
    assert out["spearman"] == pytest.approx(0.8, abs=1e-12)
    assert out["pearson"] == pytest.approx(0.8, abs=1e-6)


def test_hand_worked_manhattan_and_euclidean():
    # emb2 = emb1 + delta: L1 = [7,1,2,14,17] and L2 = [5,1,2,10,13].
    deltas = np.array([[3, 4], [1, 0], [0, 2], [6, 8], [5, 12]], dtype=np.float64)
    emb1 = np.tile([1.0, 1.0], (5, 1))
    emb2 = emb1 + deltas
    gold = np.array([1, 2, 3, 4, 5])
    out = visual_sts(emb1, emb2, gold)
    # Both negated distances rank as [3,5,4,2,1]: d = [2,3,1,-2,-4], sum d^2 = 34,
    # so rho = 1 - 6*34/120 = -0.7.
    assert out["manhattan_spearman"] == pytest.approx(-0.7, abs=1e-12)
    assert out["euclidean_spearman"] == pytest.approx(-0.7, abs=1e-12)
    # Manhattan Pearson: y = -L1 has mean -8.2 and centred values [1.2,7.2,6.2,-5.8,-8.8].
    # With x = [-.4,-.2,0,.2,.4], sum xy = -6.6, sum x^2 = 0.4 and sum y^2 = 202.8.
    assert out["manhattan_pearson"] == pytest.approx(-6.6 / math.sqrt(0.4 * 202.8), abs=1e-12)
    # Euclidean: y = -L2 has mean -6.2 and centred values [1.2,5.2,4.2,-3.8,-6.8].
    # sum xy = -.48-1.04+0-.76-2.72 = -5.0 and sum y^2 = 1.44+27.04+17.64+14.44+46.24 = 106.8.
    assert out["euclidean_pearson"] == pytest.approx(-5.0 / math.sqrt(0.4 * 106.8), abs=1e-12)


def test_spearman_with_tied_gold_uses_average_ranks():
    # Gold [1,2,2,3] ranks as [1,2.5,2.5,4] and the cosines as [1,2,3,4]. Centred, these are
    # [-1.5,0,0,1.5] and [-1.5,-.5,.5,1.5], so rho = 4.5 / sqrt(4.5 * 5) = sqrt(0.9).
    emb1 = np.tile([1.0, 0.0], (4, 1))
    emb2 = _unit_at([0.1, 0.2, 0.3, 0.4])
    out = visual_sts(emb1, emb2, np.array([1.0, 2.0, 2.0, 3.0]))
    assert out["cosine_spearman"] == pytest.approx(math.sqrt(0.9), abs=1e-12)


def test_random_embeddings_match_independent_formulation():
    rng = np.random.default_rng(0)
    n, d = 200, 16
    emb1 = rng.normal(size=(n, d))
    emb2 = emb1 + rng.normal(scale=1.5, size=(n, d))
    gold = rng.uniform(0, 5, size=n)

    def pearson(x, y):
        return float(np.corrcoef(x, y)[0, 1])

    def spearman(x, y):
        return pearson(rankdata(x), rankdata(y))

    cos = np.einsum("ij,ij->i", emb1, emb2) / (np.linalg.norm(emb1, axis=1) * np.linalg.norm(emb2, axis=1))
    man = -np.abs(emb1 - emb2).sum(axis=1)
    euc = -np.sqrt(((emb1 - emb2) ** 2).sum(axis=1))
    out = visual_sts(emb1, emb2, gold)
    for name, pred in (("cosine", cos), ("manhattan", man), ("euclidean", euc)):
        assert out[f"{name}_pearson"] == pytest.approx(pearson(gold, pred), abs=1e-10)
        assert out[f"{name}_spearman"] == pytest.approx(spearman(gold, pred), abs=1e-10)
    # Default model similarity = cosine computed in float32.
    assert out["pearson"] == pytest.approx(pearson(gold, cos), abs=1e-6)
    assert out["spearman"] == pytest.approx(spearman(gold, cos), abs=1e-6)


def test_float32_embeddings_close_to_float64():
    rng = np.random.default_rng(1)
    emb1 = rng.normal(size=(100, 32))
    emb2 = emb1 + rng.normal(size=(100, 32))
    gold = rng.uniform(0, 5, size=100)
    out64 = visual_sts(emb1, emb2, gold)
    out32 = visual_sts(emb1.astype(np.float32), emb2.astype(np.float32), gold)
    for key in KEYS:
        assert out32[key] == pytest.approx(out64[key], abs=1e-5)


def test_model_similarity_drives_pearson_spearman_only():
    rng = np.random.default_rng(2)
    emb1 = rng.normal(size=(50, 8))
    emb2 = rng.normal(size=(50, 8))
    gold = rng.uniform(0, 5, size=50)
    # A "model similarity" equal to the gold itself correlates perfectly.
    out = visual_sts(emb1, emb2, gold, pairwise_similarity=gold * 3 - 1)
    assert out["pearson"] == pytest.approx(1.0, abs=1e-12)
    assert out["spearman"] == pytest.approx(1.0, abs=1e-12)
    base = visual_sts(emb1, emb2, gold)
    for key in KEYS - {"pearson", "spearman"}:
        assert out[key] == base[key]


def test_hand_worked_dot_and_euclidean_pairwise_scores():
    a = np.array([[3.0, 4.0], [1.0, 2.0]])
    b = np.array([[4.0, 3.0], [1.0, 2.0]])
    np.testing.assert_allclose(pairwise_scores(a, b, "dot"), [24.0, 5.0], atol=1e-6)
    np.testing.assert_allclose(pairwise_scores(a, b, "euclidean"), [-math.sqrt(2.0), 0.0], atol=1e-6)
    np.testing.assert_allclose(pairwise_scores(a, b, "cosine"), [0.96, 1.0], atol=1e-7)
    with pytest.raises(ValueError, match="similarity must be one of"):
        pairwise_scores(a, b, "manhattan")


def test_declared_dot_similarity_drives_pearson_spearman_only():
    """Unnormalised embeddings: a dot-product model's ``pearson`` is the correlation of the raw dot products."""
    rng = np.random.default_rng(4)
    emb1 = rng.normal(size=(60, 8)) * rng.uniform(0.2, 5.0, size=(60, 1))
    emb2 = emb1 + rng.normal(size=(60, 8))
    gold = rng.uniform(0, 5, size=60)
    cosine = visual_sts(emb1, emb2, gold)
    dot = visual_sts(emb1, emb2, gold, similarity="dot")
    independent = np.einsum("ij,ij->i", emb1, emb2)
    assert dot["pearson"] == pytest.approx(float(np.corrcoef(gold, independent)[0, 1]), abs=1e-6)
    assert dot["pearson"] != pytest.approx(cosine["pearson"], abs=1e-3)
    for key in KEYS - {"pearson", "spearman"}:
        assert dot[key] == cosine[key]


def test_gold_normalisation_does_not_change_correlations():
    rng = np.random.default_rng(3)
    emb1 = rng.normal(size=(40, 8))
    emb2 = emb1 + rng.normal(size=(40, 8))
    gold = rng.uniform(0, 5, size=40)
    a = visual_sts(emb1, emb2, gold)
    b = visual_sts(emb1, emb2, gold, min_score=-3.0, max_score=11.0)
    for key in KEYS:
        assert a[key] == pytest.approx(b[key], abs=1e-12)


def test_default_pairwise_similarity_is_float32_cosine():
    a = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    b = np.array([[4.0, 3.0], [1.0, 1.0], [-2.0, 0.0]])
    sim = default_pairwise_similarity(a, b)
    assert sim.dtype == np.float32
    # (3*4 + 4*3) / (5*5) = 24/25. A zero vector normalises to zero, giving similarity 0.
    np.testing.assert_allclose(sim, [0.96, 0.0, -1.0], atol=1e-7)


def test_constant_input_gives_nan():
    emb1 = np.tile([1.0, 0.0], (4, 1))
    emb2 = _unit_at([0.1, 0.2, 0.3, 0.4])
    with pytest.warns(ConstantInputWarning):
        out = visual_sts(emb1, emb2, np.full(4, 2.5))
    assert all(math.isnan(v) for v in out.values())


def test_shape_checks():
    with pytest.raises(ValueError):
        visual_sts(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError):
        visual_sts(np.ones((3, 2)), np.ones((3, 2)), np.zeros(4))
