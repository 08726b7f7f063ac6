"""The transformers CLIP wrapper equals the library's own forward, whatever the batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.data.records import ImageSource
from harness.encode.engine import EncodeEngine
from mieb_models.registry import get_model_meta, load_model
from tests.support.datasets_local import digit_images


@pytest.fixture(scope="module")
def clip(tiny_clip_dir):
    return load_model(str(tiny_clip_dir), device="cpu")


def test_local_directory_resolves_with_content_hash(tiny_clip_dir) -> None:
    meta = get_model_meta(str(tiny_clip_dir))
    assert meta.name == f"local/{tiny_clip_dir.name}"
    assert len(meta.revision) == 40
    assert meta.modalities == ("image", "text")


def test_embeddings_equal_library_forward(clip, tiny_clip_dir) -> None:
    from transformers import CLIPModel, CLIPProcessor

    model = CLIPModel.from_pretrained(tiny_clip_dir).eval()
    processor = CLIPProcessor.from_pretrained(tiny_clip_dir)
    images, _ = digit_images(7)
    texts = ["a photo of a cat.", "a much longer caption about a dog running in a park", "x"]
    with torch.no_grad():
        ref_img = model.get_image_features(**processor(images=images, return_tensors="pt")).pooler_output.numpy()
        ref_txt = model.get_text_features(**processor(text=texts, padding=True, return_tensors="pt")).pooler_output
    import datasets

    dataset = datasets.Dataset.from_dict({"image": images}, features=datasets.Features({"image": datasets.Image()}))
    source = ImageSource(dataset, "digits", "image")
    for batch_size in (1, 3, 7):
        engine = EncodeEngine(clip, None, batch_size=batch_size, num_workers=0, progress=False)
        np.testing.assert_allclose(engine.images(source), ref_img, atol=1e-5)
        np.testing.assert_allclose(engine.texts(texts), ref_txt.numpy(), atol=1e-5)


def test_fused_is_sum_of_unnormalised_towers(clip) -> None:
    import datasets

    images, _ = digit_images(3)
    dataset = datasets.Dataset.from_dict({"image": images}, features=datasets.Features({"image": datasets.Image()}))
    source = ImageSource(dataset, "digits", "image")
    engine = EncodeEngine(clip, None, batch_size=2, num_workers=0, progress=False)
    texts = ["red", "green", "blue"]
    np.testing.assert_allclose(engine.fused(texts, source), engine.texts(texts) + engine.images(source), atol=1e-6)
