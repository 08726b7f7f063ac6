"""Content fingerprints: the counts the reference reported for each task's pinned data, checked on load.

``harness/reference_data/fingerprints.json`` (written by ``scripts/fingerprints.py`` from mteb's
descriptive statistics) holds, per ``dataset path@revision`` and task, what the reference scored
per split and subset: rows and per-label counts, queries / documents / relevant documents,
samples / images / texts, pairs and their mean score. ``verify_content`` reads the task's data
through the same views the pipelines use and compares before anything is encoded, so a truncated,
half-downloaded or changed copy never produces a number. ``--no-verify-data`` (or
``MIEB_VERIFY_DATA=0``) skips the check, and runs say so.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from harness.catalogue.queries import TaskSpec
from harness.data.hub import DatasetUnavailable, DataSource, SplitUnavailable
from harness.data.views import TaskViews, View
from harness.files import env_flag
from mieb_tasks.offline import ORG as OFFLINE_ORG

FINGERPRINT_FILE = "fingerprints.json"
VERIFY_ENV = "MIEB_VERIFY_DATA"
OFFLINE_EXEMPTION = (
    "built by this project (`mieb offline build`) from pinned packages; the reference has no statistics for it"
)

# What each counted field is, in the mismatch message ("has 9,812 test rows, the reference scored 10,000").
FIELD_WORDS: Mapping[str, str] = {
    "num_samples": "rows",
    "unique_labels": "distinct labels",
    "num_queries": "queries",
    "num_documents": "corpus documents",
    "unique_relevant_docs": "distinct relevant documents in the qrels",
    "min_relevant_docs_per_query": "as the fewest relevant documents of a query",
    "max_relevant_docs_per_query": "as the most relevant documents of a query",
    "num_images": "images",
    "num_texts": "texts",
    "num_unique_texts": "distinct texts",
    "avg_score": "as mean gold score",
}
FLOAT_FIELDS = {"avg_score"}
KINDS = ("labeled", "retrieval", "multiple_choice", "visual_sts", "compositionality")


class DatasetContentMismatch(DatasetUnavailable):
    """The data read is not the data the reference scored; the message names what differs."""


@dataclass(frozen=True)
class ContentCheck:
    """What the content check of one task found: ``verified``, ``no fingerprint``, ``exempt`` or ``not verified``."""

    status: str
    message: str


def reference_fields(kind: str, block: Mapping[str, Any], version: str) -> dict[str, Any]:
    """The counts checked for ``kind``, read from one split/subset block of mteb's statistics."""
    if version.startswith("2."):
        if kind != "labeled" or not isinstance(block.get("label_statistics"), Mapping):
            return {}
        labels = block["label_statistics"]
        return {
            "num_samples": block["num_samples"],
            "unique_labels": labels["unique_labels"],
            "labels": {k: v["count"] for k, v in sorted(labels["labels"].items())},
        }
    if kind == "labeled":
        if "labels" not in block:
            return {}
        return {
            "num_samples": block["num_samples"],
            "unique_labels": block["unique_num_labels"],
            "labels": {k: v["count"] for k, v in sorted(block["labels"].items())},
        }
    wanted = {
        "retrieval": (
            "num_queries",
            "num_documents",
            "unique_relevant_docs",
            "min_relevant_docs_per_query",
            "max_relevant_docs_per_query",
        ),
        "multiple_choice": ("num_queries", "num_documents"),
        "visual_sts": ("num_samples", "avg_score"),
        "compositionality": ("num_samples", "num_images", "num_texts", "num_unique_texts"),
    }[kind]
    # A list where a count belongs (mteb 1.x's num_images for a single image column) is not a count.
    return {f: block[f] for f in wanted if isinstance(block.get(f), (int, float)) and not isinstance(block[f], bool)}


@cache
def _document() -> Mapping[str, Any]:
    text = resources.files("harness").joinpath("reference_data", FINGERPRINT_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def dataset_key(task: TaskSpec) -> str:
    return f"{task.dataset.path}@{task.dataset.revision}"


def fingerprint(task: TaskSpec) -> Mapping[str, Any] | None:
    """The recorded fingerprint of the task's dataset revision, or None."""
    return _document()["fingerprints"].get(dataset_key(task), {}).get(task.name)


def why_not_recorded(task: TaskSpec) -> str:
    """Why the task's dataset revision has no fingerprint."""
    if task.dataset.path.startswith(f"{OFFLINE_ORG}/"):
        return OFFLINE_EXEMPTION
    reasons = _document()["not_recorded"]
    for label in (f"{task.name} (published)", f"{task.name} (mteb2)"):
        reason = reasons.get(label, "")
        if reason.startswith(dataset_key(task)) or reason.startswith("aggregate of"):
            return reason.removeprefix(f"{dataset_key(task)}: ")
    return "the reference reported no statistics for it"


def verify_enabled(source: DataSource) -> bool:
    if source.verify_data is not None:
        return source.verify_data
    return env_flag(VERIFY_ENV)


def verify_content(
    task: TaskSpec,
    source: DataSource,
    *,
    splits: Sequence[str] | None = None,
    subsets: Sequence[str] | None = None,
    views: TaskViews | None = None,
) -> ContentCheck:
    """Compare the task's data (the given splits and subsets, else all) with its fingerprint.

    ``views``: the task's views the run then evaluates (read here, once); None: read new ones.
    Raises ``DatasetContentMismatch`` naming every count that differs; returns what was checked.
    """
    views = views if views is not None else TaskViews(source, task)
    where = dataset_key(task)
    if not verify_enabled(source):
        return ContentCheck("not verified", f"dataset content not verified for {where} (--no-verify-data)")
    recorded = fingerprint(task)
    if recorded is None:
        status = "exempt" if task.dataset.path.startswith(f"{OFFLINE_ORG}/") else "no fingerprint"
        return ContentCheck(status, f"no fingerprint recorded for {where}: {why_not_recorded(task)}")
    problems: list[str] = []
    checked = 0
    for split in splits or task.eval_splits:
        for subset in subsets or list(task.subsets):
            expected = recorded["splits"].get(split, {}).get(subset)
            if expected is None:
                continue
            checked += 1
            try:
                found = observe(recorded["kind"], task, views.get(split, subset))
            except SplitUnavailable as err:
                problems.append(
                    f"{_cell(split, subset)} cannot be read ({err}); the reference scored {_brief(expected)}"
                )
                continue
            problems += _differences(expected, found, split, subset)
    if problems:
        local = source.local_path(task.dataset)
        copy = f" (local copy {local})" if local is not None else ""
        raise DatasetContentMismatch(
            f"{task.name}: dataset {where}{copy} is not the data the reference scored: "
            + "; ".join(problems)
            + f". Re-download it (`mieb download -t {task.name} --to DIR --verify`), or pass --no-verify-data "
            f"to run on it anyway (its scores are then not comparable). Counts from {recorded['from']}."
        )
    return ContentCheck("verified", f"{where}: {checked} split/subset(s) match {recorded['from']}")


def _cell(split: str, subset: str) -> str:
    return f"split {split!r}" + ("" if subset == "default" else f" subset {subset!r}")


def _brief(expected: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{expected[f]:,} {FIELD_WORDS[f]}" for f in expected if f in FIELD_WORDS and f not in FLOAT_FIELDS
    )


def _differences(expected: Mapping[str, Any], found: Mapping[str, Any], split: str, subset: str) -> list[str]:
    out = []
    place = split if subset == "default" else f"{split} (subset {subset})"
    for name, want in expected.items():
        have = found[name]
        if name == "labels":
            differing = [
                f"label {label}: {have.get(label, 0):,} here, {want.get(label, 0):,} in the reference"
                for label in sorted(set(want) | set(have), key=_label_order)
                if have.get(label, 0) != want.get(label, 0)
            ]
            if differing:
                more = f" (and {len(differing) - 5} more labels)" if len(differing) > 5 else ""
                out.append(f"{place} label counts differ: {'; '.join(differing[:5])}{more}")
        elif name in FLOAT_FIELDS:
            if not math.isclose(have, want, rel_tol=1e-6, abs_tol=1e-9):
                out.append(f"has {have:.6g} {place} {FIELD_WORDS[name]}, the reference scored {want:.6g}")
        elif have != want:
            out.append(f"has {have:,} {place} {FIELD_WORDS[name]}, the reference scored {want:,}")
    return out


def _label_order(label: str) -> tuple[int, int | str]:
    return (0, int(label)) if label.lstrip("-").isdigit() else (1, label)


def observe(kind: str, task: TaskSpec, data: View) -> dict[str, Any]:
    """The counts of ``kind`` in one split and subset's view (the one the pipeline evaluates)."""
    if kind == "labeled":
        if data.multilabel:
            counts = Counter(str(label) for labels in data.labels for label in labels)
        else:
            counts = Counter(str(label) for label in data.labels.tolist())
        return {"num_samples": len(data.labels), "unique_labels": len(counts), "labels": dict(counts)}
    if kind in ("retrieval", "multiple_choice"):
        # As the reference counts: queries with qrels; relevant documents per query are the qrels
        # entries, only the non-zero ones where the candidates are the qrels (its multiple-choice mixin).
        per_query = [
            sum(1 for score in data.qrels[q].values() if score != 0) if task.restrict_to_qrels else len(data.qrels[q])
            for q in data.queries.ids
        ]
        return {
            "num_queries": len(data.queries.ids),
            "num_documents": len(data.corpus.ids),
            "unique_relevant_docs": len({doc for docs in data.qrels.values() for doc in docs}),
            "min_relevant_docs_per_query": min(per_query, default=0),
            "max_relevant_docs_per_query": max(per_query, default=0),
        }
    if kind == "visual_sts":
        return {"num_samples": len(data.scores), "avg_score": float(data.scores.mean()) if len(data.scores) else 0.0}
    if kind == "compositionality":
        texts = [text for column in data.texts for text in column]
        return {
            "num_samples": len(data.texts[0]) if data.texts else len(data.images[0]),
            "num_images": sum(len(images) for images in data.images),
            "num_texts": len(texts),
            "num_unique_texts": len(set(texts)),
        }
    raise ValueError(f"unknown fingerprint kind {kind!r} (known: {', '.join(KINDS)})")
