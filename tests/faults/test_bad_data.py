"""Bad data: real local datasets in the tasks' hub layouts, damaged the ways real copies get damaged.

Each damage fails its own case with a message naming dataset, split and rows, before anything of
that case is encoded, while the other cases of the session run on. One pytest session over a
datasets folder holding every damaged dataset (and one intact) checks that end to end; the
retrieval and compositionality checks run through ``run_task`` on the same kind of files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from harness.catalogue.queries import get_task
from harness.data.hub import DatasetInvalid, DataSource, write_snapshot
from tests.support.datasets_local import DIGIT_NAMES, digit_images, write_classification
from tests.support.layouts import beir_side, cvbench_split, imagecode_configs, qrels_table, snapshot, sts_split

THUMBNAILS = """
import numpy as np
from mieb_models.base import ModelMeta


class Thumbnails:
    def __init__(self):
        self.meta = ModelMeta(name="test/thumbnails", revision="1", framework="custom", architecture="x",
                              modalities=("image", "text"))

    def encode_images(self, images):
        return np.stack([np.asarray(i.resize((4, 4)), dtype=np.float32).reshape(-1) + 1 for i in images])

    def encode_texts(self, texts):
        return np.stack([np.full(48, (len(t) % 7) + 1, dtype=np.float32) for t in texts])


def build():
    return Thumbnails()
"""

CORRUPT_ROWS = {3: b"this is not an image at all", 17: None}  # None: a PNG cut off inside its header
TRUNCATED_ROW = 9  # a PNG cut off inside its pixel data: PIL decodes what is there, as the reference does
OUTSIDE_LABELS = {5: -1, 8: 12}  # -1 is ``datasets``' "no label"; 12 is past the 10 class names


def _png(image) -> bytes:
    from harness.encode.imageio import pil_to_bytes

    return pil_to_bytes(image)


def _image_split(n: int, *, offset: int, image_column: str, label_column: str, raw: dict[int, bytes] | None = None):
    import datasets

    images, labels = digit_images(n, offset=offset)
    cells = [{"bytes": raw[i], "path": None} if raw and i in raw else image for i, image in enumerate(images)]
    features = datasets.Features({image_column: datasets.Image(), label_column: datasets.ClassLabel(names=DIGIT_NAMES)})
    return datasets.Dataset.from_dict({image_column: cells, label_column: labels}, features=features)


def _corrupt_mnist(root: Path) -> None:
    """ylecun/mnist with two undecodable test images and one truncated but decodable one."""
    images, _ = digit_images(40, offset=1000)
    whole = _png(images[TRUNCATED_ROW])
    raw = {row: data if data is not None else _png(images[row])[:16] for row, data in CORRUPT_ROWS.items()}
    raw[TRUNCATED_ROW] = whole[: int(len(whole) * 0.7)]
    splits = {
        "train": _image_split(20, offset=0, image_column="image", label_column="label"),
        "test": _image_split(40, offset=1000, image_column="image", label_column="label", raw=raw),
    }
    write_snapshot(root / "ylecun" / "mnist", {"default": splits})


def _set_parquet_column(path: Path, name: str, values: list) -> None:
    """Rewrite one column of a parquet file in place, keeping its schema (the ClassLabel stays)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    position = table.schema.get_field_index(name)
    table = table.set_column(position, table.schema.field(position), pa.array(values, type=pa.int64()))
    pq.write_table(table, path)


def _labels_outside(root: Path) -> None:
    """uoft-cs/cifar100 whose test ``fine_label`` has values outside its class names."""
    folder = write_classification(
        root, "uoft-cs/cifar100", image_column="img", label_column="fine_label", n_train=40, n_test=30
    )
    (test_file,) = folder.glob("default/test-*.parquet")
    labels = [
        int(v) for v in _image_split(30, offset=1000, image_column="img", label_column="fine_label")["fine_label"]
    ]
    for row, value in OUTSIDE_LABELS.items():
        labels[row] = value
    _set_parquet_column(test_file, "fine_label", labels)


def _missing_split(root: Path) -> None:
    """tanganke/dtd with a train split only."""
    split = _image_split(10, offset=0, image_column="image", label_column="label")
    write_snapshot(root / "tanganke" / "dtd", {"default": {"train": split}})


def _empty_split(root: Path) -> None:
    """timm/eurosat-rgb whose test split has no rows."""
    splits = {
        "train": _image_split(10, offset=0, image_column="image", label_column="label"),
        "test": _image_split(0, offset=0, image_column="image", label_column="label"),
    }
    write_snapshot(root / "timm" / "eurosat-rgb", {"default": splits})


def _missing_subset(root: Path) -> None:
    """Pixel-Linguist/rendered-sts17 holding one of its language subsets."""
    write_snapshot(
        root / "Pixel-Linguist" / "rendered-sts17", {"en-en": {"test": sts_split([(1, 1, 5.0), (2, 3, 1.0)])}}
    )


SESSION_TASKS = {
    # task: what its case must say (regular expressions, all of them)
    "MNISTZeroShot": [
        r"2 of 40 images in column 'image' of ylecun/mnist@local-\w+/default/test could not be decoded",
        r"row 3: UnidentifiedImageError",
        r"row 17: ",
    ],
    "CIFAR100ZeroShot": [r"dataset uoft-cs/cifar100 .*split 'test'.*2 rows have labels outside the 10 classes"],
    "CIFAR100": [r"uoft-cs/cifar100 .*split 'test'.*rows 5 \(label -1\), 8 \(label 12\)"],
    "CIFAR100Clustering": [r"uoft-cs/cifar100 .*split 'test'.*labels outside .* column 'fine_label'"],
    "DTDZeroShot": [r"Dataset tanganke/dtd .*has no split 'test'; splits there: train"],
    "EuroSATZeroShot": [r"Dataset timm/eurosat-rgb .*has an empty split 'test'; nothing to score"],
    "STS17MultilingualVisualSTS": [r"Dataset Pixel-Linguist/rendered-sts17 .*has no subset \(config\) '\w\w-\w\w'"],
    "CIFAR10Clustering": [],  # intact: passes while the others fail
}


def _failure_reports(output: str) -> dict[str, str]:
    """``{task: its failure section}`` of a pytest run's output."""
    parts = re.split(r"^_+ test_task\[thumbnails:build-(\w+)\] _+$", output, flags=re.MULTILINE)
    reports = dict(zip(parts[1::2], parts[2::2], strict=True))
    return {task: text.split("= mieb results =")[0] for task, text in reports.items()}


@pytest.fixture(scope="module")
def damaged_datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("damaged-datasets")
    write_classification(root, "uoft-cs/cifar10", image_column="img", n_train=20, n_test=40)
    for build in (_corrupt_mnist, _labels_outside, _missing_split, _empty_split, _missing_subset):
        build(root)
    return root


def test_each_damaged_dataset_fails_its_own_case_by_dataset_split_and_row(
    pytester: pytest.Pytester, damaged_datasets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    pytester.makepyfile(thumbnails=THUMBNAILS)
    cache = tmp_path / "cache"
    tasks = [a for name in SESSION_TASKS for a in ("--task", name)]
    result = pytester.runpytest_subprocess(
        *("--model", "thumbnails:build", "--datasets-dir", str(damaged_datasets), "--cache-dir", str(cache)),
        *("--results-dir", str(tmp_path / "results"), "--reference", "off", *tasks),
        *("-p", "no:cacheprovider", "--no-progress"),
    )
    result.assert_outcomes(passed=1, failed=len(SESSION_TASKS) - 1)
    reports = _failure_reports(result.stdout.str())
    assert set(reports) == {task for task, patterns in SESSION_TASKS.items() if patterns}
    for task, text in reports.items():
        for pattern in SESSION_TASKS[task]:
            assert re.search(pattern, text), (task, pattern, text[:2000])
    assert "Traceback" not in result.stdout.str()
    # nothing of a damaged dataset reached the model: the only image embeddings are CIFAR-10's
    records = [json.loads(p.read_text())["key"] for p in cache.rglob("*.json")]
    assert records and all("cifar10@" in r.get("images", "uoft-cs/cifar10@") for r in records), records
    (written,) = (tmp_path / "results").glob("*/*/*Clustering.json")
    assert written.name == "CIFAR10Clustering.json"


def test_a_truncated_image_decodes_as_the_reference_decodes_it(damaged_datasets: Path) -> None:
    from harness.encode.imageio import decode_exact, image_feature, read_raw

    task = get_task("MNISTZeroShot")
    dataset = DataSource.from_env(damaged_datasets).load(task.dataset, "test")
    feature = image_feature(dataset, "image")
    (value,) = read_raw(dataset.with_format("arrow"), "image", [TRUNCATED_ROW])
    image = decode_exact(value, feature)  # PIL with LOAD_TRUNCATED_IMAGES, as mteb's decode
    intact, _ = digit_images(40, offset=1000)
    top = np.asarray(intact[TRUNCATED_ROW].convert("RGB"))[:8]
    assert image.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(image)[:8], top)  # the rows that are there are the image's
    for row in CORRUPT_ROWS:
        (bad,) = read_raw(dataset.with_format("arrow"), "image", [row])
        with pytest.raises(Exception):  # noqa: B017 - whichever error PIL gives is reported with its row
            decode_exact(bad, feature)


# --- retrieval and compositionality through run_task ---------------------------------------------


class _Recorder:
    """An encoder that records every call: a check that fires after encoding shows up here."""

    def __init__(self):
        from mieb_models.base import ModelMeta

        self.meta = ModelMeta(
            name="t/rec", revision="1", framework="custom", architecture="x", modalities=("image", "text")
        )
        self.calls: list[str] = []

    def encode_images(self, images):
        self.calls.append("images")
        return np.ones((len(images), 3), dtype=np.float32)

    def encode_texts(self, texts):
        self.calls.append("texts")
        return np.ones((len(texts), 3), dtype=np.float32)


def _run(task_name: str, source: DataSource, results: Path) -> _Recorder:
    from harness.encode.engine import EncodeEngine
    from harness.runner import run_task

    model = _Recorder()
    engine = EncodeEngine(model, None, num_workers=0, progress=False)
    try:
        run_task(get_task(task_name), engine, source, results)
    finally:
        assert model.calls == [], model.calls  # refused before encoding
        assert not list(results.rglob(f"{task_name}.json"))
    return model


def _cub_source(root: Path, qrels: list[tuple[str, str, int]]) -> DataSource:
    """CUB200I2IRetrieval as its pinned (mteb 1.x) loader reads it: corpus / query / qrels configs."""
    task = get_task("CUB200I2IRetrieval")
    return snapshot(
        root,
        task.dataset.path,
        {
            "corpus": {"corpus": beir_side(["d0", "d1", "d2"], images=[1, 2, 3])},
            "query": {"test": beir_side(["q0", "q1"], images=[1, 2])},
            "qrels": {"test": qrels_table(qrels)},
        },
    )


@pytest.mark.parametrize(
    ("qrels", "message"),
    [
        (
            [("q0", "d0", 1), ("q1", "d1", 1), ("q7", "d2", 1)],
            r"qrels name 1 query ids that are not among the queries \('q7'\)",
        ),
        (
            [("q0", "d0", 1), ("q1", "d9", 1), ("q1", "d8", 0)],
            r"qrels name 2 corpus ids that are not in the corpus \('d8', 'd9'\)",
        ),
        ([("q5", "d0", 1)], r"no query has a qrels row"),
    ],
    ids=["unknown-query", "unknown-document", "no-query-judged"],
)
def test_qrels_naming_what_does_not_exist_fail_the_case(tmp_path: Path, qrels, message: str) -> None:
    source = _cub_source(tmp_path / "data", qrels)
    with pytest.raises(DatasetInvalid, match=message) as err:
        _run("CUB200I2IRetrieval", source, tmp_path / "results")
    assert "dataset mteb/cub200_retrieval at revision" in str(err.value) and "split 'test'" in str(err.value)


def test_imagecode_qrels_naming_an_unknown_image_fail_the_case(tmp_path: Path) -> None:
    task = get_task("ImageCoDe")
    corpus = [(f"img{i}", i + 1) for i in range(10)]
    qrels = [("q0", "img0", 1), *[("q0", f"img{i}", 0) for i in range(1, 10)], ("q0", "img42", 0)]
    source = snapshot(tmp_path / "data", task.dataset.path, imagecode_configs(corpus, [("q0", "a text")], qrels))
    with pytest.raises(DatasetInvalid, match=r"split 'test': 1 qrels rows name corpus ids .* \(rows 10 \('img42'\)\)"):
        _run("ImageCoDe", source, tmp_path / "results")


def test_cvbench_answer_naming_no_choice_fails_the_case(tmp_path: Path) -> None:
    task = get_task("CVBenchCount")
    rows = [("Count", "How many?", ["1", "2"], "(A)", 1), ("Count", "How many now?", ["3", "4"], "(D)", 2)]
    source = snapshot(tmp_path / "data", task.dataset.path, {"default": {"test": cvbench_split(rows)}})
    with pytest.raises(DatasetInvalid, match=r"split 'test': row 1 has answer '\(D\)', which names none of its 2"):
        _run("CVBenchCount", source, tmp_path / "results")
