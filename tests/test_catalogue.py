"""The task catalogue against the published MIEB task table and counts."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from harness.catalogue.queries import UnknownNameError, all_tasks, get_benchmark, get_task, get_tasks

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"

# mieb_task_counts.md: tasks per benchmark and type.
EXPECTED_COUNTS = {
    "MIEB(Multilingual)": (
        130,
        {
            "ImageClassification": 22,
            "ImageClustering": 5,
            "ZeroShotClassification": 23,
            "VisionCentricQA": 6,
            "Compositionality": 7,
            "VisualSTS(eng)": 7,
            "VisualSTS(multi)": 2,
            "Any2AnyRetrieval": 45,
            "DocumentUnderstanding": 10,
            "Any2AnyMultilingualRetrieval": 3,
        },
    ),
    "MIEB(eng)": (
        125,
        {
            "ImageClassification": 22,
            "ImageClustering": 5,
            "ZeroShotClassification": 23,
            "VisionCentricQA": 6,
            "Compositionality": 7,
            "VisualSTS(eng)": 7,
            "Any2AnyRetrieval": 45,
            "DocumentUnderstanding": 10,
        },
    ),
    "MIEB(lite)": (
        51,
        {
            "ImageClassification": 8,
            "ImageClustering": 2,
            "ZeroShotClassification": 7,
            "VisionCentricQA": 5,
            "Compositionality": 6,
            "VisualSTS(eng)": 2,
            "VisualSTS(multi)": 2,
            "Any2AnyRetrieval": 11,
            "DocumentUnderstanding": 6,
            "Any2AnyMultilingualRetrieval": 2,
        },
    ),
    "MIEB(Img)": (
        49,
        {
            "ImageClassification": 22,
            "ImageClustering": 5,
            "VisualSTS(eng)": 5,
            "VisualSTS(multi)": 2,
            "Any2AnyRetrieval": 15,
        },
    ),
}


@pytest.mark.parametrize("name", list(EXPECTED_COUNTS))
def test_benchmark_membership_counts(name: str) -> None:
    total, per_type = EXPECTED_COUNTS[name]
    tasks = get_benchmark(name).tasks
    assert len(tasks) == total
    assert Counter(t.type for t in tasks) == per_type


def test_union_of_mieb_benchmarks_is_132_tasks() -> None:
    names = {t.name for b in EXPECTED_COUNTS for t in get_benchmark(b).tasks}
    assert len(names) == 132


@pytest.mark.skipif(not (SHARED / "mieb_tasks.tsv").exists(), reason="reference task table not present")
def test_declarations_match_published_task_table() -> None:
    rows = {r["task_name"]: r for r in csv.DictReader((SHARED / "mieb_tasks.tsv").open(), delimiter="\t")}
    declared = {t.name: t for t in all_tasks() if not t.dataset.path.startswith("mieb-offline/")}
    assert set(declared) == set(rows)
    for name, row in rows.items():
        task = declared[name]
        assert task.type == row["task_type"], name
        assert task.category == row["category"], name
        assert task.main_score == row["main_score"], name
        assert task.eval_splits == tuple(row["eval_splits"].split(",")), name
        assert set(task.benchmarks) == set(row["in_benchmarks"].split(",")), name
        if row["pin_dataset_path"].strip() and not task.source_differs:
            assert (task.dataset.path, task.dataset.revision) == (row["pin_dataset_path"], row["pin_dataset_revision"])
        elif task.source_differs:  # the published source cannot be read as it was: the record says which it was
            assert f"{row['pin_dataset_path']}@{row['pin_dataset_revision']}" in task.source_differs, name


def test_protocol_knobs_that_differ_between_tasks() -> None:
    assert (get_task("STL10").samples_per_label, get_task("STL10").n_experiments) == (8, 10)
    assert (get_task("CIFAR10").samples_per_label, get_task("CIFAR10").n_experiments) == (16, 5)
    assert get_task("VOC2007").layout == "multilabel"
    assert get_task("Birdsnap").drop_train_rows == ()  # mteb 1.x keeps it; 2.x drops it
    assert get_task("Birdsnap").mteb2["drop_train_rows"] == (3854,)
    assert get_task("TinyImageNetClustering").eval_splits == ("valid",)
    assert get_task("Food101ZeroShot").eval_splits == ("validation",)
    skip_first = {t.name for t in all_tasks() if t.skip_first_result}
    assert skip_first == {
        "CUB200I2IRetrieval",
        "METI2IRetrieval",
        "RP2kI2IRetrieval",
        "SOPI2IRetrieval",
        "StanfordCarsI2IRetrieval",
    }
    assert get_task("ImageCoDeT2IRetrieval").main_score == "hit_rate_at_3"
    assert get_task("XM3600T2IRetrieval").subsets["no"] == ("nob-Latn", "nno-Latn", "nor-Latn")
    assert len(get_task("XM3600T2IRetrieval").subsets) == 36


def test_prompts_follow_published_templates() -> None:
    assert get_task("CIFAR10ZeroShot").prompts(["cat"]) == ["a photo of a cat."]
    assert get_task("SUN397ZeroShot").prompts(["/c/church/outdoor", "/a/abbey"]) == [
        "a photo of a church outdoor.",
        "a photo of a abbey.",
    ]
    assert get_task("UCF101ZeroShot").prompts(["Archery"]) == ["a photo of Archery"]
    clevr = get_task("CLEVRZeroShot").prompts(["ignored"])
    assert clevr[3] == " shapes." and len(clevr) == 6
    eurosat = get_task("EuroSATZeroShot").prompts([])
    assert eurosat[0] == "a centered satellite photo of annual crop land." and len(eurosat) == 10


@pytest.mark.parametrize(
    ("task", "lines"),
    [("GTSRBZeroShot", 43), ("Country211ZeroShot", 211), ("Imagenet1kZeroShot", 1000), ("PatchCamelyonZeroShot", 2)],
)
def test_label_files_keep_their_newlines(task: str, lines: int) -> None:
    from harness.data.views import class_names

    names = class_names(get_task(task), dataset=None)
    assert len(names) == lines
    assert all(n.endswith("\n") for n in names[:-1])
    assert not names[-1].endswith("\n")  # the pre-release files behind the published prompts ended without one
    prompt = get_task(task).prompts(names[:1])[0]
    assert "\n" in prompt


def test_queries_and_unknown_names() -> None:
    mieb = get_benchmark("MIEB(Multilingual)").tasks
    assert {t.name for t in get_tasks(task_types=["ImageClustering"]) if t in mieb} == {
        "CIFAR10Clustering",
        "CIFAR100Clustering",
        "ImageNetDog15Clustering",
        "ImageNet10Clustering",
        "TinyImageNetClustering",
    }
    assert all("deu-Latn" in t.languages for t in get_tasks(languages=["deu"]))
    assert {t.name for t in get_tasks(modalities=["image"]) if "MIEB(Img)" in t.benchmarks} == {
        t.name for t in get_benchmark("MIEB(Img)").tasks
    }
    with pytest.raises(UnknownNameError, match="CIFAR10ZeroShot"):
        get_task("CIFAR10ZeroShoot")
    with pytest.raises(UnknownNameError, match=r"MIEB\(lite\)"):
        get_benchmark("MIEB(Lite)")
    with pytest.raises(UnknownNameError, match="ZeroShotClassification"):
        get_tasks(task_types=["ZeroshotClassification"])


def test_every_category_maps_to_modalities() -> None:
    for task in all_tasks():
        assert task.query_modalities() and task.document_modalities()
        if task.family in {"retrieval", "document", "vision_qa"}:
            needed = set(task.query_modalities()) | set(task.document_modalities())
            assert needed <= set(task.modalities) | {"label"}, task.name


def test_offline_tasks_carry_only_the_offline_marker() -> None:
    offline = get_benchmark("MIEB(offline)").tasks
    assert offline, "MIEB(offline) declares tasks"
    assert all(t.markers == ("offline",) for t in offline)
    assert {t.type for t in offline} >= {
        "ZeroShotClassification",
        "ImageClassification",
        "ImageClustering",
        "Any2AnyRetrieval",
        "Any2AnyMultilingualRetrieval",
        "DocumentUnderstanding",
        "VisualSTS(eng)",
        "Compositionality",
        "VisionCentricQA",
    }
