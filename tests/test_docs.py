"""The docs site's generated parts: the loader-parity table lives on the datasets page."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "scripts" / "parity" / "loaders" / "driver.py"


def _driver(monkeypatch: pytest.MonkeyPatch):
    """The driver script as a module; the ``sys.path`` entries it adds are undone after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("loader_parity_driver", DRIVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parity_table_is_rewritten_on_the_datasets_page(tmp_path, monkeypatch):
    driver = _driver(monkeypatch)
    assert driver.TABLE_PAGE == ROOT / "docs" / "datasets.md"
    text = driver.TABLE_PAGE.read_text()
    assert text.count(driver.TABLE_BEGIN) == 1 and text.count(driver.TABLE_END) == 1
    assert driver.TABLE_BEGIN not in (ROOT / "README.md").read_text()

    page = tmp_path / "datasets.md"
    shutil.copy(driver.TABLE_PAGE, page)
    driver.replace_docs_table("| task |\n|---|\n| X |\n", page)
    new = page.read_text()
    before, _, rest = new.partition(driver.TABLE_BEGIN)
    table, _, after = rest.partition(driver.TABLE_END)
    assert table == "\n| task |\n|---|\n| X |\n"
    assert before == text.partition(driver.TABLE_BEGIN)[0]
    assert after == text.partition(driver.TABLE_END)[2]
