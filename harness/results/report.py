"""Result tables: the run summary printed by pytest, and ``mieb report``'s leaderboard in four formats."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from harness.catalogue.queries import PAPER_CATEGORY_OF_TYPE
from harness.results.folders import read_results
from harness.results.leaderboard import Leaderboard, ModelRow, build_leaderboard


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
            categories[PAPER_CATEGORY_OF_TYPE.get(task_type, task_type)].extend(scores)
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


def leaderboard_lines(board: Leaderboard, fmt: str = "table", *, partial_means: bool = False) -> list[str]:
    """The summary table (rank, model, coverage, Mean(TaskType), Mean(Task), per-type means) and per-task scores.

    Coverage is found/total of the benchmark's tasks. A mean over an incomplete set (a model lacking some
    of the benchmark's tasks, or of a type's) is not shown unless ``partial_means``, and then marked ``*``.
    """
    if fmt == "json":
        return [json.dumps(_json(board, partial_means), indent=2)]

    def mean(row: ModelRow, value: float | None, task_type: str | None = None) -> str:
        if board.complete(row, task_type):
            return _pct(value)
        return f"{_pct(value)}*" if partial_means and value is not None else "-"

    header = ["model", "revision", "tasks", "Borda", "Mean(TaskType)", "Mean(Task)", *board.task_types]
    rows = []
    for r in board.rows:
        rows.append(
            [
                r.model,
                r.revision[:12] if "," not in r.revision else "mixed",
                f"{r.found}/{board.total}",
                str(r.borda_rank),
                mean(r, r.mean_task_type),
                mean(r, r.mean_task),
                *[mean(r, r.task_types.get(t), t) for t in board.task_types],
            ]
        )
    task_header = ["model", *board.tasks]
    task_rows = [[r.model, *[_pct(r.tasks.get(t)) for t in board.tasks]] for r in board.rows]
    notes = _coverage_notes(board, partial_means)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        fixed = ["model", "revision", "found", "total", "borda_rank", "mean_task_type", "mean_task"]
        writer.writerow([*fixed, *board.task_types, *board.tasks])
        for r in board.rows:
            shown = _shown_means(board, r, partial_means)
            values = [shown["mean_task_type"], shown["mean_task"], *[shown["task_types"][t] for t in board.task_types]]
            values += [r.tasks.get(t) for t in board.tasks]
            cells = ["" if v is None else repr(v) for v in values]
            writer.writerow([r.model, r.revision, r.found, board.total, r.borda_rank, *cells])
        return buffer.getvalue().splitlines()
    if fmt == "markdown":
        return [*_markdown(header, rows), "", *_markdown(task_header, task_rows), *notes]
    return [*fixed_width(header, rows), "", *fixed_width(task_header, task_rows), *notes]


def _shown_means(board: Leaderboard, row: ModelRow, partial_means: bool) -> dict:
    """The row's means, with those over an incomplete set left out unless ``partial_means``."""

    def keep(value: float | None, task_type: str | None = None) -> float | None:
        return value if partial_means or board.complete(row, task_type) else None

    return {
        "mean_task_type": keep(row.mean_task_type),
        "mean_task": keep(row.mean_task),
        "task_types": {t: keep(row.task_types.get(t), t) for t in board.task_types},
    }


def _json(board: Leaderboard, partial_means: bool) -> dict:
    data = board.to_json()
    for entry, row in zip(data["models"], board.rows, strict=True):
        entry.update(_shown_means(board, row, partial_means), complete=board.complete(row))
    return data


def _coverage_notes(board: Leaderboard, partial_means: bool) -> list[str]:
    short = [r for r in board.rows if not board.complete(r)]
    if not short:
        return []
    of = board.benchmark or "the tasks in the table"
    lacking = "; ".join(f"{r.model} has {r.found} of {board.total}" for r in short)
    if partial_means:
        return ["", f"* a mean over the tasks found only, not over {of} ({lacking})"]
    return ["", f"Means over an incomplete set are not shown ({lacking} tasks of {of}); --partial-means shows them."]


def _markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def fixed_width(header: list[str], rows: list[list[str]]) -> list[str]:
    """``header`` and ``rows`` as lines of left-aligned columns, two spaces apart."""
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    return ["  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
