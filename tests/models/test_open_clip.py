"""The open_clip wrapper: the same embeddings as open_clip's own forward, in any batching."""

from __future__ import annotations

import pickle
import shutil

import pytest

from mieb_models import open_clip_models
from mieb_models.registry import get_model_meta, list_models, load_model


@pytest.fixture(scope="module")
def encoder(open_clip_dir):
    return load_model(str(open_clip_dir), device="cpu")


@pytest.fixture(scope="module")
def library(open_clip_dir):
    """open_clip's own model, transform and tokenizer for the same directory."""
    import open_clip

    model, _, transform = open_clip.create_model_and_transforms(f"local-dir:{open_clip_dir}")
    return model.eval(), transform, open_clip.get_tokenizer(f"local-dir:{open_clip_dir}")


def test_local_dir_metadata(open_clip_dir, encoder):
    meta = get_model_meta(str(open_clip_dir))
    assert meta.framework == "open_clip" and meta.modalities == ("image", "text")
    assert meta.revision and len(meta.revision) == 40  # a content hash of the weights
    assert encoder.meta.name == f"local/{open_clip_dir.name}"


def test_images_match_open_clip(encoder, library, images, check_batches):
    import torch

    model, transform, _ = library
    with torch.no_grad():
        expected = model.encode_image(torch.stack([transform(image) for image in images]))
    pixels = torch.stack([encoder.preprocess(image) for image in images])
    assert torch.equal(pixels, torch.stack([transform(image) for image in images]))
    check_batches(encoder.encode_images, pixels, expected)
    check_batches(encoder.encode_images, list(images), expected)  # PIL input is preprocessed the same way


def test_texts_match_open_clip(encoder, library, texts, check_batches):
    import torch

    model, _, tokenizer = library
    with torch.no_grad():
        expected = model.encode_text(tokenizer(texts))
    assert tokenizer(texts).shape == (len(texts), 77)  # truncated and padded at the context length
    check_batches(encoder.encode_texts, texts, expected)


def test_preprocess_is_picklable_for_dataloader_workers(encoder, images):
    import torch

    clone = pickle.loads(pickle.dumps(encoder.preprocess))
    assert torch.equal(clone(images[2]), encoder.preprocess(images[2]))


def test_hub_entry_downloads_at_pinned_revision(open_clip_dir, tmp_path, monkeypatch, images):
    """Hub entries fetch config + weights at the entry's revision, then load as a local directory."""
    import huggingface_hub
    from huggingface_hub.errors import EntryNotFoundError

    snapshot = tmp_path / "snapshot"
    shutil.copytree(open_clip_dir, snapshot)
    calls = []

    def fake_download(repo_id, filename, revision=None, **_):
        calls.append((repo_id, filename, revision))
        if not (snapshot / filename).is_file():
            raise EntryNotFoundError(filename)
        return str(snapshot / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    meta = get_model_meta("laion/CLIP-ViT-B-32-laion2B-s34B-b79K")
    encoder = load_model(meta, device="cpu")
    assert {revision for _, _, revision in calls} == {meta.revision}
    assert [f for _, f, _ in calls] == [
        "open_clip_config.json",
        "open_clip_model.safetensors",
        "open_clip_pytorch_model.bin",
    ]
    assert encoder.meta is meta
    assert encoder.encode_images([images[0]]).shape == (1, 16)


def test_tag_entries_exist_in_open_clip():
    """EVA02 / MetaCLIP entries name an open_clip config + pretrained tag with the declared width."""
    import open_clip

    tagged = [m for m in list_models() if m.loader_kwargs.get("pretrained")]
    assert {m.name for m in tagged} >= {"QuanSun/EVA02-CLIP-bigE-14-plus", "QuanSun/EVA02-CLIP-B-16"}
    for meta in tagged:
        arch, tag = meta.loader_kwargs["open_clip_name"], meta.loader_kwargs["pretrained"]
        assert tag in open_clip.list_pretrained_tags_by_model(arch), meta.name
        assert open_clip.get_model_config(arch)["embed_dim"] == meta.embed_dim, meta.name
        if meta.name.startswith("timm/"):
            assert open_clip.get_pretrained_cfg(arch, tag)["hf_hub"] == meta.name + "/"


def test_hub_entry_architectures_have_declared_width():
    import open_clip

    for meta in list_models("laion/*"):
        assert open_clip.get_model_config(meta.architecture)["embed_dim"] == meta.embed_dim, meta.name


def test_tag_entry_loads_through_open_clip_tag(monkeypatch):
    import open_clip

    seen = {}

    def fake_create(name, pretrained=None, device=None, **_):
        seen.update(name=name, pretrained=pretrained)
        raise RuntimeError("stop before downloading")

    monkeypatch.setattr(open_clip, "create_model_and_transforms", fake_create)
    with pytest.raises(RuntimeError, match="stop before downloading"):
        load_model("QuanSun/EVA02-CLIP-bigE-14-plus", device="cpu")
    assert seen == {"name": "EVA02-E-14-plus", "pretrained": "laion2b_s9b_b144k"}


def test_local_loader_is_registered():
    assert open_clip_models.LOCAL_LOADERS["open_clip"] is open_clip_models.load_open_clip
