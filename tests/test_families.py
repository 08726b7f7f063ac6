"""Per-family defaults of the catalogue: what a declaration inherits, overrides and may not restate."""

from __future__ import annotations

import pytest

from harness.catalogue.queries import get_task
from harness.data.sources import task_for_source
from mieb_records.tasks import MTEB2_VERSION, DatasetRef
from mieb_tasks.families import (
    IMG,
    IMG_LITE,
    image_retrieval,
    landmark_retrieval,
    linear_probe,
    mteb2_copy_instead_of_script,
    zero_shot,
)

DATA = DatasetRef("org/data", "0" * 40)


def test_a_declaration_inherits_every_family_default() -> None:
    task = linear_probe("Probe", DATA)
    assert (task.name, task.dataset) == ("Probe", DATA)
    assert (task.type, task.category, task.main_score) == ("ImageClassification", "i2c", "accuracy")
    assert (task.eval_splits, task.modalities, task.benchmarks) == (("test",), ("image",), IMG)
    assert (task.samples_per_label, task.n_experiments) == (16, 5)
    assert task.reference_version == "1.39.7"  # a TaskSpec default no family replaces


def test_own_fields_override_only_themselves() -> None:
    task = zero_shot("Zs", DATA, zero_shot_scoring="model", eval_splits=("validation",), input_column="img")
    assert (task.zero_shot_scoring, task.eval_splits, task.input_column) == ("model", ("validation",), "img")
    assert (task.type, task.category, task.modalities) == ("ZeroShotClassification", "i2t", ("image", "text"))


def test_restating_a_default_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"Probe: category, samples_per_label restate the family default"):
        linear_probe("Probe", DATA, category="i2c", samples_per_label=16, label_column="cls")


def test_a_variant_replaces_what_it_names_and_leaves_its_parent_alone() -> None:
    task = landmark_retrieval("Landmarks", DATA)
    assert (task.main_score, task.restrict_to_qrels) == ("map_at_5", True)
    assert (task.type, task.category, task.modalities, task.layout) == ("Any2AnyRetrieval", "i2i", ("image",), "beir")
    parent = image_retrieval("Images", DATA, benchmarks=IMG_LITE)
    assert (parent.main_score, parent.restrict_to_qrels, parent.benchmarks) == ("hit_rate_at_1", False, IMG_LITE)


def test_a_script_replaced_by_the_mteb2_copy_reads_that_copy_and_is_not_asserted() -> None:
    copy = DatasetRef("mteb/Copy", "1" * 40)
    task = linear_probe("Scripted", **mteb2_copy_instead_of_script("org/script@abc (config x)", copy))
    assert task.dataset == task.mteb2_dataset == copy
    assert task.reference_version == MTEB2_VERSION and not task.follows_mteb1
    assert task.source_differs.startswith("published scores read the loading script org/script@abc (config x) ")
    assert task.reference_not_comparable == task.source_differs
    assert task_for_source(task, "mteb2") is task  # already the mteb2 copy, read the 2.x way


def test_catalogue_declarations_carry_their_family_defaults() -> None:
    assert get_task("CIFAR10").samples_per_label == 16 and get_task("STL10").samples_per_label == 8
    assert get_task("CUB200I2IRetrieval").main_score == "hit_rate_at_1"
    assert get_task("ROxfordHardI2IRetrieval").restrict_to_qrels
    assert get_task("VidoreArxivQARetrieval").mteb2["layout"] == "vidore"
    assert get_task("CVBenchDepth").dataset == get_task("CVBenchCount").dataset
