"""Hub ids outside the registry, resolved offline through a local HF cache in the hub's real layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.catalogue.queries import UnknownNameError
from mieb_models.hub_models import UnrecognisedModel
from mieb_models.load_errors import ModelUnavailable
from mieb_models.registry import RemoteCodeRefused, get_model_meta, load_model
from tests.support.hub_cache import COMMIT, OTHER_COMMIT, put_in_hub_cache


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HF cache (HF_HUB_CACHE) with the hub switched off, as on a machine with no network."""
    from huggingface_hub import constants

    from mieb_models import hub_models

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub_models._hub_meta.cache_clear()
    yield cache
    hub_models._hub_meta.cache_clear()


def _embed(encoder, images) -> tuple:
    import torch

    from mieb_models.base import to_numpy

    batch = torch.stack([encoder.preprocess(image) for image in images])
    image_embeddings = to_numpy(encoder.encode_images(batch))
    texts = to_numpy(encoder.encode_texts(["a cat", "a dog"])) if "text" in encoder.meta.modalities else None
    return image_embeddings, texts


@pytest.mark.parametrize(
    ("fixture", "framework", "architecture", "modalities"),
    [
        ("clip_dir", "transformers", "CLIPModel", ("image", "text")),
        ("siglip_dir", "transformers", "SiglipModel", ("image", "text")),
        ("open_clip_dir", "open_clip", "open_clip", ("image", "text")),
        ("dinov2_dir", "transformers", "Dinov2Model", ("image",)),
    ],
)
def test_a_hub_id_loads_by_what_its_repository_holds(
    request, hub_cache, images, fixture, framework, architecture, modalities
):
    import numpy as np

    folder = request.getfixturevalue(fixture)
    put_in_hub_cache(hub_cache, "myorg/my-finetune", folder)
    meta = get_model_meta("myorg/my-finetune")
    assert (meta.name, meta.revision, meta.framework) == ("myorg/my-finetune", COMMIT, framework)
    assert (meta.architecture, meta.modalities) == (architecture, modalities)
    from_hub = _embed(load_model("myorg/my-finetune", device="cpu"), images)
    from_folder = _embed(load_model(str(folder), device="cpu"), images)  # the same weights, read locally
    for hub_side, local_side in zip(from_hub, from_folder, strict=True):
        if local_side is None:
            assert hub_side is None
        else:
            np.testing.assert_array_equal(hub_side, local_side)


def test_model_revision_picks_another_commit(hub_cache, clip_dir, siglip_dir):
    put_in_hub_cache(hub_cache, "myorg/model", clip_dir, COMMIT)
    put_in_hub_cache(hub_cache, "myorg/model", siglip_dir, OTHER_COMMIT, ref="v2")
    assert get_model_meta("myorg/model").revision == COMMIT
    at_tag = get_model_meta("myorg/model", revision="v2")
    assert (at_tag.revision, at_tag.architecture) == (OTHER_COMMIT, "SiglipModel")
    assert get_model_meta("myorg/model", revision=OTHER_COMMIT).revision == OTHER_COMMIT
    with pytest.raises(ModelUnavailable, match="myorg/model"):
        get_model_meta("myorg/model", revision="c" * 40)


def test_registry_entries_take_a_revision_resolved_to_its_commit_and_local_models_refuse_one(hub_cache, clip_dir):
    put_in_hub_cache(hub_cache, "openai/clip-vit-base-patch16", clip_dir, COMMIT, ref="v2")
    assert get_model_meta("clip", revision="v2").revision == COMMIT  # results are keyed by the commit
    assert get_model_meta("clip", revision=OTHER_COMMIT).revision == OTHER_COMMIT
    with pytest.raises(ValueError, match="hub models only"):
        get_model_meta(str(clip_dir), revision="main")
    with pytest.raises(ValueError, match="hub models only"):
        get_model_meta("offline-clip", revision="main")


def test_a_repository_without_a_model_config_says_what_it_holds(hub_cache, tmp_path):
    readme_only = tmp_path / "readme-only"
    readme_only.mkdir()
    (readme_only / "README.md").write_text("# nothing here\n")
    put_in_hub_cache(hub_cache, "myorg/readme-only", readme_only)
    with pytest.raises(UnrecognisedModel, match=r"myorg/readme-only holds neither config.json .* it has: README.md"):
        get_model_meta("myorg/readme-only")

    text_only = tmp_path / "text-only"
    text_only.mkdir()
    (text_only / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertModel"]}))
    put_in_hub_cache(hub_cache, "myorg/text-only", text_only)
    with pytest.raises(UnrecognisedModel, match=r"myorg/text-only.*type 'bert'.*BertModel"):
        get_model_meta("myorg/text-only")


def test_remote_code_is_run_only_when_asked(hub_cache, clip_dir, tmp_path):
    folder = tmp_path / "remote"
    shutil.copytree(clip_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "modeling.MyModel"}}))
    put_in_hub_cache(hub_cache, "myorg/remote", folder)
    assert get_model_meta("myorg/remote").needs_remote_code
    with pytest.raises(RemoteCodeRefused, match="--trust-remote-code"):
        load_model("myorg/remote", device="cpu")


def test_a_model_not_in_the_cache_is_one_clear_message(hub_cache):
    with pytest.raises(ModelUnavailable) as err:
        get_model_meta("myorg/never-downloaded")
    message = str(err.value)
    assert "myorg/never-downloaded" in message and "HF_HUB_OFFLINE=1" in message
    assert "mieb download -m myorg/never-downloaded" in message and "Traceback" not in message


def test_a_missing_local_folder_is_not_mistaken_for_a_hub_model(hub_cache, tmp_path, monkeypatch):
    (tmp_path / "checkpoints").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="checkpoints/run1: no such directory"):
        get_model_meta("checkpoints/run1")


def test_a_typo_of_a_registry_name_still_suggests_it(hub_cache):
    with pytest.raises(UnknownNameError) as err:
        get_model_meta("google/siglip-base-patch16-244")
    assert "google/siglip-base-patch16-224" in err.value.close_matches
    assert "not in the local HF cache" in str(err.value)


def _chinese_clip(path: Path) -> Path:
    """A tiny ChineseCLIPModel (BERT text tower, ViT image tower): a dual encoder outside the named families."""
    import torch
    from transformers import (
        BertTokenizer,
        ChineseCLIPConfig,
        ChineseCLIPImageProcessor,
        ChineseCLIPModel,
        ChineseCLIPProcessor,
    )

    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "cat", "dog"]) + "\n")
    text = dict(vocab_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8
    )
    torch.manual_seed(0)
    ChineseCLIPModel(ChineseCLIPConfig(text_config=text, vision_config=vision, projection_dim=16)).save_pretrained(path)
    processor = ChineseCLIPProcessor(
        image_processor=ChineseCLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=BertTokenizer(str(path / "vocab.txt"), model_max_length=16),
    )
    processor.save_pretrained(path)
    return path


def _resnet(path: Path) -> Path:
    """A tiny ResNetModel: a convolutional image backbone (4-D hidden states, pooled output)."""
    import torch
    from transformers import ConvNextImageProcessor, ResNetConfig, ResNetModel

    torch.manual_seed(0)
    ResNetModel(ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1])).save_pretrained(path)
    ConvNextImageProcessor(size={"shortest_edge": 32}, crop_pct=1.0).save_pretrained(path)
    return path


def test_other_dual_encoders_and_convolutional_backbones_load_generically(hub_cache, tmp_path, images):
    import numpy as np

    put_in_hub_cache(hub_cache, "myorg/cn-clip", _chinese_clip(tmp_path / "cn-clip"))
    put_in_hub_cache(hub_cache, "myorg/resnet", _resnet(tmp_path / "resnet"))
    dual = get_model_meta("myorg/cn-clip")
    assert (dual.architecture, dual.modalities, dual.embed_dim) == ("ChineseCLIPModel", ("image", "text"), 16)
    image_embeddings, text_embeddings = _embed(load_model("myorg/cn-clip", device="cpu"), images)
    assert image_embeddings.shape == (5, 16) and text_embeddings.shape == (2, 16)
    backbone = get_model_meta("myorg/resnet")
    assert (backbone.architecture, backbone.modalities) == ("ResNetModel", ("image",))
    pooled, none = _embed(load_model("myorg/resnet", device="cpu"), images)
    assert none is None and pooled.shape == (5, 16) and np.isfinite(pooled).all()


def test_each_hub_error_is_explained_with_its_cause_and_remedy():
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    from mieb_models.load_errors import explain

    def wrapped(error: Exception) -> Exception:  # transformers re-raises hub errors as OSError
        try:
            try:
                raise error
            except Exception as inner:
                raise OSError("We couldn't load the model") from inner
        except OSError as outer:
            return outer

    gated = explain("org/m", wrapped(GatedRepoError("401 gated", response=_response(401))))
    assert gated.kind == "gated" and "Accept its terms at https://huggingface.co/org/m" in str(gated)
    missing = explain("org/m", RepositoryNotFoundError("404", response=_response(404)))
    assert missing.kind == "no-repository" and "no such repository" in str(missing)
    revision = explain("org/m", RevisionNotFoundError("404", response=_response(404)), "v9")
    assert revision.kind == "no-revision" and "no revision 'v9'" in str(revision)
    assert explain("org/m", RemoteCodeRefused("x")).remedy == "Pass --trust-remote-code to allow it"
    assert explain("org/m", ValueError("something else")) is None


def _response(status: int):
    import httpx2 as httpx  # the HTTP client huggingface_hub builds its errors on

    return httpx.Response(status, request=httpx.Request("GET", "https://huggingface.co/org/m"))
