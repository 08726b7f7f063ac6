"""The deterministic encoder both sides of the parity check run (numpy + PIL only, no torch).

An image is sampled to 8x8 RGB by nearest-pixel indexing (pure numpy, so no dependence on
Pillow's resampling code), projected with a fixed-seed matrix and squashed with ``tanh``. A text
is the embedding of the colour swatch its hash code paints (``tests/support/layouts.text_code``:
code ``c`` is the colour ``(c % 256, c // 256, 0)``) plus a hash-seeded noise vector, so a text is
closest to the swatch painted with its code and retrieval scores are far from chance.
Outputs are float32, or float16 when ``MIEB_PARITY_DTYPE=float16`` (the dtype mteb's wrappers hand
on under CUDA autocast: scikit-learn then computes STS distances and the linear probe in float64).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

DIM = 48
GRID = 8
CODE_SPACE = 1 << 16
TEXT_NOISE = 0.6
DTYPE = np.dtype(os.environ.get("MIEB_PARITY_DTYPE", "float32"))

_rng = np.random.default_rng(20240611)
_W = _rng.standard_normal((GRID * GRID * 3, DIM)) / np.sqrt(GRID * GRID * 3)
_B = _rng.standard_normal(DIM) * 0.3


def _grid(pixels: np.ndarray) -> np.ndarray:
    h, w = pixels.shape[:2]
    rows = (np.arange(GRID) * h) // GRID
    cols = (np.arange(GRID) * w) // GRID
    return pixels[rows][:, cols].astype(np.float64) / 255.0


def _embed_pixels(grid: np.ndarray) -> np.ndarray:
    return np.tanh(3.0 * (grid.reshape(-1) - 0.5) @ _W + _B)


def embed_images(images: Sequence[Any]) -> np.ndarray:
    """One row per image (PIL, any mode)."""
    out = [_embed_pixels(_grid(np.asarray(im.convert("RGB"), dtype=np.uint8))) for im in images]
    return np.asarray(out, dtype=np.float32).reshape(len(images), DIM).astype(DTYPE)


def text_code(text: str) -> int:
    """Same as ``tests.support.layouts.text_code``."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % CODE_SPACE


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    out = []
    for text in texts:
        code = text_code(text)
        grid = np.zeros((GRID, GRID, 3))
        grid[..., 0], grid[..., 1] = (code % 256) / 255.0, (code // 256) / 255.0
        seed = int(hashlib.sha256(("noise:" + text).encode("utf-8")).hexdigest()[:16], 16)
        noise = np.random.default_rng(seed).standard_normal(DIM)
        out.append(_embed_pixels(grid) + TEXT_NOISE * noise)
    return np.asarray(out, dtype=np.float32).reshape(len(texts), DIM).astype(DTYPE)
