"""``mieb report --tiers``: models grouped into tiers that paired tests cannot separate.

Over the tasks where every model saved per-item outcomes, models are ranked by their mean main
score. The best model leads tier 1; going down the ranking, a model joins the current tier when the
paired comparison of its mean score with the tier leader's (each task resampled on its own items,
tasks combined as in ``harness.gating.significance.combine``) is not significant, else it leads a
new tier. Multiplicity: Bonferroni over the (models - 1) comparisons that can be made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.catalogue.queries import TaskSpec
from harness.gating.paired_tasks import DEFAULT_ALPHA, OutcomesLoader, compare_task, saved_outcomes
from harness.gating.significance import PairedComparison, combine
from harness.results.folders import ResultFile


@dataclass(frozen=True)
class TierMember:
    model: str
    score: float  # mean main score over the tiered tasks
    vs_leader: PairedComparison | None = None  # None for a tier's leader


@dataclass
class Tiers:
    tiers: list[list[TierMember]] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # "task: reason"
    threshold: float = DEFAULT_ALPHA

    def lines(self) -> list[str]:
        if not self.tiers:
            return [f"tiers: not computed: {'; '.join(self.left_out) or 'no models'}"]
        out = [
            f"tiers over {len(self.tasks)} task(s) with saved outcomes for every model "
            f"(a tier's members are not separable from its leader at p <= {self.threshold:.3g}, Bonferroni):"
        ]
        for rank, tier in enumerate(self.tiers, 1):
            members = []
            for m in tier:
                text = f"{m.model} {100 * m.score:.2f}"
                if m.vs_leader is not None:
                    c = m.vs_leader
                    text += f" ({100 * c.delta:+.2f} [{100 * c.low:+.2f}, {100 * c.high:+.2f}], p={c.p_value:.3g})"
                members.append(text)
            out.append(f"  tier {rank}: " + "; ".join(members))
        if self.left_out:
            out.append(f"  not tiered (no outcomes for every model): {'; '.join(self.left_out)}")
        return out


def _cells(task: TaskSpec) -> list[tuple[str, str]]:
    subsets = ["default"] if task.aggregate_of else list(task.subsets)
    return [(split, subset) for split in task.eval_splits for subset in subsets]


def build_tiers(
    results: Mapping[tuple[str, str], ResultFile],
    tasks: Iterable[TaskSpec],
    *,
    alpha: float = DEFAULT_ALPHA,
    load: OutcomesLoader = saved_outcomes,
    n_resamples: int = 1000,
) -> Tiers:
    """Tiers of the models in ``results`` ((model, task) -> chosen result file)."""
    cache: dict[Path, object] = {}

    def cached(path: Path):
        if path not in cache:
            cache[path] = load(path)
        return cache[path]

    models = sorted({model for model, _ in results})
    usable: list[TaskSpec] = []
    left_out: list[str] = []
    for task in tasks:
        files = [results.get((model, task.name)) for model in models]
        if all(f is None for f in files):
            continue
        if any(f is None for f in files) or any(not cached(f.path) for f in files):
            left_out.append(task.name)
            continue
        usable.append(task)
    report = Tiers(tasks=[t.name for t in usable], left_out=left_out)
    if len(models) < 2 or not usable:
        return report
    report.threshold = alpha / (len(models) - 1)

    def versus(base: str, candidate: str) -> PairedComparison | None:
        parts = []
        for task in usable:
            found = compare_task(
                task.main_score,
                _cells(task),
                results[(base, task.name)].path,
                results[(candidate, task.name)].path,
                load=cached,
                n_resamples=n_resamples,
            )
            if found.comparison is None:
                return None
            parts.append(found.comparison)
        return combine(parts)

    # Each model's mean score, recomputed from the outcomes it is tested on.
    reference, scores = models[0], {}
    for model in models[1:]:
        comparison = versus(reference, model)
        if comparison is None:
            report.left_out.append(f"{model}: outcomes do not pair with {reference}'s")
            return Tiers(left_out=report.left_out)
        scores[model] = comparison.candidate_score
        scores[reference] = comparison.base_score
    ranked = sorted(scores, key=lambda m: -scores[m])
    leader = ranked[0]
    report.tiers.append([TierMember(leader, scores[leader])])
    for model in ranked[1:]:
        comparison = versus(leader, model)
        if comparison is not None and comparison.p_value <= report.threshold and comparison.delta < 0:
            leader = model
            report.tiers.append([TierMember(model, scores[model])])
        else:
            report.tiers[-1].append(TierMember(model, scores[model], comparison))
    return report
