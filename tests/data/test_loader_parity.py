"""Loader parity: every task's inputs through mieb's views equal those of the reference's own loader.

Runs ``scripts/parity/loaders/driver.py`` when ``MIEB_MTEB1_PYTHON`` points at a python with mteb
1.39.7 (``bash scripts/parity/side_env.sh mteb1 DIR``); ``MIEB_MTEB_GIT`` (a clone of mteb) adds the
tasks pinned by the pre-release MIEB code. About a minute on 2 CPUs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).resolve().parents[2] / "scripts" / "parity" / "loaders" / "driver.py"
MTEB1_PYTHON = os.environ.get("MIEB_MTEB1_PYTHON")
MTEB_GIT = os.environ.get("MIEB_MTEB_GIT")
MTEB2_PYTHON = os.environ.get("MIEB_MTEB_PYTHON")


def _driver_module():
    sys.path.insert(0, str(DRIVER.parent))
    try:
        import driver

        return driver
    finally:
        sys.path.remove(str(DRIVER.parent))


def test_comparison_finds_reordered_rows_changed_labels_and_missing_candidates() -> None:
    first_difference = _driver_module().first_difference
    ours = {"test/default": {"images": [1, 2, 3], "labels": [0, 1, 1], "candidates": {"q": ["a", "b"]}}}
    assert first_difference(ours, json.loads(json.dumps(ours))) is None
    reordered = {"test/default": {**ours["test/default"], "images": [2, 1, 3]}}
    assert "images[0]" in first_difference(ours, reordered)
    relabelled = {"test/default": {**ours["test/default"], "labels": [0, 1, 0]}}
    assert "labels[2]" in first_difference(ours, relabelled)
    unmasked = {"test/default": {**ours["test/default"], "candidates": None}}
    assert "candidates" in first_difference(ours, unmasked)
    assert "keys only in mieb" in first_difference(ours, {"train/default": ours["test/default"]})


def test_a_relative_side_interpreter_starts_from_the_work_folder(tmp_path: Path, monkeypatch) -> None:
    """The side interpreter runs with the work folder as its current directory: a relative path given
    on the command line (``--mteb1 .mteb1/bin/python``) must still name the caller's interpreter."""
    side_interpreter = _driver_module().side_interpreter
    caller, work = tmp_path / "caller", tmp_path / "work"
    (caller / ".mteb1" / "bin").mkdir(parents=True)
    work.mkdir()
    link = caller / ".mteb1" / "bin" / "python"
    link.symlink_to(sys.executable)
    monkeypatch.chdir(caller)
    relative = os.path.join(".mteb1", "bin", "python")
    with pytest.raises(FileNotFoundError):
        subprocess.run([relative, "-c", "pass"], cwd=work, check=True)
    python = side_interpreter(relative)
    assert python == str(link)  # absolute, and not resolved past the venv's symlink
    assert subprocess.run([python, "-c", "print(7)"], cwd=work, capture_output=True, text=True).stdout == "7\n"
    assert side_interpreter("python3") == "python3"  # a bare name is left to PATH


def test_summary_names_aggregates_apart_from_identical_tasks() -> None:
    summary = _driver_module().summary
    assert summary({"identical": 128, "aggregate": 4}) == (
        "128 identical, 4 aggregates (read through their raw task) of 132 tasks"
    )


def test_the_revision_each_reference_loader_asks_for_is_checked_against_the_catalogue() -> None:
    from harness.catalogue.queries import all_tasks, get_task
    from harness.data.fingerprints import fingerprint
    from harness.data.sources import reference_pins_revision

    driver = _driver_module()
    unpinned = [t for t in all_tasks() if "MIEB(offline)" not in t.benchmarks and not reference_pins_revision(t)]
    # mteb 1.x's BEIR layout: 39 retrieval tasks and the two BLINK multiple-choice ones; all fingerprinted
    assert len(unpinned) == 41 and {t.family for t in unpinned} == {"retrieval", "vision_qa"}
    assert all(fingerprint(t) is not None for t in unpinned)
    webqa, cifar = get_task("WebQAT2ITRetrieval"), get_task("CIFAR10")
    inputs = {"test/default": {"labels": [0]}}

    def record(task, revision):
        return {"pinned": {"revision": task.dataset.revision}, "calls": [{"revision": revision}], "inputs": inputs}

    assert driver.compare_task(webqa, inputs, record(webqa, None)) == ("identical", "")
    assert driver.compare_task(webqa, inputs, record(webqa, webqa.dataset.revision))[0] == "differs"
    assert driver.compare_task(cifar, inputs, record(cifar, cifar.dataset.revision)) == ("identical", "")
    status, note = driver.compare_task(cifar, inputs, record(cifar, None))
    assert status == "differs" and "['None']" in note
    assert driver.revision_origin(webqa) == "mieb's (the reference read HEAD); fingerprinted"
    assert driver.revision_origin(cifar) == "the reference's"
    assert "loading script" in driver.reference_loader(get_task("VOC2007"))


@pytest.mark.skipif(
    not MTEB1_PYTHON, reason="set MIEB_MTEB1_PYTHON to a python with mteb 1.39.7 (scripts/parity/side_env.sh)"
)
def test_every_task_reads_what_the_reference_loader_reads(tmp_path: Path) -> None:
    command = [sys.executable, str(DRIVER), "--mteb1", MTEB1_PYTHON, "--work", str(tmp_path)]
    if MTEB_GIT:
        command += ["--mteb-git", MTEB_GIT]
    if MTEB2_PYTHON:  # adds the mteb 2.26.24 comparison (and proves the tasks read from 2.x copies)
        command += ["--mteb2", MTEB2_PYTHON]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    rows = json.loads((tmp_path / "loader_parity.json").read_text())["tasks"]
    assert len(rows) == 132
    statuses = {name: row["status"] for name, row in rows.items()}
    allowed = {"identical", "aggregate", "source differs"} | (set() if MTEB_GIT else {"not proven"})
    assert set(statuses.values()) <= allowed, {n: s for n, s in statuses.items() if s not in allowed}
    # what may be other than identical is exactly what the catalogue says reads another source
    from harness.catalogue.queries import get_task

    for name, status in statuses.items():
        task = get_task(name)
        if not task.follows_mteb1:  # read from the 2.x copy: proven against 2.26.24 when it is there
            assert status == ("identical" if MTEB2_PYTHON else "source differs"), name
        assert (status == "aggregate") == (task.aggregate_of is not None), name
    assert sum(s == "identical" for s in statuses.values()) >= (123 if MTEB_GIT else 106) + (5 if MTEB2_PYTHON else 0)
    if MTEB2_PYTHON:
        assert sum(row.get("mteb2") == "identical" for row in rows.values()) == 50
    # the content-fingerprint counts mieb takes of each snapshot are the reference's own statistics of it
    counted = {name: row["counts"] for name, row in rows.items() if "counts" in row}
    # the four pre-release meme tasks and four ViDoRe tables run the pre-release loaders, without statistics code
    assert len(counted) == 115 and all(c == "identical" for c in counted.values()), counted
    if MTEB2_PYTHON:
        counted2 = {name: row["mteb2_counts"] for name, row in rows.items() if "mteb2_counts" in row}
        assert len(counted2) == 50
        # mteb 2.26.24's zero-shot statistics read the image column as text for tasks listing their
        # modalities as ["text", "image"]; those cannot be computed, every other one must agree
        assert all(c == "identical" or c.startswith("not computable") for c in counted2.values()), counted2
        assert sum(c == "identical" for c in counted2.values()) >= 41
