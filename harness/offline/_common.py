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


def _seed(name: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{BUILDER_VERSION}/{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _n(base: int, scale: float, minimum: int = 2) -> int:
    return max(minimum, round(base * scale))


def _img(image: Any) -> dict[str, Any]:
    return {"bytes": png_bytes(image), "path": None}


def _dataset(columns: dict[str, list], features: dict[str, Any]) -> Any:
    import datasets

    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))


def _pick(items: list, n: int, rng: np.random.Generator) -> list:
    """``n`` items drawn without replacement, kept in their original order."""
    if n >= len(items):
        return list(items)
    return [items[i] for i in sorted(rng.choice(len(items), size=n, replace=False))]


def _unique_by(items: list[Emoji], key: Callable[[Emoji], str]) -> list[Emoji]:
    seen: set[str] = set()
    out = []
    for item in items:
        k = key(item).casefold()
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out
