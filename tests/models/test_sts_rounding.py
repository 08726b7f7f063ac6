"""Visual STS with a tiny random CLIP: mieb's and mteb's pipelines give embeddings that differ in the
last bits, and only the model-similarity ``spearman`` feels it, within ``spearman_rounding_range``.

mteb's CLIP wrapper (``clip_models.CLIPModel.get_image_embeddings``) is the HF processor and
``get_image_features`` over each column in batches of 32; it is reproduced here in-process, and with
``MIEB_MTEB_PYTHON`` (mteb 2.26.24) the wrapper itself is run and must give the same bits. mieb's
engine normalises uint8 pixels in the batch (the processor in float32 numpy), so the embeddings
differ by about 1e-6: identical images then still give exactly 1 under scikit-learn's cosine on both
sides (exact ties), while their float32 model similarity lands on 1 - 6e-8, 1 or 1 + 1.2e-7.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.evaluators.sts import default_pairwise_similarity, spearman_rounding_range, visual_sts
from tests.support.mteb_side import MTEB_PYTHON, run_mteb

N_PAIRS = 60

MTEB_WRAPPER = """
import json, sys
import numpy as np, datasets
from mteb.models.model_implementations.clip_models import CLIPModel
model = CLIPModel(sys.argv[1], revision=None, device="cpu")
table = datasets.load_from_disk(sys.argv[2])
out = {}
for column in ("sentence1", "sentence2"):
    images = table[column]
    batches = [{"image": images[s : s + 32]} for s in range(0, len(images), 32)]
    out[column] = model.get_image_embeddings(batches, show_progress_bar=False).numpy().tolist()
print(json.dumps(out))
"""


def _pairs():
    """60 rendered-word pairs, every fourth one the same word twice (gold 5), the rest scored 0-4."""
    import datasets
    from PIL import Image, ImageDraw

    def render(word: str) -> Image.Image:
        image = Image.new("RGB", (32, 32), "white")
        ImageDraw.Draw(image).text((1, 10), word, fill="black")
        return image

    words = [f"w{i} x" for i in range(50)]
    first = [words[i % 50] for i in range(N_PAIRS)]
    second = [first[i] if i % 4 == 0 else words[(i * 7 + 3) % 50] for i in range(N_PAIRS)]
    rng = np.random.default_rng(0)
    gold = np.where([a == b for a, b in zip(first, second, strict=True)], 5.0, np.round(rng.uniform(0, 4, N_PAIRS), 1))
    features = datasets.Features({"sentence1": datasets.Image(), "sentence2": datasets.Image()})
    table = datasets.Dataset.from_dict(
        {"sentence1": [render(w) for w in first], "sentence2": [render(w) for w in second]}, features=features
    )
    return table, gold, np.array([a == b for a, b in zip(first, second, strict=True)])


def _mteb_wrapper_arithmetic(clip_dir, table) -> tuple[np.ndarray, np.ndarray]:
    import torch
    from transformers import AutoModel, AutoProcessor

    model, processor = AutoModel.from_pretrained(clip_dir).eval(), AutoProcessor.from_pretrained(clip_dir)
    columns = []
    with torch.no_grad():
        for column in ("sentence1", "sentence2"):
            parts = []
            for start in range(0, len(table), 32):
                inputs = processor(images=table[column][start : start + 32], return_tensors="pt", padding=True)
                out = model.get_image_features(**inputs)
                parts.append(getattr(out, "pooler_output", out))
            columns.append(torch.cat(parts).numpy())
    return columns[0], columns[1]


def test_only_the_model_similarity_spearman_moves_and_within_its_rounding_range(clip_dir, tmp_path):
    from harness.api import get_model
    from harness.encode.engine import EncodeEngine, ImageSource

    table, gold, same = _pairs()
    engine = EncodeEngine(get_model(str(clip_dir), device="cpu"), None, num_workers=0, progress=False)
    ours = [engine.images(ImageSource(table, "pairs/default/test", c)) for c in ("sentence1", "sentence2")]
    theirs = list(_mteb_wrapper_arithmetic(clip_dir, table))
    if MTEB_PYTHON:  # the wrapper itself gives the same bits
        table.save_to_disk(str(tmp_path / "pairs"))
        wrapper = run_mteb(MTEB_WRAPPER, str(clip_dir), str(tmp_path / "pairs"))
        assert all(np.array_equal(np.asarray(wrapper[c], np.float32), e) for c, e in zip(wrapper, theirs, strict=True))

    gap = max(np.abs(a - b).max() for a, b in zip(ours, theirs, strict=True))
    assert 0 < gap < 1e-5  # the same model on the same images: last bits only
    ours_scores, theirs_scores = visual_sts(*ours, gold), visual_sts(*theirs, gold)
    for field in ("cosine_spearman", "manhattan_spearman", "euclidean_spearman"):
        assert abs(ours_scores[field] - theirs_scores[field]) <= 1e-6, field
    for field in ("cosine_pearson", "manhattan_pearson", "euclidean_pearson", "pearson"):
        assert abs(ours_scores[field] - theirs_scores[field]) <= 1e-4, field
    # identical images: scikit-learn's cosine is exactly 1 on both sides; the float32 model similarity is not
    from sklearn.metrics.pairwise import paired_cosine_distances

    assert all((paired_cosine_distances(*e)[same] == 0).all() for e in (ours, theirs))
    ours_sim, theirs_sim = (default_pairwise_similarity(*e) for e in (ours, theirs))
    assert len(set(ours_sim[same].tolist()) | set(theirs_sim[same].tolist())) > 1
    # the model-similarity spearman differs, and each side lies within the other's rounding range
    assert ours_scores["spearman"] != theirs_scores["spearman"]
    for spearman, scores in ((ours_scores["spearman"], theirs_sim), (theirs_scores["spearman"], ours_sim)):
        low, high = spearman_rounding_range(gold, scores)
        assert low <= spearman <= high


@pytest.mark.parametrize("batch_size", [7, 60])
def test_the_same_pipeline_at_another_batch_size_moves_the_same_way(clip_dir, batch_size):
    """Batch composition alone changes the last bits on CPU: mteb against itself is not bit-stable either."""
    import torch
    from transformers import AutoModel, AutoProcessor

    table, gold, _ = _pairs()
    model, processor = AutoModel.from_pretrained(clip_dir).eval(), AutoProcessor.from_pretrained(clip_dir)
    pixels = {
        c: processor(images=list(table[c]), return_tensors="pt")["pixel_values"] for c in ("sentence1", "sentence2")
    }

    def embed(size: int) -> list[np.ndarray]:
        with torch.no_grad():
            out = []
            for c in ("sentence1", "sentence2"):
                parts = [
                    model.get_image_features(pixel_values=pixels[c][s : s + size]) for s in range(0, N_PAIRS, size)
                ]
                out.append(torch.cat([getattr(p, "pooler_output", p) for p in parts]).numpy())
        return out

    reference, other = embed(32), embed(batch_size)
    assert max(np.abs(a - b).max() for a, b in zip(reference, other, strict=True)) < 1e-5
    spearman = visual_sts(*other, gold)["spearman"]
    low, high = spearman_rounding_range(gold, default_pairwise_similarity(*reference))
    assert low <= spearman <= high
