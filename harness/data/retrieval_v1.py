"""Retrieval layouts read by mteb 1.x conventions, and the raw-table layouts of custom loaders.

mteb 1.x differs from 2.x on the generic BEIR layout: queries come from config ``query`` only,
qrels from config ``qrels`` only, the corpus is config ``corpus``'s split ``corpus``, corpus texts
carry no title, and each side's modality is its first row's ``modality`` column (``"image,text"``
is a fused side). Several 1.x tasks build their retrieval data from raw tables instead; each has
a loader here that follows the reference's ``load_data`` of that version step by step.
"""

from __future__ import annotations

from typing import Any

from harness.catalogue.queries import TaskSpec
from harness.data.hub import DataSource
from harness.data.reading import column, finish_retrieval, image_column, qrels_dict
from harness.data.records import RetrievalData, Side


def beir_v1(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """Configs ``corpus`` (split ``corpus``), ``query`` and ``qrels`` (split = the eval split)."""
    corpus_ds = source.load(task.dataset, "corpus", "corpus")
    queries_ds = source.load(task.dataset, split, "query")
    qrels_ds = source.load(task.dataset, split, "qrels")
    qrels = qrels_dict(
        [str(q) for q in column(qrels_ds, "query-id")],
        [str(c) for c in column(qrels_ds, "corpus-id")],
        [int(float(s)) for s in column(qrels_ds, "score")],
    )
    corpus = _modality_side(source, task, corpus_ds, "corpus", "corpus")
    queries = _modality_side(source, task, queries_ds, "query", split)
    return finish_retrieval(queries, corpus, qrels, task)


def _modality_side(source: DataSource, task: TaskSpec, dataset: Any, config: str, split: str) -> Side:
    """ids, and texts and/or images as the first row's ``modality`` says (``text``, ``image``, ``image,text``)."""
    ids = [str(i) for i in column(dataset, "id")]
    if not ids:
        return Side(ids)
    modality = str(column(dataset.select([0]), "modality")[0])
    kinds = set(modality.split(","))
    if not kinds <= {"image", "text"}:
        raise ValueError(f"{task.name}: unsupported modality {modality!r} in config {config!r}")
    texts = [t if t is not None else "" for t in column(dataset, "text")] if "text" in kinds else None
    images = image_column(source, task, dataset, config, split, "image") if "image" in kinds else None
    return Side(ids, texts, images)


def _all_splits(source: DataSource, task: TaskSpec, splits: list[str]) -> Any:
    import datasets

    return datasets.concatenate_datasets([source.load(task.dataset, s) for s in splits])


def hateful_memes(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """Pre-release MIEB (the published scores): the corpus is every row of every split, in the dataset's
    split order, texts repeated across rows included (same-text memes are hard negatives)."""
    splits = source.split_names(task.dataset)
    return _hateful_memes(source, task, split, _all_splits(source, task, splits), "+".join(splits))


def hateful_memes_dedup(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """mteb >= 1.38 (PR 2531) and 2.x: corpus = test+validation+train, first row of each text only."""
    splits = ["test", "validation", "train"]
    shared = _all_splits(source, task, splits)
    first: dict[str, int] = {}
    for row, text in enumerate(column(shared, "text")):
        first.setdefault(text, row)
    return _hateful_memes(source, task, split, shared.select(sorted(first.values())), "+".join(splits) + "-dedup-text")


def _hateful_memes(source: DataSource, task: TaskSpec, split: str, shared: Any, identity_split: str) -> RetrievalData:
    """Raw table per split (id, text, image): query ``query-<id>`` is relevant to ``corpus-<id>``."""
    corpus_ids = [f"corpus-{i}" for i in column(shared, "id")]
    queries_ds = source.load(task.dataset, split)
    query_ids = [f"query-{i}" for i in column(queries_ds, "id")]
    qrels = {q: {f"corpus-{i}": 1} for q, i in zip(query_ids, column(queries_ds, "id"), strict=True)}
    if task.category == "i2t":
        corpus = Side(corpus_ids, [str(t) for t in column(shared, "text")])
        queries = Side(query_ids, images=image_column(source, task, queries_ds, None, split, "image"))
    else:
        corpus = Side(corpus_ids, images=image_column(source, task, shared, None, identity_split, "image"))
        queries = Side(query_ids, [str(t) for t in column(queries_ds, "text")])
    return finish_retrieval(queries, corpus, qrels, task)


# The rows the pre-release Memotion loader removes by position ("image corrupted & caption empty"):
# of the corpus (every split concatenated in the dataset's split order) and of the test queries.
MEMOTION_DROPPED_CORPUS_ROWS = frozenset({4578, 6781, 6784, 6786})
MEMOTION_DROPPED_TEST_ROWS = frozenset({489, 492, 494})


def memotion(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """Pre-release MIEB (the published scores): every row of every split, a missing ``text_corrected``
    read as ""; the fixed rows above removed; ids keep each row's index in its split."""
    import datasets

    splits = source.split_names(task.dataset)
    tables = {name: source.load(task.dataset, name) for name in splits}
    ids = [f"corpus-{name}-{i}" for name in splits for i in range(len(tables[name]))]
    kept = [row for row in range(len(ids)) if row not in MEMOTION_DROPPED_CORPUS_ROWS]
    shared = datasets.concatenate_datasets([tables[name] for name in splits]).select(kept)
    corpus_ids = [ids[row] for row in kept]
    queries_ds = tables[split]
    dropped = MEMOTION_DROPPED_TEST_ROWS if split == "test" else frozenset()
    rows = [i for i in range(len(queries_ds)) if i not in dropped]
    queries_ds = queries_ds.select(rows)
    query_ids = [f"query-{split}-{i}" for i in rows]
    qrels = {f"query-{split}-{i}": {f"corpus-{split}-{i}": 1} for i in rows}
    identity = "-prerelease-rows"
    if task.category == "i2t":
        corpus = Side(corpus_ids, [t or "" for t in column(shared, "text_corrected")])
        queries = Side(query_ids, images=image_column(source, task, queries_ds, None, split + identity, "image"))
    else:
        corpus = Side(corpus_ids, images=image_column(source, task, shared, None, "+".join(splits) + identity, "image"))
        queries = Side(query_ids, [t or "" for t in column(queries_ds, "text_corrected")])
    return finish_retrieval(queries, corpus, qrels, task)


def memotion_text_filter(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """mteb >= 1.38 (PR 2519) and 2.x: rows whose ``text_corrected`` is None dropped; corpus: every split."""
    splits = source.split_names(task.dataset)
    kept: dict[str, Any] = {}
    for name in splits:
        ds = source.load(task.dataset, name)
        texts = column(ds, "text_corrected")
        kept[name] = ds.select([i for i, t in enumerate(texts) if t is not None])
    corpus_ids = [f"corpus-{name}-{i}" for name in splits for i in range(len(kept[name]))]
    queries_ds = kept[split]
    query_ids = [f"query-{split}-{i}" for i in range(len(queries_ds))]
    qrels = {f"query-{split}-{i}": {f"corpus-{split}-{i}": 1} for i in range(len(queries_ds))}
    if task.category == "i2t":
        corpus = Side(corpus_ids, [str(t) for name in splits for t in column(kept[name], "text_corrected")])
        queries = Side(
            query_ids, images=image_column(source, task, queries_ds, None, f"{split}-text-corrected", "image")
        )
    else:
        import datasets

        shared = datasets.concatenate_datasets([kept[name] for name in splits])
        corpus = Side(
            corpus_ids, images=image_column(source, task, shared, None, "+".join(splits) + "-text-corrected", "image")
        )
        queries = Side(query_ids, [str(t) for t in column(queries_ds, "text_corrected")])
    return finish_retrieval(queries, corpus, qrels, task)


def scimmir(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """Raw table per split (image, text): row i's image and text are a pair (ids by row index)."""
    dataset = source.load(task.dataset, split)
    n = len(dataset)
    query_ids = [f"query-{split}-{i}" for i in range(n)]
    corpus_ids = [f"corpus-{split}-{i}" for i in range(n)]
    qrels = {q: {c: 1} for q, c in zip(query_ids, corpus_ids, strict=True)}
    texts = [str(t) for t in column(dataset, "text")]
    images = image_column(source, task, dataset, None, split, "image")
    if task.category == "i2t":
        return finish_retrieval(Side(query_ids, images=images), Side(corpus_ids, texts), qrels, task)
    return finish_retrieval(Side(query_ids, texts), Side(corpus_ids, images=images), qrels, task)


def xflickrco(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """One split per language; rows hold ``id``, ``image`` (a bytes struct) and one ``sentences`` string."""
    dataset = source.load(task.dataset, subset)
    ids = [str(i) for i in column(dataset, "id")]
    corpus = Side([f"corpus-{i}" for i in ids], images=image_column(source, task, dataset, None, subset, "image"))
    queries = Side([f"query-{i}" for i in ids], [str(t) for t in column(dataset, "sentences")])
    qrels = {f"query-{i}": {f"corpus-{i}": 1} for i in ids}
    return finish_retrieval(queries, corpus, qrels, task)


def vidore_table(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """Pre-release ViDoRe: one table (query, image, image_filename); pages deduplicated on image_filename."""
    dataset = source.load(task.dataset, split)
    page_of: dict[str, str] = {}
    page_rows: list[int] = []
    query_ids, texts, qrels = [], [], {}
    for i, (filename, query) in enumerate(
        zip(column(dataset, "image_filename"), column(dataset, "query"), strict=True)
    ):
        if filename not in page_of:
            page_of[filename] = f"corpus-{split}-{len(page_of)}"
            page_rows.append(i)
        qid = f"query-{split}-{i}"
        query_ids.append(qid)
        texts.append(query)
        qrels.setdefault(qid, {})[page_of[filename]] = 1
    pages = image_column(source, task, dataset, None, split, "image").select(page_rows)
    return finish_retrieval(Side(query_ids, texts), Side(list(page_of.values()), images=pages), qrels, task)


# Layouts that are raw tables turned into retrieval data by the task's own ``load_data``.
RAW_TABLE_LOADERS = {
    "hateful_memes": hateful_memes,
    "hateful_memes_dedup": hateful_memes_dedup,
    "memotion": memotion,
    "memotion_text_filter": memotion_text_filter,
    "scimmir": scimmir,
    "xflickrco": xflickrco,
    "vidore_table": vidore_table,
}
