"""Significance statistics, checked against independent computations on the same inputs:
scipy.stats (bootstrap, permutation_test, spearmanr, pearsonr), scikit-learn (v-measure, NMI),
statsmodels (McNemar, multipletests) and hand-worked examples."""

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import normalized_mutual_info_score, v_measure_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from harness.gating.significance import (
    OutcomesMismatchError,
    adjust_pvalues,
    bootstrap_interval,
    combine,
    compare_paired,
    mcnemar_exact,
    score_of,
    sign_flip_pvalue,
    significant,
)
from harness.results.outcomes import ItemOutcomes


def _ids(n):
    return np.array([f"q{i}" for i in range(n)])


def _outcomes(kind, values, reference=None, metric="main"):
    values = np.asarray(values)
    return ItemOutcomes(metric, kind, _ids(values.shape[-1]), values, reference)


def _clusters(rng, n, k_true=4, noise=0.3):
    truth = rng.integers(0, k_true, n)
    assigned = np.where(rng.random(n) < noise, rng.integers(0, k_true + 1, n), truth)
    return truth, assigned


# --- score_of -----------------------------------------------------------------------------------


def test_score_of_every_kind_matches_the_independent_metric_on_resamples():
    rng = np.random.default_rng(1)
    n = 60
    gold = rng.normal(size=n)
    sims = gold + rng.normal(size=n)
    truth, assigned = _clusters(rng, n)
    correct = (rng.random(n) < 0.7).astype(float)
    idx = rng.integers(0, n, size=(5, n))  # bootstrap rows, with repeats
    independent = {
        "mean": (_outcomes("mean", correct), lambda i: correct[i].mean()),
        "spearman": (_outcomes("spearman", sims, gold), lambda i: stats.spearmanr(sims[i], gold[i])[0]),
        "spearman with ties": (
            _outcomes("spearman", np.round(sims), np.round(gold * 2)),
            lambda i: stats.spearmanr(np.round(sims)[i], np.round(gold * 2)[i])[0],
        ),
        "pearson": (_outcomes("pearson", sims, gold), lambda i: stats.pearsonr(sims[i], gold[i])[0]),
        "v_measure": (
            _outcomes("v_measure", assigned, truth),
            lambda i: v_measure_score(truth[i], assigned[i]),
        ),
        "nmi": (
            _outcomes("nmi", assigned, truth),
            lambda i: normalized_mutual_info_score(truth[i], assigned[i]),
        ),
    }
    for kind, (outcomes, metric) in independent.items():
        assert score_of(outcomes) == pytest.approx(metric(np.arange(n)), abs=1e-12), kind
        expected = [metric(row) for row in idx]
        np.testing.assert_allclose(score_of(outcomes, idx), expected, atol=1e-12, err_msg=kind)
        assert score_of(outcomes, idx[0]) == pytest.approx(expected[0], abs=1e-12)


def test_clustering_scores_handle_one_cluster_like_scikit_learn():
    truth = np.array([0, 0, 1, 1])
    one = np.zeros(4, dtype=int)
    for kind, metric in (("v_measure", v_measure_score), ("nmi", normalized_mutual_info_score)):
        assert score_of(_outcomes(kind, one, truth)) == pytest.approx(metric(truth, one))
        assert score_of(_outcomes(kind, one, one)) == pytest.approx(metric(one, one))


def test_clustering_labels_need_not_be_integers():
    truth = np.array(["cat", "cat", "dog", "dog", "eel"])
    assigned = np.array([7, 7, 3, 9, 9])
    assert score_of(_outcomes("v_measure", assigned, truth)) == pytest.approx(v_measure_score(truth, assigned))


def test_linear_probe_score_is_the_mean_of_experiment_means_on_the_resampled_items():
    values = np.array([[1, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 0]], dtype=float)  # 3 experiments x 4
    idx = np.array([0, 0, 2, 3])
    by_hand = np.mean([row[idx].mean() for row in values])  # (4/4 + 2/4 + 3/4) / 3
    assert by_hand == pytest.approx(0.75)
    assert score_of(_outcomes("mean", values), idx) == pytest.approx(by_hand)


# --- one score's interval -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mean", "spearman"])
def test_bootstrap_interval_agrees_with_scipy_bootstrap(kind):
    rng = np.random.default_rng(2)
    n = 300
    if kind == "mean":
        values, gold = (rng.random(n) < 0.6).astype(float), None
        data, statistic = (values,), lambda x, axis: x.mean(axis=axis)
    else:
        gold = rng.normal(size=n)
        values = gold + 1.5 * rng.normal(size=n)
        data = (values, gold)

        def statistic(x, y, axis=-1):
            return stats.spearmanr(x, y)[0]

    ours = bootstrap_interval(_outcomes(kind, values, gold), n_resamples=4000, seed=3)
    theirs = stats.bootstrap(
        data,
        statistic,
        n_resamples=4000,
        method="percentile",
        paired=True,
        vectorized=kind == "mean",
        random_state=4,
    )
    se = theirs.standard_error
    assert ours.se == pytest.approx(se, rel=0.1)
    # Two Monte Carlo estimates of the same quantiles: agree to a fraction of a standard error.
    assert abs(ours.low - theirs.confidence_interval.low) < 0.2 * se
    assert abs(ours.high - theirs.confidence_interval.high) < 0.2 * se
    assert ours.low < ours.score < ours.high
    assert (ours.method, ours.n_items, ours.n_resamples) == ("percentile", n, 4000)


def test_bootstrap_interval_of_a_constant_score_is_a_point():
    interval = bootstrap_interval(_outcomes("mean", np.ones(50)), n_resamples=200)
    assert (interval.score, interval.low, interval.high, interval.se) == (1.0, 1.0, 1.0, 0.0)


def test_bootstrap_interval_is_reproducible_by_seed():
    outcomes = _outcomes("mean", np.random.default_rng(0).random(100))
    assert bootstrap_interval(outcomes, seed=7) == bootstrap_interval(outcomes, seed=7)


# --- paired tests -------------------------------------------------------------------------------


def test_mcnemar_exact_matches_statsmodels_and_a_hand_worked_case():
    # Hand-worked: 5 discordant items, all in the candidate's favour: p = 2 * (1/2)^5.
    base = np.array([0, 0, 0, 0, 0, 1, 1])
    cand = np.array([1, 1, 1, 1, 1, 1, 1])
    assert mcnemar_exact(base, cand) == pytest.approx(2 / 32)
    rng = np.random.default_rng(5)
    for _ in range(20):
        n = int(rng.integers(5, 200))
        base = (rng.random(n) < 0.6).astype(int)
        cand = np.where(rng.random(n) < 0.2, 1 - base, base)
        table = [
            [np.sum((base == 1) & (cand == 1)), np.sum((base == 1) & (cand == 0))],
            [np.sum((base == 0) & (cand == 1)), np.sum((base == 0) & (cand == 0))],
        ]
        assert mcnemar_exact(base, cand) == pytest.approx(mcnemar(table, exact=True).pvalue)


def _scipy_paired_permutation(x, y, n_resamples):
    return stats.permutation_test(
        (x, y),
        lambda a, b, axis: np.mean(a - b, axis=axis),
        permutation_type="samples",
        n_resamples=n_resamples,
        vectorized=True,
        random_state=0,
    ).pvalue


def test_sign_flip_exact_equals_scipy_permutation_test_exact():
    assert sign_flip_pvalue(np.array([1.0, 1.0, 1.0]))[0] == pytest.approx(2 / 8)  # by hand
    rng = np.random.default_rng(6)
    for _ in range(5):
        x, y = rng.normal(size=10), rng.normal(size=10) + 0.5
        ours, exact = sign_flip_pvalue(x - y, n_resamples=10_000)
        assert exact
        assert ours == pytest.approx(_scipy_paired_permutation(x, y, np.inf), abs=1e-12)


def test_sign_flip_monte_carlo_agrees_with_scipy():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=200), rng.normal(size=200) + 0.15
    ours, exact = sign_flip_pvalue(x - y, n_resamples=20_000, seed=1)
    theirs = _scipy_paired_permutation(x, y, 20_000)
    assert not exact
    assert ours == pytest.approx(theirs, abs=0.01)


def test_compare_paired_uses_mcnemar_for_accuracies_and_its_interval_matches_scipy():
    rng = np.random.default_rng(8)
    n = 400
    base = (rng.random(n) < 0.7).astype(float)
    cand = np.where(rng.random(n) < 0.15, 0.0, base)  # the candidate loses some items
    result = compare_paired(_outcomes("mean", base), _outcomes("mean", cand), n_resamples=4000)
    assert result.test == "mcnemar-exact"
    assert result.delta == pytest.approx(cand.mean() - base.mean())
    assert result.p_value == pytest.approx(mcnemar_exact(base, cand))
    theirs = stats.bootstrap(
        (base, cand),
        lambda b, c, axis: np.mean(c - b, axis=axis),
        n_resamples=4000,
        method="percentile",
        paired=True,
        random_state=1,
    )
    se = theirs.standard_error
    assert abs(result.low - theirs.confidence_interval.low) < 0.2 * se
    assert abs(result.high - theirs.confidence_interval.high) < 0.2 * se
    assert result.high < 0 and result.p_value < 0.05


def test_compare_paired_graded_metric_uses_sign_flip_with_scipy_p_value():
    rng = np.random.default_rng(9)
    base = rng.random(300)
    cand = np.clip(base + rng.normal(0, 0.1, 300) - 0.01, 0, 1)
    result = compare_paired(_outcomes("mean", base), _outcomes("mean", cand), n_permutations=20_000)
    assert result.test == "sign-flip"
    assert result.p_value == pytest.approx(_scipy_paired_permutation(cand, base, 20_000), abs=0.01)


def test_compare_paired_linear_probe_pairs_items_across_experiments():
    rng = np.random.default_rng(10)
    base = (rng.random((5, 80)) < 0.6).astype(float)
    cand = (rng.random((5, 80)) < 0.6).astype(float)
    result = compare_paired(_outcomes("mean", base), _outcomes("mean", cand), n_resamples=500)
    assert result.test.startswith("sign-flip")  # per-item experiment means are not 0/1
    assert result.delta == pytest.approx(cand.mean() - base.mean())
    assert result.n_items == 80


def test_compare_paired_spearman_interval_matches_scipy_paired_bootstrap():
    rng = np.random.default_rng(11)
    n = 250
    gold = rng.normal(size=n)
    base = gold + rng.normal(size=n)
    cand = gold + 1.3 * rng.normal(size=n)

    def delta(b, c, g, axis=-1):
        return stats.spearmanr(c, g)[0] - stats.spearmanr(b, g)[0]

    result = compare_paired(_outcomes("spearman", base, gold), _outcomes("spearman", cand, gold), n_resamples=3000)
    theirs = stats.bootstrap(
        (base, cand, gold),
        delta,
        n_resamples=3000,
        method="percentile",
        paired=True,
        vectorized=False,
        random_state=2,
    )
    se = theirs.standard_error
    assert result.test == "paired-bootstrap"
    assert result.delta == pytest.approx(delta(base, cand, gold, None))
    assert abs(result.low - theirs.confidence_interval.low) < 0.2 * se
    assert abs(result.high - theirs.confidence_interval.high) < 0.2 * se


def test_compare_paired_aligns_items_by_id_not_position():
    rng = np.random.default_rng(12)
    base_values = (rng.random(50) < 0.5).astype(float)
    cand_values = (rng.random(50) < 0.5).astype(float)
    base = _outcomes("mean", base_values)
    cand = _outcomes("mean", cand_values)
    order = rng.permutation(50)
    shuffled = ItemOutcomes("main", "mean", cand.item_ids[order], cand_values[order])
    assert compare_paired(base, shuffled) == compare_paired(base, cand)


def test_compare_paired_refuses_different_items_with_the_reason():
    base = _outcomes("mean", np.ones(4))
    other = ItemOutcomes("main", "mean", np.array(["q0", "q1", "q2", "x9"]), np.ones(4))
    with pytest.raises(OutcomesMismatchError, match=r"1 only in the base \(e\.g\. q3\).*x9"):
        compare_paired(base, other)
    with pytest.raises(OutcomesMismatchError, match="cannot compare"):
        compare_paired(base, _outcomes("mean", np.ones(4), metric="other"))
    gold = np.arange(4.0)
    with pytest.raises(OutcomesMismatchError, match="different gold"):
        compare_paired(_outcomes("spearman", gold, gold), _outcomes("spearman", gold, gold[::-1]))


def test_combine_averages_deltas_and_replicates():
    rng = np.random.default_rng(13)
    parts = [
        compare_paired(
            _outcomes("mean", (rng.random(n) < 0.5).astype(float)),
            _outcomes("mean", (rng.random(n) < 0.5).astype(float)),
            n_resamples=300,
            seed=n,
        )
        for n in (40, 90)
    ]
    whole = combine(parts)
    assert whole.delta == pytest.approx((parts[0].delta + parts[1].delta) / 2)
    np.testing.assert_allclose(whole.replicates, (parts[0].replicates + parts[1].replicates) / 2)
    assert whole.n_items == 130 and whole.low <= whole.delta <= whole.high


# --- multiple testing ---------------------------------------------------------------------------


def test_holm_and_bh_match_statsmodels():
    rng = np.random.default_rng(14)
    for _ in range(20):
        p = rng.random(int(rng.integers(1, 15))) ** 3
        p[: len(p) // 3] = p[0]  # ties
        for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
            reject, corrected, _, _ = multipletests(p, alpha=0.05, method=theirs)
            np.testing.assert_allclose(adjust_pvalues(p, ours), corrected, atol=1e-12)
            np.testing.assert_array_equal(significant(p, 0.05, ours), reject)


def test_holm_hand_worked():
    # Sorted p = 0.01, 0.02, 0.04 times 3, 2, 1 -> 0.03, 0.04, 0.04 (running max).
    np.testing.assert_allclose(adjust_pvalues([0.04, 0.01, 0.02], "holm"), [0.04, 0.03, 0.04])
    # BH: 0.04*3/3, 0.02*3/2, 0.01*3/1 -> 0.04, 0.03, 0.03 (running min from the top).
    np.testing.assert_allclose(adjust_pvalues([0.04, 0.01, 0.02], "bh"), [0.04, 0.03, 0.03])
    with pytest.raises(ValueError, match="unknown correction"):
        adjust_pvalues([0.1], "bonferroni")
