"""Every recorded fingerprint is satisfiable by its own task's loader: a snapshot written in the
loader's layout with the fingerprint's counts (rows, labels, queries, documents, qrels, samples,
texts, pairs) passes the content check. A fingerprint its loader can never meet (HatefulMemes'
10,000 documents under a loader that deduplicates them to 8,045) fails here, before any user sees it.

Large fingerprints are checked at a smaller size of the same shape (``tests.support.fingerprinted``).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.catalogue.queries import all_tasks
from harness.data import fingerprints
from harness.data.hub import DataSource
from harness.data.sources import task_for_source
from tests.support.fingerprinted import matching_snapshot, scaled


def _fingerprinted() -> list[tuple[str, object]]:
    """(label, task as its source reads it) for every recorded fingerprint."""
    out = {}
    for task in all_tasks():
        for source in ("published", "mteb2"):
            variant = task_for_source(task, source)
            if variant.aggregate_of is None and fingerprints.fingerprint(variant) is not None:
                out[f"{fingerprints.dataset_key(variant)}:{task.name}"] = variant
    return sorted(out.items())


CASES = _fingerprinted()


def test_every_recorded_fingerprint_is_a_case():
    recorded = sum(len(tasks) for tasks in fingerprints._document()["fingerprints"].values())
    assert len(CASES) == recorded == 163


@pytest.mark.parametrize(
    ("label", "task"), CASES, ids=[label.split(":")[1] + "@" + label.split("@")[0] for label, _ in CASES]
)
def test_a_snapshot_with_the_fingerprints_counts_passes_its_loader(label, task, tmp_path, monkeypatch):
    recorded = scaled(task, fingerprints.fingerprint(task))
    matching_snapshot(tmp_path, task, recorded)
    monkeypatch.setattr(fingerprints, "fingerprint", lambda t: recorded if t == task else None)
    source = replace(DataSource.from_env(tmp_path), verify_data=True)
    check = fingerprints.verify_content(task, source)
    assert check.status == "verified", check.message
