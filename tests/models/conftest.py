"""Tiny, randomly initialised, seeded checkpoints in temporary directories (no network).

Each fixture writes a checkpoint in the layout its library reads from the hub, so the wrappers'
local-directory loaders exercise the same code path as a downloaded model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
CORPUS = [
    "a photo of a cat sitting on a mat",
    "a dog running on green grass",
    "the quick brown fox jumps over the lazy dog",
    "two birds on a wire under a blue sky",
    "a red car parked beside a small house",
]
TEXTS = ["a cat", "a dog running on grass under a blue sky " * 3, "", "two birds", "A RED CAR!"]


@pytest.fixture(scope="session")
def images() -> list:
    """Five RGB images of different sizes and aspect ratios, seeded."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    sizes = [(40, 40), (64, 48), (37, 90), (120, 33), (50, 51)]
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in sizes]


@pytest.fixture(scope="session")
def texts() -> list[str]:
    return list(TEXTS)


BATCHINGS = ((5,), (2, 3), (1, 4), (1, 1, 1, 1, 1))


def encode_in_batches(encode, items, sizes):
    """``encode`` applied batch by batch (``sizes`` split ``items``), as one float32 array."""
    import numpy as np

    from mieb_models.base import to_numpy

    chunks, start = [], 0
    for size in sizes:
        chunks.append(to_numpy(encode(items[start : start + size])))
        start += size
    assert start == len(items)
    return np.concatenate(chunks)


@pytest.fixture(scope="session")
def check_batches():
    """Asserts that every batching of ``items`` gives ``expected`` (so batch composition is irrelevant)."""
    import numpy as np

    def check(encode, items, expected, atol: float = 1e-5) -> None:
        expected = np.asarray(expected, dtype=np.float32)
        for sizes in BATCHINGS:
            np.testing.assert_allclose(
                encode_in_batches(encode, items, sizes), expected, rtol=0, atol=atol, err_msg=f"batch sizes {sizes}"
            )

    return check


@pytest.fixture(scope="session")
def siglip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SiglipModel with a SentencePiece tokenizer trained here (max length 16) and 32px images."""
    import sentencepiece as spm
    import torch
    from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel, SiglipProcessor, SiglipTokenizer

    path = tmp_path_factory.mktemp("siglip")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20),
        model_prefix=str(path / "spm"),
        vocab_size=64,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    tokenizer = SiglipTokenizer(vocab_file=str(path / "spm.model"), model_max_length=16)
    processor = SiglipProcessor(
        image_processor=SiglipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer
    )
    text = dict(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=16,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=1,
    )
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8
    )
    torch.manual_seed(0)
    SiglipModel(SiglipConfig(text_config=text, vision_config=vision)).save_pretrained(path)
    processor.save_pretrained(path)
    (path / "spm.model").unlink()
    (path / "spm.vocab").unlink()
    return path


@pytest.fixture(scope="session")
def dinov2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Dinov2Model (32px, patch 8) with a BitImageProcessor resizing to 40 and cropping to 32."""
    import torch
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    path = tmp_path_factory.mktemp("dinov2")
    config = Dinov2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, image_size=32, patch_size=8
    )
    torch.manual_seed(0)
    Dinov2Model(config).save_pretrained(path)
    BitImageProcessor(
        size={"shortest_edge": 40},
        crop_size={"height": 32, "width": 32},
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    ).save_pretrained(path)
    return path


OPEN_CLIP_CONFIG = {
    "model_cfg": {
        "embed_dim": 16,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "head_width": 16, "patch_size": 8},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
    },
    "preprocess_cfg": {"mean": CLIP_MEAN, "std": CLIP_STD, "interpolation": "bicubic", "resize_mode": "shortest"},
}


@pytest.fixture(scope="session")
def open_clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small custom open_clip ViT in the hub layout: open_clip_config.json + open_clip_pytorch_model.bin."""
    import open_clip
    import torch

    path = tmp_path_factory.mktemp("open_clip")
    (path / "open_clip_config.json").write_text(json.dumps(OPEN_CLIP_CONFIG))
    torch.manual_seed(0)
    model = open_clip.create_model(f"local-dir:{path}", load_weights=False)
    torch.save(model.state_dict(), path / "open_clip_pytorch_model.bin")
    return path


@pytest.fixture(scope="session")
def clip_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real CLIP BPE tokenizer files, built offline from open_clip's vocabulary."""
    from mieb_models.clip_tokenizer import write_clip_tokenizer_files

    return write_clip_tokenizer_files(tmp_path_factory.mktemp("clip_tokenizer"))


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory, clip_tokenizer_dir: Path) -> Path:
    """A tiny transformers CLIPModel with the real CLIP BPE tokenizer."""
    import shutil

    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    path = tmp_path_factory.mktemp("clip")
    for file in clip_tokenizer_dir.iterdir():
        shutil.copy(file, path / file.name)
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=CLIPTokenizer.from_pretrained(path),
    )
    text = dict(
        vocab_size=49408,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=77,
    )
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8
    )
    torch.manual_seed(0)
    CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)).save_pretrained(path)
    processor.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def align_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny AlignModel (EfficientNet + BERT) with a WordPiece vocabulary and max length 8."""
    import torch
    from transformers import AlignConfig, AlignModel, AlignProcessor, BertTokenizer, EfficientNetImageProcessor

    path = tmp_path_factory.mktemp("align")
    words = sorted({w for line in CORPUS for w in line.split()})
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    tokenizer = BertTokenizer(str(path / "vocab.txt"), model_max_length=8)
    image_processor = EfficientNetImageProcessor(size={"height": 32, "width": 32}, do_center_crop=False)
    text = dict(
        vocab_size=5 + len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    vision = dict(image_size=32, width_coefficient=0.1, depth_coefficient=0.1, hidden_dim=64)
    torch.manual_seed(0)
    AlignModel(AlignConfig(text_config=text, vision_config=vision, projection_dim=32)).save_pretrained(path)
    AlignProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(path)
    return path
