"""Linear probe with a tiny random CLIP: mieb's and mteb's embeddings differ by about 1e-6, and
mteb's early-stopped solver (``LogisticRegression(max_iter=100)``, lbfgs, tol 1e-4) turns that into
coefficients about 1e-2 apart, so test samples whose two best classes are that close can flip.

mteb's side is its CLIP wrapper's arithmetic (HF processor + ``get_image_features``, batches of 32;
``tests/models/test_sts_rounding.py`` checks it against the wrapper itself). The bound checked: every
flipped prediction is a sample whose top-two decision margin is below the decision-value gap of the
two fits; solved to convergence, the same embeddings give no flip at all.
"""

from __future__ import annotations

import warnings

import numpy as np

from harness.evaluators.linear_probe import linear_probe, undersample_indices

N_TRAIN, N_TEST, N_CLASSES = 400, 200, 10


def _embeddings(clip_dir):
    """(mieb's, mteb's) embeddings of a random-image train and test table, and their labels."""
    import datasets
    import torch
    from PIL import Image
    from transformers import AutoModel, AutoProcessor

    from harness.api import get_model
    from harness.encode.engine import EncodeEngine, ImageSource

    rng = np.random.default_rng(0)
    labels = {"train": rng.integers(0, N_CLASSES, N_TRAIN), "test": rng.integers(0, N_CLASSES, N_TEST)}
    features = datasets.Features({"img": datasets.Image()})
    tables = {
        split: datasets.Dataset.from_dict(
            {"img": [Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)) for _ in range(n)]},
            features=features,
        )
        for split, n in (("train", N_TRAIN), ("test", N_TEST))
    }
    engine = EncodeEngine(get_model(str(clip_dir), device="cpu"), None, num_workers=0, progress=False)
    model, processor = AutoModel.from_pretrained(clip_dir).eval(), AutoProcessor.from_pretrained(clip_dir)
    ours, theirs = {}, {}
    for split, table in tables.items():
        ours[split] = engine.images(ImageSource(table, f"probe/default/{split}", "img"))
        with torch.no_grad():
            parts = [
                model.get_image_features(**processor(images=list(table["img"][s : s + 32]), return_tensors="pt"))
                for s in range(0, len(table), 32)
            ]
        theirs[split] = torch.cat([getattr(p, "pooler_output", p) for p in parts]).numpy()
    return ours, theirs, labels


def test_probe_flips_are_near_ties_of_an_early_stopped_solver(clip_dir):
    from sklearn.linear_model import LogisticRegression

    ours, theirs, labels = _embeddings(clip_dir)
    assert 0 < max(np.abs(ours[s] - theirs[s]).max() for s in ours) < 1e-5
    noise = max(np.abs(ours[s] - theirs[s]).max() for s in ours)
    experiments = undersample_indices(labels["train"], 16, 5)
    scores = [
        linear_probe([(emb["train"][i], labels["train"][i]) for i in experiments], emb["test"], labels["test"])
        for emb in (ours, theirs)
    ]
    flips_total = 0
    for i in experiments:
        fits = []
        for emb in (ours, theirs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning on some experiments
                fits.append(LogisticRegression(max_iter=100, random_state=42).fit(emb["train"][i], labels["train"][i]))
        decisions = [fit.decision_function(emb["test"]) for fit, emb in zip(fits, (ours, theirs), strict=True)]
        gap = np.abs(decisions[0] - decisions[1]).max()
        top_two = np.sort(decisions[0], axis=1)[:, -2:]
        margin = top_two[:, 1] - top_two[:, 0]
        flipped = np.flatnonzero(fits[0].predict(ours["test"]) != fits[1].predict(theirs["test"]))
        assert np.abs(fits[0].coef_ - fits[1].coef_).max() > 100 * noise  # the solver amplifies the noise
        assert (margin[flipped] < gap).all()  # the bound: only near-ties flip
        flips_total += len(flipped)
        tight = LogisticRegression(max_iter=10_000, tol=1e-12, random_state=42)
        converged = [
            tight.fit(emb["train"][i].astype(np.float64), labels["train"][i]).coef_.copy() for emb in (ours, theirs)
        ]
        assert np.abs(converged[0] - converged[1]).max() < 1e-3  # solved to convergence, the fits agree
    assert flips_total > 0  # reproduced: some test predictions differ between the pipelines
    accuracy_gap = abs(scores[0]["accuracy"] - scores[1]["accuracy"])
    assert 0 < accuracy_gap <= flips_total / (N_TEST * len(experiments))
