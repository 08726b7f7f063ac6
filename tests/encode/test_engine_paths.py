"""The encode engine's two image paths on a real (tiny, random) CLIP checkpoint.

Exact: batches read raw from Arrow, decoded like ``datasets`` and preprocessed by the checkpoint's
processor give bit-identical embeddings to the per-row path (``dataset[i]`` + ``preprocess`` per
image). Fast: close to exact, under another cache key; the CUDA flow (JPEGs left encoded in
workers, decoded in one batched call and transformed where the model runs) is run on the CPU.
"""

from __future__ import annotations

import io

import datasets
import numpy as np
import pytest
import torch
from PIL import Image

from harness.data.records import ImageSource
from harness.encode import imageio
from harness.encode.cache import EmbeddingCache
from harness.encode.engine import EncodeEngine, _ImageBatches, to_rgb
from harness.encode.fast_preprocess import FAST_ID, apply_spec, pixel_spec
from harness.encode.prefetch import DevicePrefetcher
from tests.support.checkpoints import make_tiny_clip


def _image(seed: int, size: tuple[int, int]) -> Image.Image:
    rng = np.random.default_rng(seed)
    grad = np.linspace(0, 200, size[0] * size[1] * 3).reshape(size[1], size[0], 3)
    return Image.fromarray(np.clip(grad + rng.integers(0, 55, grad.shape), 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def images() -> datasets.Dataset:
    values = []
    for i in range(22):
        picture = _image(i, (24 + 3 * i, 40 - i))
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG" if i % 2 else "PNG", quality=92)
        values.append({"bytes": buffer.getvalue(), "path": None})
    features = datasets.Features({"image": datasets.Image()})
    return datasets.Dataset.from_dict({"image": values}, features=features)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    from harness.api import get_model

    return get_model(str(make_tiny_clip(tmp_path_factory.mktemp("clip"))), device="cpu")


def _per_row_reference(model, dataset, rows, batch_size: int) -> np.ndarray:
    chunks = []
    for start in range(0, len(rows), batch_size):
        picked = rows[start : start + batch_size]
        batch = torch.stack([model.preprocess(to_rgb(dataset[int(r)]["image"])) for r in picked])
        chunks.append(model.encode_images(batch).numpy())
    return np.concatenate(chunks)


@pytest.mark.parametrize("workers", [0, 1])
def test_exact_path_is_bit_identical_to_per_row_preprocessing(model, images, workers: int) -> None:
    source = ImageSource(images, "test-images", "image")
    got = EncodeEngine(model, None, batch_size=4, num_workers=workers, progress=False).images(source)
    assert np.array_equal(got, _per_row_reference(model, images, list(range(len(images))), 4))


def test_exact_path_on_a_row_subset(model, images) -> None:
    rows = [20, 3, 3, 11, 0, 7, 15]
    source = ImageSource(images, "test-images", "image").select(rows)
    got = EncodeEngine(model, None, batch_size=3, num_workers=0, progress=False).images(source)
    assert np.array_equal(got, _per_row_reference(model, images, rows, 3))


def test_batched_processor_call_equals_per_image_calls(model, images) -> None:
    pictures = [to_rgb(images[i]["image"]) for i in range(len(images))]
    assert torch.equal(model.preprocess_batch(pictures), torch.stack([model.preprocess(p) for p in pictures]))


def test_fast_path_is_close_and_cached_separately(model, images, tmp_path) -> None:
    source = ImageSource(images, "test-images", "image")
    cache = EmbeddingCache(tmp_path)
    exact_engine = EncodeEngine(model, cache, batch_size=8, num_workers=0, progress=False)
    fast_engine = EncodeEngine(model, cache, batch_size=8, num_workers=0, progress=False, fast_preprocess=True)
    assert fast_engine.spec is not None and fast_engine._model_key()["pixels"] == FAST_ID
    assert "pixels" not in exact_engine._model_key()
    exact, fast = exact_engine.images(source), fast_engine.images(source)
    assert fast_engine.stats.computed, "the fast path must not reuse the exact path's cache entry"
    assert not np.array_equal(exact, fast)  # other resampling: not the same pixels
    cosine = (exact * fast).sum(1) / np.linalg.norm(exact, axis=1) / np.linalg.norm(fast, axis=1)
    assert cosine.min() > 0.99


def test_cuda_flow_on_cpu_equals_finishing_in_workers(model, images) -> None:
    """Workers keep JPEGs encoded; the prefetch thread decodes them in one batched call and applies
    the spec (what runs on CUDA): the same tensors as decoding and transforming in the worker."""
    source = ImageSource(images, "test-images", "image")
    spec = pixel_spec(model)
    in_workers = _ImageBatches(source, 5, None, spec, gpu_jpeg=False, finish_here=True)
    deferred = _ImageBatches(source, 5, None, spec, gpu_jpeg=True, finish_here=False)
    assert any(isinstance(item, imageio.JpegBytes) for item in deferred[0])
    engine = EncodeEngine(model, None, batch_size=5, num_workers=0, progress=False, fast_preprocess=True)
    flowed = list(DevicePrefetcher((deferred[b] for b in range(len(deferred))), "cpu", engine._finish_on_device))
    assert len(flowed) == len(in_workers) == 5
    for b, batch in enumerate(flowed):
        assert torch.equal(batch, in_workers[b])


def test_apply_spec_matches_the_processor_within_one_level(model, images) -> None:
    spec = pixel_spec(model)
    pictures = [to_rgb(images[i]["image"]) for i in range(6)]
    tensors = [torch.from_numpy(np.asarray(p).copy()).permute(2, 0, 1) for p in pictures]
    ours = apply_spec(tensors, spec)
    theirs = model.processor.image_processor(images=pictures, return_tensors="pt")["pixel_values"]
    assert ours.shape == theirs.shape
    one_level = 1 / 255 / min(spec.std)
    assert (ours - theirs).abs().max() <= one_level + 1e-5


class _PrecisionStub:
    """Only what the engine reads for its cache key: a model on a device at a precision."""

    def __init__(self, model, device: str, precision: str) -> None:
        self.meta, self.device, self.precision = model.meta, device, precision


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_reduced_precision_on_cuda_never_shares_cache_entries_with_fp32(model, tmp_path, precision) -> None:
    cache = EmbeddingCache(tmp_path)
    key = {}
    for device, prec in [("cuda", "fp32"), ("cuda", precision), ("cpu", precision), ("cpu", "fp32")]:
        engine = EncodeEngine(_PrecisionStub(model, device, prec), cache, num_workers=0, progress=False)
        key[device, prec] = engine._model_key()
    assert key["cuda", precision] != key["cuda", "fp32"]
    assert key["cuda", precision]["precision"] == precision
    # CPU runs fp32 whatever was asked (autocast is CUDA-only), so they share the fp32 entries
    assert key["cpu", precision] == key["cpu", "fp32"] == key["cuda", "fp32"]
