"""The batching engine: decode and preprocess in DataLoader workers, encode in batches, cache.

Every encode is keyed by model + revision + the input's identity (dataset path, revision, config,
split, column, rows; or the text content) + the model's preprocessing, so a second task on the same
images costs no forward pass.

Each DataLoader item is a whole batch: a worker gathers the batch's raw image bytes from Arrow in
one take (``harness.encode.imageio``) and decodes and preprocesses them. The default (exact) path decodes
with PIL as ``datasets`` does and runs the model's own transform; ``fast_preprocess`` decodes to
tensors (JPEGs in one nvJPEG call on CUDA) and resizes, crops and normalises on the model's device
(``harness.encode.fast_preprocess``). On CUDA a prefetch thread moves batch n+1 to the device (pinned
memory, non-blocking copies, a side stream) while batch n runs. Every batch's model output goes
through ``BatchGuard.batch`` (harness.encode.checks). Texts are tokenised in the same prefetch
thread, batch n+1 while batch n runs, for models that split ``tokenize`` from ``encode_tokens``;
a text repeated within one call is tokenised and encoded once.

An image that does not decode fails the encode with ``DatasetInvalid`` (never skipped): its
worker returns the rows and errors instead of the batch, the model is not called again, and the
pass goes on decoding only to count the rest, so the message gives how many images failed and the
first rows. Truncated files that PIL can still read are decoded as the reference decodes them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.data.hub import DatasetInvalid
from harness.data.records import ImageSource
from harness.encode import imageio
from harness.encode.cache import CacheEntryInvalid, EmbeddingCache, entry_problem
from harness.encode.checks import BatchGuard, ModelOutputError
from harness.encode.fast_preprocess import FAST_ID, PixelSpec, apply_spec, pixel_spec
from harness.encode.prefetch import DevicePrefetcher
from mieb_models.base import Encoder, TorchEncoder

log = logging.getLogger("mieb.encode")

MAX_WORKERS = 8  # more decode workers than this oversubscribes CPUs shared with the model


__all__ = ["EncodeEngine", "ModelOutputError"]


def to_rgb(value: Any) -> Any:
    """A PIL RGB image from a decoded image or a raw ``{bytes, path}`` struct (as ``datasets`` decodes it)."""
    import datasets

    return imageio.decode_exact(value, datasets.Image())


class _ImageBatches:
    """A torch-style dataset whose item ``b`` is batch ``b`` of one image column, ready for the model.

    Runs in DataLoader worker processes. Exact: the model's ``preprocess`` on each PIL image,
    collated as the DataLoader would (or the PIL list when the model has none). Fast: uint8
    tensors, with upright JPEGs left encoded for the device decoder when ``gpu_jpeg``; when
    ``finish_here`` the spec is applied in the worker too (CPU models).
    """

    def __init__(
        self,
        source: ImageSource,
        batch_size: int,
        preprocess: Any,
        spec: PixelSpec | None = None,
        *,
        preprocess_batch: Any = None,
        gpu_jpeg: bool = False,
        finish_here: bool = True,
    ):
        self.view = imageio.arrow_view(source.dataset, source.column)
        self.feature = imageio.image_feature(source.dataset, source.column)
        self.column = source.column
        self.roots = source.roots
        self.rows = list(source.rows) if source.rows is not None else None
        self.n = len(source)
        self.batch_size = batch_size
        self.preprocess = preprocess
        self.preprocess_batch = preprocess_batch
        self.spec = spec
        self.gpu_jpeg = gpu_jpeg
        self.finish_here = finish_here

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def __getitem__(self, index: int) -> Any:
        start = index * self.batch_size
        stop = min(start + self.batch_size, self.n)
        rows = self.rows[start:stop] if self.rows is not None else range(start, stop)
        values = imageio.read_raw(self.view, self.column, rows)
        images, failures = self._decode(values, rows)
        if failures:
            return UndecodableImages(failures)
        if self.spec is not None:
            return apply_spec(images, self.spec) if self.finish_here else images
        if self.preprocess is None:
            return images
        if self.preprocess_batch is not None:
            return self.preprocess_batch(images)
        import torch

        return torch.utils.data.default_collate([self.preprocess(image) for image in images])

    def _decode(self, values: list[Any], rows: Sequence[int]) -> tuple[list[Any], list[tuple[int, str]]]:
        """Each value decoded (PIL image, or tensor / JPEG bytes on the fast path); failures as (row, error)."""
        images, failures = [], []
        for row, value in zip(rows, values, strict=True):
            try:
                value = imageio.contained(value, self.roots)
                if self.spec is not None:
                    images += imageio.split_for_device([value], self.feature, self.gpu_jpeg)
                else:
                    images.append(imageio.decode_exact(value, self.feature))
            except Exception as err:  # any decoder error (PIL raises OSError, SyntaxError, ValueError ...) is the row's
                failures.append((int(row), f"{type(err).__name__}: {str(err)[:120]}"))
        return images, failures


@dataclass
class UndecodableImages:
    """A worker's answer for a batch holding images that do not decode: (dataset row, error) each."""

    failures: list[tuple[int, str]]


def _undecodable(source: ImageSource, failures: list[tuple[int, str]]) -> DatasetInvalid:
    shown = "; ".join(f"row {row}: {error}" for row, error in failures[:5])
    more = f"; and {len(failures) - 5} more" if len(failures) > 5 else ""
    return DatasetInvalid(
        f"{len(failures)} of {len(source)} images in column {source.column!r} of {source.identity} "
        f"could not be decoded ({shown}{more}). The case fails rather than score without them: "
        "repair or re-download the dataset."
    )


@dataclass
class EncodeStats:
    computed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    items: int = 0  # inputs served (encoded or read from the cache)
    seconds: float = 0.0  # time spent encoding or reading the cache


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
        fast_preprocess: bool = False,
        progress_file: Any = None,
        progress_position: int = 0,
    ):
        self.model = model
        self.cache = cache
        self.batch_size = batch_size
        self.num_workers = default_num_workers() if num_workers is None else num_workers
        self.progress = progress
        # tqdm's stream (None: stderr) and line; pytest hands the real terminal here, not its capture
        self.bar_options = {
            "file": progress_file,
            "position": progress_position,
            "leave": False,
            "disable": not progress,
        }
        self.stats = EncodeStats()
        self.guard = BatchGuard(model.meta.name)  # checks every batch's output; holds the batch timeout
        self._memo: dict[str, np.ndarray] = {}
        self.device = str(getattr(model, "device", "cpu"))
        self.fast_preprocess = fast_preprocess  # as asked (recorded with results); ``spec``: as applied
        self.spec = _fast_spec(model) if fast_preprocess else None

    def _model_key(self) -> dict[str, Any]:
        meta = self.model.meta
        preprocessing = getattr(self.model, "preprocessing_id", None)
        key = {"model": meta.name, "revision": meta.revision, "preprocessing": preprocessing}
        if self.spec is not None:  # the exact path keeps its keys (and existing caches)
            key["pixels"] = FAST_ID
        precision = getattr(self.model, "precision", None)
        if self.device.startswith("cuda") and precision not in (None, "fp32"):
            # fp16/bf16 autocast gives other embeddings (and fp16 keeps its dtype): never shared with
            # fp32 runs; CPU runs are fp32 whatever was asked and keep the fp32 key
            key["precision"] = precision
        return key

    def _cached(self, what: dict[str, Any], label: str, compute: Any, rows: int) -> np.ndarray:
        key = {**self._model_key(), **what}
        memo_key = repr(sorted(key.items()))
        if memo_key in self._memo:
            self.stats.items += len(self._memo[memo_key])
            return self._memo[memo_key]
        start = time.perf_counter()
        try:
            if self.cache is None:
                array, hit = compute(), False
                if problem := entry_problem(key, array, rows):
                    raise CacheEntryInvalid(problem)
            else:
                array, hit = self.cache.get_or_compute(key, compute, rows)
        except CacheEntryInvalid as err:
            raise ModelOutputError(f"{self.model.meta.name}: embeddings of {label} not usable: {err}") from None
        self.stats.seconds += time.perf_counter() - start
        self.stats.items += len(array)
        self.guard.observe(what["kind"], array)
        (self.stats.cached if hit else self.stats.computed).append(label)
        log.info("%s %s", "cache hit:" if hit else "encoded:", label)
        self._memo[memo_key] = array
        return array

    def images(self, source: ImageSource, label: str = "") -> np.ndarray:
        """Embeddings of every image of ``source``, in order."""
        label = label or f"{source.identity}:{source.column} ({len(source)} images)"
        what = {"kind": "image", **source.cache_identity()}
        return self._cached(what, label, lambda: self._encode_images(source), len(source))

    def texts(self, texts: Sequence[str], label: str = "") -> np.ndarray:
        """Embeddings of ``texts``, in order; a text repeated in ``texts`` is tokenised and encoded once."""
        texts = [str(t) for t in texts]
        unique = list(dict.fromkeys(texts))  # first occurrences, in order: no repeats -> the same list
        label = label or f"{len(texts)} texts"
        if len(unique) < len(texts):
            label = f"{label} ({len(unique)} unique)"
        what = {"kind": "text", "texts": texts_digest(unique), "n": len(unique)}
        array = self._cached(what, label, lambda: self._encode_texts(unique), len(unique))
        if len(unique) == len(texts):
            return array
        position = {text: i for i, text in enumerate(unique)}
        return array[[position[t] for t in texts]]

    def fused(self, texts: Sequence[str], images: ImageSource, label: str = "") -> np.ndarray:
        """Image+text embeddings: the model's own fusion, else the sum of both (reference behaviour)."""
        if len(texts) != len(images):
            raise ValueError(f"fused inputs differ in length: {len(texts)} texts, {len(images)} images")
        fuse = getattr(self.model, "encode_fused", None)
        if fuse is None:
            return self.texts(texts, label) + self.images(images, label)
        texts = [str(t) for t in texts]
        what = {"kind": "fused", "texts": texts_digest(texts), **images.cache_identity()}
        return self._cached(what, label or "fused inputs", lambda: self._encode_fused(texts, images), len(texts))

    def _loader(self, source: ImageSource) -> Any:
        import torch

        on_cuda = self.device.startswith("cuda")
        batches = _ImageBatches(
            source,
            self.batch_size,
            getattr(self.model, "preprocess", None),
            self.spec,
            preprocess_batch=getattr(self.model, "preprocess_batch", None),
            gpu_jpeg=on_cuda,
            finish_here=not on_cuda,
        )
        workers = self.num_workers if len(source) > 2 * self.batch_size else 0
        return torch.utils.data.DataLoader(
            batches,
            batch_size=None,  # items are whole batches
            num_workers=workers,
            pin_memory=on_cuda,
            persistent_workers=False,
            prefetch_factor=4 if workers else None,
            timeout=self.guard.timeout if workers and self.guard.timeout else 0,  # a worker stuck in preprocess
        )

    def _batches(self, source: ImageSource) -> Any:
        """Model-ready batches in order; raises ``DatasetInvalid`` after the pass if any image failed to decode."""
        failures: list[tuple[int, str]] = []
        for batch in self._loaded(source):
            if isinstance(batch, UndecodableImages):
                failures += batch.failures
            elif not failures:  # after a failure the pass only counts: the model is not called again
                yield batch
        if failures:
            raise _undecodable(source, failures)

    def _loaded(self, source: ImageSource) -> Any:
        """The loader's batches; on CUDA the next one is prepared while this one runs."""
        loader = self._loader(source)
        if not self.device.startswith("cuda"):
            return iter(loader)
        to_device = isinstance(self.model, TorchEncoder) or self.spec is not None
        return DevicePrefetcher(loader, self.device, self._finish_on_device if to_device else None)

    def _finish_on_device(self, batch: Any) -> Any:
        """A batch from the workers -> on the device (fast path: decoded JPEGs, spec applied there)."""
        import torch

        if isinstance(batch, UndecodableImages):
            return batch
        if self.spec is not None:
            images = imageio.decode_jpegs(batch, self.device)
            images = [image.to(self.device, non_blocking=True) for image in images]
            return apply_spec(images, self.spec)
        if isinstance(batch, torch.Tensor):
            return batch.to(self.device, non_blocking=True)
        return batch

    def _encode_images(self, source: ImageSource) -> np.ndarray:
        from tqdm.auto import tqdm

        chunks = []
        batches = tqdm(
            self.guard.iterate(self._batches(source), "image preprocessing"),
            desc=f"encode {source.column}",
            unit="batch",
            total=-(-len(source) // self.batch_size),
            **self.bar_options,
        )
        for batch in batches:
            chunks.append(self.guard.batch(self.model.encode_images, batch, rows=len(batch), kind="image"))
        return _concat(chunks)

    def _encode_texts(self, texts: list[str]) -> np.ndarray:
        """Batches of ``texts`` through the model. A model that splits ``tokenize`` from
        ``encode_tokens`` has batch n+1 tokenised in the prefetch thread while batch n runs (the
        same batches, so the same token ids and embeddings as ``encode_texts``)."""
        from tqdm.auto import tqdm

        batches = [texts[start : start + self.batch_size] for start in range(0, len(texts), self.batch_size)]
        tokenize = getattr(self.model, "tokenize", None)
        encode_tokens = getattr(self.model, "encode_tokens", None)
        bar = {"desc": "encode text", "unit": "batch", **self.bar_options}
        chunks = []
        if not (callable(tokenize) and callable(encode_tokens)):
            for batch in tqdm(batches, **bar):
                chunks.append(self.guard.batch(self.model.encode_texts, batch, rows=len(batch), kind="text"))
            return _concat(chunks)
        prepared = self.guard.iterate(DevicePrefetcher(batches, self.device, _Tokenized(tokenize)), "tokenizing")
        for n, tokens in tqdm(prepared, total=len(batches), **bar):
            chunks.append(self.guard.batch(tokens.encode, encode_tokens, rows=n, kind="text"))
        return _concat(chunks)

    def _encode_fused(self, texts: list[str], images: ImageSource) -> np.ndarray:
        chunks, start = [], 0
        for batch in self.guard.iterate(self._batches(images), "image preprocessing"):
            n = len(batch)
            chunks.append(
                self.guard.batch(self.model.encode_fused, texts[start : start + n], batch, rows=n, kind="fused")
            )
            start += n
        return _concat(chunks)


_SEPARATOR = "\x1f"


def texts_digest(texts: Sequence[str]) -> str:
    """A digest that tells any two text lists apart (the cache key of their embeddings).

    Lists without the separator character keep the digest of the separator-joined text (the
    key existing caches were written under): with the count in the key, that joining is
    injective for them. A list where a text holds the separator is digested as its JSON
    encoding, which is injective for every list.
    """
    if any(_SEPARATOR in text for text in texts):
        return "json-" + hashlib.sha256(json.dumps(list(texts)).encode()).hexdigest()[:32]
    return hashlib.sha256(_SEPARATOR.join(texts).encode()).hexdigest()[:32]


class _Tokenized:
    """Runs in the prefetch thread: a text batch -> (its size, its tokens or the tokenizer's error).

    The error is raised inside the guarded encode call, so a failing tokenizer fails its case with
    a message naming the model and the batch, as a failing forward does."""

    def __init__(self, tokenize: Any):
        self.tokenize = tokenize

    def __call__(self, batch: list[str]) -> tuple[int, _Tokens]:
        try:
            return len(batch), _Tokens(self.tokenize(batch), None)
        except Exception as err:
            return len(batch), _Tokens(None, err)


@dataclass
class _Tokens:
    tokens: Any
    error: Exception | None

    def encode(self, encode_tokens: Any) -> Any:
        if self.error is not None:
            raise self.error
        return encode_tokens(self.tokens)


def _concat(chunks: list[np.ndarray]) -> np.ndarray:
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    dims = {c.shape[1] for c in chunks}
    if len(dims) > 1:
        raise ModelOutputError(f"embedding dimension changed between batches: {sorted(dims)}")
    return np.concatenate(chunks, axis=0)


def _fast_spec(model: Encoder) -> PixelSpec | None:
    spec = pixel_spec(model)
    if spec is None:
        log.warning("%s: image transform not recognised; --fast-preprocess keeps its exact path", model.meta.name)
    return spec


def default_num_workers() -> int:
    """Decode workers: half the CPUs (split between xdist workers), at most MAX_WORKERS; 0 = in-process."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))  # xdist workers share the CPUs
    return max(0, min(MAX_WORKERS, cpus // (2 * processes)))
