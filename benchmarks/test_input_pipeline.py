"""Images/s of the input pipeline against the bare forward, for one ViT-B/32-size CLIP.

    pytest benchmarks/test_input_pipeline.py -s            # CPU always, CUDA too when present

(a) decode only, (b) decode + preprocess, (c) the full encode (``EncodeEngine.images``: Arrow
read, decode, preprocess, transfer, forward), (d) the bare forward on pre-made device tensors;
each for the exact path and ``--fast-preprocess``. Printed and stored in the benchmark's
``extra_info``: images/s of each and the ratio (d)/(c) rate, i.e. the full encode's time over the
bare forward's (goal on a GPU: <= 1.2). JPEG test images (the format the CUDA decoder takes).
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
import torch

N_IMAGES = 96
RESULTS: dict[tuple[str, str], dict[str, float]] = {}

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    from mieb_models.clip_tokenizer import write_clip_tokenizer_files

    folder = tmp_path_factory.mktemp("vit-b32")
    torch.manual_seed(0)
    CLIPModel(CLIPConfig()).eval().save_pretrained(folder)
    write_clip_tokenizer_files(folder)
    CLIPProcessor(
        image_processor=CLIPImageProcessor(), tokenizer=CLIPTokenizer.from_pretrained(folder)
    ).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def jpeg_images():
    """ImageNet-like JPEGs (varied sizes around 400x350) in a datasets Image column."""
    import datasets
    from PIL import Image

    rng = np.random.default_rng(0)
    values = []
    for _ in range(N_IMAGES):
        w, h = 380 + int(rng.integers(0, 80)), 320 + int(rng.integers(0, 80))
        grad = np.add.outer(np.linspace(0, 200, h), np.linspace(0, 50, w))[..., None].repeat(3, 2)
        pixels = np.clip(grad + rng.integers(0, 40, grad.shape), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
        values.append({"bytes": buffer.getvalue(), "path": None})
    return datasets.Dataset.from_dict({"image": values}, features=datasets.Features({"image": datasets.Image()}))


def _model(checkpoint: Path, device: str):
    from harness.api import get_model

    precision = "fp16" if device == "cuda" else "fp32"
    return get_model(str(checkpoint), device=device, precision=precision)


def _record(device: str, path: str, stage: str, seconds: float) -> float:
    rate = N_IMAGES / seconds
    RESULTS.setdefault((device, path), {})[stage] = rate
    return rate


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("path", ["exact", "fast"])
def test_a_decode(benchmark, jpeg_images, device: str, path: str) -> None:
    from harness.encode import imageio

    view = imageio.arrow_view(jpeg_images, "image")
    feature = imageio.image_feature(jpeg_images, "image")

    def run() -> None:
        raw = imageio.read_raw(view, "image", range(N_IMAGES))
        if path == "exact":
            [imageio.decode_exact(v, feature) for v in raw]
        else:
            imageio.decode_jpegs(imageio.split_for_device(raw, feature, gpu_jpeg=device == "cuda"), device)
            _sync(device)

    run()  # warm-up: first-call costs (decoder libraries, kernels) are not the pipeline's rate
    start = time.perf_counter()
    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["images_per_s"] = _record(device, path, "a_decode", time.perf_counter() - start)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("path", ["exact", "fast"])
def test_b_decode_preprocess(benchmark, checkpoint, jpeg_images, device: str, path: str) -> None:
    from harness.data.records import ImageSource
    from harness.encode.engine import EncodeEngine, _ImageBatches

    model = _model(checkpoint, device)
    engine = EncodeEngine(model, None, batch_size=32, num_workers=0, progress=False, fast_preprocess=path == "fast")
    source = ImageSource(jpeg_images, "bench", "image")
    on_cuda = device == "cuda"
    batches = _ImageBatches(
        source,
        32,
        model.preprocess,
        engine.spec,
        preprocess_batch=getattr(model, "preprocess_batch", None),
        gpu_jpeg=on_cuda,
        finish_here=not on_cuda,
    )

    def run() -> None:
        for b in range(len(batches)):
            engine._finish_on_device(batches[b]) if on_cuda else batches[b]
        _sync(device)

    run()  # warm-up
    start = time.perf_counter()
    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["images_per_s"] = _record(device, path, "b_decode_preprocess", time.perf_counter() - start)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("path", ["exact", "fast"])
def test_c_full_encode(benchmark, checkpoint, jpeg_images, device: str, path: str) -> None:
    from harness.data.records import ImageSource
    from harness.encode.engine import EncodeEngine

    model = _model(checkpoint, device)
    engine = EncodeEngine(model, None, batch_size=32, progress=False, fast_preprocess=path == "fast")
    source = ImageSource(jpeg_images, "bench", "image")
    engine._encode_images(source.select(range(4)))  # warm-up, as the bare forward has one
    start = time.perf_counter()
    benchmark.pedantic(lambda: engine._encode_images(source), rounds=1, iterations=1)
    benchmark.extra_info["images_per_s"] = _record(device, path, "c_full_encode", time.perf_counter() - start)


@pytest.mark.parametrize("device", DEVICES)
def test_d_bare_forward_and_ratio(benchmark, checkpoint, device: str) -> None:
    model = _model(checkpoint, device)
    batches = [torch.randn(32, 3, 224, 224, device=device) for _ in range(N_IMAGES // 32)]

    def run() -> None:
        for batch in batches:
            model.encode_images(batch)
        _sync(device)

    model.encode_images(batches[0])  # warm-up (kernel selection, allocator)
    start = time.perf_counter()
    benchmark.pedantic(run, rounds=1, iterations=1)
    bare = _record(device, "bare", "d_bare_forward", time.perf_counter() - start)
    benchmark.extra_info["images_per_s"] = bare
    lines = [f"\n{device}: bare forward {bare:,.3g} img/s"]
    for path in ("exact", "fast"):
        rates = RESULTS.get((device, path), {})
        full = rates.get("c_full_encode")
        stages = ", ".join(f"{k} {v:,.3g} img/s" for k, v in sorted(rates.items()))
        ratio = f", (c)/(d) time ratio {bare / full:.2f}" if full else ""
        benchmark.extra_info[f"{path}_ratio_c_over_d"] = bare / full if full else None
        lines.append(f"  {path}: {stages}{ratio}")
    print("\n".join(lines))
