"""Zero-shot metrics equal mteb 2.26.24's own scoring code for each scoring rule and declared similarity.

mteb is not a dependency; point ``MIEB_MTEB_PYTHON`` at an interpreter with mteb 2.26.24 to run it.
The mteb side builds an ``AbsEncoder`` whose ``ModelMeta`` declares the similarity, scores classes
as ``ZeroShotClassificationEvaluator`` does (``similarity()`` for ``["image", "text"]`` tasks,
``model.similarity`` otherwise; for ``euclidean``, which ``AbsEncoder.similarity`` refuses, mteb's
``euclidean_sim``) and computes the metrics with
``AbsTaskZeroShotClassification._calculate_scores``, on the same embeddings and labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.evaluators.zero_shot import zero_shot
from tests.support.mteb_side import ENCODER_DECLARING, MTEB_PYTHON, run_mteb

MTEB_SIDE = (
    """
import json, sys
import numpy as np
from mteb.abstasks.zeroshot_classification import AbsTaskZeroShotClassification
from mteb.similarity_functions import euclidean_sim, similarity as softmax_similarity

folder, scoring, similarity = sys.argv[1:4]
images, labels_emb, gold = (np.load(f"{folder}/{n}.npy") for n in ("images", "labels_emb", "gold"))
"""
    + ENCODER_DECLARING
    + """
if scoring == "softmax":
    probs = softmax_similarity(labels_emb, images)
elif similarity == "euclidean":  # AbsEncoder.similarity raises for it; mteb's own function
    probs = euclidean_sim(images, labels_emb)
else:
    probs = Model().similarity(images, labels_emb)
found = AbsTaskZeroShotClassification._calculate_scores(None, gold.tolist(), probs)
print(json.dumps({k: (None if v is None else float(v)) for k, v in found.items()}))
"""
)


@pytest.mark.skipif(not MTEB_PYTHON, reason="set MIEB_MTEB_PYTHON to a python with mteb 2.26.24 installed")
@pytest.mark.parametrize(
    ("scoring", "similarity"),
    [("softmax", "cosine"), ("softmax", "dot"), ("model", "cosine"), ("model", "dot"), ("model", "euclidean")],
)
@pytest.mark.parametrize("classes", [2, 7])
def test_every_zero_shot_field_equals_mteb(scoring: str, similarity: str, classes: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(classes)
    # unnormalised, with norms far apart, so dot, cosine and euclidean rank classes differently
    images = (rng.normal(size=(300, 16)) * rng.uniform(0.2, 5.0, size=(300, 1))).astype(np.float32)
    labels_emb = (rng.normal(size=(classes, 16)) * rng.uniform(0.2, 5.0, size=(classes, 1))).astype(np.float32)
    gold = rng.integers(0, classes, 300)
    for name, array in (("images", images), ("labels_emb", labels_emb), ("gold", gold)):
        np.save(tmp_path / f"{name}.npy", array)
    reference = run_mteb(MTEB_SIDE, str(tmp_path), scoring, similarity)
    ours = zero_shot(images, labels_emb, gold, scoring=scoring, similarity=similarity)
    assert ours == reference
