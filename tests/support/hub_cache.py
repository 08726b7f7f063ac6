"""A local HF cache in the hub's real layout (blobs, snapshot symlinks, refs), for offline model tests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

COMMIT = "a" * 40
OTHER_COMMIT = "b" * 40


def put_in_hub_cache(cache: Path, repo_id: str, folder: Path, commit: str = COMMIT, ref: str | None = "main") -> None:
    """Files of ``folder`` as the hub cache holds a download: blobs by hash, snapshot symlinks, refs."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = file.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = repo / "snapshots" / commit / file.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    if ref:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
