"""A tiny STS17 snapshot (every subset) and a fast encoder, for the results-store fault tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from harness.catalogue.queries import get_task
from harness.encode.engine import EncodeEngine
from mieb_models.base import ModelMeta

STS17 = "STS17MultilingualVisualSTS"
PAIRS = [(1, 1, 5.0), (2, 3, 0.5), (4, [(4, 6), (5, 2)], 3.5), (3, 5, 1.0)]


class MeanColour:
    """An image's mean colour and its spread: deterministic, instant, different per image."""

    def __init__(self) -> None:
        self.meta = ModelMeta(
            name="test/colour", revision="1", framework="custom", architecture="colour", modalities=("image", "text")
        )

    def encode_images(self, images: list) -> np.ndarray:
        rows = [np.asarray(i.convert("RGB"), dtype=np.float32) for i in images]
        return np.stack([np.concatenate([r.mean(axis=(0, 1)), r.std(axis=(0, 1))]) + 1.0 for r in rows])

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 6), dtype=np.float32)


def sts17_source(root: Path) -> Any:
    """A local STS17 snapshot holding every subset (a few pairs each)."""
    from tests.support.layouts import snapshot, sts_split

    task = get_task(STS17)
    configs = {subset: {"test": sts_split(PAIRS)} for subset in task.subsets}
    return snapshot(root, task.dataset.path, configs)


def engine(model: Any = None, **options: Any) -> EncodeEngine:
    return EncodeEngine(model or MeanColour(), None, num_workers=0, progress=False, **options)


def stored_cells(results: Path) -> dict[tuple[str, str, str], float | None]:
    """(task, split, subset) -> main score of every cell in every result file under ``results``."""
    import json

    found = {}
    for path in results.glob("*/*/*.json"):
        if path.name == "model_meta.json":
            continue
        data = json.loads(path.read_text())
        for split, entries in data["scores"].items():
            for entry in entries:
                found[(data["task_name"], split, entry["hf_subset"])] = entry["main_score"]
    return found
