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

    Where the task has a paired comparison, a black whisker spans its 95% interval; a task without
    saved outcomes has none (and its label says so).
    """
    plt = _pyplot()
    tasks = sorted(comparison.compared, key=lambda t: (t.type, t.task))
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.28 * len(tasks) + 1.2)))
    labels = [f"{t.type} · {t.task}" + ("" if t.paired else " (no outcomes)") for t in tasks]
    values = [100 * (t.delta or 0.0) for t in tasks]
    colours = ["tab:red" if t.status == "regression" else "tab:blue" for t in tasks]
    ax.barh(range(len(tasks)), values, color=colours)
    for i, t in enumerate(tasks):
        if t.paired is not None:
            ax.errorbar(
                values[i],
                i,
                xerr=[[values[i] - 100 * t.paired.low], [100 * t.paired.high - values[i]]],
                color="black",
                capsize=3,
                linewidth=1,
            )
    for i, t in enumerate(tasks):
        ax.plot([-100 * t.tolerance] * 2, [i - 0.4, i + 0.4], color="grey", linewidth=1)
    ax.set_yticks(range(len(tasks)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("candidate - base (main score x100); whisker: paired 95% CI; grey tick: -tolerance")
    ax.set_title(f"{comparison.candidate_model} vs {comparison.base_model}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_type_scores(board: Leaderboard, path: Path) -> Path:
    """Grouped bars: one group per task type, one bar per model (x100); missing types are left empty."""
    plt = _pyplot()
    types = board.task_types
    width = 0.8 / max(1, len(board.rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(types) + 2), 4))
    for i, row in enumerate(board.rows):
        xs = [k + i * width for k, t in enumerate(types) if row.task_types.get(t) is not None]
        ys = [100 * row.task_types[t] for t in types if row.task_types.get(t) is not None]
        ax.bar(xs, ys, width, label=row.model)
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(types))], types, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("mean main score x100")
    ax.set_title(f"{board.benchmark or 'all tasks'}: per-type means", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
