"""MIEB(offline) tasks on a real local Ray cluster (a head and two worker nodes as separate processes).

The cluster run must write the same scores as a single-process run, gate them the same way (same
failing reference cases, same exit code), resume without contacting the cluster, and survive a
worker node killed with SIGKILL mid-run with every result file written exactly once.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.ray.conftest import TASKS, mieb_run

PROGRESS = re.compile(r"^mieb ray \[(\d+)/(\d+)\] (\S+): .* wrote (.+)$", re.MULTILINE)
MODEL_DIR = "mieb__offline-clip"


def _scores(results: Path) -> dict[str, dict]:
    files = sorted(results.glob(f"{MODEL_DIR}/*/*.json"))
    return {f.stem: json.loads(f.read_text())["scores"] for f in files if f.name != "model_meta.json"}


def _failed_cases(stdout: str) -> set[str]:
    return set(re.findall(r"^FAILED \S+\[mieb/offline-clip-(\w+)\]", stdout, re.MULTILINE))


def _tally(output: str) -> str:
    """pytest's closing count line without its duration, e.g. ``2 failed, 5 passed, 141 deselected``."""
    counts = re.findall(r"^((?:\d+ [a-z]+(?:, )?)+) in [\d.]+s", output, re.MULTILINE)
    assert counts, output[-2000:]
    return counts[-1]


def _written(stdout: str) -> list[str]:
    """Task names the driver reports writing, one entry per write."""
    return [name.strip() for match in PROGRESS.finditer(stdout) for name in match.group(4).split(",")]


def test_cluster_run_equals_single_process_gates_alike_and_resumes(cluster, single_process, offline_data, tmp_path):
    single_results, single = single_process
    command = mieb_run(tmp_path / "results", offline_data, "--ray", cluster.address)

    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=900)
    output = done.stdout + done.stderr

    assert "5 encode groups (7 tasks)" in output, output[-4000:]
    assert len(PROGRESS.findall(done.stdout)) == 5  # one line per finished group
    assert sorted(_written(done.stdout)) == sorted(TASKS)  # every task file written exactly once
    assert "per-node busy time" in done.stdout
    assert _scores(tmp_path / "results") == _scores(single_results)
    assert len(_scores(single_results)) == len(TASKS)
    # The same pytest gate on top: same exit code, same failing reference cases, same summary.
    assert done.returncode == single.returncode, output[-4000:]
    assert _failed_cases(done.stdout) == _failed_cases(single.stdout)
    assert _tally(done.stdout) == _tally(single.stdout)
    assert "Mean(TaskType)" in done.stdout

    stamps = {f: f.stat().st_mtime_ns for f in (tmp_path / "results").rglob("*.json")}
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert "every selected task is finished" in again.stdout, again.stdout[-3000:]
    assert not PROGRESS.findall(again.stdout)
    assert again.stdout.count("reused") == len(TASKS)
    assert again.returncode == single.returncode
    assert {f: f.stat().st_mtime_ns for f in (tmp_path / "results").rglob("*.json")} == stamps


def test_worker_node_killed_mid_run_completes_with_each_file_written_once(
    cluster, single_process, offline_data, tmp_path
):
    single_results, single = single_process
    command = mieb_run(tmp_path / "results", offline_data, "--ray", cluster.address)
    ids = cluster.node_ids()
    assert {"worker1", "worker2"} <= set(ids), ids
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    lines, killed, victim = [], 0, ""
    for line in driver.stdout:
        lines.append(line)
        first = PROGRESS.match(line)
        if not killed and first and first.group(1) == "1":
            # Both workers started a group at once; the one that did not report this first finished
            # group is mid-group: kill that one (which of the two finishes first varies run to run).
            finished_on = first.group(3).rsplit(":", 1)[-1]
            victim = "worker1" if ids["worker2"].startswith(finished_on) else "worker2"
            killed = cluster.kill(victim)
    driver.wait(timeout=900)
    stdout = "".join(lines)
    print(stdout)  # the progress lines and busy-time table, for -s

    assert killed, f"the run never reported a finished group:\n{stdout[-4000:]}"
    assert len(PROGRESS.findall(stdout)) == 5, stdout[-4000:]
    assert not cluster.node_pids(victim)  # the node really died
    assert "will be retried" in stdout  # Ray's own report: the dead node's group ran again elsewhere
    assert sorted(_written(stdout)) == sorted(TASKS)  # none lost, none written twice
    for path in (tmp_path / "results").glob(f"{MODEL_DIR}/*/*.json"):
        json.loads(path.read_text())  # every file parses
    assert _scores(tmp_path / "results") == _scores(single_results)
    assert driver.returncode == single.returncode
    assert _failed_cases(stdout) == _failed_cases(single.stdout)
    assert _tally(stdout) == _tally(single.stdout)
