"""On-disk embedding cache: one ``.npy`` per encoded input set, atomic and shared by xdist workers.

Files are plain numpy arrays loaded with ``allow_pickle=False``; a sidecar JSON records the key in
clear. A per-entry file lock makes concurrent workers wait for the one that encodes, so shared
images are encoded once per model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from filelock import FileLock

CACHE_DIR_ENV = "MIEB_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$MIEB_CACHE_DIR``, else ``~/.cache/mieb/embeddings``."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mieb" / "embeddings"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EmbeddingCache:
    """Maps a key (a JSON-able dict naming model, data and preprocessing) to an array."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def path_for(self, key: dict) -> Path:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:40]
        return self.root / digest[:2] / f"{digest}.npy"

    def get(self, key: dict) -> np.ndarray | None:
        path = self.path_for(key)
        if not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError):  # a damaged entry is recomputed, never trusted
            return None

    def put(self, key: dict, array: np.ndarray) -> None:
        path = self.path_for(key)
        buffer = _npy_bytes(array)
        atomic_write_bytes(path, buffer)
        atomic_write_bytes(path.with_suffix(".json"), json.dumps(key, sort_keys=True, indent=1).encode())

    def get_or_compute(self, key: dict, compute: Callable[[], np.ndarray]) -> tuple[np.ndarray, bool]:
        """The cached array, or ``compute()`` stored under the key; second item: was it a hit."""
        hit = self.get(key)
        if hit is not None:
            return hit, True
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock"):
            hit = self.get(key)
            if hit is not None:
                return hit, True
            array = compute()
            self.put(key, array)
        return array, False


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()
