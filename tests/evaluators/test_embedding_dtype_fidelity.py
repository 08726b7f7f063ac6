"""float16 model output reaches the evaluators as float16, and they compute what scikit-learn does on it.

mteb hands a wrapper's output to scikit-learn unchanged; its open_clip wrappers run under CUDA
autocast and return float16. scikit-learn computes float16 input in float64 (paired distances,
LogisticRegression), float32 input in float32. Casting float16 to float32 is exact but moves those
computations to float32: STS ``cosine_*``/``manhattan_*``/``euclidean_*`` change in the last bits and,
rarely, a linear-probe prediction flips. Checked here against scikit-learn and scipy run on float64
copies (an independent computation), on STS data where every sentence image recurs in many rows
and in both columns; the guards show the float32 computation differs, so the checks can fail.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.metrics.pairwise import (
    paired_cosine_distances,
    paired_euclidean_distances,
    paired_manhattan_distances,
)

from harness.encode.checks import BatchGuard
from harness.encode.engine import EncodeEngine, ImageSource
from harness.evaluators.linear_probe import linear_probe, undersample_indices
from harness.evaluators.sts import visual_sts
from mieb_models.base import ModelMeta, TorchEncoder, to_numpy
from tests.support.layouts import image_code, sts_split

POOL = 10
DIM = 48


def _table(seed: int, n: int) -> torch.Tensor:
    return torch.tanh(torch.from_numpy(np.random.default_rng(seed).normal(size=(n, DIM)))).half()


class Float16Table:
    """Embeds a single-code swatch as row ``code`` of a fixed float16 table, as a torch tensor."""

    meta = ModelMeta(
        name="test/fp16-table", revision="1", framework="torch", architecture="table", modalities=("image",)
    )

    def __init__(self, table: torch.Tensor):
        self.table = table

    def encode_images(self, images):
        return self.table[[image_code(im) for im in images]]


def _engine(table: torch.Tensor) -> EncodeEngine:
    return EncodeEngine(Float16Table(table), None, batch_size=32, num_workers=0, progress=False)


def _duplicate_pairs(n: int = 150) -> tuple[list[tuple[int, int, float]], np.ndarray]:
    rng = np.random.default_rng(11)
    pairs = []
    for _ in range(n):
        a = int(rng.integers(0, POOL))
        b = a if rng.random() < 0.4 else int(rng.integers(0, POOL))
        pairs.append((a, b, 5.0 if a == b else float(rng.integers(0, 5))))
    return pairs, np.array([s for _, _, s in pairs])


def _independent_sts(e1: np.ndarray, e2: np.ndarray, gold: np.ndarray, dtype) -> dict[str, float]:
    x, y = e1.astype(dtype), e2.astype(dtype)
    g = (gold - 0.0) / 5.0
    sims = {
        "cosine": 1 - paired_cosine_distances(x, y),
        "manhattan": -paired_manhattan_distances(x, y),
        "euclidean": -paired_euclidean_distances(x, y),
    }
    out = {}
    for name, s in sims.items():
        out[f"{name}_pearson"] = float(pearsonr(g, s.tolist())[0])
        out[f"{name}_spearman"] = float(spearmanr(g, s.tolist())[0])
    # mteb's pairwise_cos_sim: torch float32, normalise then multiply and sum
    a = torch.nn.functional.normalize(torch.from_numpy(e1).float(), p=2, dim=1)
    b = torch.nn.functional.normalize(torch.from_numpy(e2).float(), p=2, dim=1)
    model_sim = (a * b).sum(dim=-1).tolist()
    out["pearson"], out["spearman"] = float(pearsonr(g, model_sim)[0]), float(spearmanr(g, model_sim)[0])
    return out


def test_float16_output_is_kept_by_every_conversion() -> None:
    half = _table(0, 4)
    assert to_numpy(half).dtype == np.float16
    assert to_numpy(half.double()).dtype == np.float64
    assert to_numpy(half.bfloat16()).dtype == np.float32  # numpy has no bfloat16
    assert BatchGuard("m")._as_matrix(half, "batch 1").dtype == np.float16
    assert np.array_equal(to_numpy(half).astype(np.float32), half.float().numpy())  # values untouched

    class Identity(TorchEncoder):
        meta = Float16Table.meta

        def _images(self, images):
            return images

    assert Identity(device="cpu").encode_images(half).dtype == torch.float16
    assert Identity(device="cpu").encode_images(half.bfloat16()).dtype == torch.float32


def test_sts_on_duplicate_images_matches_sklearn_on_the_float16_values() -> None:
    pairs, gold = _duplicate_pairs()
    data = sts_split(pairs)
    engine = _engine(_table(1, POOL))
    e1 = engine.images(ImageSource(data, "test/sts-dup", "sentence1"))
    e2 = engine.images(ImageSource(data, "test/sts-dup", "sentence2"))
    assert e1.dtype == np.float16, "the engine must hand the model's float16 output on"

    got = visual_sts(e1, e2, gold)
    expected = _independent_sts(e1, e2, gold, np.float64)  # scikit-learn on float16 input = float64
    assert got == expected  # exact: same operations on the same values
    float32 = _independent_sts(e1, e2, gold, np.float32)
    assert any(float32[k] != expected[k] for k in expected if not k.startswith(("pearson", "spearman")))


def test_linear_probe_fits_in_float64_on_float16_embeddings() -> None:
    rng = np.random.default_rng(5)
    n_train, n_test, classes = 200, 300, 10
    table = _table(2, n_train + n_test)
    labels = rng.integers(0, classes, n_train + n_test)
    emb = to_numpy(table)
    assert emb.dtype == np.float16, "the model's float16 output must reach the probe as float16"
    x_train, x_test = emb[:n_train], emb[n_train:]
    y_train, y_test = labels[:n_train], labels[n_train:]
    experiments = undersample_indices(y_train, 8, 3)
    got = linear_probe([(x_train[r], y_train[r]) for r in experiments], x_test, y_test)

    decisions = {}
    for dtype in (np.float64, np.float32):
        per_experiment, values = [], []
        for rows in experiments:
            clf = LogisticRegression(max_iter=100, random_state=42).fit(x_train[rows].astype(dtype), y_train[rows])
            pred = clf.predict(x_test.astype(dtype))
            per_experiment.append((accuracy_score(y_test, pred), f1_score(y_test, pred, average="macro")))
            values.append(clf.decision_function(x_test.astype(dtype)))
        decisions[dtype] = np.concatenate(values)
        if dtype is np.float64:
            expected = per_experiment
    assert [(s["accuracy"], s["f1"]) for s in got["scores_per_experiment"]] == expected  # exact
    assert not np.array_equal(decisions[np.float64], decisions[np.float32].astype(np.float64))
