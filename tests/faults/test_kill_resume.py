"""Kill -9, Ctrl-C and two concurrent processes against ``mieb run`` on MIEB(offline).

Real processes and signals: the run is a subprocess in its own process group (DataLoader workers
included) and is killed at seeded random moments. Quick trials run by default on a subset of the
tasks at a fifth of the data; ``pytest -m faults tests/faults`` runs the 20-trial suite on every
MIEB(offline) task (a fifth of the data unless ``MIEB_FAULTS_FULL_SIZE=1``) and writes its figures
to ``$MIEB_FAULTS_REPORT`` (docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults import driver

TRIALS = 20
SIGINT_TRIALS = 5


def _undisturbed(workdir: Path, datasets: Path, tasks: tuple[str, ...]) -> tuple[dict, float]:
    cmd = driver.command(workdir / "results", workdir / "cache", datasets, tasks)
    done = driver.run(cmd, workdir)
    assert done.returncode == 0, done.output[-3000:]
    scores = driver.scores(workdir / "results")
    assert set(scores) == set(tasks)
    assert driver.leftovers(workdir / "results", workdir / "cache") == []
    return scores, done.seconds


def _assert_trial(found: driver.Trial) -> None:
    assert found.killed, f"no run of seed {found.seed} was still going when its signal came"
    assert found.unparsable_files == []
    assert found.leftovers_after_rerun == []
    assert found.recomputed_finished == []
    assert found.differing_scores == []
    assert found.rerun_returncode == 0
    assert found.interrupt_line


@pytest.fixture(scope="module")
def quick_reference(tmp_path_factory: pytest.TempPathFactory, small_offline_datasets: Path) -> tuple[dict, float]:
    return _undisturbed(tmp_path_factory.mktemp("undisturbed"), small_offline_datasets, driver.QUICK_TASKS)


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_then_resume(tmp_path: Path, small_offline_datasets: Path, quick_reference, seed: int) -> None:
    reference, duration = quick_reference
    found = driver.trial(tmp_path, small_offline_datasets, driver.QUICK_TASKS, reference, seed=seed, duration=duration)
    _assert_trial(found)


def test_ctrl_c_stops_promptly_with_a_clear_line_and_resumes(
    tmp_path: Path, small_offline_datasets: Path, quick_reference
) -> None:
    reference, duration = quick_reference
    found = driver.trial(
        tmp_path, small_offline_datasets, driver.QUICK_TASKS, reference, seed=7, duration=duration, sig=signal.SIGINT
    )
    _assert_trial(found)
    assert found.stop_seconds < 30


def _together(workdir: Path, datasets: Path, tasks: tuple[str, ...]) -> list[driver.Run]:
    """Two independent ``mieb run`` processes started together on one cache and one results folder."""
    cmd = driver.command(workdir / "results", workdir / "cache", datasets, tasks)
    logs = [workdir / f"process-{i}.txt" for i in range(2)]
    handles = [log.open("w") for log in logs]
    procs = [subprocess.Popen(cmd, cwd=workdir, stdout=h, stderr=subprocess.STDOUT) for h in handles]
    codes = [p.wait(timeout=1800) for p in procs]
    for handle in handles:
        handle.close()
    return [driver.Run(code, log.read_text(), 0.0) for code, log in zip(codes, logs, strict=True)]


def test_two_processes_on_one_cache_and_results_folder(
    tmp_path: Path, small_offline_datasets: Path, quick_reference
) -> None:
    reference, _ = quick_reference
    runs = _together(tmp_path, small_offline_datasets, driver.QUICK_TASKS)
    for done in runs:
        assert done.returncode == 0, done.output[-3000:]
    assert driver.scores(tmp_path / "results") == reference
    assert driver.leftovers(tmp_path / "results", tmp_path / "cache") == []


@pytest.fixture(scope="module")
def full_reference(tmp_path_factory: pytest.TempPathFactory, small_offline_datasets: Path) -> tuple[Path, dict, float]:
    """Every MIEB(offline) task, at a fifth of the data (``MIEB_FAULTS_FULL_SIZE=1``: all of it)."""
    datasets = driver.offline_datasets() if os.environ.get("MIEB_FAULTS_FULL_SIZE") == "1" else small_offline_datasets
    scores, seconds = _undisturbed(tmp_path_factory.mktemp("undisturbed-full"), datasets, driver.OFFLINE_TASKS)
    return datasets, scores, seconds


def _record(name: str, rows: list[dict]) -> None:
    target = os.environ.get("MIEB_FAULTS_REPORT")
    if target:
        with open(target, "a") as handle:
            handle.write(json.dumps({"fault": name, "trials": rows}) + "\n")


@pytest.mark.faults
@pytest.mark.parametrize(
    ("name", "sig", "count"), [("SIGKILL", signal.SIGKILL, TRIALS), ("SIGINT", signal.SIGINT, SIGINT_TRIALS)]
)
def test_many_kills_on_the_whole_offline_benchmark(
    tmp_path: Path, full_reference, name: str, sig: int, count: int
) -> None:
    datasets, reference, duration = full_reference
    trials = []
    # MIEB_FAULTS_FIRST_SEED=K runs seeds K..K+count-1: a suite cut short goes on where it stopped
    first = int(os.environ.get("MIEB_FAULTS_FIRST_SEED", "0"))
    for seed in range(first, first + count):
        found = driver.trial(
            tmp_path / f"trial-{seed}", datasets, driver.OFFLINE_TASKS, reference, seed=seed, duration=duration, sig=sig
        )
        trials.append({**vars(found), "ok": found.ok})
        _record(name, trials[-1:])  # one line per trial, so an interrupted suite still reports
    assert [t["seed"] for t in trials if not t["ok"]] == [], trials


@pytest.mark.faults
def test_concurrent_processes_repeatedly_on_the_whole_offline_benchmark(tmp_path: Path, full_reference) -> None:
    datasets, reference, _ = full_reference
    rows = []
    for attempt in range(3):
        workdir = tmp_path / f"attempt-{attempt}"
        workdir.mkdir()
        runs = _together(workdir, datasets, driver.OFFLINE_TASKS)
        rows.append(
            {
                "returncodes": [r.returncode for r in runs],
                "same_scores": driver.scores(workdir / "results") == reference,
                "leftovers": driver.leftovers(workdir / "results", workdir / "cache"),
            }
        )
    _record("two processes", rows)
    assert all(r["returncodes"] == [0, 0] and r["same_scores"] and not r["leftovers"] for r in rows), rows


CTRL_C_AT_TEARDOWN = """
def pytest_unconfigure(config):
    raise KeyboardInterrupt  # as a Ctrl-C landing after the last case, while pytest tears down
"""


def test_ctrl_c_after_the_last_case_gives_the_clear_line_not_a_traceback(tmp_path: Path) -> None:
    # Found by the SIGINT series: a Ctrl-C 1 s after the last case escaped pytest's own handler.
    (tmp_path / "ctrl_c_at_teardown.py").write_text(CTRL_C_AT_TEARDOWN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "harness.cli", "run", "-t", "MNISTOffline", "--results-dir", str(tmp_path / "r")]
    done = subprocess.run(
        [*cmd, "--", "--collect-only", "-q", "-p", "ctrl_c_at_teardown"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 130, done.stdout[-2000:] + done.stderr[-2000:]
    assert "mieb: interrupted; finished tasks are saved" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_driver_tells_a_landed_signal_from_a_run_that_ended_first(tmp_path: Path) -> None:
    ended_first = driver.run([sys.executable, "-c", "pass"], tmp_path, kill_after=30)
    assert not ended_first.signalled and ended_first.returncode == 0
    killed = driver.run([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, kill_after=0.5)
    assert killed.signalled and killed.returncode == -signal.SIGKILL
