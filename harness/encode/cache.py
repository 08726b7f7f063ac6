"""On-disk embedding cache: one ``.npy`` per encoded input set, atomic, verified, shared by processes.

Files are plain numpy arrays loaded with ``allow_pickle=False``; a sidecar JSON records the key in
clear and the SHA-256 and size of the ``.npy`` bytes. An entry whose bytes do not match its sidecar
(truncated, overwritten, zero-length, or written by a run killed between the two files) is never
used: it is reported with a warning and recomputed; so is an array that does not fit its key
(rows, dimension, dtype, finiteness), which is never written either. A per-entry lock
(``harness.files.file_lock``) makes concurrent processes wait for the one that encodes, so shared
images are encoded once per model; a wait says who holds the lock and ends (the array is then
computed here) when the holder is stopped or the wait passes ``$MIEB_LOCK_TIMEOUT`` seconds.

A cache that cannot be written (full disk, file size limit, read-only folder) never costs a
result: the entry is left out (no half-written pair of files stays), a ``CacheWriteFailed``
warning says why, and the computed array is used as if it had been cached.

``storage_dtype="float16"`` stores entries at half the bytes. The storage dtype is part of the key
(``storage`` field; float32 keys are unchanged, so existing caches stay valid), so a float16 entry
is never served to a float32-storage run or the reverse. A computed array is rounded to float16
before it is handed on, so a run computes with the same values whether its entries were just
encoded or read back: resuming never changes a score.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from harness.files import LockTimeout, atomic_write_bytes, file_lock, lock_timeout, read_regular_bytes

CACHE_DIR_ENV = "MIEB_CACHE_DIR"
# How long a process waits for another one encoding the same entry before encoding it itself.
LOCK_WAIT_S = 1800.0
STORAGE_DTYPES = ("float32", "float16")
DEFAULT_STORAGE_DTYPE = "float32"
STORAGE_KEY = "storage"  # the key field naming a non-default storage dtype
# The dtypes an entry may be handed back in (the dtype the model computed; recorded in the sidecar).
_SERVED_DTYPES = ("float16", "float32", "float64")


class CacheEntryDiscarded(UserWarning):
    """A cache entry failed verification and is recomputed."""


class CacheWriteFailed(UserWarning):
    """An entry could not be written (e.g. the disk is full); the run goes on without caching it."""


def default_cache_dir() -> Path:
    """``$MIEB_CACHE_DIR``, else ``~/.cache/mieb/embeddings``."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mieb" / "embeddings"


class CacheEntryInvalid(ValueError):
    """An array that does not fit its key (rows, dimension, dtype, finiteness); it is never stored."""


ROWS_KEY = "n"  # the key field holding the number of inputs an entry encodes


def entry_problem(key: dict, array: object, rows: int | None = None) -> str | None:
    """Why ``array`` cannot be the entry of ``key``, or None.

    An entry is a finite 2-d float array with at least one column and, where the key (``key["n"]``)
    or the caller (``rows``) says how many inputs it encodes, that many rows.
    """
    if not isinstance(array, np.ndarray):
        return f"not an array ({type(array).__name__})"
    if array.ndim != 2:
        return f"{array.ndim}-d array of shape {array.shape}, expected rows x dimension"
    if not np.issubdtype(array.dtype, np.floating):
        return f"dtype {array.dtype}, expected floating point"
    if key.get(STORAGE_KEY) == "float16" and array.dtype != np.float16:
        return f"dtype {array.dtype}, expected float16 (the key's storage dtype)"
    rows = key.get(ROWS_KEY) if rows is None else rows
    if isinstance(rows, int) and array.shape[0] != rows:
        return f"{array.shape[0]} rows for {rows} inputs"
    if array.shape[1] < 1 and array.shape[0] > 0:
        return f"dimension {array.shape[1]}"
    if not np.isfinite(array).all():
        return "NaN or infinite values"
    return None


class EmbeddingCache:
    """Maps a key (a JSON-able dict naming model, data and preprocessing) to an array.

    An array is checked against its key (``entry_problem``) before it is written and after it is
    read: a wrong entry is never stored and never served.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        storage_dtype: str = DEFAULT_STORAGE_DTYPE,
        lock_wait_s: float | None = None,
    ):
        if storage_dtype not in STORAGE_DTYPES:
            raise ValueError(f"storage dtype {storage_dtype!r}: expected one of {', '.join(STORAGE_DTYPES)}")
        self.root = Path(root)
        self.storage_dtype = storage_dtype
        self.lock_wait_s = lock_timeout(LOCK_WAIT_S) if lock_wait_s is None else lock_wait_s

    def _stored_key(self, key: dict) -> dict:
        """``key`` as stored: float32 storage keeps the key unchanged (and so every existing entry)."""
        return key if self.storage_dtype == "float32" else {**key, STORAGE_KEY: self.storage_dtype}

    def path_for(self, key: dict) -> Path:
        key = self._stored_key(key)
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:40]
        return self.root / digest[:2] / f"{digest}.npy"

    def get(self, key: dict, rows: int | None = None) -> np.ndarray | None:
        """The verified array of ``key``; None when absent or damaged (a warning says which)."""
        array, problem = self._load(key, rows)
        if problem:
            warnings.warn(CacheEntryDiscarded(problem), stacklevel=2)
        return array

    def _load(self, key: dict, rows: int | None = None) -> tuple[np.ndarray | None, str | None]:
        path = self.path_for(key)
        key = self._stored_key(key)
        if not os.path.lexists(path):
            return None, None
        try:
            data = read_regular_bytes(path)
            sidecar = json.loads(read_regular_bytes(path.with_suffix(".json")))
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
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as err:  # checksummed but not an array we accept (object dtype)
            return None, f"embedding cache entry {path} is not a plain array ({err}); recomputing"
        if problem := entry_problem(key, array, rows):
            return None, f"embedding cache entry {path} does not fit its key ({problem}); recomputing"
        if self.storage_dtype == "float32":
            return array, None
        served = sidecar.get("served_dtype")
        if served not in _SERVED_DTYPES:
            return None, f"embedding cache entry {path} records no usable dtype ({served!r}); recomputing"
        return array.astype(served), None

    def put(self, key: dict, array: np.ndarray, rows: int | None = None) -> None:
        """Store ``array`` under ``key``; ``CacheEntryInvalid`` when it does not fit the key."""
        if problem := entry_problem(key, array, rows):
            raise CacheEntryInvalid(f"embedding cache entry for {key} not written: {problem}")
        path = self.path_for(key)
        served_dtype = str(array.dtype)
        stored = self._to_storage(key, array, rows)
        data = _npy_bytes(stored)
        record = {"key": self._stored_key(key), "npy_sha256": hashlib.sha256(data).hexdigest(), "npy_bytes": len(data)}
        if stored is not array:
            record["served_dtype"] = served_dtype
        try:
            atomic_write_bytes(path, data)
            atomic_write_bytes(path.with_suffix(".json"), json.dumps(record, sort_keys=True, indent=1).encode())
        except OSError:
            # an array without its record would only be discarded later: remove both
            for part in (path, path.with_suffix(".json")):
                with contextlib.suppress(OSError):
                    part.unlink(missing_ok=True)
            raise

    def _to_storage(self, key: dict, array: np.ndarray, rows: int | None) -> np.ndarray:
        """``array`` in the storage dtype; ``CacheEntryInvalid`` when a value does not fit float16."""
        if self.storage_dtype == "float32":
            return array
        with np.errstate(over="ignore"):  # an overflow is reported just below, as one clear error
            stored = array.astype(np.float16)
        if problem := entry_problem(self._stored_key(key), stored, rows):
            peak = float(np.abs(array).max()) if array.size else 0.0
            raise CacheEntryInvalid(
                f"embeddings do not fit float16 storage ({problem}; largest |value| {peak:.4g}, float16 holds "
                f"up to 65504): run with --cache-dtype float32"
            )
        return stored

    def _as_stored(self, key: dict, array: np.ndarray, rows: int | None) -> np.ndarray:
        """What a later read of ``array`` gives: the float16-rounded values in the computed dtype.

        Handing back the rounded values in the model's own dtype (not the float16 array) keeps what
        the evaluators receive the same as under float32 storage (a float32 model's embeddings stay
        float32, an fp16 CUDA model's stay float16, as mteb hands them on); only the rounding of the
        values differs, which is the effect docs/measured.md reports.
        """
        if self.storage_dtype == "float32":
            return array
        return self._to_storage(key, array, rows).astype(array.dtype)

    def get_or_compute(
        self, key: dict, compute: Callable[[], np.ndarray], rows: int | None = None
    ) -> tuple[np.ndarray, bool]:
        """The cached array, or ``compute()`` stored under the key; second item: was it a hit.

        A computed array that does not fit the key raises ``CacheEntryInvalid`` (nothing is
        stored). A lock held past ``lock_wait_s`` (or by a stopped process) is not waited for: the
        array is computed here and a ``CacheWriteFailed`` warning names the holder.
        """
        hit = self.get(key, rows)
        if hit is not None:
            return hit, True
        path = self.path_for(key)
        with contextlib.ExitStack() as stack:
            try:
                lock = path.with_name(path.name + ".lock")
                stack.enter_context(file_lock(lock, timeout=self.lock_wait_s, what="embedding cache entry"))
            except OSError as err:  # no lock file possible, or a holder that does not let go
                array = compute()
                if problem := entry_problem(key, array, rows):
                    raise CacheEntryInvalid(f"computed embeddings do not fit their inputs: {problem}") from None
                _warn_unwritable(path, err)
                return self._as_stored(key, array, rows), False
            hit, _ = self._load(key, rows)  # another process may have written it while we waited
            if hit is not None:
                return hit, True
            array = compute()
            try:
                self.put(key, array, rows)
            except CacheEntryInvalid:
                raise
            except OSError as err:
                _warn_unwritable(path, err)
        return self._as_stored(key, array, rows), False


def _warn_unwritable(path: Path, err: OSError) -> None:
    kind = "not waited for" if isinstance(err, LockTimeout) else "not written"
    warnings.warn(
        CacheWriteFailed(f"embedding cache entry {path} {kind} ({err}); going on without caching it"),
        stacklevel=3,
    )


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()
