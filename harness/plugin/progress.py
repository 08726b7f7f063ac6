"""Progress a person can follow: a line when each task starts and ends, and the session's ETA.

One object owns the state and its hooks, registered by ``harness.plugin.hooks`` on the process that
reports (the controller under xdist, which sees every worker's start and report), unregistered at
the end. The live encode bars are the engine's (tqdm), drawn on ``terminal_stream()``: the terminal
pytest found at start-up, which its output capture does not swallow.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, TextIO

import pytest

CASE_FUNCTION = "test_task["


def terminal_stream() -> TextIO | None:
    """A stream on the real terminal (a duplicate of stderr taken before pytest captures it), or None.

    Call it while output is not captured (``pytest_configure``); None when stderr is not a terminal
    (CI logs, files), so bars never fill a log.
    """
    try:
        if not os.isatty(2):
            return None
        return os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    except OSError:
        return None


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def finished_line(row: dict[str, Any]) -> str:
    """What a finished case did: model, task, items, throughput, time, reused or computed."""
    head = f"{row['model']} {row['task']}"
    if row.get("reused"):
        return f"{head}: reused ({row.get('path', 'stored result')})"
    phases = row.get("phase_seconds") or {}
    spent = sum(phases.values())
    items = int(row.get("items") or 0)
    rate = f", {items / phases['encode']:,.0f} items/s encoded" if items and phases.get("encode") else ""
    parts = ", ".join(f"{name} {value:.1f}s" for name, value in phases.items() if value >= 0.05)
    return f"{head}: computed {items:,} items in {spent:.1f}s{rate}" + (f" ({parts})" if parts else "")


class ProgressReporter:
    """Writes ``mieb [done/total] ...`` lines as cases start and end, with the session's ETA."""

    def __init__(self, write_line: Any) -> None:
        self.write_line = write_line
        self.total = 0
        self.done = 0
        self.started = time.perf_counter()
        self.known_tasks: set[str] | None = None

    def _count(self, nodeids: list[str]) -> None:
        self.total = sum(CASE_FUNCTION in nodeid for nodeid in nodeids)
        self.started = time.perf_counter()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._count([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if not self.total:  # every worker collects the same cases
            self._count(list(ids))

    def _case(self, nodeid: str) -> str | None:
        """``model task`` of a benchmark case's node id, or None for any other test."""
        if CASE_FUNCTION not in nodeid:
            return None
        params = nodeid.split(CASE_FUNCTION, 1)[1].rstrip("]")
        if self.known_tasks is None:
            from harness.catalogue.queries import all_tasks

            self.known_tasks = {t.name for t in all_tasks()}
        for task in sorted(self.known_tasks, key=len, reverse=True):  # task names may hold '-'
            if params.endswith(f"-{task}"):
                return f"{params[: -len(task) - 1]} {task}"
        return params

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        case = self._case(nodeid)
        if case is not None:
            self.write_line(f"mieb [{self.done + 1}/{self.total or '?'}] start {case}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        case = self._case(report.nodeid)
        ended = report.when == "call" or (report.when == "setup" and report.outcome != "passed")
        if case is None or not ended:
            return
        self.done += 1
        row = next((json.loads(v) for k, v in report.user_properties if k == "mieb_result"), None)
        what = finished_line(row) if row else f"{case}: {report.outcome}"
        if row and report.outcome != "passed":
            what += f" [{report.outcome}]"
        self.write_line(f"mieb [{self.done}/{self.total or '?'}] {what}{self._eta()}")

    def _eta(self) -> str:
        remaining = self.total - self.done
        if remaining <= 0 or not self.done:
            return ""
        elapsed = time.perf_counter() - self.started
        return f" | session ETA {_duration(elapsed / self.done * remaining)} ({remaining} left)"
