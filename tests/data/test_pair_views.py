"""VisualSTS and Compositionality loaders on local snapshots."""

from __future__ import annotations

import datasets
import numpy as np
import pytest

from harness.catalogue.queries import get_task
from harness.data import views
from harness.data.views import TaskViews
from harness.pipelines import score_split
from tests.support.layouts import imagecode_configs, pair_rows, snapshot, source_codes, sts_split, text_code

# --- VisualSTS ------------------------------------------------------------------------------------


def _check_pairs(pairs: views.ImagePairs, first: list[int], second: list[int], scores: list[float]) -> None:
    assert source_codes(pairs.first) == first
    assert source_codes(pairs.second) == second
    assert pairs.scores.dtype == np.float64
    assert pairs.scores.tolist() == scores


def test_monolingual_sts_single_config(tmp_path):
    task = get_task("STS12VisualSTS")
    assert list(task.subsets) == ["default"]
    source = snapshot(
        tmp_path, task.dataset.path, {"default": {"test": sts_split([(1, 2, 4.5), (3, 3, 5.0), (4, 5, 0)])}}
    )
    _check_pairs(views.image_pairs(source, task, "test", "default"), [1, 3, 4], [2, 3, 5], [4.5, 5.0, 0.0])


def test_multilingual_sts_reads_one_config_per_language_pair(tmp_path):
    raw = get_task("STS17MultilingualVisualSTS")
    aggregate = get_task("VisualSTS17Eng")  # aggregate task over the same dataset's en-en config
    assert aggregate.dataset == raw.dataset and {"en-en", "es-en"} <= set(raw.subsets)
    source = snapshot(
        tmp_path,
        raw.dataset.path,
        {
            "en-en": {"test": sts_split([(10, 11, 1.0), (12, 12, 5.0)])},
            "es-en": {"test": sts_split([(20, 21, 2.0)])},
            "ko-ko": {"test": sts_split([(30, 30, 4.0)])},
        },
    )
    _check_pairs(views.image_pairs(source, raw, "test", "es-en"), [20], [21], [2.0])
    _check_pairs(views.image_pairs(source, raw, "test", "en-en"), [10, 12], [11, 12], [1.0, 5.0])
    _check_pairs(views.image_pairs(source, aggregate, "test", "en-en"), [10, 12], [11, 12], [1.0, 5.0])


def test_stsb_dev_and_test_splits_per_language(tmp_path):
    task = get_task("STSBenchmarkMultilingualVisualSTS")
    assert task.eval_splits == ("dev", "test")
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {
            "de": {"dev": sts_split([(1, 2, 3.0)]), "test": sts_split([(3, 4, 1.0)])},
            "en": {"dev": sts_split([(5, 6, 2.0)]), "test": sts_split([(7, 8, 0.5)])},
        },
    )
    _check_pairs(views.image_pairs(source, task, "dev", "de"), [1], [2], [3.0])
    _check_pairs(views.image_pairs(source, task, "test", "de"), [3], [4], [1.0])


def test_pipeline_sts_cosine_spearman(tmp_path, engine):
    """Second image = k of 8 rows the first image's code: cosine grows with k, and so does the gold."""
    task = get_task("STS17MultilingualVisualSTS")
    pairs = []
    for n, k in enumerate([4, 0, 8, 2, 6]):
        a, b = 100 + n, 200 + n
        second = a if k == 8 else b if k == 0 else [(a, k), (b, 8 - k)]
        pairs.append((a, second, 5.0 * k / 8))
    source = snapshot(tmp_path, task.dataset.path, {"es-en": {"test": sts_split(pairs)}})
    scores = score_split(task, "test", "es-en", TaskViews(source, task), engine).metrics
    assert task.main_score == "cosine_spearman"
    assert scores["cosine_spearman"] == pytest.approx(1.0)


# --- Compositionality: one row per sample -------------------------------------------------------------

ARO_TEXTS = ("correct_caption", "hard_text_1", "hard_text_2", "hard_text_3", "hard_text_4")


def _aro_rows(captions: list[list[str]], codes: list) -> datasets.Dataset:
    return pair_rows({"images": codes}, {c: [row[i] for row in captions] for i, c in enumerate(ARO_TEXTS)})


def test_aro_order_rows(tmp_path):
    task = get_task("AROCocoOrder")
    assert (task.image_columns, task.text_columns) == (("images",), ARO_TEXTS)
    captions = [["a dog on a sofa", "a sofa on a dog", "on dog a sofa a", "dog a on sofa a", "a a dog sofa on"]]
    captions.append(["a man rides a horse", "a horse rides a man", "man a rides horse a", "rides a a man horse", "x"])
    source = snapshot(tmp_path, task.dataset.path, {"default": {"test": _aro_rows(captions, [1, 2])}})
    samples = views.pair_samples(source, task, "test", "default")
    assert [source_codes(s) for s in samples.images] == [[1, 2]]
    assert samples.texts == [[row[i] for row in captions] for i in range(5)]


def test_winoground_rows_with_its_other_columns(tmp_path):
    task = get_task("Winoground")
    extra = {
        "id": ([0, 1], datasets.Value("int64")),
        "tag": (["Object", "Relation"], datasets.Value("string")),
        "secondary_tag": (["", "Symbolic"], datasets.Value("string")),
        "num_main_preds": ([1, 2], datasets.Value("int64")),
        "collapsed_tag": (["Object", "Relation"], datasets.Value("string")),
    }
    rows = pair_rows(
        {"image_0": [11, 21], "image_1": [12, 22]},
        {"caption_0": ["a cup on a book", "a dog bites a man"], "caption_1": ["a book on a cup", "a man bites a dog"]},
        extra,
    )
    samples = views.pair_samples(
        snapshot(tmp_path, task.dataset.path, {"default": {"test": rows}}), task, "test", "default"
    )
    assert [source_codes(s) for s in samples.images] == [[11, 21], [12, 22]]
    assert samples.texts == [["a cup on a book", "a dog bites a man"], ["a book on a cup", "a man bites a dog"]]


def test_sugarcrepe_only_split_train_is_read_as_test(tmp_path):
    task = get_task("SugarCrepe")
    rows = pair_rows(
        {"images": [5, 6]},
        {"caption": ["a red car", "a tall tree"], "negative_caption": ["a blue car", "a short tree"]},
    )
    samples = views.pair_samples(
        snapshot(tmp_path, task.dataset.path, {"default": {"train": rows}}), task, "test", "default"
    )
    assert [source_codes(s) for s in samples.images] == [[5, 6]]
    assert samples.texts == [["a red car", "a tall tree"], ["a blue car", "a short tree"]]


def test_aro_relation_single_image_column_named_image(tmp_path):
    task = get_task("AROVisualRelation")
    rows = pair_rows(
        {"image": [7]},
        {"true_caption": ["the horse is eating the grass"], "false_caption": ["the grass is eating the horse"]},
    )
    samples = views.pair_samples(
        snapshot(tmp_path, task.dataset.path, {"default": {"test": rows}}), task, "test", "default"
    )
    assert [source_codes(s) for s in samples.images] == [[7]]
    assert samples.texts == [["the horse is eating the grass"], ["the grass is eating the horse"]]


# --- ImageCoDe: retrieval form rebuilt into 10 image columns -------------------------------------------


def _imagecode_layout(texts: list[str], correct_codes: list[int] | None = None):
    """Two queries; the corpus is stored in reverse id order, so qrels order != corpus order.

    q0: 10 candidates, the correct frame (f01) 4th in qrels order. q1: 11 candidates with 10
    wrong frames, so only the first 9 wrong ones in qrels order (not f20) become columns.
    """
    codes = {f"f{i:02d}": 300 + i for i in range(21)}
    if correct_codes:
        codes["f01"], codes["f15"] = correct_codes
    q0 = ["f05", "f02", "f07", "f01", "f09", "f00", "f03", "f04", "f06", "f08"]
    q1 = ["f10", "f11", "f12", "f13", "f15", "f14", "f16", "f17", "f18", "f19", "f20"]
    qrels = [("q0", f, int(f == "f01")) for f in q0] + [("q1", f, int(f == "f15")) for f in q1]
    corpus = [(f, codes[f]) for f in sorted(codes, reverse=True)]
    return imagecode_configs(corpus, [("q0", texts[0]), ("q1", texts[1])], qrels), codes


def test_imagecode_rows_correct_first_then_first_nine_wrong_in_qrels_order(tmp_path):
    task = get_task("ImageCoDe")
    assert task.layout == "imagecode_pairs" and len(task.image_columns) == 10
    configs, codes = _imagecode_layout(["the man blinks", "the car has just left"])
    samples = views.imagecode_samples(snapshot(tmp_path, task.dataset.path, configs), task, "test", "default")
    wrong_q0 = ["f05", "f02", "f07", "f09", "f00", "f03", "f04", "f06", "f08"]
    wrong_q1 = ["f10", "f11", "f12", "f13", "f14", "f16", "f17", "f18", "f19"]
    expected = [["f01", "f15"]] + [[a, b] for a, b in zip(wrong_q0, wrong_q1, strict=True)]
    assert [source_codes(s) for s in samples.images] == [[codes[f] for f in col] for col in expected]
    assert samples.texts == [["the man blinks", "the car has just left"]]


# --- end to end through the compositionality pipeline -------------------------------------------------


def test_pipeline_aro_text_acc(tmp_path, engine):
    task = get_task("AROCocoOrder")
    captions = [["a dog on a sofa", "a sofa on a dog", "on dog a sofa a", "dog a on sofa a", "a a dog sofa on"]]
    captions.append(["a man rides a horse", "a horse rides a man", "man a rides horse a", "rides a man a horse", "x y"])
    codes = [text_code(row[0]) for row in captions]
    source = snapshot(tmp_path, task.dataset.path, {"default": {"test": _aro_rows(captions, codes)}})
    scores = score_split(task, "test", "default", TaskViews(source, task), engine).metrics
    assert (scores["text_acc"], scores["image_acc"]) == (1.0, 0.0)


def test_pipeline_winoground_group_accuracy(tmp_path, engine):
    task = get_task("Winoground")
    c0, c1 = ["a cup on a book", "a dog bites a man"], ["a book on a cup", "a man bites a dog"]
    rows = pair_rows(
        {"image_0": [text_code(t) for t in c0], "image_1": [text_code(t) for t in c1]},
        {"caption_0": c0, "caption_1": c1},
    )
    source = snapshot(tmp_path, task.dataset.path, {"default": {"test": rows}})
    scores = score_split(task, "test", "default", TaskViews(source, task), engine).metrics
    assert scores["accuracy"] == scores["text_acc"] == scores["image_acc"] == 1.0


def test_pipeline_sugarcrepe_text_acc_from_train_split(tmp_path, engine):
    task = get_task("SugarCrepe")
    positives, negatives = ["a red car", "a tall tree"], ["a blue car", "a short tree"]
    rows = pair_rows(
        {"images": [text_code(t) for t in positives]}, {"caption": positives, "negative_caption": negatives}
    )
    source = snapshot(tmp_path, task.dataset.path, {"default": {"train": rows}})
    assert score_split(task, "test", "default", TaskViews(source, task), engine).metrics["text_acc"] == 1.0


def test_pipeline_imagecode_image_acc(tmp_path, engine):
    task = get_task("ImageCoDe")
    texts = ["the man blinks", "the car has just left"]
    configs, _ = _imagecode_layout(texts, [text_code(t) for t in texts])
    scored = score_split(
        task, "test", "default", TaskViews(snapshot(tmp_path, task.dataset.path, configs), task), engine
    )
    scores = scored.metrics
    assert task.main_score == "image_acc"
    assert (scores["image_acc"], scores["text_acc"]) == (1.0, 0.0)
    # each sample is known by its query id, so two runs align item by item
    assert scored.outcome("image_acc").item_ids.tolist() == ["q0", "q1"]
