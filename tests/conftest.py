"""Shared fixtures: a tiny local CLIP checkpoint and local datasets in the real hub layouts."""

from __future__ import annotations

import os

import pytest

# The project's own tests never reach a model or dataset hub. A benchmark run started in this
# checkout (``pytest -m lite --model clip``) must be able to download, so it is left alone.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
# The tests read tiny snapshots of real tasks, which cannot match the reference's counts: they run
# with the content check off (the explicit opt-out; runs it starts report "dataset content not
# verified"). tests/data/test_fingerprints.py switches it on for the snapshots it builds.
NO_CONTENT_CHECK_ENV = {"MIEB_VERIFY_DATA": "0"}


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("models", default=None):
        return
    for name, value in {**OFFLINE_ENV, **NO_CONTENT_CHECK_ENV}.items():
        os.environ.setdefault(name, value)


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory: pytest.TempPathFactory):
    """A randomly initialised transformers CLIPModel saved with the real CLIP tokenizer."""
    from tests.support.checkpoints import make_tiny_clip

    return make_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


@pytest.fixture(scope="session")
def cifar_mirror(tmp_path_factory: pytest.TempPathFactory):
    """A datasets folder holding ``uoft-cs/cifar10`` in its hub layout (config plain_text, img/label)."""
    from tests.support.datasets_local import write_classification

    root = tmp_path_factory.mktemp("datasets")
    write_classification(root, "uoft-cs/cifar10", image_column="img", config="plain_text", n_train=200, n_test=120)
    return root
