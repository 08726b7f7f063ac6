"""Models that misbehave: each fails its own case with a message naming model, task and the fault."""

from __future__ import annotations

from pathlib import Path

import pytest

BAD_MODELS = """
import time

import numpy as np


class Base:
    dim = 8

    def __init__(self):
        self.calls = 0

    def good(self, n, dim=None):
        return np.ones((n, dim or self.dim), dtype=np.float32) * np.arange(n)[:, None]

    def encode_images(self, images):
        self.calls += 1
        return self.images(len(images))

    def encode_texts(self, texts):
        return self.good(len(texts))

    def images(self, n):
        return self.good(n)


class NaNs(Base):
    def images(self, n):
        out = self.good(n)
        out[0, 0] = np.nan
        return out


class Infs(Base):
    def images(self, n):
        out = self.good(n)
        out[-1, -1] = np.inf
        return out


class MissingRows(Base):
    def images(self, n):
        return self.good(n - 1)


class ChangingDim(Base):
    def images(self, n):
        return self.good(n, 8 if self.calls == 1 else 9)


class OneDimensional(Base):
    def images(self, n):
        return np.ones(n, dtype=np.float32)


class NotAnArray(Base):
    def images(self, n):
        return {"embeddings": self.good(n)}


class RaisesOnThirdBatch(Base):
    def images(self, n):
        if self.calls == 3:
            raise RuntimeError("CUDA out of memory (simulated)")
        return self.good(n)


class Hangs(Base):
    def images(self, n):
        time.sleep(3600)


class TextDimDiffers(Base):
    def encode_texts(self, texts):
        return self.good(len(texts), 5)


def build(kind):
    return globals()[kind]()
"""

FAULTS = {
    "NaNs": "returned NaN or infinite embeddings in image batch 1",
    "Infs": "returned NaN or infinite embeddings in image batch 1",
    "MissingRows": "returned 15 embeddings for 16 inputs in image batch 1",
    "ChangingDim": "changed its image embedding dimension from 8 to 9 in image batch 2",
    "OneDimensional": "returned an array of shape (16,) for image batch 1",
    "NotAnArray": "returned dict for image batch 1",
    "RaisesOnThirdBatch": "raised RuntimeError: CUDA out of memory (simulated) on image batch 3",
    "Hangs": "did not return image batch 1 (16 inputs) within the batch timeout of 2 s",
    "TextDimDiffers": "returns text embeddings of dimension 5 but image embeddings of dimension 8",
}


def test_each_bad_model_fails_its_case_and_the_session_goes_on(
    pytester: pytest.Pytester, cifar_mirror: Path, tmp_path: Path
) -> None:
    factories = "\n".join(f"def {kind.lower()}():\n    return build({kind!r})\n" for kind in FAULTS)
    pytester.makepyfile(bad_models=BAD_MODELS + "\n\n" + factories + "\n\ndef good():\n    return build('Base')\n")
    models = [arg for kind in [*FAULTS, "good"] for arg in ("--model", f"bad_models:{kind.lower()}")]
    result = pytester.runpytest_subprocess(
        *models,
        "--datasets-dir",
        str(cifar_mirror),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--results-dir",
        str(tmp_path / "results"),
        "--task",
        "CIFAR10ZeroShot",
        "--batch-size",
        "16",
        "--num-workers",
        "0",
        "--batch-timeout",
        "2",
        "-p",
        "no:cacheprovider",
        "--no-progress",
    )
    result.assert_outcomes(passed=1, failed=len(FAULTS))  # the good model after them still ran
    for kind, message in FAULTS.items():
        result.stdout.fnmatch_lines(
            [f"*CIFAR10ZeroShot (test split, subset default): bad_models.{kind.lower()}*{message}*"]
        )
