"""The DINOv2 wrapper: the [CLS] token of transformers' own forward, in any batching; image-only."""

from __future__ import annotations

import pytest

from mieb_models.image_only import DINOEncoder
from mieb_models.registry import get_model_meta, list_models, load_model


@pytest.fixture(scope="module")
def encoder(dinov2_dir):
    return load_model(str(dinov2_dir), device="cpu")


def test_images_match_transformers_cls_token(encoder, dinov2_dir, images, check_batches):
    import torch
    from transformers import AutoImageProcessor, AutoModel

    model = AutoModel.from_pretrained(dinov2_dir).eval()
    processor = AutoImageProcessor.from_pretrained(dinov2_dir)
    with torch.no_grad():
        output = model(**processor(images=images, return_tensors="pt"))
    expected = output.last_hidden_state[:, 0]
    torch.testing.assert_close(expected, output.pooler_output)  # the CLS token after the final norm
    pixels = torch.stack([encoder.preprocess(image) for image in images])
    assert pixels.shape == (5, 3, 32, 32)
    check_batches(encoder.encode_images, pixels, expected)
    check_batches(encoder.encode_images, list(images), expected)


def test_image_only_modalities(dinov2_dir, encoder):
    assert isinstance(encoder, DINOEncoder)
    assert get_model_meta(str(dinov2_dir)).modalities == ("image",)
    assert encoder.meta.modalities == ("image",)
    with pytest.raises(TypeError, match="image-only"):
        encoder.encode_texts(["a cat"])


def test_dinov2_entries_and_alias():
    names = {m.name for m in list_models("facebook/dinov2-*")}
    assert names == {f"facebook/dinov2-{size}" for size in ("small", "base", "large", "giant")}
    meta = get_model_meta("dinov2")
    assert meta.name == "facebook/dinov2-base"
    assert meta.revision == "f9e44c814b77203eaa57a6bdbbd535f21ede1415"
    assert meta.modalities == ("image",) and meta.max_text_length is None and meta.embed_dim == 768
