"""Defects that made a run silently wrong or unrunnable; each test failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from harness.encode.cache import CacheEntryDiscarded, EmbeddingCache
from harness.results.store import read_result
from harness.results.task_result import TaskResult, write_result

ROOT = Path(__file__).resolve().parents[2]

EDITABLE_MODEL = '''
import numpy as np

CHANNEL = {channel}  # the "edit": which colour channel the embedding keeps


class Thumbnails:
    """No ModelMeta, no revision: the harness has to tell versions apart by itself."""

    def encode_images(self, images):
        rows = [np.asarray(i.resize((4, 4)), dtype=np.float32)[..., CHANNEL].reshape(-1) for i in images]
        return np.stack(rows)

    def encode_texts(self, texts):
        return np.ones((len(texts), 16), dtype=np.float32)


def build():
    return Thumbnails()
'''


def _linear_probe_run(pytester: pytest.Pytester, mirror: Path, cache: Path, results: Path) -> dict:
    result = pytester.runpytest_subprocess(
        "--model",
        "editable_model:build",
        "--datasets-dir",
        str(mirror),
        "--cache-dir",
        str(cache),
        "--results-dir",
        str(results),
        "--task",
        "CIFAR10",
        "--overwrite",
        "-p",
        "no:cacheprovider",
        "--no-progress",
    )
    result.assert_outcomes(passed=1)
    (path,) = results.glob("*/*/CIFAR10.json")
    return {"revision": path.parent.name, "scores": json.loads(path.read_text())["scores"]}


def test_edited_factory_model_gets_new_revision_and_is_not_served_from_the_old_cache(
    pytester: pytest.Pytester, cifar_mirror: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "shared-cache"  # as the default cache is shared between runs
    pytester.makepyfile(editable_model=EDITABLE_MODEL.format(channel=0))
    before = _linear_probe_run(pytester, cifar_mirror, cache, tmp_path / "results-before")
    pytester.makepyfile(editable_model=EDITABLE_MODEL.format(channel=2))
    after = _linear_probe_run(pytester, cifar_mirror, cache, tmp_path / "results-after")
    assert before["revision"] != after["revision"]
    assert before["revision"].startswith("code-")
    assert before["scores"] != after["scores"]  # the edited model's own embeddings, not the cached ones


def test_factory_revision_follows_the_weights_it_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mieb_models.registry import load_model

    (tmp_path / "weighted_model.py").write_text(
        textwrap.dedent(
            f"""
            import numpy as np

            class Projection:
                def __init__(self):
                    self.weights = np.load({str(tmp_path / "w.npy")!r})

                def encode_images(self, images):
                    return np.ones((len(images), 2), dtype=np.float32) @ self.weights

                def encode_texts(self, texts):
                    return np.ones((len(texts), 2), dtype=np.float32) @ self.weights

            def build():
                return Projection()
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    np.save(tmp_path / "w.npy", np.eye(2, dtype=np.float32))
    first = load_model("weighted_model:build").meta.revision
    again = load_model("weighted_model:build").meta.revision
    np.save(tmp_path / "w.npy", 2 * np.eye(2, dtype=np.float32))
    retrained = load_model("weighted_model:build").meta.revision
    assert first == again
    assert retrained != first


def _env_without_offline() -> dict[str, str]:
    offline = {"HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"}
    return {k: v for k, v in os.environ.items() if k not in offline}


PROBE = """
import os


def pytest_collection_finish(session):
    print("PROBE HF_HUB_OFFLINE=%s HF_DATASETS_OFFLINE=%s" % (
        os.environ.get("HF_HUB_OFFLINE"), os.environ.get("HF_DATASETS_OFFLINE")))
"""


def test_a_benchmark_run_in_the_checkout_may_use_the_hub(tmp_path: Path) -> None:
    (tmp_path / "env_probe.py").write_text(PROBE)
    env = {**_env_without_offline(), "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    common = [sys.executable, "-m", "pytest", "-p", "env_probe", "-p", "no:cacheprovider", "--co", "-q"]
    benchmark = subprocess.run(
        [*common, "-m", "lite", "--model", "clip"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "PROBE HF_HUB_OFFLINE=None HF_DATASETS_OFFLINE=None" in benchmark.stdout, benchmark.stdout[-2000:]
    own_tests = subprocess.run([*common, "tests/test_catalogue.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "PROBE HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1" in own_tests.stdout, own_tests.stdout[-2000:]


def test_the_project_tests_themselves_run_offline() -> None:
    import huggingface_hub.constants

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert huggingface_hub.constants.HF_HUB_OFFLINE


KEY = {"model": "m", "revision": "r", "images": "d@v", "n": 4}
TRUE = np.arange(8, dtype=np.float32).reshape(4, 2)


@pytest.mark.parametrize(
    "damage",
    ["zero_length", "same_size_other_values", "truncated", "garbage", "record_missing", "record_garbage"],
)
def test_damaged_cache_entry_is_discarded_with_a_warning_and_recomputed(tmp_path: Path, damage: str) -> None:
    cache = EmbeddingCache(tmp_path)
    cache.put(KEY, TRUE)
    path = cache.path_for(KEY)
    data = path.read_bytes()
    if damage == "zero_length":
        path.write_bytes(b"")
    elif damage == "same_size_other_values":
        path.write_bytes(data[: -TRUE.nbytes] + (TRUE + 1).tobytes())
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "record_missing":
        path.with_suffix(".json").unlink()
    else:
        path.with_suffix(".json").write_text("{not json")
    calls = []

    def compute() -> np.ndarray:
        calls.append(1)
        return TRUE

    with pytest.warns(CacheEntryDiscarded, match=str(path.name)):
        array, hit = cache.get_or_compute(KEY, compute)
    assert (hit, len(calls)) == (False, 1)
    np.testing.assert_array_equal(array, TRUE)
    again, hit = cache.get_or_compute(KEY, compute)  # repaired: a clean hit now
    assert hit and len(calls) == 1
    np.testing.assert_array_equal(again, TRUE)


def test_cache_leaves_no_lock_or_temporary_files(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    for n in range(5):
        cache.get_or_compute({**KEY, "entry": n}, lambda: TRUE)
    names = sorted(p.suffix for p in tmp_path.rglob("*") if p.is_file())
    assert names == [".json"] * 5 + [".npy"] * 5


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_results_and_cache_files_get_the_users_umask(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        EmbeddingCache(tmp_path / "cache").put(KEY, TRUE)
        write_result(tmp_path / "results" / "T.json", TaskResult("T", "rev", {"test": []}))
    finally:
        os.umask(previous)
    for path in [*tmp_path.rglob("*.npy"), *tmp_path.rglob("*.json")]:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path


def test_nan_scores_are_written_as_strict_json_null_and_read_back_as_nan(tmp_path: Path) -> None:
    path = tmp_path / "T.json"
    entry = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": float("nan"), "recall": float("inf")}
    write_result(path, TaskResult("T", "rev", {"test": [entry]}))

    def refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    data = json.loads(path.read_text(), parse_constant=refuse)  # what strict parsers accept
    assert data["scores"]["test"][0]["main_score"] is None
    back = read_result(path)
    assert back is not None and np.isnan(back.scores["test"][0]["main_score"])
    assert np.isnan(back.main_score())


def _mieb(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, capture_output=True, text=True)


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-progress", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


def test_missing_datasets_dir_is_one_usage_error_up_front(tmp_path: Path) -> None:
    done = _pytest("-m", "lite", "--model", "clip", "--datasets-dir", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"--datasets-dir {tmp_path / 'nowhere'}: no such directory" in done.stderr
    assert "passed" not in done.stdout and "failed" not in done.stdout


def test_remote_code_refusal_is_one_usage_error(tmp_path: Path) -> None:
    done = _pytest("-m", "lite", "--model", "jinaai/jina-clip-v1", cwd=tmp_path)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "jinaai/jina-clip-v1 runs code from its repository" in done.stderr
    assert "--trust-remote-code" in done.stderr
    assert "failed" not in done.stdout


def test_local_checkpoint_asking_for_remote_code_is_refused(tiny_clip_dir: Path, tmp_path: Path) -> None:
    import shutil

    from mieb_models.registry import RemoteCodeRefused, get_model_meta, load_model

    checkpoint = tmp_path / "asks-for-code"
    shutil.copytree(tiny_clip_dir, checkpoint)
    config = json.loads((checkpoint / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (checkpoint / "config.json").write_text(json.dumps(config))
    assert get_model_meta(str(checkpoint)).needs_remote_code
    assert not get_model_meta(str(tiny_clip_dir)).needs_remote_code
    with pytest.raises(RemoteCodeRefused, match="--trust-remote-code"):
        load_model(str(checkpoint))
    done = _pytest("--model", str(checkpoint), "--task", "CIFAR10", cwd=tmp_path)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "runs code from its repository" in done.stderr


@pytest.mark.parametrize("what", ["tasks", "models"])
def test_list_into_head_ends_quietly(tmp_path: Path, what: str) -> None:
    shell = f"{sys.executable} -m harness.cli list {what} | head -n 2"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], cwd=tmp_path, capture_output=True, text=True)
    assert len(done.stdout.splitlines()) == 2
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0
