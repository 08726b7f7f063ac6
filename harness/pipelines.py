"""One pipeline per protocol: data view -> embeddings -> pure evaluator -> metrics.

A pipeline scores one (split, subset) of a task from its views (``harness.data.views.TaskViews``,
read once and shared with the content check). It knows which columns to encode and which
evaluator to call; it never loads a model and never computes a metric itself. Which pipeline a
task runs is its family's fact (``mieb_records.families``). Its answer holds the metrics and, from
the same evaluator pass, what each test item got, keyed by the dataset's own ids (query ids; the
row number where the data has none) so two runs align item by item.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness.catalogue.queries import TaskSpec
from harness.data import validate
from harness.data.records import ImageSource, Side
from harness.data.views import TaskViews
from harness.encode.engine import EncodeEngine
from harness.evaluators.clustering import clustering_scored
from harness.evaluators.compositionality import compositionality_scored
from harness.evaluators.items import Scored
from harness.evaluators.linear_probe import (
    linear_probe_scored,
    multilabel_probe_scored,
    multilabel_undersample_indices,
    undersample_indices,
)
from harness.evaluators.sts import visual_sts_scored
from harness.evaluators.zero_shot import zero_shot_scored

Pipeline = Callable[[TaskSpec, str, str, TaskViews, EncodeEngine], Scored]

SEED = 42


def zero_shot_pipeline(task: TaskSpec, split: str, subset: str, views: TaskViews, engine: EncodeEngine) -> Scored:
    data = views.get(split)
    names = data.class_names or []
    prompts = task.prompts(names) if task.prompts else list(names)
    if not prompts:
        raise ValueError(f"{task.name}: no class names to build prompts from")
    validate.labels_in_set(task, split, data.labels, prompts)
    image_emb = engine.images(data.images, f"{task.name} {split} images")
    label_emb = engine.texts(prompts, f"{task.name} prompts")
    return zero_shot_scored(
        image_emb, label_emb, data.labels, scoring=task.zero_shot_scoring, similarity=engine.model.meta.similarity
    )


def linear_probe_pipeline(task: TaskSpec, split: str, subset: str, views: TaskViews, engine: EncodeEngine) -> Scored:
    train = views.get(task.train_split)
    test = views.get(split)
    multilabel = train.multilabel
    for part, data in ((task.train_split, train), (split, test)):
        if multilabel:
            validate.multilabels(task, part, data.labels)
        else:
            validate.labels_in_set(task, part, data.labels, data.class_names)
    sample = multilabel_undersample_indices if multilabel else undersample_indices
    experiments = sample(train.labels, task.samples_per_label, task.n_experiments, seed=SEED)
    # Encode the union of all experiments' training rows once, then slice per experiment.
    union = np.unique(np.concatenate(experiments))
    position = {int(row): i for i, row in enumerate(union)}
    train_emb = engine.images(train.images.select(union), f"{task.name} train sample ({len(union)} images)")
    test_emb = engine.images(test.images, f"{task.name} {split} images")
    per_experiment = []
    for rows in experiments:
        x = train_emb[[position[int(r)] for r in rows]]
        y = [train.labels[int(r)] for r in rows] if multilabel else np.asarray(train.labels)[rows]
        per_experiment.append((x, y))
    if multilabel:
        return multilabel_probe_scored(per_experiment, test_emb, test.labels)
    return linear_probe_scored(per_experiment, test_emb, test.labels, seed=SEED)


def clustering_pipeline(task: TaskSpec, split: str, subset: str, views: TaskViews, engine: EncodeEngine) -> Scored:
    data = views.get(split)
    validate.labels_in_set(task, split, data.labels, data.class_names)
    return clustering_scored(engine.images(data.images, f"{task.name} {split} images"), data.labels, seed=SEED)


def _encode_side(engine: EncodeEngine, side: Side, label: str) -> np.ndarray:
    if side.texts is not None and side.images is not None:
        return engine.fused(side.texts, side.images, label)
    if side.images is not None:
        return engine.images(side.images, label)
    if side.texts is not None:
        return engine.texts(side.texts, label)
    raise ValueError(f"{label}: neither texts nor images to encode")


def retrieval_pipeline(task: TaskSpec, split: str, subset: str, views: TaskViews, engine: EncodeEngine) -> Scored:
    from harness.evaluators.retrieval.metrics import retrieval_scored

    data = views.get(split, subset)
    validate.retrieval(task, split, subset, data)
    query_emb = _encode_side(engine, data.queries, f"{task.name} {subset} queries")
    corpus_emb = _encode_side(engine, data.corpus, f"{task.name} {subset} corpus")
    candidates = None
    if data.candidates is not None:
        position = {cid: i for i, cid in enumerate(data.corpus.ids)}
        candidates = [np.asarray([position[c] for c in data.candidates[q] if c in position]) for q in data.queries.ids]
    return retrieval_scored(
        query_emb,
        corpus_emb,
        data.queries.ids,
        data.corpus.ids,
        data.qrels,
        k_values=task.k_values,
        skip_first_result=task.skip_first_result,
        similarity=engine.model.meta.similarity,
        device=getattr(engine.model, "device", None),
        candidates=candidates,
    )


def visual_sts_pipeline(task: TaskSpec, split: str, subset: str, views: TaskViews, engine: EncodeEngine) -> Scored:
    data = views.get(split, subset)
    validate.not_empty(task, split, len(data.scores), "the pair table", subset)
    first = engine.images(data.first, f"{task.name} {subset} sentence1")
    second = engine.images(data.second, f"{task.name} {subset} sentence2")
    pairwise = getattr(engine.model, "similarity_pairwise", None)
    model_scores = np.asarray(pairwise(first, second)) if callable(pairwise) else None
    return visual_sts_scored(
        first,
        second,
        data.scores,
        min_score=task.min_score,
        max_score=task.max_score,
        pairwise_similarity=model_scores,
        similarity=engine.model.meta.similarity,
    )


def compositionality_pipeline(
    task: TaskSpec, split: str, subset: str, views: TaskViews, engine: EncodeEngine
) -> Scored:
    data = views.get(split, subset)
    validate.samples(task, split, data)
    image_emb = np.stack([_images(engine, s, task.name) for s in data.images], axis=1)
    text_emb = np.stack([engine.texts(t, f"{task.name} texts") for t in data.texts], axis=1)
    scored = compositionality_scored(image_emb, text_emb)
    return scored if data.ids is None else scored.with_ids(data.ids)


def _images(engine: EncodeEngine, source: ImageSource, task_name: str) -> np.ndarray:
    return engine.images(source, f"{task_name} {source.column} ({len(source)} images)")


# Pipeline name (a family's ``pipeline`` fact) -> the pipeline.
PIPELINES: dict[str, Pipeline] = {
    "zero_shot": zero_shot_pipeline,
    "linear_probe": linear_probe_pipeline,
    "clustering": clustering_pipeline,
    "retrieval": retrieval_pipeline,
    "visual_sts": visual_sts_pipeline,
    "compositionality": compositionality_pipeline,
}


def score_split(task: TaskSpec, split: str, subset: str, views: TaskViews, engine: EncodeEngine) -> Scored:
    """The metrics and per-item outcomes of one (split, subset) of ``task``, by its family's pipeline."""
    return PIPELINES[task.facts.pipeline](task, split, subset, views, engine)
