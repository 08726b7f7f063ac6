"""Embedding cache, result files and their safety properties."""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import numpy as np
import pytest

from harness.encode.cache import EmbeddingCache
from harness.results.store import read_result
from harness.results.task_result import TaskResult, model_folder, result_path, write_result


def test_cache_round_trip_and_single_compute(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    calls = []
    key = {"model": "m", "images": "ds@rev/test", "n": 3}

    def compute() -> np.ndarray:
        calls.append(1)
        return np.arange(6, dtype=np.float32).reshape(3, 2)

    first, hit1 = cache.get_or_compute(key, compute)
    second, hit2 = cache.get_or_compute(key, compute)
    assert (hit1, hit2) == (False, True)
    assert len(calls) == 1
    np.testing.assert_array_equal(first, second)
    assert cache.get({**key, "n": 4}) is None


def test_cache_never_unpickles(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    key = {"k": 1}
    path = cache.path_for(key)
    path.parent.mkdir(parents=True)
    np.save(path, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    assert cache.get(key) is None  # object arrays need pickle: refused and recomputed


def _worker(root: str, out: str) -> None:
    import time

    cache = EmbeddingCache(root)

    def compute() -> np.ndarray:
        time.sleep(0.3)
        with open(out, "a") as handle:
            handle.write("computed\n")
        return np.ones((2, 2), dtype=np.float32)

    cache.get_or_compute({"shared": True}, compute)


def test_concurrent_workers_compute_once(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    procs = [mp.get_context("spawn").Process(target=_worker, args=(str(tmp_path / "c"), str(log))) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert log.read_text().count("computed") == 1


def test_result_json_is_mteb_shaped_and_rounded(tmp_path: Path) -> None:
    result = TaskResult(
        "CIFAR10",
        "rev1",
        {
            "test": [
                {
                    "hf_subset": "default",
                    "languages": ["eng-Latn"],
                    "main_score": 0.123456789,
                    "accuracy": 0.123456789,
                    "ap": None,
                }
            ]
        },
        1.5,
    )
    path = result_path(tmp_path, "org/model", "abc", "CIFAR10")
    write_result(path, result)
    data = json.loads(path.read_text())
    assert path == tmp_path.resolve() / "org__model" / "abc" / "CIFAR10.json"
    assert set(data) >= {"dataset_revision", "task_name", "mteb_version", "scores", "evaluation_time"}
    assert data["scores"]["test"][0]["main_score"] == 0.123457
    assert read_result(path).main_score() == pytest.approx(0.123457)
    assert not list(path.parent.glob("*.tmp"))


@pytest.mark.parametrize("name", ["../../etc", "a/../../b", "..", "/abs/path", "x\\..\\y"])
def test_model_names_never_escape_the_results_folder(tmp_path: Path, name: str) -> None:
    folder = model_folder(tmp_path, name, "../rev")
    assert tmp_path.resolve() in folder.parents


def test_unreadable_result_is_recomputed_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "half.json"
    path.write_text('{"task_name": "X", "scores": ')
    assert read_result(path) is None
