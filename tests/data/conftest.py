"""Fixtures of the data-view tests: a private datasets cache and a deterministic fake encoder.

The fake encoder embeds an image as the histogram of its pixel codes and a text as the one-hot
vector of its hash code (``tests.support.layouts``), so cosine similarities are hand-derivable:
a text and a single-code swatch painted with ``text_code(text)`` have cosine 1, different codes 0,
and a swatch with stripes ``[(a, 6), (b, 2)]`` has cosine ``0.75 / sqrt(0.75**2 + 0.25**2)`` with
code ``a``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _private_datasets_cache(tmp_path_factory: pytest.TempPathFactory):
    """Arrow caches of the local snapshots go to a temporary folder, not the user's HF cache."""
    import datasets

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("hf-datasets-cache"))
        datasets.disable_progress_bars()
        yield


class FakeEncoder:
    """Images: normalised histogram of pixel codes. Texts: one-hot of the text's hash code."""

    def __init__(self):
        from mieb_models.base import ModelMeta

        self.meta = ModelMeta(
            name="test/fake", revision="1", framework="custom", architecture="fake", modalities=("image", "text")
        )

    def encode_images(self, images: list) -> np.ndarray:
        from tests.support.layouts import CODE_SPACE, pixel_codes

        out = np.zeros((len(images), CODE_SPACE), dtype=np.float32)
        for row, image in enumerate(images):
            codes = pixel_codes(image)
            out[row] = np.bincount(codes, minlength=CODE_SPACE) / codes.size
        return out

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        from tests.support.layouts import CODE_SPACE, text_code

        out = np.zeros((len(texts), CODE_SPACE), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, text_code(text)] = 1.0
        return out


@pytest.fixture
def engine():
    """A fresh in-memory encode engine over the fake encoder (no cache, no workers)."""
    from harness.encode.engine import EncodeEngine

    return EncodeEngine(FakeEncoder(), None, num_workers=0, progress=False)
