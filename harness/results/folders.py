"""Reading results folders in the MTEB layout, whichever mteb version wrote them.

A results folder is ``<root>/<org>__<model>/<revision>/<Task>.json`` (plus ``model_meta.json``).
Files come from mteb 1.x (no ``date``, sometimes no ``mteb_version``), mteb 2.x (``date`` as an
epoch float) or this project (``date`` as an ISO string); all read the same here. The model's
name and revision come from ``model_meta.json`` when present, else from the folder names, as in
mteb's ``ResultCache``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from harness.files import read_regular_bytes
from harness.results.store import InvalidResultFile, load_json
from harness.results.task_result import MIEB_BLOCK, MODEL_META_FILE

NO_REVISION_NAMES = frozenset({"", "no_revision_available", "external"})


class ResultsFolderError(ValueError):
    """A results folder that holds no readable result, or an ambiguous selection in it."""


@dataclass(frozen=True)
class ResultFile:
    """One task result of one model revision, as read from disk."""

    model: str
    revision: str
    task_name: str
    dataset_revision: str
    scores: Mapping[str, list[dict[str, Any]]]
    mteb_version: str | None  # the mteb protocol the scores follow (mieb files: their ``mieb.protocol``)
    date: float | None  # seconds since the epoch; None when the file has no date
    path: Path

    @property
    def version(self) -> Version | None:
        return parse_version(self.mteb_version)

    def entry(self, split: str, subset: str) -> dict[str, Any] | None:
        return next((e for e in self.scores.get(split, []) if e.get("hf_subset") == subset), None)


def parse_version(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except (InvalidVersion, TypeError):
        return None


def normalise_date(value: Any) -> float | None:
    """Epoch seconds from an epoch number (mteb 2.x), an ISO string (this project) or nothing (mteb 1.x)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip()).timestamp()
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _identity(revision_folder: Path) -> tuple[str, str]:
    meta_path = revision_folder / MODEL_META_FILE
    try:
        meta = json.loads(read_regular_bytes(meta_path))  # a FIFO there is refused, never opened
        if meta.get("name"):
            return str(meta["name"]), str(meta.get("revision") or revision_folder.name)
    except (OSError, ValueError, AttributeError):
        pass
    return revision_folder.parent.name.replace("__", "/"), revision_folder.name


def read_result_file(path: Path) -> ResultFile | None:
    """A validated result file (``harness.results.store.load_json``, the reader every command shares),
    or None when it is not one; an invalid file is named in an ``InvalidResultFile`` warning."""
    data, problems = load_json(path)
    if problems:
        warnings.warn(InvalidResultFile(f"result file not used: {path}: {'; '.join(problems[:5])}"), stacklevel=2)
    if data is None:
        return None
    scores, task_name = data["scores"], data["task_name"]
    if task_name != path.stem:  # another task's file copied over this one
        warnings.warn(InvalidResultFile(f"result file not used: {path} holds task {task_name!r}"), stacklevel=2)
        return None
    block = data.get(MIEB_BLOCK) if isinstance(data.get(MIEB_BLOCK), dict) else {}
    protocol = str(block.get("protocol") or "").removeprefix("mteb ") or None
    model, revision = _identity(path.parent)
    return ResultFile(
        model=model,
        revision=revision,
        task_name=task_name,
        dataset_revision=str(data.get("dataset_revision") or ""),
        scores={split: [e for e in entries if isinstance(e, dict)] for split, entries in scores.items()},
        mteb_version=data.get("mteb_version") or protocol,
        date=normalise_date(data.get("date")),
        path=path,
    )


def model_folders(root: Path) -> list[Path]:
    """The ``<model>/<revision>`` folders under a results root (or the root itself if it is one)."""
    root = Path(root)
    if any(root.glob("*.json")) and not any(root.glob("*/*/*.json")):
        return [root]  # a revision folder
    if any(root.glob("*/*.json")) and not any(root.glob("*/*/*.json")):
        return sorted(p for p in root.iterdir() if p.is_dir())  # a model folder
    return sorted(p.parent for p in root.glob(f"*/*/{MODEL_META_FILE}")) + sorted(
        {p.parent for p in root.glob("*/*/*.json") if not (p.parent / MODEL_META_FILE).exists()}
    )


def read_results(roots: Iterable[str | Path]) -> list[ResultFile]:
    """Every result file under the given results roots, model folders or revision folders.

    Raises ``ResultsFolderError`` naming each root that does not exist or holds no result file.
    """
    found: list[ResultFile] = []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise ResultsFolderError(f"{root}: no such results folder")
        before = len(found)
        for folder in model_folders(root):
            for path in sorted(folder.glob("*.json")):
                if path.name == MODEL_META_FILE:
                    continue
                result = read_result_file(path)
                if result is not None:
                    found.append(result)
        if len(found) == before:
            raise ResultsFolderError(
                f"{root}: no result files (expected <model>/<revision>/<Task>.json in the MTEB layout)"
            )
    return found
