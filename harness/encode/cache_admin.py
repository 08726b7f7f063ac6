"""``mieb cache``: what the embedding cache holds, per model and revision, and pruning it.

Entries are found by their sidecar records (``<digest>.json`` beside ``<digest>.npy``, written by
``harness.encode.cache``), which name the model and revision in clear. Pruning removes whole
entries under their entry lock (array first, then record, so a reader meets a miss, never a
half entry) and selects by model (and revision), by age (last written) or by total size (oldest
first until the cache fits).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.encode.cache import entry_lock

UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Entry:
    """One cache entry: its array file, whose embeddings, its size on disk and when it was written."""

    array: Path
    model: str
    revision: str
    size: int  # bytes of the array and its record
    written: float  # mtime of the array (seconds since the epoch)


@dataclass(frozen=True)
class ModelUsage:
    model: str
    revision: str
    entries: int
    size: int
    oldest: float
    newest: float


def scan(root: str | Path) -> list[Entry]:
    """Every complete entry under ``root`` (an array with its record); unreadable records are skipped."""
    entries = []
    for record in sorted(Path(root).glob("??/*.json")):
        array = record.with_suffix(".npy")
        try:
            key = json.loads(record.read_text()).get("key", {})
            stat = array.stat()
            size = stat.st_size + record.stat().st_size
        except (OSError, ValueError, AttributeError):
            continue
        entries.append(Entry(array, str(key.get("model")), str(key.get("revision")), size, stat.st_mtime))
    return entries


def usage(entries: Iterable[Entry]) -> list[ModelUsage]:
    """Entries, size and age per (model, revision), largest first."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        groups.setdefault((entry.model, entry.revision), []).append(entry)
    rows = [
        ModelUsage(
            model,
            revision,
            len(group),
            sum(e.size for e in group),
            min(e.written for e in group),
            max(e.written for e in group),
        )
        for (model, revision), group in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r.size, r.model, r.revision))


def select(
    entries: list[Entry],
    *,
    model: str | None = None,
    revision: str | None = None,
    older_than: float | None = None,
    max_size: int | None = None,
    now: float | None = None,
) -> list[Entry]:
    """The entries a prune removes: those of ``model`` (and ``revision``), those written more than
    ``older_than`` seconds ago, then the oldest of the rest until the remainder fits in ``max_size``."""
    now = time.time() if now is None else now
    chosen: dict[Path, Entry] = {}
    for entry in entries:
        if model is not None and entry.model == model and revision in (None, entry.revision):
            chosen[entry.array] = entry
        if older_than is not None and now - entry.written > older_than:
            chosen[entry.array] = entry
    if max_size is not None:
        kept = sorted((e for e in entries if e.array not in chosen), key=lambda e: e.written)
        total = sum(e.size for e in kept)
        for entry in kept:
            if total <= max_size:
                break
            chosen[entry.array] = entry
            total -= entry.size
    return list(chosen.values())


def remove(entries: Iterable[Entry]) -> int:
    """Delete entries (array, then record) under their locks; bytes freed."""
    freed = 0
    for entry in entries:
        with entry_lock(entry.array.with_name(entry.array.name + ".lock")):
            for part in (entry.array, entry.array.with_suffix(".json")):
                with contextlib.suppress(FileNotFoundError):
                    part.unlink()
        freed += entry.size
    return freed


def parse_size(text: str) -> int:
    """``500M``, ``20G``, ``1.5T`` or a plain number of bytes (binary units)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([bkmgt]?)i?b?\s*", text.lower())
    if not match:
        raise ValueError(f"not a size: {text!r} (e.g. 500M, 20G, 1.5T)")
    return int(float(match.group(1)) * UNITS[match.group(2)])


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``2w``, ``90m`` (minutes) or ``45s``: seconds."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([smhdw])\s*", text.lower())
    if not match:
        raise ValueError(f"not an age: {text!r} (e.g. 30d, 12h, 2w)")
    return float(match.group(1)) * AGE_UNITS[match.group(2)]


def human(size: int) -> str:
    """A size in binary units, three significant figures."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} TiB"
