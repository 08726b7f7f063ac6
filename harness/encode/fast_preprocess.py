"""``--fast-preprocess``: the model's resize / crop / normalise re-done on uint8 tensors, on its device.

The exact path runs each checkpoint's own transform on PIL images (PIL bicubic, one image at a
time, in CPU workers). This path reads the same parameters (``PixelSpec``) from the transform and
applies them with torchvision's tensor kernels to a batch, on the model's device (CUDA: after
the batched nvJPEG decode). Pixels differ slightly from PIL's (other resampling kernels, other
JPEG decoders), so it is a choice whose score effect is measured (docs/measured.md), never the
default. ``pixel_spec(model)`` returns ``None`` for a transform it does not recognise: the engine
then keeps the exact path for that model and says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("mieb.encode")

FAST_ID = "fast-tensor-v1"  # part of the cache key of embeddings computed on this path

# PIL resample codes (as image processors store them) -> torchvision interpolation names
_PIL_RESAMPLE = {0: "nearest", 2: "bilinear", 3: "bicubic", 1: "lanczos"}


@dataclass(frozen=True)
class PixelSpec:
    """What a checkpoint's image transform does, in numbers.

    ``resize``: the shorter side's target (int) or an exact (height, width); ``crop``: centre-crop
    (height, width) or None; pixels are scaled by ``rescale`` then normalised by ``mean``/``std``.
    """

    resize: int | tuple[int, int] | None
    interpolation: str
    crop: tuple[int, int] | None
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    rescale: float = 1 / 255
    antialias: bool = True
    # where an odd crop margin goes: transformers' processors floor it, torchvision's CenterCrop rounds
    crop_offset: str = "round"


def pixel_spec(model: Any) -> PixelSpec | None:
    """The ``PixelSpec`` of a model's image transform, or None when it is not one we can mirror."""
    explicit = getattr(model, "pixel_spec", None)
    if isinstance(explicit, PixelSpec):
        return explicit
    pixels = getattr(model, "pixels", None)  # mieb_models.hf_pixels.DevicePixels
    processor = getattr(pixels, "image_processor", None)
    if processor is not None:
        return _from_image_processor(processor)
    transform = getattr(model, "preprocess", None)
    return _from_torchvision(transform)


def _size_value(size: Any, key: str) -> Any:
    return size.get(key) if isinstance(size, dict) else getattr(size, key, None)


def _from_image_processor(processor: Any) -> PixelSpec | None:
    size = getattr(processor, "size", None)
    resize: int | tuple[int, int] | None = None
    if getattr(processor, "do_resize", True) and size is not None:
        short, height, width = (_size_value(size, k) for k in ("shortest_edge", "height", "width"))
        if short and not (height or width):
            resize = int(short)
        elif height and width:
            resize = (int(height), int(width))
        else:
            return None
        if _size_value(size, "longest_edge"):
            return None  # a size cap the tensor path does not mirror
    crop = None
    if getattr(processor, "do_center_crop", False):
        crop_size = processor.crop_size
        crop = (int(_size_value(crop_size, "height")), int(_size_value(crop_size, "width")))
    resample = getattr(processor, "resample", 3)
    interpolation = _PIL_RESAMPLE.get(int(getattr(resample, "value", resample)))
    if interpolation is None or interpolation == "lanczos":
        return None
    normalize = getattr(processor, "do_normalize", False)
    return PixelSpec(
        resize=resize,
        interpolation=interpolation,
        crop=crop,
        mean=tuple(processor.image_mean) if normalize else None,
        std=tuple(processor.image_std) if normalize else None,
        rescale=float(processor.rescale_factor) if getattr(processor, "do_rescale", True) else 1.0,
        crop_offset="floor",
    )


def _from_torchvision(transform: Any) -> PixelSpec | None:
    """open_clip's Compose, torchvision weight presets, and the offline models' ImageTransform."""
    if transform is None:
        return None
    if hasattr(transform, "kind") and hasattr(transform, "resize"):  # mieb_models.offline.ImageTransform
        transform(_probe_image())  # builds the underlying torchvision transform
        transform = transform._transform
    if all(hasattr(transform, a) for a in ("resize_size", "crop_size", "mean", "std", "interpolation")):
        size = list(transform.resize_size)
        return PixelSpec(
            resize=int(size[0]) if len(size) == 1 else (int(size[0]), int(size[1])),
            interpolation=transform.interpolation.value,
            crop=_pair(transform.crop_size),
            mean=tuple(transform.mean),
            std=tuple(transform.std),
            antialias=bool(getattr(transform, "antialias", True)),
        )
    steps = getattr(transform, "transforms", None)
    if steps is None:
        return None
    resize = crop = mean = std = None
    interpolation, antialias = "bilinear", True
    for step in steps:
        name = type(step).__name__
        if name == "Resize":
            if getattr(step, "max_size", None):
                return None
            size = step.size
            resize = int(size) if isinstance(size, int) else _pair(size)
            if isinstance(resize, tuple) and len(size) == 1:
                resize = int(size[0])
            interpolation = step.interpolation.value
            antialias = step.antialias is not False
        elif name == "CenterCrop":
            crop = _pair(step.size)
        elif name == "Normalize":
            mean, std = tuple(step.mean), tuple(step.std)
        elif name in {
            "MaybeConvertMode",
            "MaybeToTensor",
            "ToTensor",
            "PILToTensor",
            "ToImage",
            "ToDtype",
            "_convert_to_rgb",
            "function",
        }:
            continue
        else:
            return None  # a step we do not mirror (ResizeKeepRatio, RandomCrop ...)
    if interpolation not in ("bilinear", "bicubic", "nearest"):
        return None
    return PixelSpec(resize=resize, interpolation=interpolation, crop=crop, mean=mean, std=std, antialias=antialias)


def _pair(size: Any) -> tuple[int, int]:
    if isinstance(size, int):
        return (size, size)
    size = list(size)
    return (int(size[0]), int(size[-1]))


def _probe_image() -> Any:
    from PIL import Image

    return Image.new("RGB", (8, 8))


def _center_crop(batch: Any, crop: tuple[int, int], offset: str) -> Any:
    from torchvision.transforms.v2 import functional as F

    height, width = batch.shape[-2:]
    if offset == "round" or crop[0] > height or crop[1] > width:
        return F.center_crop(batch, list(crop))  # pads small images as both references do
    top, left = int((height - crop[0]) / 2.0), int((width - crop[1]) / 2.0)
    return batch[..., top : top + crop[0], left : left + crop[1]]


def apply_spec(images: list[Any], spec: PixelSpec) -> Any:
    """uint8 CHW tensors (any sizes, on one device) -> the model-ready float NCHW batch there.

    Resizing runs in float and is rounded back to 0..255, as PIL's uint8 output is; images of one
    size are resized in one call.
    """
    import torch
    from torchvision.transforms.v2 import InterpolationMode
    from torchvision.transforms.v2 import functional as F

    mode = InterpolationMode(spec.interpolation)
    out: list[Any] = [None] * len(images)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, image in enumerate(images):
        groups.setdefault(tuple(image.shape[-2:]), []).append(i)
    for indices in groups.values():
        batch = torch.stack([images[i] for i in indices]).float()
        if spec.resize is not None:
            size = [spec.resize] if isinstance(spec.resize, int) else list(spec.resize)
            batch = F.resize(batch, size, interpolation=mode, antialias=spec.antialias)
            batch = batch.round_().clamp_(0, 255)
        if spec.crop is not None:
            batch = _center_crop(batch, spec.crop, spec.crop_offset)
        for j, i in enumerate(indices):
            out[i] = batch[j]
    x = torch.stack(out)
    if spec.rescale != 1.0:
        x = x * spec.rescale
    if spec.mean is not None and spec.std is not None:
        mean = torch.tensor(spec.mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(spec.std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        x = (x - mean) / std
    return x
