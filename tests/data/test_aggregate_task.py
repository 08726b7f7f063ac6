"""Aggregate VisualSTS tasks: a raw multilingual task's selected subsets, averaged under a new name."""

from __future__ import annotations

import json

import pytest

from harness.catalogue.queries import get_task
from harness.runner import run_task
from tests.support.layouts import snapshot, sts_split


def _pairs(shift: int, swaps: int) -> list:
    # Image overlap falls with k while the gold score falls with the k of a partly shuffled list, so
    # each language gets its own spearman below 1.
    overlaps = [0, 1, 2, 3, 4, 5, 6]
    golds = list(overlaps)
    for j in range(swaps):
        golds[j], golds[j + 1] = golds[j + 1], golds[j]
    return [
        ([(shift + i, 8 - k), (shift + 100 + i, k)] if k else shift + i, shift + i, 5.0 - g * 0.7)
        for i, (k, g) in enumerate(zip(overlaps, golds, strict=True))
    ]


def test_aggregate_averages_raw_subsets_and_writes_both_results(tmp_path, engine) -> None:
    raw, aggregate = get_task("STSBenchmarkMultilingualVisualSTS"), get_task("VisualSTS-b-Multilingual")
    configs = {
        lang: {"test": sts_split(_pairs(200 * n, n % 4)), "dev": sts_split(_pairs(200 * n + 50, 1))}
        for n, lang in enumerate(["de", "es", "fr", "it", "nl", "pl", "pt", "ru", "zh", "en"])
    }
    source = snapshot(tmp_path / "data", raw.dataset.path, configs)
    outcome = run_task(aggregate, engine, source, tmp_path / "results")

    folder = outcome.path.parent
    raw_file = json.loads((folder / f"{raw.name}.json").read_text())
    assert set(raw_file["scores"]) == {"test"}  # only the aggregate's split of the raw task is computed
    per_subset = {e["hf_subset"]: e["cosine_spearman"] for e in raw_file["scores"]["test"]}
    assert set(per_subset) == set(aggregate.subsets)  # en is not part of VisualSTS-b-Multilingual
    expected = sum(per_subset.values()) / len(per_subset)
    entry = json.loads(outcome.path.read_text())["scores"]["test"][0]
    assert entry["hf_subset"] == "default"
    assert entry["main_score"] == pytest.approx(expected, abs=1e-6)
    assert entry["cosine_spearman"] == entry["main_score"]
    assert len(set(per_subset.values())) > 1 and 0 < expected < 1

    again = run_task(aggregate, engine, source, tmp_path / "results")
    assert again.reused
