"""Local datasets in the real hub layouts, generated from scikit-learn's digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def digit_images(n: int, *, offset: int = 0, size: int = 32) -> tuple[list, np.ndarray]:
    """``n`` RGB PIL images of sklearn digits (upscaled, tinted per class) and their labels."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    idx = (np.arange(n) + offset) % len(digits.images)
    images = []
    for i in idx:
        gray = (digits.images[i] / 16.0 * 255).astype(np.uint8)
        rgb = np.stack([gray, np.roll(gray, 1, axis=0), gray[::-1]], axis=-1)
        images.append(Image.fromarray(rgb).resize((size, size), Image.NEAREST))
    return images, digits.target[idx].astype(np.int64)


def write_classification(
    root: Path,
    path: str,
    *,
    image_column: str = "image",
    label_column: str = "label",
    n_train: int = 200,
    n_test: int = 100,
    config: str = "default",
    test_split: str = "test",
) -> Path:
    """A single-config dataset with train/test splits, an Image column and a ClassLabel column."""
    import datasets

    from harness.data.hub import write_snapshot

    features = datasets.Features({image_column: datasets.Image(), label_column: datasets.ClassLabel(names=DIGIT_NAMES)})
    splits = {}
    for split, n, offset in (("train", n_train, 0), (test_split, n_test, 1000)):
        images, labels = digit_images(n, offset=offset)
        splits[split] = datasets.Dataset.from_dict({image_column: images, label_column: labels}, features=features)
    return write_snapshot(root / path, {config: splits})
