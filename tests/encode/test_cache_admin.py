"""`mieb cache`: usage per model and revision, pruning by model, age and size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.encode.cache import EmbeddingCache
from harness.encode.cache_admin import parse_age, parse_size, remove, scan, select, usage

NOW = 1_800_000_000.0
DAY = 86400.0


def _fill(root: Path) -> dict[str, tuple[dict, int]]:
    """Five entries: (key, age in days) by label; array sizes differ so totals are checkable."""
    cache = EmbeddingCache(root)
    plan = {
        "a-old": ({"model": "org/a", "revision": "r1", "data": "x"}, 40, 10),
        "a-new": ({"model": "org/a", "revision": "r1", "data": "y"}, 1, 20),
        "a-r2": ({"model": "org/a", "revision": "r2", "data": "x"}, 5, 30),
        "b-mid": ({"model": "org/b", "revision": "r1", "data": "x"}, 10, 40),
        "b-new": ({"model": "org/b", "revision": "r1", "data": "y"}, 2, 50),
    }
    for key, age, rows in plan.values():
        cache.put(key, np.zeros((rows, 8), dtype=np.float32))
        path = cache.path_for(key)
        os.utime(path, (NOW - age * DAY, NOW - age * DAY))
    return {label: (key, age) for label, (key, age, _) in plan.items()}


def _on_disk(root: Path, key: dict) -> int:
    path = EmbeddingCache(root).path_for(key)
    return path.stat().st_size + path.with_suffix(".json").stat().st_size


def test_usage_per_model_and_revision_sums_the_files_on_disk(tmp_path: Path) -> None:
    plan = _fill(tmp_path)
    rows = {(r.model, r.revision): r for r in usage(scan(tmp_path))}
    assert set(rows) == {("org/a", "r1"), ("org/a", "r2"), ("org/b", "r1")}
    a1 = rows[("org/a", "r1")]
    assert a1.entries == 2
    assert a1.size == _on_disk(tmp_path, plan["a-old"][0]) + _on_disk(tmp_path, plan["a-new"][0])
    assert (a1.oldest, a1.newest) == (NOW - 40 * DAY, NOW - 1 * DAY)


def test_prune_by_model_revision_age_and_size(tmp_path: Path) -> None:
    plan = _fill(tmp_path)
    entries = scan(tmp_path)
    by_path = {EmbeddingCache(tmp_path).path_for(k): label for label, (k, _) in plan.items()}

    def labels(chosen) -> set[str]:
        return {by_path[e.array] for e in chosen}

    assert labels(select(entries, model="org/a")) == {"a-old", "a-new", "a-r2"}
    assert labels(select(entries, model="org/a", revision="r2")) == {"a-r2"}
    assert labels(select(entries, older_than=7 * DAY, now=NOW)) == {"a-old", "b-mid"}
    sizes = {by_path[e.array]: e.size for e in entries}
    limit = sizes["a-new"] + sizes["b-new"] + sizes["a-r2"]  # the three newest fit exactly
    assert labels(select(entries, max_size=limit, now=NOW)) == {"a-old", "b-mid"}
    assert labels(select(entries, max_size=limit - 1, now=NOW)) == {"a-old", "b-mid", "a-r2"}


def test_removed_entries_are_gone_and_the_rest_still_served(tmp_path: Path) -> None:
    plan = _fill(tmp_path)
    chosen = select(scan(tmp_path), model="org/b")
    freed = remove(chosen)
    assert freed == sum(e.size for e in chosen)
    cache = EmbeddingCache(tmp_path)
    assert cache.get(plan["b-mid"][0]) is None and cache.get(plan["b-new"][0]) is None
    assert cache.get(plan["a-old"][0]).shape == (10, 8)
    assert not list(tmp_path.glob("??/*.lock"))


@pytest.mark.parametrize(
    ("text", "size"), [("500M", 500 << 20), ("1.5G", 3 << 29), ("2048", 2048), ("20GiB", 20 << 30)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_ages_and_bad_values() -> None:
    assert parse_age("30d") == 30 * DAY and parse_age("12h") == 12 * 3600 and parse_age("2w") == 14 * DAY
    with pytest.raises(ValueError, match=r"e\.g\. 500M"):
        parse_size("lots")
    with pytest.raises(ValueError, match=r"e\.g\. 30d"):
        parse_age("30")


def test_mieb_cache_command_lists_and_prunes(tmp_path: Path) -> None:
    _fill(tmp_path)

    def mieb(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "harness.cli", "cache", *args, "--cache-dir", str(tmp_path)]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    listed = mieb("list")
    assert listed.returncode == 0, listed.stderr
    assert "org/a" in listed.stdout and "r2" in listed.stdout and "5 entries" in listed.stdout
    dry = mieb("prune", "--model", "org/b", "--dry-run")
    assert "would remove 2 entries" in dry.stdout and len(scan(tmp_path)) == 5
    done = mieb("prune", "--model", "org/b")
    assert "removed 2 entries" in done.stdout and len(scan(tmp_path)) == 3
    refused = mieb("prune")
    assert refused.returncode == 2 and "--model, --older-than or --max-size" in refused.stderr
