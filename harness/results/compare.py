"""``mieb compare BASE CAND``: per-task and per-type deltas of a candidate's results against a baseline's.

Each side is one model's results (a results root holding one model, a model folder, or a
revision folder; ``--base-model``/``--candidate-model`` pick one where there are several). A
task's score is the mean main score over its eval splits and subsets (aggregate tasks: their
``default`` cell), and only when every one of them is present: a partial result is "incomplete",
never averaged over what happens to be there. A task counts as a regression when the candidate
is below the baseline by more than the tolerance (default per family, as the pytest gate); a
baseline task the candidate lacks is a failure too. Tasks on different dataset revisions, or
whose baseline came from the mteb 1.x protocol of a task that changed, are reported, not compared.

Where both sides saved per-item outcomes, each compared task also gets its paired statistics
(``harness.gating.significance``): ``ci`` (paired-bootstrap 95% percentile interval of the delta),
``p_value`` and ``significant`` after Holm's correction across the compared tasks (or
Benjamini-Hochberg with ``correction="bh"``); likewise Mean(TaskType), corrected across types. A task
without outcomes says so (``significance`` holds the reason) and has no interval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from harness.catalogue.queries import TaskSpec, UnknownNameError, all_tasks, get_benchmark
from harness.gating.paired_tasks import (
    DEFAULT_ALPHA,
    OutcomesLoader,
    compare_task,
    not_reproduced,
    reproduces,
    saved_outcomes,
)
from harness.gating.references import dataset_revision_matches, tolerance_for
from harness.gating.significance import Correction, PairedComparison, adjust_pvalues, combine
from harness.results.folders import ResultFile, ResultsFolderError, parse_version, read_results
from harness.results.leaderboard import select_revisions
from harness.results.store import score_of, task_cells
from harness.results.task_result import SCORE_DIGITS


@dataclass
class TypeSignificance:
    """Mean(TaskType)'s paired comparison, or why there is none."""

    paired: PairedComparison | None
    note: str = ""
    p_adjusted: float | None = None
    significant: bool | None = None


@dataclass
class TaskDelta:
    task: str
    type: str
    base: float | None
    candidate: float | None
    tolerance: float
    status: str  # ok | regression | missing in candidate | not in baseline | not compared: ... | incomplete ...
    paired: PairedComparison | None = None  # from saved per-item outcomes, where both sides have them
    significance: str = ""  # why there is no paired comparison, or the significance verdict
    p_adjusted: float | None = None
    significant: bool | None = None

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.candidate is None else self.candidate - self.base

    @property
    def failed(self) -> bool:
        return self.status in ("regression", "missing in candidate") or self.status.startswith(
            "incomplete in candidate"
        )


@dataclass
class Comparison:
    base_model: str
    candidate_model: str
    benchmark: str | None
    tasks: list[TaskDelta] = field(default_factory=list)
    correction: str = "holm"
    alpha: float = DEFAULT_ALPHA
    type_paired: dict[str, TypeSignificance] = field(default_factory=dict)

    @property
    def compared(self) -> list[TaskDelta]:
        return [t for t in self.tasks if t.status in ("ok", "regression")]

    @property
    def failed(self) -> bool:
        """A regression or a missing task, or nothing compared at all (a gate never passes empty)."""
        return not self.compared or any(t.failed for t in self.tasks)

    def type_deltas(self) -> dict[str, tuple[float, float, int]]:
        """Per type: (mean base, mean candidate, tasks) over the tasks compared."""
        out: dict[str, list[TaskDelta]] = {}
        for t in self.compared:
            out.setdefault(t.type, []).append(t)
        return {
            k: (sum(t.base for t in v) / len(v), sum(t.candidate for t in v) / len(v), len(v))  # type: ignore[misc]
            for k, v in out.items()
        }

    def to_json(self) -> dict:
        return {
            "base_model": self.base_model,
            "candidate_model": self.candidate_model,
            "benchmark": self.benchmark,
            "failed": self.failed,
            "correction": _CORRECTION_NAMES[self.correction],
            "alpha": self.alpha,
            "tasks": [
                {
                    "task": t.task,
                    "type": t.type,
                    "base": t.base,
                    "candidate": t.candidate,
                    "delta": _rounded(t.delta),
                    "tolerance": t.tolerance,
                    "status": t.status,
                    **_stats_json(t.paired, t.p_adjusted, t.significant, t.significance),
                }
                for t in self.tasks
            ],
            "task_types": {
                k: {
                    "base": _rounded(b),
                    "candidate": _rounded(c),
                    "delta": _rounded(c - b),
                    "tasks": n,
                    **_stats_json(*_type_stats(self.type_paired.get(k))),
                }
                for k, (b, c, n) in self.type_deltas().items()
            },
        }


_CORRECTION_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg"}


def _type_stats(found: TypeSignificance | None) -> tuple:
    if found is None:
        return (None, None, None, "")
    return (found.paired, found.p_adjusted, found.significant, found.note)


def _stats_json(paired: PairedComparison | None, p_adjusted, is_significant, note: str) -> dict:
    if paired is None:
        return {"ci": None, "p_value": None, "p_adjusted": None, "significant": None, "significance": note}
    return {
        "ci": [paired.low, paired.high],
        "p_value": paired.p_value,
        "p_adjusted": p_adjusted,
        "significant": is_significant,
        "test": paired.test,
        "n_items": paired.n_items,
        "significance": note,
    }


def _rounded(value: float | None) -> float | None:
    """A derived score rounded as result files round theirs (no 0.30000000000000004 deltas)."""
    return None if value is None else round(value, SCORE_DIGITS)


def _one_model(folder: str | Path, model: str | None, flag: str) -> tuple[str, dict[str, ResultFile]]:
    results = read_results([folder])
    models = sorted({r.model for r in results})
    if model is None and len(models) > 1:
        raise ResultsFolderError(f"{folder} holds {len(models)} models ({', '.join(models)}); choose one with {flag}")
    model = model or models[0]
    if model not in models:
        raise ResultsFolderError(f"{folder}: {UnknownNameError('model', model, models)}")
    chosen = select_revisions([r for r in results if r.model == model])
    return model, {task: result for (_, task), result in chosen.items()}


def task_score(task: TaskSpec, result: ResultFile) -> tuple[float | None, list[str]]:
    """Mean main score over every eval (split, subset) (``store.score_of``, as run and report compute it);
    None and the missing cells when any is absent."""
    score, missing = score_of(result, task_cells(task))
    return score, [split if subset == "default" else f"{split}/{subset}" for split, subset in missing]


def compare_folders(
    base: str | Path,
    candidate: str | Path,
    *,
    benchmark: str | None = None,
    base_model: str | None = None,
    candidate_model: str | None = None,
    tolerance: float | None = None,
    correction: Correction = "holm",
    alpha: float = DEFAULT_ALPHA,
    load_outcomes: OutcomesLoader = saved_outcomes,
    n_resamples: int = 1000,
) -> Comparison:
    base_name, base_results = _one_model(base, base_model, "--base-model")
    cand_name, cand_results = _one_model(candidate, candidate_model, "--candidate-model")
    tasks = get_benchmark(benchmark).tasks if benchmark else all_tasks()
    comparison = Comparison(base_name, cand_name, benchmark, correction=correction, alpha=alpha)
    for task in tasks:
        b, c = base_results.get(task.name), cand_results.get(task.name)
        if b is None and c is None:
            continue
        tol = tolerance_for(task, tolerance)
        b_score, b_missing = task_score(task, b) if b else (None, [])
        c_score, c_missing = task_score(task, c) if c else (None, [])
        if b is None:
            status = "not in baseline"
        elif b_missing:
            status = f"incomplete in baseline (lacks {', '.join(b_missing)}); not compared"
        elif c is None:
            status = "missing in candidate"
        elif c_missing:
            status = f"incomplete in candidate (lacks {', '.join(c_missing)})"
        elif not _same_data(task, b.dataset_revision, c.dataset_revision):
            status = f"not compared: dataset revisions differ ({b.dataset_revision[:12]} vs {c.dataset_revision[:12]})"
        elif task.published_protocol_differs and _major(b) != _major(c):
            status = f"not compared: {task.published_protocol_differs}"
        else:
            status = "regression" if c_score < b_score - tol else "ok"  # type: ignore[operator]
        delta = TaskDelta(task.name, task.type, b_score, c_score, tol, status)
        if status in ("ok", "regression"):
            found = compare_task(
                task.main_score, _cells(task), b.path, c.path, load=load_outcomes, n_resamples=n_resamples
            )
            delta.paired, delta.significance = found.comparison, found.problem
            if found.comparison is not None and not reproduces(found.comparison, b_score, c_score):
                delta.paired, delta.significance = None, not_reproduced(found.comparison)
        comparison.tasks.append(delta)
    if not comparison.tasks:
        raise ResultsFolderError(f"{base} and {candidate} share no task{' of ' + benchmark if benchmark else ''}")
    _correct(comparison)
    return comparison


def _cells(task: TaskSpec) -> list[tuple[str, str]]:
    subsets = ["default"] if task.aggregate_of else list(task.subsets)
    return [(split, subset) for split in task.eval_splits for subset in subsets]


def _correct(comparison: Comparison) -> None:
    """Multiple-testing control: across the compared tasks, and separately across the task types."""
    tested = [t for t in comparison.tasks if t.paired is not None]
    adjusted = adjust_pvalues([t.paired.p_value for t in tested], comparison.correction)
    for t, p in zip(tested, adjusted, strict=True):
        t.p_adjusted, t.significant = float(p), bool(p <= comparison.alpha)
    by_type: dict[str, list[TaskDelta]] = {}
    for t in comparison.compared:
        by_type.setdefault(t.type, []).append(t)
    for name, members in by_type.items():
        lacking = [t.task for t in members if t.paired is None]
        if lacking:
            note = f"no paired comparison: {', '.join(lacking)} lack saved outcomes"
            comparison.type_paired[name] = TypeSignificance(None, note)
        else:
            comparison.type_paired[name] = TypeSignificance(combine([t.paired for t in members]))
    typed = [v for v in comparison.type_paired.values() if v.paired is not None]
    adjusted = adjust_pvalues([v.paired.p_value for v in typed], comparison.correction)
    for v, p in zip(typed, adjusted, strict=True):
        v.p_adjusted, v.significant = float(p), bool(p <= comparison.alpha)


def _same_data(task: TaskSpec, base_revision: str, candidate_revision: str) -> bool:
    if base_revision == candidate_revision:
        return True
    return dataset_revision_matches(task, base_revision) and dataset_revision_matches(task, candidate_revision)


def _major(result: ResultFile) -> int:
    version = parse_version(result.mteb_version)
    return version.major if version is not None else 1


def _pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:+.2f}" if signed else f"{100 * value:.2f}"


def comparison_lines(comparison: Comparison, fmt: str = "table") -> list[str]:
    if fmt == "json":
        return [json.dumps(comparison.to_json(), indent=2)]
    header = ["task", "type", "base", "candidate", "delta", "95% CI", "p (adj.)", "tolerance", "status"]
    rows = [
        [
            t.task,
            t.type,
            _pct(t.base),
            _pct(t.candidate),
            _pct(t.delta, True),
            *_stat_cells(t.paired, t.p_adjusted, t.significant),
            _pct(t.tolerance),
            t.status,
        ]
        for t in comparison.tasks
    ]
    type_header = ["type", "tasks", "base", "candidate", "delta", "95% CI", "p (adj.)"]
    type_rows = [
        [k, str(n), _pct(b), _pct(c), _pct(c - b, True), *_stat_cells(*_type_stats(comparison.type_paired.get(k))[:3])]
        for k, (b, c, n) in sorted(comparison.type_deltas().items())
    ]
    regressions = [t.task for t in comparison.tasks if t.failed]
    if regressions:
        verdict = f"FAILED: {len(regressions)} task(s) regressed or missing: {', '.join(regressions)}"
    elif not comparison.compared:
        verdict = "FAILED: no task could be compared"
    else:
        verdict = f"ok: {len(comparison.compared)} task(s) compared, none regressed beyond tolerance"
    title = f"{comparison.candidate_model} vs {comparison.base_model}"
    verdict += "\n" + _significance_line(comparison)
    if fmt == "markdown":
        md = [title, "", *_markdown(header, rows), "", *_markdown(type_header, type_rows), "", verdict]
        return md
    from harness.results.report import fixed_width

    return [title, *fixed_width(header, rows), "", *fixed_width(type_header, type_rows), "", verdict]


def _stat_cells(paired: PairedComparison | None, p_adjusted, is_significant) -> list[str]:
    if paired is None:
        return ["-", "no outcomes"]
    mark = " *" if is_significant else ""
    return [f"[{_pct(paired.low, True)}, {_pct(paired.high, True)}]", f"{p_adjusted:.3g}{mark}"]


def _significance_line(comparison: Comparison) -> str:
    tested = [t for t in comparison.tasks if t.paired is not None]
    untested = [t.task for t in comparison.compared if t.paired is None]
    name = _CORRECTION_NAMES[comparison.correction]
    if not tested:
        return "significance: no task has saved per-item outcomes on both sides; no interval or p-value"
    line = (
        f"significance: {len(tested)} task(s) paired item by item; * = significant at {comparison.alpha} after "
        f"{name} across tasks ({sum(bool(t.significant) for t in tested)} significant)"
    )
    if untested:
        line += f"; without saved outcomes: {', '.join(untested)}"
    return line


def _markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]
