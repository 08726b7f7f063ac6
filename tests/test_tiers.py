"""``mieb report --tiers``: tiers of models that paired tests cannot separate."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from harness.catalogue.queries import get_task
from harness.gating.significance import combine, compare_paired
from harness.results.outcomes import ItemOutcomes
from harness.results.tiers import build_tiers

TASKS = [get_task("STL10"), get_task("FER2013ZeroShot")]
N = 3000


def _correct(accuracy: float, seed: int) -> np.ndarray:
    """Shared item difficulty; a model is right on the easiest ``accuracy`` share plus noise."""
    difficulty = np.random.default_rng(0).random(N)
    noise = np.random.default_rng(seed).normal(0, 0.02, N)
    return (difficulty + noise < accuracy).astype(float)


MODELS = {"org/a": 0.80, "org/b": 0.797, "org/c": 0.70}


def _setup(skip: tuple[str, str] | None = None):
    results, saved = {}, {}
    for i, (model, accuracy) in enumerate(MODELS.items()):
        for j, task in enumerate(TASKS):
            path = Path(f"{model}/{task.name}.json")
            results[(model, task.name)] = SimpleNamespace(path=path)
            if (model, task.name) != skip:
                ids = np.arange(N).astype(str)
                saved[path] = {
                    ("test", "default"): ItemOutcomes("accuracy", "mean", ids, _correct(accuracy, 10 * i + j))
                }
    return results, saved


def test_close_models_share_a_tier_and_a_clearly_worse_one_gets_its_own():
    results, saved = _setup()
    tiers = build_tiers(results, TASKS, load=saved.get)
    assert [[m.model for m in tier] for tier in tiers.tiers] == [["org/a", "org/b"], ["org/c"]]
    b = tiers.tiers[0][1]
    by_hand = combine(
        [
            compare_paired(
                saved[Path(f"org/a/{t.name}.json")][("test", "default")],
                saved[Path(f"org/b/{t.name}.json")][("test", "default")],
            )
            for t in TASKS
        ]
    )
    assert b.vs_leader.delta == by_hand.delta and b.vs_leader.p_value == by_hand.p_value > tiers.threshold
    assert tiers.threshold == 0.05 / 2  # Bonferroni over the two comparisons
    text = "\n".join(tiers.lines())
    assert "tier 1: org/a" in text and "tier 2: org/c" in text


def test_tasks_without_outcomes_for_every_model_are_left_out_and_said():
    results, saved = _setup(skip=("org/c", "FER2013ZeroShot"))
    tiers = build_tiers(results, TASKS, load=saved.get)
    assert tiers.tasks == ["STL10"] and tiers.left_out == ["FER2013ZeroShot"]
    assert "not tiered (no outcomes for every model): FER2013ZeroShot" in "\n".join(tiers.lines())
    nothing = build_tiers(results, TASKS, load=lambda path: None)
    assert nothing.tiers == [] and nothing.lines()[0].startswith("tiers: not computed: STL10; FER2013ZeroShot")


def test_report_tiers_without_saved_outcomes_says_so(capsys):
    from harness.cli import main

    fixtures = Path(__file__).parent / "fixtures" / "published_results"
    assert main(["report", str(fixtures), "-b", "MIEB(lite)", "--tiers"]) == 0
    out = capsys.readouterr().out
    assert "tiers: not computed: " in out
