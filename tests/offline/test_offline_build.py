"""The offline datasets: real hub layouts per family, deterministic and idempotent builds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mieb_assets.locations import check_all

_MISSING = check_all()
if _MISSING:
    pytest.skip(
        "offline assets not installed (mieb setup): " + "; ".join(_MISSING),
        allow_module_level=True,
    )

import datasets  # noqa: E402

from harness.offline import BUILDER_VERSION, ORG, build_offline_datasets  # noqa: E402
from harness.offline.build import BUILDERS, STAMP  # noqa: E402
from mieb_assets.emoji import emojis_in, split_of  # noqa: E402

SCALE = 0.1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_offline_datasets(tmp_path_factory.mktemp("offline-a"), progress=False, scale=SCALE)


@pytest.fixture(scope="module")
def hf_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    # datasets keys the Arrow cache of a local folder by its name, not its path: keep it private.
    return str(tmp_path_factory.mktemp("hf-cache"))


def _load(root: Path, name: str, config: str | None, split: str, cache: str) -> datasets.Dataset:
    return datasets.load_dataset(str(root / ORG / name), config, split=split, cache_dir=cache)


def _configs(root: Path, name: str) -> list[str]:
    return sorted(datasets.get_dataset_config_names(str(root / ORG / name)))


def _features(ds: datasets.Dataset) -> dict[str, str]:
    def kind(feature) -> str:
        if isinstance(feature, datasets.Image):
            return "image"
        if isinstance(feature, datasets.ClassLabel):
            return "classlabel"
        if isinstance(feature, datasets.Value):
            return feature.dtype
        if isinstance(feature, (datasets.Sequence, datasets.List, list)):
            inner = feature.feature if hasattr(feature, "feature") else feature[0]
            return f"list[{kind(inner)}]"
        return type(feature).__name__

    return {name: kind(f) for name, f in ds.features.items()}


def _parquet_digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / ORG).rglob("*"))
        if p.is_file() and (p.suffix == ".parquet" or p.name == "README.md")
    }


CLASSIFICATION = ("emoji-categories", "animal-mnist", "fashion-mnist", "mnist")


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_layout(built, hf_cache, name):
    assert _configs(built, name) == ["default"]
    assert sorted(datasets.get_dataset_split_names(str(built / ORG / name))) == ["test", "train"]
    for split in ("train", "test"):
        ds = _load(built, name, None, split, hf_cache)
        assert _features(ds) == {"image": "image", "label": "classlabel"}
        names = ds.features["label"].names
        assert len(names) == len(set(names)) >= 9
        assert set(ds["label"]) == set(range(len(names)))  # every class present in both splits
        image = ds[0]["image"]
        assert image.size[0] >= 28 and image.mode in ("RGB", "L")


@pytest.mark.parametrize("name,query,corpus", [("emoji-t2i", "text", "image"), ("emoji-i2t", "image", "text")])
def test_beir_layout(built, hf_cache, name, query, corpus):
    assert _configs(built, name) == ["corpus", "qrels", "queries"]
    q = _load(built, name, "queries", "test", hf_cache)
    c = _load(built, name, "corpus", "test", hf_cache)
    r = _load(built, name, "qrels", "test", hf_cache)
    assert _features(q) == {"id": "string", query: "image" if query == "image" else "string"}
    assert _features(c) == {"id": "string", corpus: "image" if corpus == "image" else "string"}
    assert _features(r) == {"query-id": "string", "corpus-id": "string", "score": "int64"}
    assert set(r["query-id"]) == set(q["id"]) and set(r["corpus-id"]) <= set(c["id"])
    # Held-out emojis only: ids carry the code point sequence.
    assert all(split_of(i[1:]) == "eval" for i in c["id"])


def test_xm3600_layout(built, hf_cache):
    name = "emoji-xm3600"
    assert _configs(built, name) == ["default"]
    splits = sorted(datasets.get_dataset_split_names(str(built / ORG / name)))
    assert splits == ["de", "en", "es", "fr"]
    eval_ids = {hashlib.sha1(e.unified.encode()).hexdigest()[:16] for e in emojis_in("eval")}
    ids = None
    for lang in splits:
        ds = _load(built, name, None, lang, hf_cache)
        assert _features(ds) == {
            "image": "image",
            "image_id": "string",
            "captions": "list[string]",
            "captions_tokenized": "list[string]",
            "captions_tokenized_lowercase": "list[string]",
            "image_locale": "string",
        }
        assert all(caps and all(c.strip() for c in caps) for caps in ds["captions"])
        assert set(ds["image_id"]) <= eval_ids
        ids = ids or ds["image_id"]
        assert ds["image_id"] == ids  # the same images in every language, as in XM3600
    en = _load(built, name, None, "en", hf_cache)["captions"]
    de = _load(built, name, None, "de", hf_cache)["captions"]
    assert en != de


def test_vidore_layout(built, hf_cache):
    name = "emoji-docs"
    assert _configs(built, name) == ["corpus", "qrels", "queries"]
    q = _load(built, name, "queries", "test", hf_cache)
    c = _load(built, name, "corpus", "test", hf_cache)
    r = _load(built, name, "qrels", "test", hf_cache)
    assert _features(q) == {"query-id": "int64", "query": "string"}
    assert _features(c) == {"corpus-id": "int64", "image": "image"}
    assert _features(r) == {"query-id": "int64", "corpus-id": "int64", "score": "int64"}
    assert set(r["query-id"]) == set(q["query-id"]) and set(r["corpus-id"]) == set(c["corpus-id"])
    assert c[0]["image"].size == (400, 520)


def test_sts_layouts(built, hf_cache):
    ds = _load(built, "emoji-sts", None, "test", hf_cache)
    assert _configs(built, "emoji-sts") == ["default"]
    assert _features(ds) == {"sentence1": "image", "sentence2": "image", "score": "float64"}
    assert set(ds["score"]) == {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}
    assert _configs(built, "emoji-sts-multi") == ["en-de", "en-en", "es-en", "fr-en"]
    for config in ("en-de", "en-en", "es-en", "fr-en"):
        multi = _load(built, "emoji-sts-multi", config, "test", hf_cache)
        assert _features(multi) == {"sentence1": "image", "sentence2": "image", "score": "float64"}
        assert min(multi["score"]) >= 0 and max(multi["score"]) <= 5 and len(set(multi["score"])) >= 3


def test_compositionality_layouts(built, hf_cache):
    aro = _load(built, "shapes-aro", None, "test", hf_cache)
    assert _features(aro) == {
        "images": "image",
        "correct_caption": "string",
        "hard_text_1": "string",
        "hard_text_2": "string",
        "hard_text_3": "string",
    }
    for row in aro.select_columns(["correct_caption", "hard_text_1", "hard_text_2", "hard_text_3"]):
        assert len(set(row.values())) == 4  # every negative differs from the caption
    wino = _load(built, "shapes-winoground", None, "test", hf_cache)
    assert _features(wino) == {
        "id": "int64",
        "image_0": "image",
        "image_1": "image",
        "caption_0": "string",
        "caption_1": "string",
        "tag": "string",
    }
    for a, b in zip(wino["caption_0"], wino["caption_1"], strict=True):
        assert a != b and sorted(a.split()) == sorted(b.split())  # same words, another order


def test_cvbench_layout(built, hf_cache):
    ds = _load(built, "shapes-count", None, "test", hf_cache)
    columns = {
        "idx",
        "type",
        "task",
        "image",
        "question",
        "choices",
        "answer",
        "prompt",
        "filename",
        "source",
        "source_dataset",
        "source_filename",
        "target_class",
        "target_size",
        "bbox",
    }
    assert set(ds.column_names) == columns
    assert _features(ds)["image"] == "image" and _features(ds)["choices"] == "list[string]"
    assert set(ds["task"]) == {"Count"}
    for row in ds:
        letter = row["answer"]
        assert letter[0] == "(" and letter[2] == ")" and letter[1] in "ABCDEF"
        index = "ABCDEF".index(letter[1])
        assert 4 <= len(row["choices"]) <= 6 and index < len(row["choices"])
        assert row["choices"][index] == str(row["target_size"]) == str(len(row["bbox"]))


def test_tasks_point_at_built_datasets(built):
    from harness.catalogue.queries import get_benchmark

    tasks = get_benchmark("MIEB(offline)").tasks
    families = {t.family for t in tasks}
    assert families == {
        "zeroshot",
        "linear_probe",
        "clustering",
        "retrieval",
        "document",
        "visual_sts",
        "compositionality",
        "vision_qa",
    }
    assert any(t.type == "Any2AnyMultilingualRetrieval" for t in tasks)
    for task in tasks:
        assert task.name.endswith("Offline")
        assert task.dataset.revision == BUILDER_VERSION
        folder = built / task.dataset.path
        assert folder.is_dir(), task.name
        if task.layout == "xm3600":
            assert set(task.subsets) == set(datasets.get_dataset_split_names(str(folder)))
        elif task.is_multilingual:
            assert set(task.subsets) == set(datasets.get_dataset_config_names(str(folder)))


def test_build_is_deterministic(built, tmp_path):
    again = build_offline_datasets(tmp_path, progress=False, scale=SCALE)
    first, second = _parquet_digests(built), _parquet_digests(again)
    assert len(first) > 20 and first == second


def test_build_is_idempotent_and_atomic(tmp_path):
    only = ["shapes-winoground", "emoji-sts"]
    root = build_offline_datasets(tmp_path, progress=False, scale=SCALE, only=only) / ORG
    files = {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")}
    build_offline_datasets(tmp_path, progress=False, scale=SCALE, only=only)
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")} == files  # nothing rewritten
    assert not [p for p in root.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    stamp = json.loads((root / "emoji-sts" / STAMP).read_text())
    assert stamp == {"builder_version": BUILDER_VERSION, "dataset": f"{ORG}/emoji-sts", "scale": SCALE}
    # A stale stamp (older builder version) or a different scale triggers a rebuild of that dataset only.
    (root / "emoji-sts" / STAMP).write_text(json.dumps({**stamp, "builder_version": "old"}))
    build_offline_datasets(tmp_path, progress=False, scale=SCALE, only=only)
    after = {p: p.stat().st_mtime_ns for p in root.rglob("*.parquet")}
    assert all(after[p] == t for p, t in files.items() if "shapes-winoground" in str(p))
    assert any(after[p] != t for p, t in files.items() if "emoji-sts" in str(p))
    assert json.loads((root / "emoji-sts" / STAMP).read_text()) == stamp


def test_every_builder_is_known():
    assert set(BUILDERS) >= {"emoji-categories", "emoji-xm3600", "emoji-docs", "shapes-count"}
    with pytest.raises(KeyError):
        build_offline_datasets("/nonexistent-unused", progress=False, only=["nope"])
