"""The fault suite: its quick trials run by default; the ``faults``-marked trials only on ``-m faults``."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "faults" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="20-trial fault suite: run with `pytest -m faults tests/faults`")
    for item in items:
        if item.get_closest_marker("faults") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def small_offline_datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MIEB(offline) at a fifth of its size: the same tasks and loaders, seconds per run."""
    from tests.faults.driver import requires_offline_assets

    requires_offline_assets()
    from harness.offline.build import build_offline_datasets

    return build_offline_datasets(tmp_path_factory.mktemp("offline-small"), progress=False, scale=0.2)
