"""The batching engine: decode and preprocess in DataLoader workers, encode in batches, cache.

Every encode is keyed by model + revision + the input's identity (dataset path, revision, config,
split, column, rows; or the text content) + the model's preprocessing, so a second task on the same
images costs no forward pass.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.cache import EmbeddingCache
from harness.encode_checks import BatchGuard, ModelOutputError
from mieb_models.base import Encoder

log = logging.getLogger("mieb.encode")

MAX_WORKERS = 8  # more decode workers than this oversubscribes CPUs shared with the model


__all__ = ["EncodeEngine", "ImageSource", "ModelOutputError"]


@dataclass(frozen=True)
class ImageSource:
    """Images stored in one column of a dataset split, optionally a subset of its rows."""

    dataset: Any = field(compare=False, repr=False)
    identity: str
    column: str
    rows: tuple[int, ...] | None = None

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.dataset)

    def select(self, rows: Sequence[int]) -> ImageSource:
        """The same images restricted to ``rows`` (indices into this source)."""
        base = np.asarray(self.rows if self.rows is not None else np.arange(len(self.dataset)))
        return ImageSource(self.dataset, self.identity, self.column, tuple(int(r) for r in base[list(rows)]))

    def cache_identity(self) -> dict[str, Any]:
        rows = None
        if self.rows is not None:
            rows = hashlib.sha256(np.asarray(self.rows, dtype=np.int64).tobytes()).hexdigest()[:24]
        return {"images": self.identity, "column": self.column, "rows": rows, "n": len(self)}


def to_rgb(value: Any) -> Any:
    """A PIL RGB image from a decoded image or a raw ``{bytes, path}`` struct."""
    from PIL import Image, ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as the reference does: some datasets hold truncated files
    if isinstance(value, dict):
        value = Image.open(io.BytesIO(value["bytes"])) if value.get("bytes") else Image.open(value["path"])
    if not isinstance(value, Image.Image):
        raise TypeError(f"expected an image, got {type(value).__name__}")
    return value if value.mode == "RGB" else value.convert("RGB")


class _ImageRows:
    """A torch-style dataset over one image column; runs in DataLoader worker processes."""

    def __init__(self, source: ImageSource, preprocess: Any):
        self.data = source.dataset.select_columns([source.column])
        self.column = source.column
        self.rows = source.rows
        self.preprocess = preprocess

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.data)

    def __getitem__(self, index: int) -> Any:
        row = self.rows[index] if self.rows is not None else index
        image = to_rgb(self.data[int(row)][self.column])
        return self.preprocess(image) if self.preprocess is not None else image


def _collate_list(batch: list[Any]) -> list[Any]:
    return batch


@dataclass
class EncodeStats:
    computed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)


class EncodeEngine:
    """Encodes images, texts and image+text pairs for one model, through the cache."""

    def __init__(
        self,
        model: Encoder,
        cache: EmbeddingCache | None = None,
        *,
        batch_size: int = 32,
        num_workers: int | None = None,
        progress: bool = True,
    ):
        self.model = model
        self.cache = cache
        self.batch_size = batch_size
        self.num_workers = default_num_workers() if num_workers is None else num_workers
        self.progress = progress
        self.stats = EncodeStats()
        self.guard = BatchGuard(model.meta.name)  # checks every batch's output; holds the batch timeout
        self._memo: dict[str, np.ndarray] = {}

    def _model_key(self) -> dict[str, Any]:
        meta = self.model.meta
        preprocessing = getattr(self.model, "preprocessing_id", None)
        return {"model": meta.name, "revision": meta.revision, "preprocessing": preprocessing}

    def _cached(self, what: dict[str, Any], label: str, compute: Any) -> np.ndarray:
        key = {**self._model_key(), **what}
        memo_key = repr(sorted(key.items()))
        if memo_key in self._memo:
            return self._memo[memo_key]
        if self.cache is None:
            array, hit = compute(), False
        else:
            array, hit = self.cache.get_or_compute(key, compute)
        self.guard.observe(what["kind"], array)
        (self.stats.cached if hit else self.stats.computed).append(label)
        log.info("%s %s", "cache hit:" if hit else "encoded:", label)
        self._memo[memo_key] = array
        return array

    def images(self, source: ImageSource, label: str = "") -> np.ndarray:
        """Embeddings of every image of ``source``, in order."""
        label = label or f"{source.identity}:{source.column} ({len(source)} images)"
        return self._cached({"kind": "image", **source.cache_identity()}, label, lambda: self._encode_images(source))

    def texts(self, texts: Sequence[str], label: str = "") -> np.ndarray:
        """Embeddings of ``texts``, in order."""
        texts = [str(t) for t in texts]
        digest = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:32]
        label = label or f"{len(texts)} texts"
        return self._cached(
            {"kind": "text", "texts": digest, "n": len(texts)}, label, lambda: self._encode_texts(texts)
        )

    def fused(self, texts: Sequence[str], images: ImageSource, label: str = "") -> np.ndarray:
        """Image+text embeddings: the model's own fusion, else the sum of both (reference behaviour)."""
        if len(texts) != len(images):
            raise ValueError(f"fused inputs differ in length: {len(texts)} texts, {len(images)} images")
        fuse = getattr(self.model, "encode_fused", None)
        if fuse is None:
            return self.texts(texts, label) + self.images(images, label)
        digest = hashlib.sha256("\x1f".join(map(str, texts)).encode()).hexdigest()[:32]
        what = {"kind": "fused", "texts": digest, **images.cache_identity()}
        return self._cached(what, label or "fused inputs", lambda: self._encode_fused(list(texts), images))

    def _loader(self, source: ImageSource) -> Any:
        import torch

        preprocess = getattr(self.model, "preprocess", None)
        rows = _ImageRows(source, preprocess)
        workers = self.num_workers if len(rows) > 2 * self.batch_size else 0
        return torch.utils.data.DataLoader(
            rows,
            batch_size=self.batch_size,
            num_workers=workers,
            collate_fn=None if preprocess is not None else _collate_list,
            pin_memory=str(getattr(self.model, "device", "cpu")).startswith("cuda"),
            persistent_workers=False,
            prefetch_factor=4 if workers else None,
        )

    def _encode_images(self, source: ImageSource) -> np.ndarray:
        from tqdm.auto import tqdm

        chunks = []
        batches = tqdm(
            self._loader(source), desc=f"encode {source.column}", unit="batch", disable=not self.progress, leave=False
        )
        for batch in batches:
            chunks.append(self.guard.batch(self.model.encode_images, batch, rows=len(batch), kind="image"))
        return _concat(chunks)

    def _encode_texts(self, texts: list[str]) -> np.ndarray:
        from tqdm.auto import tqdm

        chunks = []
        starts = range(0, len(texts), self.batch_size)
        for start in tqdm(starts, desc="encode text", unit="batch", disable=not self.progress, leave=False):
            batch = texts[start : start + self.batch_size]
            chunks.append(self.guard.batch(self.model.encode_texts, batch, rows=len(batch), kind="text"))
        return _concat(chunks)

    def _encode_fused(self, texts: list[str], images: ImageSource) -> np.ndarray:
        chunks, start = [], 0
        for batch in self._loader(images):
            n = len(batch)
            chunks.append(
                self.guard.batch(self.model.encode_fused, texts[start : start + n], batch, rows=n, kind="fused")
            )
            start += n
        return _concat(chunks)


def _concat(chunks: list[np.ndarray]) -> np.ndarray:
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    dims = {c.shape[1] for c in chunks}
    if len(dims) > 1:
        raise ModelOutputError(f"embedding dimension changed between batches: {sorted(dims)}")
    return np.concatenate(chunks, axis=0)


def default_num_workers() -> int:
    """Decode workers: half the CPUs (split between xdist workers), at most MAX_WORKERS; 0 = in-process."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))  # xdist workers share the CPUs
    return max(0, min(MAX_WORKERS, cpus // (2 * processes)))
