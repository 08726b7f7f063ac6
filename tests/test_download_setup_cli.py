"""`mieb download` says what it did for every model and task; `mieb setup --check`; `mieb list models`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mieb_assets.locations import check_all, mieb_home
from tests.support.hub_cache import COMMIT, put_in_hub_cache

ASSETS = not check_all()
NPM_DIR = mieb_home() / "npm"


def mieb(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        cwd=cwd,
        timeout=300,
    )


def test_download_models_fetches_into_the_hf_cache_or_says_why_not(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "dinov2", "architectures": ["Dinov2Model"]}))
    (folder / "model.safetensors").write_bytes(b"weights")
    cache = tmp_path / "hub"
    put_in_hub_cache(cache, "myorg/cached", folder)
    done = mieb("download", "-m", "myorg/cached", "myorg/absent", "mieb/offline-clip", env={"HF_HUB_CACHE": str(cache)})
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"ok              myorg/cached: myorg/cached@{COMMIT[:12]} -> {cache}")
    assert lines[1].startswith("FAIL            myorg/absent: model myorg/absent cannot be loaded: the hub is switched")
    assert "where the hub is reachable" in lines[1]
    assert lines[2].startswith("offline-assets  mieb/offline-clip: built from installed packages")


def test_download_without_anything_to_fetch_is_a_usage_error() -> None:
    done = mieb("download")
    assert done.returncode == 2 and "-m MODEL, -t TASK or -b BENCHMARK" in done.stderr


def test_download_of_an_offline_task_without_its_assets_says_why_not(tmp_path: Path) -> None:
    done = mieb("download", "-t", "ShapesCountOffline", env={"MIEB_HOME": str(tmp_path / "empty-home")})
    assert done.returncode == 1
    assert done.stdout.startswith("NOT BUILT       ShapesCountOffline: offline assets missing")
    assert "mieb setup --check" in done.stdout


@pytest.mark.skipif(not ASSETS, reason="offline assets not installed (mieb setup)")
def test_download_builds_offline_tasks_locally_and_says_so(tmp_path: Path) -> None:
    first = mieb("download", "-t", "ShapesCountOffline", "--to", str(tmp_path / "data"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"built locally   ShapesCountOffline: mieb-offline/shapes-count -> {tmp_path}")
    again = mieb("download", "-t", "ShapesCountOffline", "--to", str(tmp_path / "data"))
    assert again.stdout.startswith("already built   ShapesCountOffline")


def test_setup_check_lists_missing_assets_and_names_the_system_packages(tmp_path: Path) -> None:
    done = mieb("setup", "--check", env={"MIEB_HOME": str(tmp_path / "empty-home")})
    assert done.returncode == 1
    assert "missing  npm package emoji-datasource-google" in done.stdout
    assert "root or sudo" in done.stdout


def test_list_models_marks_models_that_cannot_run() -> None:
    done = mieb("list", "models")
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert rows["royokong/e5-v"].endswith("[cannot run]") and rows["TIGER-Lab/VLM2Vec-Full"].endswith("[cannot run]")
    assert not rows["openai/clip-vit-base-patch16"].endswith("[cannot run]")
