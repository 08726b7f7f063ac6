"""CIFAR10 zero-shot + linear probe + clustering vs the bare model forward of their unique images.

The harness's overhead is everything that is not the forward pass: decoding, preprocessing,
caching, evaluators. The reported ratio (harness wall time / bare forward time, both measured in
this run on the same machine) is the figure to watch; the goal on CPU is at most 1.10.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

N_TRAIN, N_TEST = 1000, 500


@pytest.fixture(scope="module")
def vit_b32_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised CLIP with ViT-B/32 dimensions (transformers' CLIPConfig defaults)."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    from mieb_models.clip_tokenizer import write_clip_tokenizer_files

    folder = tmp_path_factory.mktemp("vit-b32")
    torch.manual_seed(0)
    CLIPModel(CLIPConfig()).eval().save_pretrained(folder)
    write_clip_tokenizer_files(folder)
    CLIPProcessor(
        image_processor=CLIPImageProcessor(), tokenizer=CLIPTokenizer.from_pretrained(folder)
    ).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def cifar_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """uoft-cs/cifar10 in its hub layout: 32x32 PNG images, 10 classes."""
    import datasets
    from PIL import Image

    from harness.data.hub import write_snapshot

    rng = np.random.default_rng(0)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    features = datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(names=names)})
    splits = {}
    for split, n in (("train", N_TRAIN), ("test", N_TEST)):
        labels = np.arange(n) % 10
        images = [Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)) for _ in range(n)]
        splits[split] = datasets.Dataset.from_dict({"img": images, "label": labels}, features=features)
    root = tmp_path_factory.mktemp("datasets")
    write_snapshot(root / "uoft-cs" / "cifar10", {"plain_text": splits})
    return root


def _bare_forward_seconds(model_dir: Path, datasets_dir: Path, n_train_unique: int) -> float:
    """The forward pass alone over exactly the unique images and prompts (inputs preprocessed untimed)."""
    from transformers import CLIPModel, CLIPProcessor

    from harness.catalogue.queries import get_task
    from harness.data.hub import DataSource

    model = CLIPModel.from_pretrained(model_dir).eval()
    processor = CLIPProcessor.from_pretrained(model_dir)
    task = get_task("CIFAR10")
    source = DataSource.from_env(datasets_dir)
    test = source.load(task.dataset, "test")
    train = source.load(task.dataset, "train")
    images = [r["img"] for r in test] + [train[i]["img"] for i in range(n_train_unique)]
    prompts = [f"a photo of a {n}." for n in test.features["label"].names]
    batches = [processor(images=images[i : i + 32], return_tensors="pt") for i in range(0, len(images), 32)]
    tokens = processor(text=prompts, padding=True, return_tensors="pt")
    start = time.perf_counter()
    with torch.inference_mode():
        for batch in batches:
            model.get_image_features(**batch)
        model.get_text_features(**tokens)
    return time.perf_counter() - start


def test_cifar_trio_vs_bare_forward(benchmark, vit_b32_clip: Path, cifar_like: Path, tmp_path: Path) -> None:
    from harness.api import evaluate, get_model
    from harness.catalogue.queries import get_task
    from harness.evaluators.linear_probe import undersample_indices

    tasks = [get_task("CIFAR10ZeroShot"), get_task("CIFAR10"), get_task("CIFAR10Clustering")]
    train_labels = np.arange(N_TRAIN) % 10
    unique_train = len(np.unique(np.concatenate(undersample_indices(train_labels, 16, 5))))
    bare = _bare_forward_seconds(vit_b32_clip, cifar_like, unique_train)

    def run() -> float:
        model = get_model(str(vit_b32_clip), device="cpu")
        start = time.perf_counter()
        evaluate(
            model,
            tasks,
            results_dir=tmp_path / "results",
            datasets_dir=cifar_like,
            cache_dir=tmp_path / "cache",
            overwrite=True,
            progress=False,
            verify_data=False,  # a small CIFAR10-like copy: never the reference's counts
        )
        return time.perf_counter() - start

    ours = benchmark.pedantic(run, rounds=1, iterations=1)
    ratio = ours / bare
    benchmark.extra_info.update(
        {"bare_forward_s": bare, "harness_s": ours, "ratio": ratio, "unique_images": N_TEST + unique_train}
    )
    print(
        f"\nCIFAR10 trio: harness {ours:.1f}s, bare forward {bare:.1f}s, ratio {ratio:.3f} "
        f"({N_TEST + unique_train} unique images)"
    )
