"""`pip install` of the built wheel, then `mieb` outside any checkout: the installed package has everything.

The throwaway environment is a venv that sees the test interpreter's site-packages through a
``.pth`` line (torch and the rest, already installed) but not its ``.pth`` hooks, so an editable
install of this checkout cannot stand in for the wheel.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from mieb_assets.locations import check_all, mieb_home

ROOT = Path(__file__).resolve().parents[2]
NPM_DIR = mieb_home() / "npm"


def _packages() -> list[str]:
    """The top-level packages pyproject.toml ships (so a new package cannot be left out of the wheel test)."""
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    return sorted({pattern.split(".")[0].rstrip("*") for pattern in found["include"]})


SOURCE_PARTS = ("pyproject.toml", "README.md", "constraints.txt", *_packages())


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the wheel built from this source tree; returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for part in SOURCE_PARTS:
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / part, source / part)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(source)],
        check=True,
        env=env,
        cwd=work,
    )
    wheel = next((work / "dist").glob("mieb-*.whl"))
    target = work / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    purelib = next(target.glob("lib/python*/site-packages"))
    (purelib / "shared-site.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    python = target / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        env=env,
        cwd=work,
    )
    return target / "bin"


def _run(bin_dir: Path, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd, env={**clean, **env}, timeout=500
    )


def test_the_wheel_carries_the_data_and_the_installer(installed: Path, tmp_path: Path) -> None:
    code = (
        "import harness, harness.offline.setup as s, mieb_models, mieb_tasks\n"
        "from pathlib import Path\n"
        "print(harness.__file__)\n"
        "assert s.INSTALLER.is_file()\n"
        "assert (Path(harness.__file__).parent / 'reference_data' / 'offline_scores.tsv').is_file()\n"
        "assert (Path(mieb_models.__file__).parent / 'data' / 'offline_clip_head.npy').is_file()\n"
        "assert (Path(mieb_tasks.__file__).parent / 'labels' / 'Imagenet1k_labels.txt').is_file()\n"
    )
    done = _run(installed, "python", "-c", code, cwd=tmp_path, env={})
    assert done.returncode == 0, done.stderr
    assert str(installed.parent) in done.stdout and str(ROOT) not in done.stdout  # the wheel, not this checkout


@pytest.mark.skipif(bool(check_all()), reason="offline assets not installed (mieb setup)")
def test_mieb_run_works_from_the_installed_package(installed: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "npm").symlink_to(NPM_DIR)
    env = {"MIEB_HOME": str(home), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    check = _run(installed, "mieb", "setup", "--check", cwd=tmp_path, env=env)
    assert check.returncode == 0, check.stdout
    done = _run(installed, "mieb", "run", "-t", "ShapesCountOffline", "--", "--no-progress", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout
    assert (tmp_path / "results" / "mieb__offline-clip").is_dir()
