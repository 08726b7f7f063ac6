"""The package's requirements: ranges for users, exact pins only in the constraints setup and CI use."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> dict[str, str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower(): r for r in requirements}


def test_torch_is_a_range_in_the_package_and_exact_in_the_constraints():
    runtime = _names(_project()["dependencies"])
    for name in ("torch", "torchvision"):
        assert "==" not in runtime[name] and "<" in runtime[name], runtime[name]
    pins = (ROOT / "constraints.txt").read_text().split()
    assert "torch==2.14.1" in pins and "torchvision==0.29.1" in pins
    assert "-c constraints.txt" in (ROOT / "scripts" / "setup.sh").read_text()


def test_test_only_tools_are_in_the_dev_extra():
    runtime = _names(_project()["dependencies"])
    dev = _names(_project()["optional-dependencies"]["dev"])
    for tool in ("pytest-benchmark", "ruff", "pytrec-eval-terrier"):
        assert tool not in runtime and tool in dev, tool
