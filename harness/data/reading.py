"""Reading primitives the views share: a column's values, an image column, qrels, a finished retrieval.

Used by the family views (``views.py``) and by the mteb 1.x retrieval readers (``retrieval_v1.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.catalogue.queries import TaskSpec
from harness.data.hub import DataSource
from harness.data.records import ImageSource, RetrievalData, Side


def column(dataset: Any, name: str) -> list[Any]:
    """A column's values without decoding any other column (images stay undecoded)."""
    if name not in dataset.column_names:
        raise KeyError(f"column {name!r} not in dataset (columns: {dataset.column_names})")
    # Through the Arrow format, not ``dataset.data``: that is the unfiltered table and ignores the
    # indices mapping a non-contiguous ``select`` (CV-Bench's task filter) leaves behind.
    return dataset.with_format("arrow")[name].to_pylist()


def image_column(
    source: DataSource, task: TaskSpec, dataset: Any, config: str | None, split: str, name: str
) -> ImageSource:
    if name not in dataset.column_names:
        raise KeyError(
            f"{task.name}: image column {name!r} not in {task.dataset.path} (columns: {dataset.column_names})"
        )
    identity = f"{source.identity(task.dataset)}/{config or 'default'}/{split}"
    return ImageSource(dataset, identity, name, roots=source.image_roots(task.dataset))


def qrels_dict(query_ids: Sequence[Any], corpus_ids: Sequence[Any], scores: Sequence[Any]) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for q, c, s in zip(query_ids, corpus_ids, scores, strict=True):
        qrels.setdefault(str(q), {})[str(c)] = int(s)
    return qrels


def finish_retrieval(queries: Side, corpus: Side, qrels: dict[str, dict[str, int]], task: TaskSpec) -> RetrievalData:
    """Drop queries without any qrels row (as the reference does) and derive candidate lists."""
    keep = [i for i, q in enumerate(queries.ids) if qrels.get(q)]
    if len(keep) != len(queries.ids):
        queries = Side(
            [queries.ids[i] for i in keep],
            [queries.texts[i] for i in keep] if queries.texts is not None else None,
            queries.images.select(keep) if queries.images is not None else None,
        )
    candidates = {q: list(qrels[q]) for q in queries.ids} if task.restrict_to_qrels else None
    return RetrievalData(queries, corpus, qrels, candidates)
