"""A model that cannot load fails once, clearly, and is never loaded again in the session."""

from __future__ import annotations

from pathlib import Path

import pytest

BROKEN_FACTORY = """
from pathlib import Path


def broken():
    counter = Path(__file__).with_name("loads.txt")
    counter.write_text(str(int(counter.read_text() or 0) + 1) if counter.exists() else "1")
    raise RuntimeError("weights file is corrupt")
"""

TRIO = ["--task", "CIFAR10ZeroShot", "--task", "CIFAR10", "--task", "CIFAR10Clustering"]


def _run(pytester: pytest.Pytester, tmp_path: Path, model: str, *extra: str):
    return pytester.runpytest_subprocess(
        "--model",
        model,
        *TRIO,
        "--results-dir",
        str(tmp_path / "results"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rfs",
        *extra,
    )


def test_a_load_error_of_unknown_cause_fails_one_case_with_its_traceback_and_is_not_retried(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(fake_models=BROKEN_FACTORY)
    result = _run(pytester, tmp_path, "fake_models:broken")
    result.assert_outcomes(failed=1, skipped=2)
    assert (pytester.path / "loads.txt").read_text() == "1"
    assert result.stdout.str().count("E       RuntimeError: weights file is corrupt") == 1  # one traceback
    result.stdout.fnmatch_lines(["SKIPPED [[]2[]] *model fake_models:broken did not load (its first case failed*"])


def test_a_hub_model_missing_offline_is_one_short_message(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = _run(pytester, tmp_path, "myorg/never-downloaded")
    result.assert_outcomes(failed=1, skipped=2)
    output = result.stdout.str()
    # once in the failure (pytest's summary line repeats it, in full where CI is set)
    body = "\n".join(line for line in output.splitlines() if not line.startswith("FAILED "))
    assert "Traceback" not in output and body.count("cannot be loaded:") == 1
    result.stdout.fnmatch_lines(
        [
            "*model myorg/never-downloaded cannot be loaded: the hub is switched off (HF_HUB_OFFLINE=1) and its "
            "files are not in the local HF cache. Run `mieb download -m myorg/never-downloaded`*",
        ]
    )
    assert len(output.splitlines()) < 30, output


def test_a_model_that_cannot_run_is_skipped_with_the_reason_never_loaded(pytester: pytest.Pytester, tmp_path: Path):
    result = _run(pytester, tmp_path, "royokong/e5-v")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(["SKIPPED [[]3[]] *royokong/e5-v cannot run: no wrapper loads it yet*"])


def test_model_revision_reaches_the_models_and_is_refused_for_local_ones(pytester: pytest.Pytester, tiny_clip_dir):
    commit = "0" * 40
    pinned = pytester.runpytest("--co", "-q", "--model", "clip", "--model-revision", commit, "--task", "CIFAR10")
    pinned.stdout.fnmatch_lines(["*1/* tests collected*"])
    local = pytester.runpytest("--co", "-q", "--model", str(tiny_clip_dir), "--model-revision", "main")
    local.stderr.fnmatch_lines(
        ["*--model *: * is not a hub model: a revision (--model-revision) applies to hub models only*"]
    )
    assert local.ret == pytest.ExitCode.USAGE_ERROR


BROKEN_FACTORY_PER_PROCESS = """
import os
from pathlib import Path


def broken():
    with (Path(__file__).parent / f"load-{os.getpid()}.txt").open("a") as tries:
        tries.write("tried\\n")
    raise RuntimeError("weights file is corrupt")
"""


def test_under_xdist_each_worker_tries_the_load_once(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """``-n 2``: the failure is remembered per worker, so at most one load (and one failure) per worker."""
    pytester.makepyfile(fake_models=BROKEN_FACTORY_PER_PROCESS)
    result = _run(pytester, tmp_path, "fake_models:broken", "-n", "2")  # the three CIFAR10 cases
    outcomes = result.parseoutcomes()
    attempts = {p.name: p.read_text().count("tried") for p in pytester.path.glob("load-*.txt")}
    assert 1 <= len(attempts) <= 2 and set(attempts.values()) == {1}, attempts  # one try per worker process
    assert outcomes.get("failed", 0) == len(attempts), outcomes  # each try fails one case, with its cause
    assert outcomes.get("failed", 0) + outcomes.get("skipped", 0) == 3, outcomes  # the rest skip, none load again
    assert result.stdout.str().count("RuntimeError: weights file is corrupt") >= 1
