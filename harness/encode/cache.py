"""On-disk embedding cache: one ``.npy`` per encoded input set, atomic, verified, shared by processes.

Files are plain numpy arrays loaded with ``allow_pickle=False``; a sidecar JSON records the key in
clear and the SHA-256 and size of the ``.npy`` bytes. An entry whose bytes do not match its sidecar
(truncated, overwritten, zero-length, or written by a run killed between the two files) is never
used: it is reported with a warning and recomputed. A per-entry lock makes concurrent processes
wait for the one that encodes, so shared images are encoded once per model; the lock file is
removed when the entry is written.

A cache that cannot be written (full disk, file size limit, read-only folder) never costs a
result: the entry is left out (no half-written pair of files stays), a ``CacheWriteFailed``
warning says why, and the computed array is used as if it had been cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import socket
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

CACHE_DIR_ENV = "MIEB_CACHE_DIR"
_TMP_SUFFIX = ".tmp"


class CacheEntryDiscarded(UserWarning):
    """A cache entry failed verification and is recomputed."""


class CacheWriteFailed(UserWarning):
    """An entry could not be written (e.g. the disk is full); the run goes on without caching it."""


def default_cache_dir() -> Path:
    """``$MIEB_CACHE_DIR``, else ``~/.cache/mieb/embeddings``."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mieb" / "embeddings"


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_prefix(path: Path) -> str:
    return f".{path.name}.{socket.gethostname()}-"


def _sweep_dead_writers(path: Path) -> None:
    """Remove temporary files of ``path`` left by killed writers on this host (their pid is gone)."""
    prefix = _tmp_prefix(path)
    for leftover in path.parent.glob(f"{glob_escape(prefix)}*{_TMP_SUFFIX}"):
        pid = leftover.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The file gets the permissions of the user's umask (as ``open`` would give it), and temporary
    files left by a writer that was killed are removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_dead_writers(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{_tmp_prefix(path)}{os.getpid()}.", suffix=_TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def entry_lock(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock on ``path`` whose file is removed on release.

    filelock's locks keep their file forever (one per cache entry). Here the holder unlinks the
    file before unlocking, and a waiter that wakes on an unlinked file retries on the new one, so
    two processes never both hold the lock and nothing is left behind.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: filelock, which leaves its lock file
        from filelock import FileLock

        with FileLock(str(path)):
            yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            current = os.stat(path)
            held = os.fstat(fd)
        except FileNotFoundError:  # the previous holder removed it after we opened it
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        if (current.st_ino, current.st_dev) == (held.st_ino, held.st_dev):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


class EmbeddingCache:
    """Maps a key (a JSON-able dict naming model, data and preprocessing) to an array."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def path_for(self, key: dict) -> Path:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:40]
        return self.root / digest[:2] / f"{digest}.npy"

    def get(self, key: dict) -> np.ndarray | None:
        """The verified array of ``key``; None when absent or damaged (a warning says which)."""
        array, problem = self._load(key)
        if problem:
            warnings.warn(CacheEntryDiscarded(problem), stacklevel=2)
        return array

    def _load(self, key: dict) -> tuple[np.ndarray | None, str | None]:
        path = self.path_for(key)
        if not path.is_file():
            return None, None
        try:
            data = path.read_bytes()
            sidecar = json.loads(path.with_suffix(".json").read_text())
        except (OSError, ValueError) as err:
            return None, f"embedding cache entry {path} has no readable record ({type(err).__name__}); recomputing"
        expected = sidecar.get("npy_sha256") if isinstance(sidecar, dict) else None
        if expected != hashlib.sha256(data).hexdigest() or sidecar.get("npy_bytes") != len(data):
            return None, (
                f"embedding cache entry {path} does not match its checksum "
                f"({len(data)} bytes, expected {sidecar.get('npy_bytes') if isinstance(sidecar, dict) else '?'}); "
                "discarded and recomputed"
            )
        try:
            return np.load(io.BytesIO(data), allow_pickle=False), None
        except (ValueError, OSError, EOFError) as err:  # checksummed but not an array we accept (object dtype)
            return None, f"embedding cache entry {path} is not a plain array ({err}); recomputing"

    def put(self, key: dict, array: np.ndarray) -> None:
        path = self.path_for(key)
        data = _npy_bytes(array)
        record = {"key": key, "npy_sha256": hashlib.sha256(data).hexdigest(), "npy_bytes": len(data)}
        try:
            atomic_write_bytes(path, data)
            atomic_write_bytes(path.with_suffix(".json"), json.dumps(record, sort_keys=True, indent=1).encode())
        except OSError:
            # an array without its record would only be discarded later: remove both
            for part in (path, path.with_suffix(".json")):
                with contextlib.suppress(OSError):
                    part.unlink(missing_ok=True)
            raise

    def get_or_compute(self, key: dict, compute: Callable[[], np.ndarray]) -> tuple[np.ndarray, bool]:
        """The cached array, or ``compute()`` stored under the key; second item: was it a hit."""
        hit = self.get(key)
        if hit is not None:
            return hit, True
        path = self.path_for(key)
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(entry_lock(path.with_name(path.name + ".lock")))
            except OSError as err:  # the cache folder cannot even hold a lock file
                _warn_unwritable(path, err)
                return compute(), False
            hit, _ = self._load(key)  # another process may have written it while we waited
            if hit is not None:
                return hit, True
            array = compute()
            try:
                self.put(key, array)
            except OSError as err:
                _warn_unwritable(path, err)
        return array, False


def _warn_unwritable(path: Path, err: OSError) -> None:
    warnings.warn(
        CacheWriteFailed(f"embedding cache entry {path} not written ({err}); going on without caching it"),
        stacklevel=3,
    )


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()
