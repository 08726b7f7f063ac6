"""Checks on loaded data, run before anything is encoded: content that cannot be scored fails its
case with ``DatasetInvalid``, naming dataset, split and the offending rows (or ids).

Images are checked where they are decoded (``harness.encode.engine``): reading every image twice to
check it first would double the cost of every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.catalogue.queries import TaskSpec
from harness.data.hub import DatasetInvalid

SHOWN = 5  # offending rows or ids named in a message


def where(task: TaskSpec, split: str, subset: str | None = None) -> str:
    part = f", subset {subset!r}" if subset not in (None, "default") else ""
    return f"{task.name}: dataset {task.dataset.path} at revision {task.dataset.revision}, split {split!r}{part}"


def _listed(items: Sequence[Any]) -> str:
    shown = ", ".join(map(str, items[:SHOWN]))
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def not_empty(task: TaskSpec, split: str, n: int, what: str, subset: str | None = None) -> None:
    if n == 0:
        raise DatasetInvalid(f"{where(task, split, subset)}: {what} is empty; nothing to score")


def labels_in_set(task: TaskSpec, split: str, labels: Any, class_names: Sequence[str] | None) -> None:
    """Single-label rows: no missing label, and integer labels index ``class_names`` (when known)."""
    values = list(labels.tolist() if isinstance(labels, np.ndarray) else labels)
    not_empty(task, split, len(values), f"label column {task.label_column!r}")
    missing = [row for row, v in enumerate(values) if v is None]
    if missing:
        raise DatasetInvalid(
            f"{where(task, split)}: {len(missing)} rows have no label in column {task.label_column!r} "
            f"(rows {_listed(missing)})"
        )
    if not class_names:
        return
    outside = [
        row
        for row, v in enumerate(values)
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and not 0 <= v < len(class_names)
    ]
    if outside:
        shown = _listed([f"{row} (label {values[row]})" for row in outside])
        raise DatasetInvalid(
            f"{where(task, split)}: {len(outside)} rows have labels outside the {len(class_names)} classes "
            f"0..{len(class_names) - 1} of column {task.label_column!r} (rows {shown})"
        )


def multilabels(task: TaskSpec, split: str, labels: Sequence[Any]) -> None:
    not_empty(task, split, len(labels), f"label column {task.label_column!r}")
    bad = [row for row, v in enumerate(labels) if v is None or not isinstance(v, list)]
    if bad:
        raise DatasetInvalid(
            f"{where(task, split)}: {len(bad)} rows have no label list in column {task.label_column!r} "
            f"(rows {_listed(bad)})"
        )


# Layouts whose qrels are a table of the dataset. The other loaders derive qrels from rows the way
# the reference does, and a derived qrels row may name a document the reference dropped (HatefulMemes'
# corpus deduplicated on text under ``--dataset-source mteb2``): that is a counted miss there, not bad data.
QRELS_TABLE_LAYOUTS = {"beir", "vidore"}


def retrieval(task: TaskSpec, split: str, subset: str, data: Any) -> None:
    """Queries and corpus not empty; in a qrels table every row names a query and a document that exist."""
    place = where(task, split, subset)
    not_empty(task, split, len(data.corpus.ids), "the corpus", subset)
    query_ids = set(data.queries.ids)
    corpus_ids = set(data.corpus.ids)
    if not query_ids:
        raise DatasetInvalid(f"{place}: no query has a qrels row (queries or qrels empty); nothing to score")
    if task.layout not in QRELS_TABLE_LAYOUTS:
        return
    unknown_queries = sorted(q for q in data.qrels if q not in query_ids)
    if unknown_queries:
        raise DatasetInvalid(
            f"{place}: qrels name {len(unknown_queries)} query ids that are not among the queries "
            f"({_listed([repr(q) for q in unknown_queries])})"
        )
    unknown_docs = sorted({c for q in data.qrels.values() for c in q if c not in corpus_ids})
    if unknown_docs:
        raise DatasetInvalid(
            f"{place}: qrels name {len(unknown_docs)} corpus ids that are not in the corpus "
            f"({_listed([repr(c) for c in unknown_docs])})"
        )


def samples(task: TaskSpec, split: str, data: Any) -> None:
    """Compositionality samples: at least one, every column as long as the first."""
    lengths = [len(s) for s in data.images] + [len(t) for t in data.texts]
    not_empty(task, split, min(lengths, default=0), "the sample table")
    if len(set(lengths)) > 1:
        raise DatasetInvalid(f"{where(task, split)}: image and text columns differ in length ({lengths})")
