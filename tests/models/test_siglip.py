"""The SigLIP wrapper against transformers' own forward, plus the remote-code and placeholder entries."""

from __future__ import annotations

import pytest

from mieb_models.registry import RemoteCodeRefused, get_model_meta, list_models, load_model
from mieb_models.siglip import SiglipEncoder


@pytest.fixture(scope="module")
def encoder(siglip_dir):
    return load_model(str(siglip_dir), device="cpu")


@pytest.fixture(scope="module")
def library(siglip_dir):
    from transformers import AutoModel, AutoProcessor

    return AutoModel.from_pretrained(siglip_dir).eval(), AutoProcessor.from_pretrained(siglip_dir)


def test_local_dir_dispatches_to_siglip(siglip_dir, encoder):
    meta = get_model_meta(str(siglip_dir))
    assert meta.architecture == "siglip" and meta.modalities == ("image", "text")
    assert isinstance(encoder, SiglipEncoder)
    assert encoder.max_length == 16  # the text position limit


def test_images_match_transformers(encoder, library, images, check_batches):
    import torch

    model, processor = library
    with torch.no_grad():  # the reference: the whole batch through the processor at once
        expected = model.get_image_features(**processor(images=images, return_tensors="pt")).pooler_output
    pixels = torch.stack([encoder.preprocess(image) for image in images])
    check_batches(encoder.encode_images, pixels, expected)


def test_texts_match_transformers_max_length_padding(encoder, library, texts, check_batches):
    import torch

    model, processor = library
    tokens = processor(text=texts, padding="max_length", truncation=True, return_tensors="pt")
    assert tokens["input_ids"].shape == (len(texts), 16)
    with torch.no_grad():
        expected = model.get_text_features(**tokens).pooler_output
    check_batches(encoder.encode_texts, texts, expected)


def test_tokenizer_without_a_limit_is_capped_at_the_position_limit(encoder, texts, monkeypatch):
    monkeypatch.setattr(encoder.processor.tokenizer, "model_max_length", int(1e30))
    assert encoder.tokenize(texts)["input_ids"].shape == (len(texts), 16)
    assert encoder.encode_texts(texts).shape == (len(texts), 32)


def test_siglip_entries_and_alias():
    names = {m.name for m in list_models("*siglip*")}
    assert len(names) >= 10
    assert {"google/siglip-base-patch16-224", "google/siglip-so400m-patch14-384"} <= names
    assert get_model_meta("siglip").name == "google/siglip-base-patch16-224"
    assert get_model_meta("google/siglip-so400m-patch14-224").max_text_length == 16


@pytest.mark.parametrize("name", ["jinaai/jina-clip-v1", "jinaai/jina-clip-v2", "TIGER-Lab/VLM2Vec-Full"])
def test_remote_code_models_are_refused_without_the_flag(name):
    assert get_model_meta(name).needs_remote_code
    with pytest.raises(RemoteCodeRefused, match="--trust-remote-code"):
        load_model(name)


def test_jina_loader_itself_refuses_without_the_flag():
    meta = get_model_meta("jinaai/jina-clip-v1")
    with pytest.raises(RemoteCodeRefused):
        meta.loader(meta, trust_remote_code=False)


@pytest.mark.parametrize("name", ["royokong/e5-v", "TIGER-Lab/VLM2Vec-Full"])
def test_unsupported_models_raise_a_clear_error(name):
    with pytest.raises(NotImplementedError, match="not supported yet"):
        load_model(name, trust_remote_code=True)


def test_align_matches_transformers(align_dir, images, texts, check_batches):
    import torch
    from transformers import AutoModel, AutoProcessor

    from mieb_models.siglip import AlignEncoder

    encoder = load_model(str(align_dir), device="cpu")
    assert isinstance(encoder, AlignEncoder)
    model, processor = AutoModel.from_pretrained(align_dir).eval(), AutoProcessor.from_pretrained(align_dir)
    with torch.no_grad():
        expected_images = model.get_image_features(**processor(images=images, return_tensors="pt")).pooler_output
        tokens = processor(text=texts, padding=True, truncation=True, return_tensors="pt")
        expected_texts = model.get_text_features(**tokens).pooler_output
    assert tokens["input_ids"].shape == encoder.tokenize(texts)["input_ids"].shape == (5, 29)  # longest
    check_batches(encoder.encode_images, torch.stack([encoder.preprocess(image) for image in images]), expected_images)
    check_batches(encoder.encode_texts, texts, expected_texts)
