"""Figures for ``mieb compare --plot`` (per-task deltas by type) and ``mieb report --plot`` (per-type scores)."""

from __future__ import annotations

from pathlib import Path

from harness.results.compare import Comparison
from harness.results.leaderboard import Leaderboard


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def plot_deltas(comparison: Comparison, path: Path) -> Path:
    """Horizontal bars of candidate - base per task (x100), grouped by task type; regressions in red.

    Tasks that could not be compared (missing or incomplete on a side, other data) get no bar but a grey
    cross at 0 and their status in the label, so a missing task never reads as "no change".
    Where a task has a paired comparison (saved per-item outcomes on both sides), a black whisker spans
    its 95% interval; a compared task without one says "no outcomes" in its label.
    """
    plt = _pyplot()
    tasks = sorted(comparison.tasks, key=lambda t: (t.type, t.task))
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.28 * len(tasks) + 1.2)))
    labels = [
        f"{t.type} · {t.task}"
        + (f" ({t.status[:40]})" if t.delta is None else "" if t.paired is not None else " (no outcomes)")
        for t in tasks
    ]
    for i, t in enumerate(tasks):
        if t.delta is None:
            ax.plot([0], [i], marker="x", color="grey", markersize=7)
            continue
        ax.barh(i, 100 * t.delta, color="tab:red" if t.status == "regression" else "tab:blue")
        if t.paired is not None:
            low, high = 100 * t.paired.low, 100 * t.paired.high
            ax.errorbar(
                100 * t.delta, i, xerr=[[100 * t.delta - low], [high - 100 * t.delta]], color="black", capsize=3
            )
        ax.plot([-100 * t.tolerance] * 2, [i - 0.4, i + 0.4], color="grey", linewidth=1)
    ax.set_yticks(range(len(tasks)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(
        "candidate - base (main score x100); whisker: paired 95% CI; grey tick: -tolerance; grey x: not compared"
    )
    ax.set_title(f"{comparison.candidate_model} vs {comparison.base_model}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_type_scores(board: Leaderboard, path: Path) -> Path:
    """Grouped bars: one group per task type, one bar per model (x100).

    A missing type mean gets no bar but a cross and "n/a" at its place; a mean over part of the type's
    tasks is hatched, so neither reads as a score of the whole type.
    """
    plt = _pyplot()
    types = board.task_types
    width = 0.8 / max(1, len(board.rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(types) + 2), 4))
    for i, row in enumerate(board.rows):
        colour = f"C{i % 10}"
        for k, task_type in enumerate(types):
            x, value = k + i * width, row.task_types.get(task_type)
            if value is None:
                ax.plot([x], [0], marker="x", color=colour, markersize=7, clip_on=False)
                ax.annotate("n/a", (x, 0), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=6)
                continue
            partial = not board.complete(row, task_type)
            ax.bar(x, 100 * value, width, color=colour, hatch="//" if partial else None, edgecolor="white")
        ax.bar([], [], color=colour, label=row.model)  # one legend entry per model
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(types))], types, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("mean main score x100 (hatched: part of the type's tasks; x: missing)")
    ax.set_title(f"{board.benchmark or 'all tasks'}: per-type means", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
