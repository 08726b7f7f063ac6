"""Result tables: the run summary printed by pytest, and ``mieb report``'s leaderboard in four formats."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from harness.catalogue.queries import CATEGORY_OF_TYPE
from harness.results.folders import read_results
from harness.results.leaderboard import Leaderboard, build_leaderboard


def summary_lines(rows: Iterable[dict]) -> list[str]:
    """A fixed-width table: task, type, main score and its 95% interval, reused or failed; then
    per-category means. A score without saved items shows ``-`` for its interval."""
    rows = sorted(rows, key=lambda r: (r["model"], r["type"], r["task"]))
    if not rows:
        return []
    width = max(len(r["task"]) for r in rows)
    lines = [f"{'task':<{width}}  {'type':<28} {'score':>8} {'95% CI':^15}  {'metric':<14} note"]
    by_model: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    current = None
    for r in rows:
        if r["model"] != current:
            current = r["model"]
            lines.append(f"-- {current}")
        note = "reused" if r.get("reused") else ""
        gate = r.get("gate") or ("ok" if r.get("reference_checked") else "")
        if gate and gate != "not checked":
            note = f"{note} gate {gate}".strip()
        if r.get("outcome") == "failed":
            note = (note + " FAILED").strip()
        lines.append(
            f"{r['task']:<{width}}  {r['type']:<28} {100 * r['main_score']:8.2f} {_ci(r.get('main_score_ci')):^15}  "
            f"{r['main_score_name']:<14} {note}"
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


def _ci(interval: list[float] | tuple[float, float] | None) -> str:
    if not interval:
        return "-"
    return f"[{100 * interval[0]:.1f}, {100 * interval[1]:.1f}]"


FORMATS = ("table", "markdown", "csv", "json")


def load_leaderboard(
    results_dirs: Iterable[str | Path], *, benchmark: str | None = None, revisions: dict | None = None
) -> Leaderboard:
    """The leaderboard of ``benchmark`` (every catalogue task when None) over results folders.

    Raises ``ResultsFolderError`` for a missing or empty folder, or when none of its results
    belongs to the benchmark.
    """
    from harness.catalogue.queries import all_tasks, get_benchmark

    tasks = get_benchmark(benchmark).tasks if benchmark else all_tasks()
    return build_leaderboard(read_results(results_dirs), tasks, benchmark=benchmark, revisions=revisions)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def leaderboard_lines(board: Leaderboard, fmt: str = "table") -> list[str]:
    """The summary table (rank, model, Mean(TaskType), Mean(Task), per-type means) and per-task scores."""
    if fmt == "json":
        return [json.dumps(board.to_json(), indent=2)]
    header = ["model", "revision", "tasks", "Borda", "Mean(TaskType)", "Mean(Task)", *board.task_types]
    rows = []
    for r in board.rows:
        done = sum(1 for v in r.tasks.values() if v is not None)
        rows.append(
            [
                r.model,
                r.revision[:12] if "," not in r.revision else "mixed",
                f"{done}/{len(board.tasks)}",
                str(r.borda_rank),
                _pct(r.mean_task_type),
                _pct(r.mean_task),
                *[_pct(r.task_types.get(t)) for t in board.task_types],
            ]
        )
    task_header = ["model", *board.tasks]
    task_rows = [[r.model, *[_pct(r.tasks.get(t)) for t in board.tasks]] for r in board.rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            ["model", "revision", "borda_rank", "mean_task_type", "mean_task", *board.task_types, *board.tasks]
        )
        for r in board.rows:
            values = [r.mean_task_type, r.mean_task, *[r.task_types.get(t) for t in board.task_types]]
            values += [r.tasks.get(t) for t in board.tasks]
            writer.writerow([r.model, r.revision, r.borda_rank, *["" if v is None else repr(v) for v in values]])
        return buffer.getvalue().splitlines()
    if fmt == "markdown":
        return [*_markdown(header, rows), "", *_markdown(task_header, task_rows)]
    return [*_fixed(header, rows), "", *_fixed(task_header, task_rows)]


def _markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _fixed(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    return ["  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
