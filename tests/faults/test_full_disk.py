"""A full disk, simulated so that it bites as root too: ``RLIMIT_FSIZE`` in a subprocess.

Past the limit every ``write`` fails with EFBIG ("File too large"; Python ignores SIGXFSZ), as a
full disk fails it with ENOSPC, whatever the user's permissions (root ignores chmod, not rlimits).
Output goes through pipes, which the limit does not cover.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.driver import leftovers

MODEL = """
import numpy as np
from mieb_models.base import ModelMeta


class Thumbnails:
    meta = ModelMeta(name="test/thumbnails", revision="1", framework="custom", architecture="x", modalities=("image",))

    def encode_images(self, images):
        return np.stack([np.asarray(i.resize((2, 2)), dtype=np.float32).reshape(-1) for i in images])


def build():
    return Thumbnails()
"""


def _limited(max_bytes: int | None):
    def limit() -> None:
        if max_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return limit


def _pytest(workdir: Path, datasets: Path, results: Path, cache: Path, max_bytes: int | None):
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--no-progress", "--model", "thumbs:build"]
    command += ["--datasets-dir", str(datasets), "--results-dir", str(results), "--cache-dir", str(cache)]
    command += ["--task", "CIFAR10Clustering", "--reference", "off"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HF_DATASETS_CACHE": str(workdir / "hf-datasets")}
    return subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, preexec_fn=_limited(max_bytes), timeout=600
    )


def _warm_arrow_cache(datasets: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Convert the local dataset to Arrow now (as any earlier run did), so the limit hits the results only."""
    import datasets as hf

    from harness.catalogue.queries import get_task
    from harness.data.hub import DataSource

    monkeypatch.setattr(hf.config, "HF_DATASETS_CACHE", str(workdir / "hf-datasets"))
    task = get_task("CIFAR10Clustering")
    assert len(DataSource.from_env(datasets).load(task.dataset, "test", task.dataset_config)) > 0


def test_full_disk_fails_the_case_with_its_path_before_encoding_and_a_rerun_resumes(
    cifar_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "thumbs.py").write_text(MODEL)
    _warm_arrow_cache(cifar_mirror, tmp_path, monkeypatch)
    results, cache = tmp_path / "results", tmp_path / "cache"

    full = _pytest(tmp_path, cifar_mirror, results, cache, max_bytes=1)
    assert full.returncode == pytest.ExitCode.TESTS_FAILED, full.stdout[-3000:] + full.stderr[-3000:]
    assert "1 failed" in full.stdout
    folder = results / "test__thumbnails" / "1"
    assert f"cannot write results to {folder}: File too large" in full.stdout
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))  # nothing was encoded
    assert [p for p in results.rglob("*") if p.is_file()] == []  # no partial or temporary file

    rerun = _pytest(tmp_path, cifar_mirror, results, cache, max_bytes=None)
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert "1 passed" in rerun.stdout
    written = json.loads((folder / "CIFAR10Clustering.json").read_text())
    assert 0 < written["scores"]["test"][0]["main_score"] <= 1
    assert leftovers(results, cache) == []


CACHE_ON_A_FULL_DISK = """
import json, resource, sys, warnings
import numpy as np
from harness.encode.cache import CacheWriteFailed, EmbeddingCache

cache = EmbeddingCache(sys.argv[1])
key = {"model": "m", "images": "d", "n": 64}
expected = np.arange(64 * 16, dtype=np.float32).reshape(64, 16)
calls = []
def compute():
    calls.append(1)
    return expected
resource.setrlimit(resource.RLIMIT_FSIZE, (2048, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    array, hit = cache.get_or_compute(key, compute)
full = {"hit": hit, "equal": bool((array == expected).all()), "calls": len(calls),
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "files": sorted(str(p) for p in cache.root.rglob("*") if p.is_file())}
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
array, hit = cache.get_or_compute(key, compute)
again, hit_again = cache.get_or_compute(key, compute)
print(json.dumps({"full": full, "space": {"hit": hit, "hit_again": hit_again, "calls": len(calls),
                  "equal": bool((again == expected).all())}}))
"""


@pytest.mark.skipif(resource.getrlimit(resource.RLIMIT_FSIZE)[1] != resource.RLIM_INFINITY, reason="hard limit set")
def test_cache_on_a_full_disk_warns_keeps_the_result_and_leaves_no_half_entry(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CACHE_ON_A_FULL_DISK, str(tmp_path / "cache")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout)
    full = found["full"]
    assert (full["hit"], full["equal"], full["calls"]) == (False, True, 1)  # the computed array is used
    assert len(full["warnings"]) == 1 and full["warnings"][0].startswith("CacheWriteFailed: embedding cache entry")
    assert "File too large" in full["warnings"][0] and "going on without caching it" in full["warnings"][0]
    assert full["files"] == []  # no array without its record, no temporary or lock file
    # with space again: computed once more (nothing half-written was taken for an entry), then a hit
    assert found["space"] == {"hit": False, "hit_again": True, "calls": 2, "equal": True}
    assert sorted(p.suffix for p in (tmp_path / "cache").rglob("*") if p.is_file()) == [".json", ".npy"]
