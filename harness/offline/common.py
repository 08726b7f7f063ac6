"""Helpers shared by the offline dataset builders: seeding, sizes, PNG cells, ``datasets`` tables, sampling."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

from mieb_assets.emoji import Emoji, png_bytes
from mieb_tasks.offline import BUILDER_VERSION

# A builder's output: config name -> split name -> ``datasets.Dataset`` (what ``write_snapshot`` takes).
Configs = dict[str, dict[str, Any]]


def seeded_rng(name: str) -> np.random.Generator:
    """The builder's generator for ``name``: the same draws for the same builder version."""
    digest = hashlib.sha256(f"{BUILDER_VERSION}/{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def scaled(base: int, scale: float, minimum: int = 2) -> int:
    """``base`` items at ``scale``, never fewer than ``minimum``."""
    return max(minimum, round(base * scale))


def png_cell(image: Any) -> dict[str, Any]:
    """An ``Image`` feature cell holding ``image`` as PNG bytes."""
    return {"bytes": png_bytes(image), "path": None}


def table(columns: dict[str, list], features: dict[str, Any]) -> Any:
    """A ``datasets.Dataset`` of ``columns`` with the given features."""
    import datasets

    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))


def pick(items: list, n: int, rng: np.random.Generator) -> list:
    """``n`` items drawn without replacement, kept in their original order."""
    if n >= len(items):
        return list(items)
    return [items[i] for i in sorted(rng.choice(len(items), size=n, replace=False))]


def unique_by(items: list[Emoji], key: Callable[[Emoji], str]) -> list[Emoji]:
    """The first item of each ``key`` (compared case-insensitively), in order."""
    seen: set[str] = set()
    out = []
    for item in items:
        k = key(item).casefold()
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out
