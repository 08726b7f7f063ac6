"""The significance gate's judgement of one case, on outcomes with known differences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.gating.paired_tasks import gate_case, judge, session_lines
from harness.gating.significance import PairedComparison, score_of
from harness.results.outcomes import ItemOutcomes

CELL = [("test", "default")]


def _accuracy(n: int, correct: int, flip: int = 0, seed: int = 0) -> ItemOutcomes:
    """n items, the first ``correct`` right; ``flip`` right items turned wrong (a known drop)."""
    values = np.zeros(n)
    values[:correct] = 1
    values[np.random.default_rng(seed).choice(correct, flip, replace=False)] = 0
    return ItemOutcomes("accuracy", "mean", np.array([f"img{i}" for i in range(n)]), values)


def _gate(base: ItemOutcomes, cand: ItemOutcomes, **kwargs):
    sides = {Path("base.json"): base, Path("cand.json"): cand}
    scores = (score_of(base), 0.0 if cand is None else score_of(cand))
    return gate_case(
        "Task",
        "accuracy",
        CELL,
        Path("base.json"),
        Path("cand.json"),
        scores,
        load=lambda path: None if sides[path] is None else {CELL[0]: sides[path]},
        **{"n_cases": 1, **kwargs},
    )


def test_a_large_drop_on_many_items_fails_with_delta_interval_p_and_n():
    gate = _gate(_accuracy(5000, 4000), _accuracy(5000, 4000, flip=40))  # -0.8 points, all discordant
    assert gate.failed and gate.state == "regression"
    assert "delta -0.80 points, 95% CI [" in gate.message
    assert "p=" in gate.message and "(mcnemar-exact), n=5000" in gate.message
    assert "min effect 0.005" in gate.message


def test_the_same_drop_on_few_items_is_within_noise_and_passes_saying_so():
    # 100 items, 1 item lost: -1 point, which the fixed 0.01 tolerance would call a regression.
    gate = _gate(_accuracy(100, 80), _accuracy(100, 80, flip=1))
    assert not gate.failed and gate.state == "within noise"
    assert "delta -1.00 points" in gate.message and "p=1 (mcnemar-exact), n=100" in gate.message


def test_a_significant_drop_below_the_minimum_effect_passes():
    gate = _gate(_accuracy(50_000, 40_000), _accuracy(50_000, 40_000, flip=150))  # -0.3 points
    assert gate.state == "significant drop below the minimum effect" and not gate.failed
    assert _gate(_accuracy(50_000, 40_000), _accuracy(50_000, 40_000, flip=150), min_effect=0.002).failed


def test_an_improvement_is_reported_not_failed():
    gate = _gate(_accuracy(5000, 4000, flip=60), _accuracy(5000, 4000))
    assert gate.state == "improvement" and not gate.failed


def test_bonferroni_over_the_session_cases_raises_the_bar():
    # 8 discordant items, all lost: p = 2 / 2^8 = 0.0078; significant alone, not among 20 cases (0.0025).
    base, cand = _accuracy(1000, 800), _accuracy(1000, 800, flip=8)
    alone, among_many = _gate(base, cand), _gate(base, cand, n_cases=20)
    assert alone.failed and not among_many.failed
    assert "Bonferroni-corrected over 20 case(s)" in among_many.message


def test_without_outcomes_or_with_foreign_ones_the_gate_fails_and_says_why():
    gate = _gate(_accuracy(10, 5), None)
    assert gate.failed and gate.state == "no outcomes"
    assert "no saved per-item outcomes in the candidate" in gate.message and "--gate tolerance" in gate.message
    base, cand = _accuracy(10, 5), _accuracy(10, 6)
    foreign = gate_case(
        "Task",
        "accuracy",
        CELL,
        Path("b"),
        Path("c"),
        (0.5, 0.7),  # the result files say 0.7; these outcomes give 0.6
        n_cases=1,
        load=lambda path: {CELL[0]: base if path == Path("b") else cand},
    )
    assert foreign.failed and "do not reproduce" in foreign.message


def test_judge_states_by_hand():
    def comparison(delta: float, p: float) -> PairedComparison:
        return PairedComparison(delta, delta - 0.01, delta + 0.01, p, "sign-flip", 100, 0.5, 0.5 + delta, 1000)

    assert judge("T", comparison(-0.02, 0.01), threshold=0.05).state == "regression"
    assert judge("T", comparison(-0.02, 0.06), threshold=0.05).state == "within noise"
    assert judge("T", comparison(-0.004, 0.001), threshold=0.05).state.startswith("significant drop below")
    assert judge("T", comparison(0.02, 0.001), threshold=0.05).state == "improvement"
    assert judge("T", comparison(0.0, 1.0), threshold=0.05).state == "within noise"


def test_session_summary_applies_holm_over_the_gated_cases():
    rows = [
        {"model": "m", "task": f"T{i}", "delta": -0.02, "ci": [-0.03, -0.01], "p_value": p, "n_items": 100, "gate": g}
        for i, (p, g) in enumerate([(0.001, "regression"), (0.02, "within noise"), (0.5, "within noise")])
    ]
    lines = session_lines(rows, alpha=0.05, min_effect=0.005)
    assert "3 case(s)" in lines[0]
    assert any("T0: regression" in line and "p_holm=0.003" in line for line in lines)
    assert any("T1: within noise" in line and "p_holm=0.04" in line for line in lines)
    assert lines[-1].endswith("also flags: T1")
    assert session_lines([{"p_value": None}], 0.05, 0.005) == []


@pytest.mark.parametrize("n_cases", [0, 1])
def test_threshold_is_alpha_for_a_single_case(n_cases):
    assert "p <= 0.05 " in _gate(_accuracy(10, 5), _accuracy(10, 5), n_cases=n_cases).message
