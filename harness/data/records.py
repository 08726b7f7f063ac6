"""The data layer's plain records: images in a dataset column, and what each family's view returns.

Images stay in their dataset (``ImageSource``) and are decoded later, in the encoder's worker
processes; the other records hold ids, texts, labels, qrels and scores as read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ImageSource:
    """Images stored in one column of a dataset split, optionally a subset of its rows."""

    dataset: Any = field(compare=False, repr=False)
    identity: str
    column: str
    rows: tuple[int, ...] | None = None
    # Folders an image cell that holds a file path (not bytes) may point into: the dataset's own
    # folder (relative paths resolve there) and the caches ``datasets`` extracts files to.
    roots: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.dataset)

    def select(self, rows: Sequence[int]) -> ImageSource:
        """The same images restricted to ``rows`` (indices into this source)."""
        base = np.asarray(self.rows if self.rows is not None else np.arange(len(self.dataset)))
        chosen = tuple(int(r) for r in base[list(rows)])
        return ImageSource(self.dataset, self.identity, self.column, chosen, self.roots)

    def cache_identity(self) -> dict[str, Any]:
        rows = None
        if self.rows is not None:
            rows = hashlib.sha256(np.asarray(self.rows, dtype=np.int64).tobytes()).hexdigest()[:24]
        return {"images": self.identity, "column": self.column, "rows": rows, "n": len(self)}


@dataclass
class LabeledImages:
    images: ImageSource
    labels: np.ndarray | list[list[Any]]
    class_names: list[str] | None = None
    multilabel: bool = False  # ``labels`` holds a list of labels per image


@dataclass
class Side:
    """One side of a retrieval task: ids plus texts and/or images, row-aligned."""

    ids: list[str]
    texts: list[str] | None = None
    images: ImageSource | None = None


@dataclass
class RetrievalData:
    queries: Side
    corpus: Side
    qrels: dict[str, dict[str, int]]
    candidates: dict[str, list[str]] | None = None


@dataclass
class ImagePairs:
    first: ImageSource
    second: ImageSource
    scores: np.ndarray


@dataclass
class PairSamples:
    """Compositionality samples: one ImageSource per image column, one text list per text column.

    ``ids``: the samples' own ids where the data has them (else the row number identifies a sample).
    """

    images: list[ImageSource]
    texts: list[list[str]]
    ids: list[str] | None = None
