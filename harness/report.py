"""Result tables for the terminal and markdown, with per-type means (MIEB's Mean(TaskType))."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from harness.spec import CATEGORY_OF_TYPE


def summary_lines(rows: Iterable[dict]) -> list[str]:
    """A fixed-width table: task, type, main score, reused or failed; then per-category means."""
    rows = sorted(rows, key=lambda r: (r["model"], r["type"], r["task"]))
    if not rows:
        return []
    width = max(len(r["task"]) for r in rows)
    lines = [f"{'task':<{width}}  {'type':<28} {'score':>8}  {'metric':<14} note"]
    by_model: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    current = None
    for r in rows:
        if r["model"] != current:
            current = r["model"]
            lines.append(f"-- {current}")
        note = "reused" if r.get("reused") else ""
        if r.get("reference_checked"):
            note = (note + " ref ok").strip()
        if r.get("outcome") == "failed":
            note = (note + " FAILED").strip()
        lines.append(
            f"{r['task']:<{width}}  {r['type']:<28} {100 * r['main_score']:8.2f}  {r['main_score_name']:<14} {note}"
        )
        by_model[r["model"]][r["type"]].append(r["main_score"])
    lines.append("")
    for model, types in by_model.items():
        means = {t: sum(v) / len(v) for t, v in types.items()}
        overall = sum(means.values()) / len(means) if means else math.nan
        lines.append(f"{model}: Mean(TaskType) over the {len(means)} task types run = {100 * overall:.2f}")
        categories: dict[str, list[float]] = defaultdict(list)
        for task_type, scores in types.items():
            categories[CATEGORY_OF_TYPE.get(task_type, task_type)].extend(scores)
        for category, scores in sorted(categories.items()):
            lines.append(f"    {category:<28} {100 * sum(scores) / len(scores):6.2f}  ({len(scores)} tasks)")
    return lines


def collect_results(results_dirs: Iterable) -> dict[str, dict[str, float]]:
    """``{model: {task: score}}`` from MTEB-layout folders; shards are merged, the newest file wins."""
    import json
    from pathlib import Path

    found: dict[tuple[str, str], tuple[str, float]] = {}
    for root in results_dirs:
        for path in Path(root).glob("*/*/*.json"):
            if path.name == "model_meta.json":
                continue
            try:
                data = json.loads(path.read_text())
                entries = [e["main_score"] for split in data["scores"].values() for e in split]
                entries = [math.nan if e is None else e for e in entries]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if not _covers_task(data):
                continue  # a partial file (interrupted run) is never shown as a task's score
            model = path.parent.parent.name.replace("__", "/")
            key = (model, data["task_name"])
            date = data.get("date") or ""
            if entries and (key not in found or date >= found[key][0]):
                found[key] = (date, sum(entries) / len(entries))
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for (model, task), (_, score) in found.items():
        table[model][task] = score
    return dict(table)


def _covers_task(data: dict) -> bool:
    """Whether a result file holds every eval split and subset of its task (unknown tasks: as found)."""
    from harness.spec import UnknownNameError, get_task

    try:
        task = get_task(data["task_name"])
    except (UnknownNameError, LookupError):
        return True
    subsets = ["default"] if task.aggregate_of else list(task.subsets)
    scores = data.get("scores") or {}
    return all(
        any(e.get("hf_subset") == subset for e in scores.get(split, []))
        for split in task.eval_splits
        for subset in subsets
    )


def results_table(results_dirs: Iterable, *, benchmark: str | None = None, markdown: bool = False) -> list[str]:
    """Per-model Mean(TaskType) and per-type means (x100), as the MIEB leaderboard ranks them."""
    from harness.aggregate import mean_task_type
    from harness.spec import all_tasks, get_benchmark

    tasks = get_benchmark(benchmark).tasks if benchmark else all_tasks()
    types = {t.name: t.type for t in tasks}
    table = collect_results(results_dirs)
    type_names = sorted(set(types.values()) & {types[t] for scores in table.values() for t in scores if t in types})
    header = ["model", "tasks", "Mean(TaskType)", *type_names]
    rows = []
    for model, scores in sorted(table.items()):
        scored = {t: s for t, s in scores.items() if t in types}
        if benchmark:
            summary = mean_task_type({t: scored.get(t, math.nan) for t in types}, types)
        else:
            summary = mean_task_type(scored, {t: types[t] for t in scored})
        rows.append(
            [
                model,
                f"{len(scored)}/{len(types)}",
                summary["Mean (TaskType)"],
                *[summary.get(t, math.nan) for t in type_names],
            ]
        )
    rows.sort(key=lambda r: -r[2] if not math.isnan(r[2]) else math.inf)
    cells = [[c if isinstance(c, str) else ("-" if math.isnan(c) else f"{100 * c:.2f}") for c in r] for r in rows]
    if markdown:
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
            "| " + " | ".join(r) + " |" for r in cells
        ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *cells, strict=False)]
    return ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False)) for row in [header, *cells]]
