"""The model registry: entries, metadata, wildcards, aliases, errors, local directories, factories."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.catalogue.queries import UnknownNameError
from mieb_models.base import ModelMeta, has_modalities
from mieb_models.registry import RemoteCodeRefused, get_model_meta, list_models, load_model

# Every open-weight model with published MIEB scores (voyage-multimodal-3 is an API model).
REFERENCE_MODELS = {
    "QuanSun/EVA02-CLIP-bigE-14-plus": "11afd202f2ae80869d6cef18b1ec775e79bd8d12",
    "facebook/dinov2-base": "f9e44c814b77203eaa57a6bdbbd535f21ede1415",
    "google/siglip-base-patch16-224": "7fd15f0689c79d79e38b1c2e2e2370a7bf2761ed",
    "google/siglip-so400m-patch14-384": "9fdffc58afc957d1a03a25b10dba0329ab15c2a3",
    "jinaai/jina-clip-v1": "06150c7c382d7a4faedc7d5a0d8cdb59308968f4",
    "laion/CLIP-ViT-B-32-laion2B-s34B-b79K": "08f73555f1b2fb7c82058aebbd492887a94968ef",
    "laion/CLIP-ViT-L-14-laion2B-s32B-b82K": "1627032197142fbe2a7cfec626f4ced3ae60d07a",
    "laion/CLIP-ViT-bigG-14-laion2B-39B-b160k": "bc7788f151930d91b58474715fdce5524ad9a189",
    "openai/clip-vit-base-patch16": "57c216476eefef5ab752ec549e440a49ae4ae5f3",
    "openai/clip-vit-base-patch32": "3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268",
    "openai/clip-vit-large-patch14": "32bd64288804d66eefd0ccbe215aa642df71cc41",
    "royokong/e5-v": "0c1f22679417b3ae925d779442221c40cd1861ab",
    "TIGER-Lab/VLM2Vec-Full": "e9afa98002097ac2471827ba23ea1f2ddd229480",
}
HERE = Path(__file__).parent
SHA = re.compile(r"[0-9a-f]{40}")


def test_registry_size_and_reference_models():
    entries = {m.name: m for m in list_models()}
    assert len(entries) >= 30
    for name, revision in REFERENCE_MODELS.items():
        assert name in entries, name
        assert entries[name].revision == revision, name


@pytest.mark.parametrize("meta", list_models(), ids=lambda m: m.name)
def test_entry_metadata_is_complete(meta: ModelMeta):
    assert meta.framework in {"transformers", "open_clip", "pytorch"}
    assert meta.architecture and callable(meta.loader)
    assert isinstance(meta.embed_dim, int) and meta.embed_dim > 0
    assert isinstance(meta.n_parameters, int) and meta.n_parameters > meta.embed_dim
    assert meta.similarity == "cosine" and meta.open_weights
    assert meta.modalities in {("image",), ("image", "text")}
    if "text" in meta.modalities:
        assert isinstance(meta.max_text_length, int) and meta.max_text_length > 0
    else:
        assert meta.max_text_length is None
    if meta.loader_kwargs.get("pretrained") and meta.name.startswith("timm/"):
        assert meta.revision is None  # an open_clip tag: open_clip fetches it unpinned (MetaCLIP)
    else:
        assert meta.revision and SHA.fullmatch(meta.revision), meta.name
    assert meta.license is None or isinstance(meta.license, str)
    json.dumps(meta.to_dict())


def test_wildcards():
    siglips = list_models("*siglip*")
    assert siglips and all("siglip" in m.name.lower() for m in siglips)
    assert {m.name for m in list_models("laion/*")} >= {
        "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        "laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
        "laion/CLIP-ViT-g-14-laion2B-s34B-b88K",
        "laion/CLIP-ViT-B-16-DataComp.XL-s13B-b90K",
    }
    assert len(list_models("QuanSun/EVA02-CLIP-*")) == 4
    assert list_models("no-such-model-*") == []


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("siglip", "google/siglip-base-patch16-224"),
        ("dinov2", "facebook/dinov2-base"),
        ("clip", "openai/clip-vit-base-patch16"),
        ("eva02-clip-bige14-plus", "QuanSun/EVA02-CLIP-bigE-14-plus"),
    ],
)
def test_aliases(alias, name):
    assert get_model_meta(alias).name == name
    assert name in {m.name for m in list_models(alias)}


def test_unknown_names_suggest_close_matches():
    with pytest.raises(UnknownNameError) as err:
        get_model_meta("google/siglip-base-patch16-244")
    assert "google/siglip-base-patch16-224" in err.value.close_matches
    with pytest.raises(UnknownNameError, match="dinov2"):
        get_model_meta("facebook/dinov2-bse")


def test_trust_remote_code_refusal():
    with pytest.raises(RemoteCodeRefused, match="--trust-remote-code"):
        load_model("jinaai/jina-clip-v1")


def test_image_only_entries():
    dino = get_model_meta("facebook/dinov2-base")
    assert dino.modalities == ("image",)
    assert has_modalities(dino, ["image"]) and not has_modalities(dino, ["image", "text"])


@pytest.mark.parametrize(
    ("fixture", "kind", "modalities"),
    [
        ("clip_dir", "clip", ("image", "text")),
        ("siglip_dir", "siglip", ("image", "text")),
        ("open_clip_dir", "open_clip", ("image", "text")),
        ("dinov2_dir", "dinov2", ("image",)),
    ],
)
def test_local_directories_load_and_embed(request, images, fixture, kind, modalities):
    import numpy as np
    import torch

    from mieb_models.base import to_numpy

    path = request.getfixturevalue(fixture)
    meta = get_model_meta(str(path))
    assert (meta.architecture, meta.modalities) == (kind, modalities)
    encoder = load_model(str(path), device="cpu")
    assert encoder.meta.revision == meta.revision
    image_embeddings = to_numpy(encoder.encode_images(torch.stack([encoder.preprocess(i) for i in images])))
    assert image_embeddings.shape[0] == len(images) and np.isfinite(image_embeddings).all()
    if "text" in modalities:
        text_embeddings = to_numpy(encoder.encode_texts(["a cat", "a dog"]))
        assert text_embeddings.shape == (2, image_embeddings.shape[1])


def test_factory_encoder(monkeypatch, images):
    import torch

    from mieb_models.base import Encoder, to_numpy

    monkeypatch.chdir(HERE.parent.parent)  # a ``module:factory`` spec is importable from the working directory
    meta = get_model_meta("tests.models.example_encoder:build")
    assert meta.framework == "custom"
    encoder = load_model("tests.models.example_encoder:build", device="cpu")
    assert isinstance(encoder, Encoder) and encoder.meta.name == "example/thumbnails"
    batch = torch.stack([encoder.preprocess(image) for image in images])
    assert to_numpy(encoder.encode_images(batch)).shape == (5, 64)
    assert to_numpy(encoder.encode_texts(["a cat", ""])).shape == (2, 64)
    with pytest.raises(UnknownNameError):
        get_model_meta("tests.models.example_encoder:no_such_factory")


def test_family_modules_import_without_torch():
    code = (
        "import sys, mieb_models.registry as r\n"
        "import mieb_models.open_clip_models, mieb_models.siglip, mieb_models.image_only\n"
        "r.list_models(); r.get_model_meta('siglip')\n"
        "heavy = {'torch', 'transformers', 'open_clip', 'timm'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=HERE.parent.parent)
