"""Dataset views: each hub layout read into the plain record of its view (``harness.data.records``).

``READERS`` holds one reader per layout a task may declare (``mieb_records.families.LAYOUTS``);
``TaskViews`` reads each split of one task once, for the content check and the pipeline. Each
reader reads exactly the columns its family needs and ignores the rest. Images stay in their
dataset (``ImageSource``) and are decoded later, in the encoder's worker processes. The reading
primitives (a column, an image column, qrels) are in ``harness.data.reading``; mteb 1.x's
retrieval readers in ``harness.data.retrieval_v1``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from importlib import resources
from typing import Any

import numpy as np

from harness.catalogue.queries import TaskSpec
from harness.data import retrieval_v1
from harness.data.hub import DatasetInvalid, DataSource
from harness.data.reading import column, finish_retrieval, image_column, qrels_dict
from harness.data.records import ImagePairs, ImageSource, LabeledImages, PairSamples, RetrievalData, Side


def _resolve_split(source: DataSource, task: TaskSpec, split: str, config: str | None) -> str:
    """The split to read: the task's declared alias, the requested one, or (mteb 2.x) a config's only split."""
    if split in task.split_aliases:
        return task.split_aliases[split]
    if task.follows_mteb1:
        return split
    names = source.split_names(task.dataset, config)
    if split in names or len(names) != 1:
        return split
    return names[0]


# --- classification, zero-shot, clustering -------------------------------------------------------


def labeled_images(source: DataSource, task: TaskSpec, split: str, subset: str = "default") -> LabeledImages:
    """Images and labels of one split (single config), with class names where the data has them."""
    images, dataset = _labeled_split(source, task, split)
    return LabeledImages(images, np.asarray(column(dataset, task.label_column)), class_names(task, dataset))


def multilabeled_images(source: DataSource, task: TaskSpec, split: str, subset: str = "default") -> LabeledImages:
    """Images of one split and, per image, the list of its labels (layout ``multilabel``)."""
    images, dataset = _labeled_split(source, task, split)
    labels = [list(v) if v is not None else None for v in column(dataset, task.label_column)]
    return LabeledImages(images, labels, multilabel=True)


def _labeled_split(source: DataSource, task: TaskSpec, split: str) -> tuple[ImageSource, Any]:
    """The split's image column (the declared training rows dropped) and its dataset."""
    split = task.split_aliases.get(split, split)
    dataset = source.load(task.dataset, split, task.dataset_config)
    if split == task.train_split and task.drop_train_rows:
        drop = set(task.drop_train_rows)
        dataset = dataset.select([i for i in range(len(dataset)) if i not in drop])
    images = image_column(source, task, dataset, task.dataset_config, split, task.input_column)
    if split == task.train_split and task.drop_train_rows:
        images = replace(images, identity=f"{images.identity}-without-{'-'.join(map(str, task.drop_train_rows))}")
    return images, dataset


def class_names(task: TaskSpec, dataset: Any) -> list[str] | None:
    """Class names in label-index order: the task's label file, else the ClassLabel feature."""
    if task.label_names_file:
        text = resources.files("mieb_tasks").joinpath("labels", task.label_names_file).read_text(encoding="utf-8")
        # Read as the reference reads them (``readlines()``): every name keeps its newline, except
        # the last under mteb 1.x: the pre-release files behind the published prompts ended without one.
        names = text.splitlines(keepends=True)
        if task.follows_mteb1 and names:
            names[-1] = names[-1].rstrip("\n")
        return names
    feature = dataset.features.get(task.label_column)
    return list(feature.names) if hasattr(feature, "names") else None


# --- retrieval (generic BEIR layout) --------------------------------------------------------------


def beir(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """The BEIR layout, read by the conventions of the task's reference version."""
    if task.follows_mteb1:
        return retrieval_v1.beir_v1(source, task, split, subset)
    return beir_v2(source, task, split, subset)


def beir_v2(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """Configs corpus / queries (or query) / qrels (``default`` first), optionally ``<subset>-`` prefixed."""
    prefix = "" if subset == "default" else f"{subset}-"
    configs = source.config_names(task.dataset)
    query_config = _first_present(configs, [f"{prefix}query", f"{prefix}queries"], task)
    qrels_config = _first_present(
        configs, [f"{prefix}default", f"{prefix}qrels"] if prefix else ["default", "qrels"], task
    )
    corpus_config = _first_present(configs, [f"{prefix}corpus"], task)
    corpus = _side(source, task, corpus_config, split, task.document_modalities(), titles=True)
    queries = _side(source, task, query_config, split, task.query_modalities(), titles=False)
    qrels_split = _resolve_split(source, task, split, qrels_config)
    qrels_ds = source.load(task.dataset, qrels_split, qrels_config)
    qrels = qrels_dict(column(qrels_ds, "query-id"), column(qrels_ds, "corpus-id"), column(qrels_ds, "score"))
    return finish_retrieval(queries, corpus, qrels, task)


def _first_present(configs: Sequence[str], wanted: Sequence[str], task: TaskSpec) -> str:
    for name in wanted:
        if name in configs:
            return name
    raise KeyError(f"{task.name}: {task.dataset.path} has none of the configs {list(wanted)} (it has {list(configs)})")


def _side(
    source: DataSource, task: TaskSpec, config: str, split: str, modalities: Sequence[str], *, titles: bool
) -> Side:
    """One side's ids, texts and images; ``titles``: prepend a ``title`` column (the corpus only)."""
    split = _resolve_split(source, task, split, config)
    dataset = source.load(task.dataset, split, config)
    id_column = "id" if "id" in dataset.column_names else "_id"
    ids = [str(i) for i in column(dataset, id_column)]
    texts = None
    if "text" in modalities:
        texts = [str(t) if t is not None else "" for t in column(dataset, "text")]
        if titles and "title" in dataset.column_names:
            title_values = column(dataset, "title")
            # As the reference builds corpus texts: title and text joined, then stripped.
            texts = [
                f"{title} {text}".strip() if title else text for title, text in zip(title_values, texts, strict=True)
            ]
    images = image_column(source, task, dataset, config, split, "image") if "image" in modalities else None
    return Side(ids, texts, images)


# --- retrieval with custom layouts -----------------------------------------------------------------


def vidore(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """ViDoRe: configs queries (query-id, query), corpus (corpus-id, image), qrels; ids get prefixes."""
    queries_ds = source.load(task.dataset, split, "queries")
    corpus_ds = source.load(task.dataset, split, "corpus")
    qrels_ds = source.load(task.dataset, split, "qrels")
    queries = Side(
        [f"query-{split}-{q}" for q in column(queries_ds, "query-id")], [str(t) for t in column(queries_ds, "query")]
    )
    corpus = Side(
        [f"corpus-{split}-{c}" for c in column(corpus_ds, "corpus-id")],
        images=image_column(source, task, corpus_ds, "corpus", split, "image"),
    )
    qrels = qrels_dict(
        [f"query-{split}-{q}" for q in column(qrels_ds, "query-id")],
        [f"corpus-{split}-{c}" for c in column(qrels_ds, "corpus-id")],
        column(qrels_ds, "score"),
    )
    return finish_retrieval(queries, corpus, qrels, task)


def captions_per_language(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """XM3600 / WIT layout: one split per language; rows hold an image and its list of captions."""
    dataset = source.load(task.dataset, subset)
    image_ids = [str(i) for i in column(dataset, "image_id")]
    corpus = Side([f"corpus-{i}" for i in image_ids], images=image_column(source, task, dataset, None, subset, "image"))
    query_ids, texts, qrels = [], [], {}
    for image_id, captions in zip(image_ids, column(dataset, "captions"), strict=True):
        for k, caption in enumerate(captions):
            qid = f"query-{image_id}-{k}"
            query_ids.append(qid)
            texts.append(caption)
            qrels[qid] = {f"corpus-{image_id}": 1}
    return finish_retrieval(Side(query_ids, texts), corpus, qrels, task)


def cvbench(source: DataSource, task: TaskSpec, split: str, subset: str) -> RetrievalData:
    """CV-Bench: rows of one sub-task become image+question queries over their own choices."""
    wanted = next(t for t in ("Count", "Relation", "Depth", "Distance") if t in task.name)
    dataset = source.load(task.dataset, split)
    keep = [i for i, t in enumerate(column(dataset, "task")) if t == wanted]
    dataset = dataset.select(keep)
    questions = [str(q) for q in column(dataset, "question")]
    corpus_index: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    query_ids = [f"query-{split}-{i}" for i in range(len(dataset))]
    for qid, choices, answer in zip(query_ids, column(dataset, "choices"), column(dataset, "answer"), strict=True):
        correct = _answer_index(task, split, qid, answer, choices)
        qrels[qid] = {}
        for j, choice in enumerate(choices):
            cid = corpus_index.setdefault(choice, f"corpus-{split}-{len(corpus_index)}")
            qrels[qid][cid] = max(qrels[qid].get(cid, 0), int(j == correct))
    queries = Side(query_ids, questions, image_column(source, task, dataset, task.name, split, "image"))
    corpus = Side(list(corpus_index.values()), list(corpus_index))
    return finish_retrieval(queries, corpus, qrels, task)


def _answer_index(task: TaskSpec, split: str, qid: str, answer: Any, choices: Sequence[str]) -> int:
    """``"(B)"`` -> 1; an answer that names no choice is refused (it would leave no positive)."""
    text = str(answer).strip()
    index = "ABCDEF".find(text[1]) if len(text) > 1 else -1
    if not 0 <= index < len(choices):
        raise DatasetInvalid(
            f"{task.name}: dataset {task.dataset.path} at revision {task.dataset.revision}, split {split!r}: "
            f"row {qid.rsplit('-', 1)[-1]} has answer {answer!r}, which names none of its {len(choices)} choices"
        )
    return index


# --- visual STS and compositionality --------------------------------------------------------------


def image_pairs(source: DataSource, task: TaskSpec, split: str, subset: str) -> ImagePairs:
    """Rendered sentence pairs: ``sentence1``, ``sentence2`` (images) and a 0-5 ``score``."""
    config = None if subset == "default" else subset
    dataset = source.load(task.dataset, split, config)
    return ImagePairs(
        image_column(source, task, dataset, config, split, "sentence1"),
        image_column(source, task, dataset, config, split, "sentence2"),
        np.asarray(column(dataset, "score"), dtype=np.float64),
    )


def pair_samples(source: DataSource, task: TaskSpec, split: str, subset: str) -> PairSamples:
    """One row per sample, one image per image column and one text per text column."""
    split_to_read = _resolve_split(source, task, split, None)
    dataset = source.load(task.dataset, split_to_read)
    images = [image_column(source, task, dataset, None, split_to_read, c) for c in task.image_columns]
    texts = [[str(t) for t in column(dataset, c)] for c in task.text_columns]
    return PairSamples(images, texts)


def imagecode_samples(source: DataSource, task: TaskSpec, split: str, subset: str) -> PairSamples:
    """ImageCoDe in retrieval form -> rows of text, correct image and the first 9 wrong images."""
    corpus = source.load(task.dataset, "corpus", "corpus")
    queries = source.load(task.dataset, split, "query")
    qrels_ds = source.load(task.dataset, split, "qrels")
    position = {str(c): i for i, c in enumerate(column(corpus, "id"))}
    correct: dict[str, int] = {}
    wrong: dict[str, list[int]] = {}
    rows_qrels = list(
        zip(column(qrels_ds, "query-id"), column(qrels_ds, "corpus-id"), column(qrels_ds, "score"), strict=True)
    )
    if unknown := [row for row, (_, c, _) in enumerate(rows_qrels) if str(c) not in position]:
        shown = ", ".join(f"{row} ({rows_qrels[row][1]!r})" for row in unknown[:5])
        raise DatasetInvalid(
            f"{task.name}: dataset {task.dataset.path} at revision {task.dataset.revision}, split {split!r}: "
            f"{len(unknown)} qrels rows name corpus ids that are not in the corpus (rows {shown})"
        )
    for q, c, s in rows_qrels:
        if int(s) > 0:
            correct[str(q)] = position[str(c)]
        else:
            wrong.setdefault(str(q), []).append(position[str(c)])
    query_ids = [str(q) for q in column(queries, "id")]
    texts = [str(t) for t in column(queries, "text")]
    kept = [i for i, q in enumerate(query_ids) if q in correct and len(wrong.get(q, ())) >= 9]
    rows = [[correct[query_ids[i]], *wrong[query_ids[i]][:9]] for i in kept]
    base = image_column(source, task, corpus, "corpus", "corpus", "image")
    images = [base.select([r[j] for r in rows]) for j in range(10)]
    return PairSamples(images, [[texts[i] for i in kept]], ids=[query_ids[i] for i in kept])


# --- one reader per layout --------------------------------------------------------------------------

View = LabeledImages | RetrievalData | ImagePairs | PairSamples
Reader = Callable[[DataSource, TaskSpec, str, str], View]

# Layout name (``mieb_records.families.LAYOUTS``) -> its reader: the one dispatch of the data layer.
READERS: Mapping[str, Reader] = {
    "labeled": labeled_images,
    "multilabel": multilabeled_images,
    "beir": beir,
    "vidore": vidore,
    "xm3600": captions_per_language,
    "wit": captions_per_language,
    "cvbench": cvbench,
    **retrieval_v1.RAW_TABLE_LOADERS,
    "sts": image_pairs,
    "image_text_pairs": pair_samples,
    "imagecode_pairs": imagecode_samples,
}


def read_view(source: DataSource, task: TaskSpec, split: str, subset: str = "default") -> View:
    """One (split, subset) of the task, read by its layout's reader."""
    return READERS[task.layout](source, task, split, subset)


class TaskViews:
    """The views of one task's splits on one source, each read once: the content check
    (``harness.data.fingerprints``) and the pipeline of the same run share them."""

    def __init__(self, source: DataSource, task: TaskSpec):
        self.source, self.task = source, task
        self._read: dict[tuple[str, str], View] = {}

    def get(self, split: str, subset: str = "default") -> View:
        if self.task.facts.view == "labeled_images":
            subset = "default"  # one table serves every subset
        key = (split, subset)
        if key not in self._read:
            self._read[key] = read_view(self.source, self.task, split, subset)
        return self._read[key]
