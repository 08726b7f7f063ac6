"""PixelSpec read from each wrapper family's transform, checked against that transform's output;
and the prefetch thread that overlaps batch n+1 with batch n (run here without CUDA)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from PIL import Image

from harness.encode.fast_preprocess import PixelSpec, apply_spec, pixel_spec
from harness.encode.prefetch import DevicePrefetcher


def _pictures() -> list[Image.Image]:
    rng = np.random.default_rng(1)
    sizes = [(300, 200), (181, 257), (224, 224), (97, 63)]
    out = []
    for w, h in sizes:
        grad = np.add.outer(np.linspace(0, 180, h), np.linspace(0, 60, w))[..., None].repeat(3, 2)
        out.append(Image.fromarray(np.clip(grad + rng.integers(0, 15, grad.shape), 0, 255).astype(np.uint8)))
    return out


def _tensor(picture: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(picture).copy()).permute(2, 0, 1)


class _Holder:
    def __init__(self, preprocess):
        self.preprocess = preprocess


def _close_to(transform, spec: PixelSpec, tolerance_levels: float) -> None:
    pictures = _pictures()
    theirs = torch.stack([transform(p) for p in pictures])
    ours = apply_spec([_tensor(p) for p in pictures], spec)
    assert ours.shape == theirs.shape
    level = 1 / 255 / min(spec.std)
    # PIL and tensor kernels resample slightly differently: the mean gap stays within a level
    assert (ours - theirs).abs().mean() <= tolerance_levels * level


def test_open_clip_transform() -> None:
    import open_clip

    transform = open_clip.image_transform(224, is_train=False)
    spec = pixel_spec(_Holder(transform))
    assert spec == PixelSpec(
        resize=224,
        interpolation="bicubic",
        crop=(224, 224),
        mean=open_clip.OPENAI_DATASET_MEAN,
        std=open_clip.OPENAI_DATASET_STD,
    )
    _close_to(transform, spec, 1.0)


def test_torchvision_weight_preset() -> None:
    import torchvision

    transform = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
    spec = pixel_spec(_Holder(transform))
    assert (spec.resize, spec.crop, spec.interpolation) == (256, (224, 224), "bilinear")
    _close_to(transform, spec, 1.0)


def test_offline_image_transform() -> None:
    from mieb_models.offline import ImageTransform

    transform = ImageTransform("efficientnet_lite0")
    spec = pixel_spec(_Holder(transform))
    assert spec.mean == pytest.approx((127 / 255,) * 3) and spec.crop == (224, 224)
    _close_to(transform, spec, 1.0)


def test_unknown_transform_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    from torchvision import transforms

    from harness.encode.engine import _fast_spec
    from mieb_models.base import ModelMeta

    holder = _Holder(transforms.Compose([transforms.RandomResizedCrop(224), transforms.ToTensor()]))
    assert pixel_spec(holder) is None
    holder.meta = ModelMeta("x/y", "1", "custom", "X", ("image",))
    with caplog.at_level(logging.WARNING, logger="mieb.encode"):
        assert _fast_spec(holder) is None
    assert "keeps its exact path" in caplog.text


def test_prefetcher_keeps_order_and_finishes_each_batch() -> None:
    out = list(DevicePrefetcher(iter(range(20)), "cpu", lambda b: b * 10, depth=2))
    assert out == [b * 10 for b in range(20)]


def test_prefetcher_raises_the_producers_error_in_the_consumer() -> None:
    def batches():
        yield 1
        raise OSError("broken file")

    seen = []
    with pytest.raises(OSError, match="broken file"):
        for item in DevicePrefetcher(batches(), "cpu"):
            seen.append(item)
    assert seen == [1]


def test_prefetcher_stops_its_thread_when_the_consumer_stops() -> None:
    import threading

    before = threading.active_count()
    for item in DevicePrefetcher(iter(range(1000)), "cpu", depth=1):
        if item == 3:
            break
    assert threading.active_count() == before
