"""A task's paired comparison from the outcomes saved beside two result files, and the gate's judgement.

Used by ``mieb compare`` and by ``--gate significance``. A task's score is the mean over its eval
(split, subset) cells, so its comparison combines the cells' paired comparisons (``combine``).

The significance gate fails a case when the candidate's drop is significant after correction AND
larger than a minimum effect. Default minimum effect: 0.005 (half a point of the 0-1 main score),
half the fixed gate's usual tolerance (0.01): it still catches the consistent 0.8-point drop on a
50,000-image task that the fixed gate passes, while a drop that is real but under half a point (a
precision change, another BLAS) is reported, not failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.gating.significance import OutcomesMismatchError, PairedComparison, combine, compare_paired
from harness.results.outcomes import ItemOutcomes
from harness.results.predictions import load_outcomes

DEFAULT_MIN_EFFECT = 0.005
DEFAULT_ALPHA = 0.05
SCORE_MATCH = 1e-6  # float32 metrics stored in JSON vs the same recomputed in float64

# (split, subset) -> the main metric's outcomes, or -> {metric: outcomes}; None when nothing is saved.
Loaded = Mapping[tuple[str, str], "ItemOutcomes | Mapping[str, ItemOutcomes]"]
OutcomesLoader = Callable[[Path], "Loaded | None"]


def saved_outcomes(result_path: Path) -> Loaded | None:
    """The per-item outcomes saved beside a result file, None when there are none.

    Reads them with ``harness.results.predictions.load_outcomes`` (written in the same pass as the
    result; only cells that belong to the result beside them are served).
    """
    return load_outcomes(Path(result_path))


@dataclass(frozen=True)
class TaskComparison:
    """A task's paired comparison, or why there is none."""

    comparison: PairedComparison | None
    problem: str = ""


def _main_outcomes(loaded: Loaded, cell: tuple[str, str], metric: str) -> ItemOutcomes | None:
    found = loaded.get(cell)
    if isinstance(found, Mapping):
        found = found.get(metric)
    return found


def compare_task(
    metric: str,
    cells: Sequence[tuple[str, str]],
    base_path: Path,
    candidate_path: Path,
    *,
    load: OutcomesLoader = saved_outcomes,
    n_resamples: int = 1000,
    seed: int = 0,
) -> TaskComparison:
    """Candidate minus base over the task's (split, subset) cells, from the saved outcomes."""
    sides = {"base": load(base_path), "candidate": load(candidate_path)}
    absent = [name for name, loaded in sides.items() if not loaded]
    if absent:
        return TaskComparison(None, f"no saved per-item outcomes in the {' and the '.join(absent)}")
    parts, missing = [], []
    for i, cell in enumerate(cells):
        base = _main_outcomes(sides["base"], cell, metric)
        candidate = _main_outcomes(sides["candidate"], cell, metric)
        if base is None or candidate is None:
            missing.append("/".join(c for c in cell if c != "default"))
            continue
        try:
            parts.append(compare_paired(base, candidate, n_resamples=n_resamples, seed=seed + i))
        except OutcomesMismatchError as err:
            return TaskComparison(None, f"{'/'.join(cell)}: {err}")
    if missing:
        return TaskComparison(None, f"no saved {metric} outcomes for {', '.join(missing)}")
    return TaskComparison(combine(parts))


def reproduces(comparison: PairedComparison, base: float, candidate: float) -> bool:
    """Whether the outcomes recompute the saved scores; outcomes of another run are never tested."""
    return (
        abs(comparison.base_score - base) <= SCORE_MATCH and abs(comparison.candidate_score - candidate) <= SCORE_MATCH
    )


def not_reproduced(comparison: PairedComparison) -> str:
    return (
        f"saved outcomes do not reproduce the result files' scores (outcomes give "
        f"{comparison.base_score:.6f} and {comparison.candidate_score:.6f}); not tested"
    )


@dataclass(frozen=True)
class Judgement:
    """What the significance gate says about one comparison."""

    state: str  # "regression" | "significant drop below the minimum effect" | "within noise" | "improvement"
    failed: bool
    message: str


def describe(comparison: PairedComparison) -> str:
    """delta, interval, p and n in points (x100), as the gate and the reports print them."""
    c = comparison
    return (
        f"delta {100 * c.delta:+.2f} points, 95% CI [{100 * c.low:+.2f}, {100 * c.high:+.2f}], "
        f"p={c.p_value:.3g} ({c.test}), n={c.n_items}"
    )


def judge(
    name: str,
    comparison: PairedComparison,
    *,
    threshold: float,
    min_effect: float = DEFAULT_MIN_EFFECT,
    rule: str = "",
) -> Judgement:
    """A case's verdict: fail on a drop with p <= threshold (the corrected per-test level) and
    |delta| > min_effect; anything else passes and says why."""
    c = comparison
    significant = c.p_value <= threshold
    rule = f"; significant means p <= {threshold:.3g}{f' ({rule})' if rule else ''}, min effect {min_effect:g}"
    if c.delta < 0 and significant and -c.delta > min_effect:
        state = "regression"
    elif c.delta < 0 and significant:
        state = "significant drop below the minimum effect"
    elif c.delta > 0 and significant:
        state = "improvement"
    else:
        state = "within noise"
    return Judgement(state, state == "regression", f"{name}: {state}: {describe(c)}{rule}")


def session_lines(rows: Sequence[Mapping], alpha: float, min_effect: float) -> list[str]:
    """Holm across the session's significance-gated cases, for the terminal summary.

    Each case was judged when it ran at alpha / m (Bonferroni over the m cases collected: the first,
    strictest step of Holm, so the family-wise error is at most alpha). Holm's later steps can only
    find more; the cases they would add are listed here, not failed retroactively.
    """
    from harness.gating.significance import adjust_pvalues

    tested = [r for r in rows if r.get("p_value") is not None]
    if not tested:
        return []
    adjusted = adjust_pvalues([r["p_value"] for r in tested], "holm")
    lines = [f"significance gate: {len(tested)} case(s) paired item by item; Holm-adjusted p across them:"]
    extra = []
    for row, p in sorted(zip(tested, adjusted, strict=True), key=lambda pair: pair[1]):
        low, high = (100 * v for v in row["ci"])
        lines.append(
            f"  {row['model']} {row['task']}: {row['gate']}: delta {100 * row['delta']:+.2f} points, "
            f"95% CI [{low:+.2f}, {high:+.2f}], p={row['p_value']:.3g}, p_holm={p:.3g}, n={row['n_items']}"
        )
        if p <= alpha and row["delta"] < -min_effect and row["gate"] != "regression":
            extra.append(row["task"])
    if extra:
        lines.append(f"  Holm (less strict than the per-case Bonferroni level) also flags: {', '.join(extra)}")
    return lines


@dataclass(frozen=True)
class CaseGate:
    """The significance gate's answer for one pytest case."""

    state: str  # a Judgement state, or "no outcomes"
    failed: bool
    message: str
    comparison: PairedComparison | None = None


def gate_case(
    name: str,
    metric: str,
    cells: Sequence[tuple[str, str]],
    base_path: Path,
    candidate_path: Path,
    scores: tuple[float, float],
    *,
    n_cases: int,
    alpha: float = DEFAULT_ALPHA,
    min_effect: float = DEFAULT_MIN_EFFECT,
    load: OutcomesLoader = saved_outcomes,
) -> CaseGate:
    """Judge one case against its baseline at the Bonferroni level alpha / n_cases."""
    found = compare_task(metric, cells, base_path, candidate_path, load=load)
    comparison, problem = found.comparison, found.problem
    if comparison is not None and not reproduces(comparison, *scores):
        comparison, problem = None, not_reproduced(comparison)
    if comparison is None:
        remedy = "the significance gate needs per-item outcomes on both sides (--gate tolerance gates without them)"
        return CaseGate("no outcomes", True, f"{name}: {problem}; {remedy}")
    rule = f"alpha {alpha:g} Bonferroni-corrected over {n_cases} case(s)"
    verdict = judge(f"{name} {metric}", comparison, threshold=alpha / max(n_cases, 1), min_effect=min_effect, rule=rule)
    return CaseGate(verdict.state, verdict.failed, verdict.message, comparison)
