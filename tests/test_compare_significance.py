"""``mieb compare`` with per-item outcomes: intervals, p-values and Holm/BH across tasks and types."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from harness.cli import main
from harness.gating.significance import combine, compare_paired
from harness.results.compare import compare_folders, comparison_lines
from harness.results.outcomes import ItemOutcomes

FIXTURES = Path(__file__).parent / "fixtures" / "published_results"
CLIP = FIXTURES / "openai__clip-vit-base-patch16"
SIGLIP = FIXTURES / "google__siglip-base-patch16-224"
N_ITEMS = 200


def _graded(score: float, key: str, model: str) -> np.ndarray:
    """Per-item values whose mean is exactly ``score``: item difficulty shared by both models
    (so the pairing matters) plus a little model-specific noise."""
    shared = np.random.default_rng(zlib.crc32(key.encode())).normal(0, 0.2, N_ITEMS)
    own = np.random.default_rng(zlib.crc32((key + model).encode())).normal(0, 0.05, N_ITEMS)
    values = shared + own
    return values - values.mean() + score


def _loader(skip: set[str] = frozenset(), shift: float = 0.0):
    """Outcomes that reproduce each result file's scores (``shift`` breaks that on purpose)."""

    def load(path: Path):
        if path.stem in skip:
            return None
        data = json.loads(path.read_text())
        out = {}
        for split, entries in data["scores"].items():
            for entry in entries:
                key = f"{path.stem}/{split}/{entry['hf_subset']}"
                values = _graded(entry["main_score"] + shift, key, path.parent.parent.name)
                ids = np.array([f"item{i}" for i in range(N_ITEMS)])
                out[(split, entry["hf_subset"])] = ItemOutcomes("main", "mean", ids, values)
        return out

    return load


def test_every_compared_task_gets_interval_and_corrected_p_value():
    comparison = compare_folders(SIGLIP, CLIP, benchmark="MIEB(Img)", load_outcomes=_loader())
    data = comparison.to_json()
    tested = [t for t in data["tasks"] if t["ci"] is not None]
    assert len(tested) == len(comparison.compared) == 4
    for t in tested:
        low, high = t["ci"]
        assert low <= t["delta"] <= high
        assert 0 < t["p_value"] <= 1 and isinstance(t["significant"], bool)
    reject, corrected, _, _ = multipletests([t["p_value"] for t in tested], alpha=0.05, method="holm")
    assert [t["significant"] for t in tested] == list(reject)
    np.testing.assert_allclose([t["p_adjusted"] for t in tested], corrected)
    assert data["correction"] == "Holm"
    # ImageNetDog15Clustering: -14.9 points on 200 paired items is far outside the noise.
    dog = next(t for t in tested if t["task"] == "ImageNetDog15Clustering")
    assert dog["significant"] and dog["ci"][1] < 0
    # Mean(TaskType): the mean of its tasks' deltas, with an interval from their replicates.
    sts = data["task_types"]["VisualSTS(multi)"]
    members = [t for t in comparison.tasks if t.type == "VisualSTS(multi)"]
    assert sts["delta"] == pytest.approx(np.mean([t.delta for t in members]), abs=1e-6)  # JSON rounds to 6 digits
    assert sts["ci"] == pytest.approx(list(combine([t.paired for t in members]).ci))


def test_task_p_value_is_the_paired_test_of_its_cells():
    load = _loader()
    comparison = compare_folders(SIGLIP, CLIP, benchmark="MIEB(Img)", load_outcomes=load)
    stl = next(t for t in comparison.tasks if t.task == "STL10")
    base = load(next(SIGLIP.glob("*/STL10.json")))[("test", "default")]
    cand = load(next(CLIP.glob("*/STL10.json")))[("test", "default")]
    assert stl.paired.p_value == compare_paired(base, cand).p_value
    assert stl.paired.test == "sign-flip"


def test_benjamini_hochberg_on_request():
    comparison = compare_folders(SIGLIP, CLIP, benchmark="MIEB(Img)", load_outcomes=_loader(), correction="bh")
    tested = [t for t in comparison.tasks if t.paired is not None]
    reject = multipletests([t.paired.p_value for t in tested], alpha=0.05, method="fdr_bh")[0]
    assert [t.significant for t in tested] == list(reject)


def test_a_task_without_outcomes_says_so_and_its_type_gets_no_interval():
    comparison = compare_folders(
        SIGLIP, CLIP, benchmark="MIEB(Img)", load_outcomes=_loader(skip={"STS17MultilingualVisualSTS"})
    )
    data = comparison.to_json()
    sts17 = next(t for t in data["tasks"] if t["task"] == "STS17MultilingualVisualSTS")
    assert sts17["ci"] is None and sts17["p_value"] is None and sts17["significant"] is None
    assert sts17["significance"] == "no saved per-item outcomes in the base and the candidate"
    assert sts17["delta"] is not None  # the score delta is still shown
    sts = data["task_types"]["VisualSTS(multi)"]
    assert sts["ci"] is None and "STS17MultilingualVisualSTS lack saved outcomes" in sts["significance"]
    text = "\n".join(comparison_lines(comparison))
    assert "no outcomes" in text and "without saved outcomes: STS17MultilingualVisualSTS" in text


def test_outcomes_that_do_not_reproduce_the_scores_are_not_tested():
    comparison = compare_folders(SIGLIP, CLIP, benchmark="MIEB(lite)", load_outcomes=_loader(shift=0.01))
    assert all(t.paired is None for t in comparison.tasks)
    assert all("do not reproduce" in t.significance for t in comparison.compared)


def test_cli_without_saved_outcomes_never_pretends(capsys, tmp_path: Path):
    plot = tmp_path / "deltas.png"
    assert main(["compare", str(SIGLIP), str(CLIP), "-b", "MIEB(lite)", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert all(t["ci"] is None and t["significant"] is None for t in data["tasks"])
    assert {t["significance"] for t in data["tasks"] if t["status"] in ("ok", "regression")} == {
        "no saved per-item outcomes in the base and the candidate"
    }
    pytest.importorskip("matplotlib")
    main(["compare", str(SIGLIP), str(CLIP), "--plot", str(plot)])
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_plot_draws_intervals(tmp_path: Path):
    pytest.importorskip("matplotlib")
    from harness.results.plots import plot_deltas

    comparison = compare_folders(SIGLIP, CLIP, benchmark="MIEB(Img)", load_outcomes=_loader())
    path = plot_deltas(comparison, tmp_path / "d.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
