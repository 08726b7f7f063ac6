"""Dataset sources: which copy of each dataset a run reads, and with which loader conventions.

``published`` (the default) reads the revisions the published MIEB scores were computed on, with
the conventions of the reference version that pinned them (mostly mteb 1.39.7). ``mteb2`` reads
the ``mteb/`` copies mteb 2.x loads today, with mteb 2.26.24's conventions, for results comparable
with new leaderboard submissions; published references are then reported, never asserted.
"""

from __future__ import annotations

import os
from dataclasses import replace

from harness.catalogue.queries import TaskSpec
from mieb_records.tasks import MTEB2_VERSION

DATASET_SOURCES: tuple[str, ...] = ("published", "mteb2")
DEFAULT_SOURCE = "published"
DATASET_SOURCE_ENV = "MIEB_DATASET_SOURCE"


def resolve_source(name: str | None) -> str:
    """The source named (or set in ``MIEB_DATASET_SOURCE``); an unknown name raises."""
    chosen = name or os.environ.get(DATASET_SOURCE_ENV) or DEFAULT_SOURCE
    if chosen not in DATASET_SOURCES:
        raise ValueError(f"Unknown dataset source {chosen!r}; choose one of {', '.join(DATASET_SOURCES)}")
    return chosen


def reference_pins_revision(task: TaskSpec) -> bool:
    """Whether the reference's loader asked for the revision the task pins.

    mteb 1.x's BEIR loader (``HFDataLoader`` of ``AbsTaskAny2AnyRetrieval`` and of the multiple-choice
    tasks built on it) calls ``load_dataset(repo, config)`` without a revision: those published scores
    read the repository's HEAD of their day. The revision such a task pins is mieb's choice (the one
    mteb's metadata names); its content fingerprint is the proof that it holds the data scored.
    """
    return not (task.layout == "beir" and task.follows_mteb1)


def task_for_source(task: TaskSpec, source: str | None = DEFAULT_SOURCE) -> TaskSpec:
    """The task as the given source reads it (``published``: unchanged)."""
    if resolve_source(source) == "published" or (task.reference_version == MTEB2_VERSION and not task.mteb2):
        return task
    if task.aggregate_of is not None:
        return task
    fields = {
        "dataset": task.mteb2_dataset or task.dataset,
        "reference_version": MTEB2_VERSION,
        "source_differs": "dataset source mteb2: the published scores were computed on the published source",
        **dict(task.mteb2),
    }
    return replace(task, **fields)
