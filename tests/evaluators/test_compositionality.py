"""Winoground-style compositionality metrics: hand cases, ties, ARO/ImageCoDe shapes, loop oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.evaluators.compositionality import compositionality, pair_scores


def _at(deg, norm=1.0):
    r = math.radians(deg)
    return [norm * math.cos(r), norm * math.sin(r)]


def _sample(img_deg, txt_deg, img_norms=None, txt_norms=None):
    img_norms = img_norms or [1.0] * len(img_deg)
    txt_norms = txt_norms or [1.0] * len(txt_deg)
    return (
        np.array([_at(a, s) for a, s in zip(img_deg, img_norms, strict=True)]),
        np.array([_at(b, s) for b, s in zip(txt_deg, txt_norms, strict=True)]),
    )


def _run(samples):
    img = np.stack([s[0] for s in samples])
    txt = np.stack([s[1] for s in samples])
    return compositionality(img, txt)


def test_winoground_text_right_image_wrong():
    # Texts at 0 and 40 deg, images at 15 and 90 deg, so S_ij = cos(angle between image i and text j).
    # Image 0 is 15 deg from t0 and 25 from t1, so it picks t0. Image 1 is 50 deg from t1 and 90
    # from t0, so it picks t1. Text is right.
    # Text 1 is 25 deg from image 0 and 50 from image 1, so it picks image 0. Image is wrong.
    sample = _sample([15, 90], [0, 40], img_norms=[2.0, 0.3], txt_norms=[7.0, 0.5])
    out = _run([sample])
    assert out == {"text_acc": 1.0, "image_acc": 0.0, "accuracy": 0.0}


def test_winoground_image_right_text_wrong():
    # The same geometry with the roles of images and texts swapped.
    img, txt = _sample([0, 40], [15, 90])
    out = compositionality(img[None], txt[None])
    assert out == {"text_acc": 0.0, "image_acc": 1.0, "accuracy": 0.0}


def test_winoground_group_and_float32_mean():
    both = _sample([0, 90], [5, 80])
    text_only = _sample([15, 90], [0, 40])
    image_only = _sample([0, 40], [15, 90])
    out = _run([both, text_only, image_only])
    # text: 2/3, image: 2/3, group: 1/3, each rounded to float32 as torch does.
    assert out["text_acc"] == 0.6666666865348816
    assert out["image_acc"] == 0.6666666865348816
    assert out["accuracy"] == 0.3333333432674408
    assert out["accuracy"] == pytest.approx(1 / 3, abs=1e-7)


def test_tie_first_index_wins():
    # Both texts are identical, so every row of S ties. argmax picks text 0 for both images:
    # image 0 is right and image 1 is wrong, so text is wrong.
    # Columns: t0 and t1 both prefer image 0 (5 deg away). Text 1 should pick image 1, so image is wrong.
    img = np.array([_at(0), _at(10)])
    txt = np.array([_at(5), _at(5)])
    out = compositionality(img[None], txt[None])
    assert out == {"text_acc": 0.0, "image_acc": 0.0, "accuracy": 0.0}


def test_aro_shape_1x5_tie_with_positive_counts_as_correct():
    rng = np.random.default_rng(0)
    d = 16
    image = rng.normal(size=(1, d))
    positive = image[0] + 0.1 * rng.normal(size=d)
    negatives = rng.normal(size=(4, d))
    txt = np.vstack([positive, negatives])
    txt[3] = positive  # a "shuffled" caption identical to the original gives an exact tie
    out = compositionality(image[None], txt[None])
    assert out["text_acc"] == 1.0
    # With 1 image and 5 texts, image_acc is 0 by construction: argmax over one image is 0 != arange(5).
    assert out["image_acc"] == 0.0
    assert out["accuracy"] == 0.0


def test_aro_tie_between_negatives_above_positive_is_wrong():
    image = np.array([[[1.0, 0.0]]])
    txt = np.array([[_at(30), _at(60), _at(10), _at(10), _at(80)]])
    out = compositionality(image, txt)
    assert out["text_acc"] == 0.0


def test_imagecode_shape_10x1():
    rng = np.random.default_rng(1)
    n, d = 6, 12
    text = rng.normal(size=(n, 1, d))
    images = rng.normal(size=(n, 10, d))
    images[:, 0] = text[:, 0] * 3.0  # the correct image is parallel to the text
    out = compositionality(images, text)
    assert out["image_acc"] == 1.0
    # text_acc: for 10 images and 1 text, argmax over texts is always 0 != arange(10).
    assert out["text_acc"] == 0.0
    assert out["accuracy"] == 0.0


def test_single_pair_trivially_correct():
    out = compositionality(np.ones((3, 1, 4)), -np.ones((3, 1, 4)))
    assert out == {"text_acc": 1.0, "image_acc": 1.0, "accuracy": 1.0}


def _first_argmax(values):
    best = max(values)
    return values.index(best)


def test_matches_loop_oracle_on_random_data():
    rng = np.random.default_rng(2)
    n, n_img, n_txt, d = 300, 2, 2, 8
    img = rng.normal(size=(n, n_img, d))
    txt = img + rng.normal(scale=1.2, size=(n, n_txt, d))
    text_ok = image_ok = group_ok = 0
    for k in range(n):
        s = [
            [
                float(np.dot(img[k, i], txt[k, t]) / (np.linalg.norm(img[k, i]) * np.linalg.norm(txt[k, t])))
                for t in range(n_txt)
            ]
            for i in range(n_img)
        ]
        t_ok = all(_first_argmax(s[i]) == i for i in range(n_img))
        i_ok = all(_first_argmax([s[i][t] for i in range(n_img)]) == t for t in range(n_txt))
        text_ok += t_ok
        image_ok += i_ok
        group_ok += t_ok and i_ok
    out = compositionality(img, txt)
    assert out["text_acc"] == pytest.approx(text_ok / n, abs=1e-7)
    assert out["image_acc"] == pytest.approx(image_ok / n, abs=1e-7)
    assert out["accuracy"] == pytest.approx(group_ok / n, abs=1e-7)
    assert 0 < out["accuracy"] < out["text_acc"] < 1


def test_pair_scores_dtype_and_values():
    img = np.array([[[3.0, 4.0]]], dtype=np.float32)
    txt = np.array([[[4.0, 3.0], [0.0, 2.0]]], dtype=np.float32)
    s = pair_scores(img, txt)
    assert s.shape == (1, 1, 2)
    assert s.dtype == np.float32
    np.testing.assert_allclose(s[0, 0], [24 / 25, 4 / 5], atol=1e-7)
    assert pair_scores(img.astype(np.float64), txt.astype(np.float64)).dtype == np.float64


def test_shape_errors():
    with pytest.raises(ValueError):
        compositionality(np.zeros((2, 2, 3)), np.zeros((3, 2, 3)))
    with pytest.raises(ValueError):
        compositionality(np.zeros((2, 3)), np.zeros((2, 3)))
