"""Raw image reading and decoding: the exact path equals ``datasets``' own decode; the tensor
decoders (the CPU fallbacks of the CUDA path) agree with PIL."""

from __future__ import annotations

import io

import datasets
import numpy as np
import pytest
import torch
from PIL import Image

from harness.encode import imageio


def _jpeg(image: Image.Image, orientation: int | None = None, quality: int = 95) -> bytes:
    buffer = io.BytesIO()
    exif = None
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
    image.save(buffer, format="JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def _picture(width: int = 40, height: int = 24, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, width * height * 3).reshape(height, width, 3)
    noise = rng.integers(0, 40, (height, width, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def mixed_dataset() -> datasets.Dataset:
    """PNG (RGB, RGBA, L), upright JPEG, EXIF-rotated JPEGs, in one Image column."""
    pic = _picture()
    values = [
        imageio.pil_to_bytes(pic),
        imageio.pil_to_bytes(pic.convert("RGBA")),
        imageio.pil_to_bytes(pic.convert("L")),
        _jpeg(pic),
        _jpeg(pic, orientation=6),
        _jpeg(pic, orientation=3),
        _jpeg(pic.convert("L")),
    ]
    features = datasets.Features({"image": datasets.Image(), "label": datasets.Value("int64")})
    rows = {"image": [{"bytes": v, "path": None} for v in values], "label": list(range(len(values)))}
    return datasets.Dataset.from_dict(rows, features=features)


def test_exact_decode_equals_datasets_rows(mixed_dataset: datasets.Dataset) -> None:
    selected = mixed_dataset.select([6, 0, 4, 2, 5, 1, 3])  # an indices mapping, out of order
    view = imageio.arrow_view(selected, "image")
    feature = imageio.image_feature(selected, "image")
    raw = imageio.read_raw(view, "image", [0, 2, 4, 6, 1])
    for value, row in zip(raw, [0, 2, 4, 6, 1], strict=True):
        expected = selected[row]["image"].convert("RGB")
        got = imageio.decode_exact(value, feature)
        assert got.mode == "RGB" and got.size == expected.size
        assert np.array_equal(np.asarray(got), np.asarray(expected))


def test_rotated_jpeg_is_really_rotated(mixed_dataset: datasets.Dataset) -> None:
    feature = imageio.image_feature(mixed_dataset, "image")
    raw = imageio.read_raw(imageio.arrow_view(mixed_dataset, "image"), "image", [4])
    assert imageio.decode_exact(raw[0], feature).size == (24, 40)  # orientation 6: width and height swap


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_jpeg_orientation_matches_pil(orientation: int) -> None:
    data = _jpeg(_picture(), orientation=orientation)
    assert imageio.jpeg_orientation(data) == Image.open(io.BytesIO(data)).getexif().get(0x0112)


def test_jpeg_orientation_without_exif_is_upright() -> None:
    assert imageio.jpeg_orientation(_jpeg(_picture())) == 1
    assert imageio.jpeg_orientation(b"\xff\xd8\xff") == 1  # truncated: no crash


def test_tensor_decode_matches_pil(mixed_dataset: datasets.Dataset) -> None:
    feature = imageio.image_feature(mixed_dataset, "image")
    raw = imageio.read_raw(imageio.arrow_view(mixed_dataset, "image"), "image", range(len(mixed_dataset)))
    for i, value in enumerate(raw):
        tensor = imageio.decode_tensor(value, feature)
        reference = torch.from_numpy(np.asarray(imageio.decode_exact(value, feature)).copy()).permute(2, 0, 1)
        assert tensor.dtype == torch.uint8 and tensor.shape == reference.shape, i
        diff = (tensor.int() - reference.int()).abs()
        if i < 3:  # PNG is lossless: identical pixels
            assert diff.max() == 0, i
        else:  # JPEG: same libjpeg family, IDCT/upsampling may differ by a few levels
            assert diff.float().mean() < 2.0, i


def test_split_for_device_keeps_only_upright_jpegs_encoded(mixed_dataset: datasets.Dataset) -> None:
    feature = imageio.image_feature(mixed_dataset, "image")
    raw = imageio.read_raw(imageio.arrow_view(mixed_dataset, "image"), "image", range(len(mixed_dataset)))
    items = imageio.split_for_device(raw, feature, gpu_jpeg=True)
    kinds = [type(item).__name__ for item in items]
    assert kinds == ["Tensor", "Tensor", "Tensor", "JpegBytes", "Tensor", "Tensor", "JpegBytes"]
    assert all(isinstance(item, torch.Tensor) for item in imageio.split_for_device(raw, feature, gpu_jpeg=False))


def test_batched_jpeg_decode_cpu_fallback_equals_per_image_decode(mixed_dataset: datasets.Dataset) -> None:
    """``decode_jpegs`` on device "cpu" runs the same batched call the CUDA path makes."""
    feature = imageio.image_feature(mixed_dataset, "image")
    raw = imageio.read_raw(imageio.arrow_view(mixed_dataset, "image"), "image", range(len(mixed_dataset)))
    items = imageio.decode_jpegs(imageio.split_for_device(raw, feature, gpu_jpeg=True), "cpu")
    for item, value in zip(items, raw, strict=True):
        assert torch.equal(item, imageio.decode_tensor(value, feature))


def test_path_only_values_are_read_from_disk(tmp_path) -> None:
    path = tmp_path / "a.png"
    _picture().save(path)
    feature = datasets.Image()
    tensor = imageio.decode_tensor({"bytes": None, "path": str(path)}, feature)
    assert torch.equal(tensor, torch.from_numpy(np.asarray(_picture()).copy()).permute(2, 0, 1))
    assert np.array_equal(np.asarray(imageio.decode_exact(str(path), feature)), np.asarray(_picture()))
