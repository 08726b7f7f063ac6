"""Calibration of the significance gate: false alarms, power, agreement with independent computations, speed.

Not part of the default run. Run with::

    python -m pytest benchmarks/test_significance_calibration.py -s -p no:cacheprovider

Simulation (per-item outcomes drawn directly; ``MIEB_BENCH_REPS`` scales the repetitions):

* A model is a fixed margin per test item, m_i ~ N(0.67, 1) (accuracy about 0.75); one run of it
  adds run noise e ~ N(0, 0.3) per item (another batch order, decode worker count, precision or a
  tiny embedding perturbation moves items near the decision boundary, never the model's quality);
  the item is right when m_i + e > 0. Retrieval-like graded outcomes are sigmoid(3 (m_i + e));
  visual STS is Spearman of (gold + m_i + e) with gold; clustering assigns the true cluster when
  m_i + e > 0, else the item's nearest wrong cluster.
* (a) false alarms: the same model run twice, each pair gated with ``compare_paired`` and ``judge``
  (alpha 0.05, one test). Reported: the share of p <= 0.05 (either direction; nominal 0.05), of
  "significant regression" (nominal at most 0.025), and of fixed-tolerance failures on the same pairs.
* (b) power: the candidate's margins shifted down so that its expected accuracy drops by a known
  amount; per task size, the smallest drop detected in >= 80% of repetitions by the significance
  gate (min effect 0, and the default 0.005) and by the fixed tolerance 0.01, with the tolerance's
  false-alarm rate at that size.
* (c) intervals and p-values against scipy.stats.bootstrap / permutation_test and statsmodels'
  McNemar on the same inputs; (d) speed: 10,000 items x 1,000 resamples.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from harness.gating.paired_tasks import DEFAULT_MIN_EFFECT, judge
from harness.gating.significance import bootstrap_interval, compare_paired, mcnemar_exact
from harness.results.outcomes import ItemOutcomes

REPS = int(os.environ.get("MIEB_BENCH_REPS", "400"))
ALPHA = 0.05
TOLERANCE = 0.01
RUN_NOISE = 0.3
SIZES = (100, 1_000, 10_000, 50_000)
DROPS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15)


def _ids(n: int) -> np.ndarray:
    return np.arange(n).astype(str)


def _margins(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.67, 1.0, n)


def _run(kind: str, margins: np.ndarray, rng: np.random.Generator, gold: np.ndarray | None = None) -> ItemOutcomes:
    """One run of a model (its margins) with run noise, as the kind's outcomes."""
    latent = margins + rng.normal(0, RUN_NOISE, margins.size)
    ids = _ids(margins.size)
    if kind == "accuracy":
        return ItemOutcomes("accuracy", "mean", ids, (latent > 0).astype(float))
    if kind == "graded":
        return ItemOutcomes("ndcg_at_10", "mean", ids, expit(3 * latent))
    if kind == "spearman":
        return ItemOutcomes("cosine_spearman", "spearman", ids, gold + latent, gold)
    truth = np.arange(margins.size) % 10
    assigned = np.where(latent > 0, truth, (truth + 1) % 10)
    return ItemOutcomes("nmi", "nmi", ids, assigned, truth)


def _judge(base: ItemOutcomes, cand: ItemOutcomes, min_effect: float, resamples: int = 500):
    comparison = compare_paired(base, cand, n_resamples=resamples, n_permutations=2000, seed=None)
    return comparison, judge("T", comparison, threshold=ALPHA, min_effect=min_effect)


def _rate_line(name: str, hits: int, reps: int) -> str:
    rate = hits / reps
    low, high = stats.binomtest(hits, reps).proportion_ci(0.95)
    return f"{name}: {rate:.3f} ({hits}/{reps}; 95% CI {low:.3f}-{high:.3f})"


@pytest.mark.parametrize("kind", ["accuracy", "graded", "spearman", "nmi"])
@pytest.mark.parametrize("n", [200, 2_000])
def test_false_alarms_same_model_under_run_noise(kind: str, n: int, capsys) -> None:
    margins = _margins(n, seed=n)
    gold = np.random.default_rng(1).normal(0, 1, n)
    rng = np.random.default_rng(2)
    any_direction = regression = gate_failed = tolerance_failed = 0
    for _ in range(REPS):
        base, cand = _run(kind, margins, rng, gold), _run(kind, margins, rng, gold)
        comparison, verdict = _judge(base, cand, min_effect=0.0, resamples=300)
        any_direction += comparison.p_value <= ALPHA
        regression += verdict.state == "regression"
        gate_failed += judge("T", comparison, threshold=ALPHA, min_effect=DEFAULT_MIN_EFFECT).failed
        tolerance_failed += comparison.delta < -TOLERANCE
    with capsys.disabled():
        print(f"\n(a) false alarms, {kind}, n={n}, {REPS} same-model pairs, test {comparison.test}")
        print("    " + _rate_line("p <= 0.05 (nominal 0.05)", any_direction, REPS))
        print("    " + _rate_line("significant regression (nominal <= 0.025)", regression, REPS))
        print("    " + _rate_line(f"gate fails (min effect {DEFAULT_MIN_EFFECT})", gate_failed, REPS))
        print("    " + _rate_line(f"fixed tolerance {TOLERANCE} fails", tolerance_failed, REPS))
    # Calibrated: at or below nominal, allowing the Monte Carlo error of REPS repetitions.
    assert any_direction / REPS <= ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / REPS)


def _shift_for_drop(margins: np.ndarray, drop: float) -> float:
    """The downward shift of the margins that lowers the expected accuracy by ``drop``."""

    def expected(shift: float) -> float:
        return float(stats.norm.cdf((margins - shift) / RUN_NOISE).mean())

    target = expected(0.0) - drop
    low, high = 0.0, 5.0
    for _ in range(50):
        mid = (low + high) / 2
        low, high = (mid, high) if expected(mid) > target else (low, mid)
    return (low + high) / 2


def test_power_smallest_drop_detected_by_task_size(capsys) -> None:
    reps = max(50, REPS // 2)
    rng = np.random.default_rng(3)
    lines = []
    for n in SIZES:
        margins = _margins(n, seed=n)
        detected: dict[str, float | None] = {"gate (min effect 0)": None, "gate (default)": None, "tolerance": None}
        tolerance_false_alarms = 0
        for _ in range(reps):
            base, again = _run("accuracy", margins, rng), _run("accuracy", margins, rng)
            tolerance_false_alarms += again.values.mean() - base.values.mean() < -TOLERANCE
        for drop in DROPS:
            worse = margins - _shift_for_drop(margins, drop)
            hits = {name: 0 for name in detected}
            for _ in range(reps):
                base, cand = _run("accuracy", margins, rng), _run("accuracy", worse, rng)
                delta = cand.values.mean() - base.values.mean()
                p = mcnemar_exact(base.values, cand.values)  # what compare_paired uses for 0/1 outcomes
                hits["gate (min effect 0)"] += delta < 0 and p <= ALPHA
                hits["gate (default)"] += delta < -DEFAULT_MIN_EFFECT and p <= ALPHA
                hits["tolerance"] += delta < -TOLERANCE
            for name, count in hits.items():
                if detected[name] is None and count / reps >= 0.8:
                    detected[name] = drop
        found = ", ".join(
            f"{k} {100 * v:.2f} pt" if v else f"{k} > {100 * DROPS[-1]:.0f} pt" for k, v in detected.items()
        )
        lines.append(
            f"    n={n}: smallest drop at 80% power: {found}; tolerance false alarms "
            f"{tolerance_false_alarms / reps:.3f}"
        )
    with capsys.disabled():
        print(f"\n(b) power, accuracy, {reps} repetitions per (size, drop), alpha {ALPHA}, one test")
        print("\n".join(lines))


def test_intervals_and_p_values_against_independent_computations(capsys) -> None:
    rng = np.random.default_rng(4)
    n = 1_000
    gold = rng.normal(size=n)
    rows = []
    cases = {
        "mean": ((rng.random(n) < 0.7).astype(float), None, lambda x, axis=-1: x.mean(axis=axis)),
        "spearman": (gold + rng.normal(size=n), gold, lambda x, y, axis=-1: stats.spearmanr(x, y)[0]),
    }
    for kind, (values, reference, statistic) in cases.items():
        ours = bootstrap_interval(ItemOutcomes("m", kind, _ids(n), values, reference), n_resamples=5000, seed=5)
        data = (values,) if reference is None else (values, reference)
        theirs = stats.bootstrap(
            data, statistic, n_resamples=5000, method="percentile", paired=True, vectorized=kind == "mean", rng=6
        )
        se = theirs.standard_error
        rows.append(
            f"    {kind}: SE ours {ours.se:.5f} vs scipy {se:.5f}; interval ends differ by "
            f"{abs(ours.low - theirs.confidence_interval.low) / se:.3f} and "
            f"{abs(ours.high - theirs.confidence_interval.high) / se:.3f} SE"
        )
    base = (rng.random(n) < 0.7).astype(float)
    cand = np.where(rng.random(n) < 0.05, 1 - base, base)
    from statsmodels.stats.contingency_tables import mcnemar

    table = [[np.sum((base == i) & (cand == j)) for j in (1, 0)] for i in (1, 0)]
    rows.append(
        f"    McNemar exact: ours {mcnemar_exact(base, cand):.6f}, statsmodels {mcnemar(table, exact=True).pvalue:.6f}"
    )
    graded_base, graded_cand = rng.random(n), rng.random(n)
    ours = compare_paired(
        ItemOutcomes("m", "mean", _ids(n), graded_base),
        ItemOutcomes("m", "mean", _ids(n), graded_cand),
        n_permutations=20_000,
    )
    theirs = stats.permutation_test(
        (graded_cand, graded_base),
        lambda a, b, axis: np.mean(a - b, axis=axis),
        permutation_type="samples",
        n_resamples=20_000,
        vectorized=True,
        rng=7,
    ).pvalue
    rows.append(f"    sign-flip p: ours {ours.p_value:.4f}, scipy.stats.permutation_test {theirs:.4f}")
    with capsys.disabled():
        print(f"\n(c) against independent computations, n={n}")
        print("\n".join(rows))


def test_speed_10k_items_1k_resamples(benchmark, capsys) -> None:
    rng = np.random.default_rng(8)
    n = 10_000
    accuracy = ItemOutcomes("m", "mean", _ids(n), (rng.random(n) < 0.7).astype(float))
    linear_probe = ItemOutcomes("m", "mean", _ids(n), (rng.random((10, n)) < 0.7).astype(float))
    gold = rng.normal(size=n)
    spearman = ItemOutcomes("m", "spearman", _ids(n), gold + rng.normal(size=n), gold)
    truth = rng.integers(0, 100, n)
    nmi = ItemOutcomes("m", "nmi", _ids(n), np.where(rng.random(n) < 0.3, rng.integers(0, 100, n), truth), truth)
    benchmark.pedantic(bootstrap_interval, args=(accuracy,), rounds=5, iterations=1)
    timings = {}
    for name, outcomes in {
        "linear probe (10 x n)": linear_probe,
        "spearman": spearman,
        "nmi (100 classes)": nmi,
    }.items():
        start = time.perf_counter()
        bootstrap_interval(outcomes)
        timings[name] = time.perf_counter() - start
    start = time.perf_counter()
    compare_paired(accuracy, ItemOutcomes("m", "mean", _ids(n), (rng.random(n) < 0.7).astype(float)))
    timings["paired accuracy (interval + McNemar)"] = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n(d) speed, {n} items x 1000 resamples: mean {benchmark.stats.stats.mean:.3f} s")
        for name, seconds in timings.items():
            print(f"    {name}: {seconds:.3f} s")
