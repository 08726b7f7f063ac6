"""Images straight from Arrow: raw bytes read a batch at a time, then decoded exactly or fast.

``read_raw`` gathers a batch of ``{bytes, path}`` structs from an image column in one Arrow take,
without the per-row ``datasets`` decode. ``decode_exact`` turns one into the same RGB PIL image
``datasets`` would (it calls the column's own ``Image.decode_example``: EXIF orientation, mode),
so the default path sees identical pixels. The fast path decodes to uint8 CHW tensors with
torchvision instead: ``split_for_device`` keeps JPEGs without an EXIF rotation as bytes for one
batched nvJPEG call on CUDA (``decode_jpegs``) and decodes every other image on the CPU.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

JPEG_MAGIC = b"\xff\xd8\xff"


def arrow_view(dataset: Any, column: str) -> Any:
    """The one column of ``dataset`` as an Arrow-formatted dataset (cheap to pickle to workers)."""
    return dataset.select_columns([column]).with_format("arrow")


def read_raw(view: Any, column: str, rows: Sequence[int]) -> list[Any]:
    """Undecoded values (``{bytes, path}`` dicts, path strings, or PIL images) of ``rows``, in order."""
    table = view[list(rows)] if len(rows) else view[0:0]
    return table.column(column).to_pylist()


def image_feature(dataset: Any, column: str) -> Any:
    """The column's ``datasets.Image`` feature (decoding on), or a plain one when it has none."""
    import datasets

    feature = dataset.features.get(column)
    if isinstance(feature, datasets.Image):
        return datasets.Image(mode=feature.mode, decode=True)
    return datasets.Image(decode=True)


def decode_exact(value: Any, feature: Any) -> Any:
    """One RGB PIL image, pixel for pixel what reading the row through ``datasets`` gives."""
    from PIL import Image, ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as the reference does: some datasets hold truncated files
    if isinstance(value, (dict, str)):
        value = feature.decode_example(value if isinstance(value, dict) else {"path": value, "bytes": None})
    if not isinstance(value, Image.Image):
        raise TypeError(f"expected an image, got {type(value).__name__}")
    return value if value.mode == "RGB" else value.convert("RGB")


class ImagePathRefused(ValueError):
    """An image cell names a file outside its dataset's folders."""


def contained(value: Any, roots: Sequence[str]) -> Any:
    """``value`` with a file path it names resolved inside ``roots`` (relative: inside the first);
    a path that leads anywhere else (``/etc/...``, ``../..``, a link out) raises ``ImagePathRefused``."""
    path = value.get("path") if isinstance(value, dict) and not value.get("bytes") else value
    if not isinstance(path, str):
        return value
    if not roots:
        raise ImagePathRefused(f"image cell names a file ({path!r}) but its dataset has no folder to read it from")
    base = Path(roots[0])
    resolved = (base / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
    if not any(resolved.is_relative_to(Path(root)) for root in roots):
        raise ImagePathRefused(f"image cell names {path!r}, outside the dataset's folder; not read")
    return {"path": str(resolved), "bytes": None}


def raw_bytes(value: Any) -> bytes | None:
    """The encoded file bytes of a raw value, reading a local path when only that is stored."""
    if isinstance(value, dict):
        if value.get("bytes"):
            return value["bytes"]
        value = value.get("path")
    if isinstance(value, str):
        with open(value, "rb") as handle:
            return handle.read()
    return None


def is_jpeg(data: bytes) -> bool:
    return data[:3] == JPEG_MAGIC


def jpeg_orientation(data: bytes) -> int:
    """The EXIF orientation tag of a JPEG (1 = upright, also when there is no EXIF block)."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD9, 0xDA):  # end of image / start of scan: no more metadata
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and segment[:6] == b"Exif\x00\x00":
            return _tiff_orientation(segment[6:])
        pos += 2 + length
    return 1


def _tiff_orientation(tiff: bytes) -> int:
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1
    order = "<" if tiff[:2] == b"II" else ">"
    (first_ifd,) = struct.unpack(order + "I", tiff[4:8])
    if first_ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(order + "H", tiff[first_ifd : first_ifd + 2])
    for i in range(count):
        entry = first_ifd + 2 + 12 * i
        if entry + 12 > len(tiff):
            break
        tag, _type, _n = struct.unpack(order + "HHI", tiff[entry : entry + 8])
        if tag == 0x0112:
            return struct.unpack(order + "H", tiff[entry + 8 : entry + 10])[0]
    return 1


def decode_tensor(value: Any, feature: Any) -> Any:
    """One image as a uint8 RGB CHW tensor decoded by torchvision (EXIF orientation applied);
    formats torchvision cannot read go through the exact PIL decode."""
    import numpy as np
    import torch
    from torchvision.io import ImageReadMode, decode_image

    data = raw_bytes(value)
    if data is not None:
        try:
            buffer = torch.frombuffer(bytearray(data), dtype=torch.uint8)
            return decode_image(buffer, mode=ImageReadMode.RGB, apply_exif_orientation=True)
        except (RuntimeError, ValueError):
            pass  # BMP, TIFF, CMYK JPEG ...: PIL below
    pixels = np.asarray(decode_exact(value, feature))
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).contiguous()


def split_for_device(values: Sequence[Any], feature: Any, gpu_jpeg: bool) -> list[Any]:
    """Per image: a uint8 CHW tensor decoded here, or (when ``gpu_jpeg``) the bytes of an upright
    JPEG as a 1-D uint8 tensor tagged for the batched device decoder (``JpegBytes``)."""
    import torch

    out: list[Any] = []
    for value in values:
        data = raw_bytes(value) if gpu_jpeg else None
        if data is not None and is_jpeg(data) and jpeg_orientation(data) == 1:
            out.append(JpegBytes(torch.frombuffer(bytearray(data), dtype=torch.uint8)))
        else:
            out.append(decode_tensor(value, feature))
    return out


class JpegBytes:
    """Encoded JPEG bytes waiting for the batched device decoder (nvJPEG ignores EXIF: upright only)."""

    __slots__ = ("data",)

    def __init__(self, data: Any):
        self.data = data


def decode_jpegs(items: list[Any], device: str) -> list[Any]:
    """Replace every ``JpegBytes`` in ``items`` by its decoded RGB CHW uint8 tensor on ``device``:
    one batched ``decode_jpeg(device="cuda")`` call for all of them; per-image CPU decode if that fails
    (nvJPEG refuses some CMYK and unusual progressive files)."""
    import torch
    from torchvision.io import ImageReadMode, decode_image, decode_jpeg

    slots = [i for i, item in enumerate(items) if isinstance(item, JpegBytes)]
    if not slots:
        return items
    out = list(items)
    buffers = [items[i].data for i in slots]
    try:
        decoded = decode_jpeg(buffers, mode=ImageReadMode.RGB, device=device)
    except RuntimeError:
        decoded = [decode_image(b, mode=ImageReadMode.RGB).to(device, non_blocking=True) for b in buffers]
    for i, image in zip(slots, decoded, strict=True):
        out[i] = image if isinstance(image, torch.Tensor) else torch.as_tensor(image)
    return out


def pil_to_bytes(image: Any, format: str = "PNG") -> bytes:
    """Encoded bytes of a PIL image (tests and benchmarks build raw columns with it)."""
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()
