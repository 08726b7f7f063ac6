"""Visual STS fields equal mteb 2.26.24's own scoring code for each declared model similarity.

mteb is not a dependency; point ``MIEB_MTEB_PYTHON`` at an interpreter with mteb 2.26.24 to run it.
The mteb side builds an ``AbsEncoder`` whose ``ModelMeta`` declares the similarity, takes the
model-similarity scores from its ``similarity_pairwise`` (what ``AnySTSEvaluator`` calls) and
scores them with ``AbsTaskSTS._calculate_scores``, on the same embeddings and gold scores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.evaluators.sts import visual_sts
from tests.support.mteb_side import ENCODER_DECLARING, MTEB_PYTHON, run_mteb

MTEB_SIDE = (
    """
import json, sys
import numpy as np
from sklearn.metrics.pairwise import paired_cosine_distances, paired_euclidean_distances, paired_manhattan_distances
from mteb.abstasks.sts import AbsTaskSTS

folder, similarity = sys.argv[1], sys.argv[2]
e1, e2, gold = (np.load(f"{folder}/{n}.npy") for n in ("e1", "e2", "gold"))
"""
    + ENCODER_DECLARING
    + """
scores = {
    "cosine_scores": (1 - paired_cosine_distances(e1, e2)).tolist(),
    "manhattan_distances": (-paired_manhattan_distances(e1, e2)).tolist(),
    "euclidean_distances": (-paired_euclidean_distances(e1, e2)).tolist(),
    "similarity_scores": Model().similarity_pairwise(e1, e2).tolist(),
}
normalized = [(g - 0.0) / (5.0 - 0.0) for g in gold.tolist()]
print(json.dumps(AbsTaskSTS._calculate_scores(None, scores, normalized)))
"""
)


@pytest.mark.skipif(not MTEB_PYTHON, reason="set MIEB_MTEB_PYTHON to a python with mteb 2.26.24 installed")
@pytest.mark.parametrize("similarity", ["cosine", "dot"])
def test_every_sts_field_equals_mteb(similarity: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    pool = (rng.normal(size=(12, 16)) * rng.uniform(0.3, 4.0, size=(12, 1))).astype(np.float32)
    first, second = rng.integers(0, 12, 200), rng.integers(0, 12, 200)  # recurring images, some identical pairs
    e1, e2, gold = pool[first], pool[second], np.round(rng.uniform(0, 5, 200), 1)
    for name, array in (("e1", e1), ("e2", e2), ("gold", gold)):
        np.save(tmp_path / f"{name}.npy", array)
    reference = run_mteb(MTEB_SIDE, str(tmp_path), similarity)
    ours = visual_sts(e1, e2, gold, similarity=similarity)
    assert ours == reference
