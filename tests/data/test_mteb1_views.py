"""The mteb 1.x readings of the published sources, hand-derived (no side environment needed).

The loader-parity run (``test_loader_parity.py``) checks the same against mteb 1.39.7 itself.
"""

from __future__ import annotations

import datasets
import pytest

from harness.catalogue.queries import get_task
from harness.data import views
from harness.data.sources import task_for_source
from harness.gating.references import ReferenceCell, compare
from harness.results.task_result import TaskResult
from tests.support.layouts import beir_side, qrels_table, snapshot, source_codes, swatch

STRING = datasets.Value("string")


def test_beir_v1_reads_query_qrels_and_the_corpus_split_with_row_modalities_and_no_title(tmp_path):
    task = get_task("WebQAT2ITRetrieval")  # category t2it, but 1.x trusts the rows' modality column
    corpus = beir_side(["d0", "d1"], ["tower", "bridge"], [11, 12], extra={"title": (["Eiffel", "Golden"], STRING)})
    queries = beir_side(["q0", "q1", "q2"], ["which tower?", "which bridge?", "unjudged"], None)
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {
            "corpus": {"corpus": corpus},
            "query": {"test": queries},
            "queries": {"test": beir_side(["x"], ["a 2.x-only config"], None)},
            "qrels": {"test": qrels_table([("q0", "d0", 1), ("q1", "d1", 1)])},
            "default": {"test": qrels_table([("x", "d0", 1)])},
        },
    )
    data = views.read_view(source, task, "test", "default")
    assert data.queries.ids == ["q0", "q1"] and data.queries.images is None  # q2 has no qrels
    assert data.corpus.texts == ["tower", "bridge"]  # no title prefix in 1.x
    assert source_codes(data.corpus.images) == [11, 12]
    assert data.qrels == {"q0": {"d0": 1}, "q1": {"d1": 1}}


def test_roxford_published_source_scores_each_query_against_its_own_candidates(tmp_path):
    task = get_task("ROxfordEasyI2IRetrieval")
    corpus = beir_side(["a", "b", "c"], None, [1, 2, 3])
    queries = beir_side(["q"], None, [4])
    qrels = qrels_table([("q", "c", 1), ("q", "a", 0)])
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {"corpus": {"corpus": corpus}, "query": {"test": queries}, "qrels": {"test": qrels}},
    )
    assert views.read_view(source, task, "test", "default").candidates == {"q": ["c", "a"]}


def test_vidore_table_deduplicates_pages_on_filename(tmp_path):
    task = get_task("VidoreDocVQARetrieval")
    table = datasets.Dataset.from_dict(
        {"query": ["a?", "b?", "c?"], "image": [swatch(1), swatch(2), swatch(1)], "image_filename": ["p", "q", "p"]},
        features=datasets.Features({"query": STRING, "image": datasets.Image(), "image_filename": STRING}),
    )
    source = snapshot(tmp_path, task.dataset.path, {"default": {"test": table}})
    data = views.read_view(source, task, "test", "default")
    assert data.corpus.ids == ["corpus-test-0", "corpus-test-1"]
    assert source_codes(data.corpus.images) == [1, 2]
    assert data.qrels == {
        "query-test-0": {"corpus-test-0": 1},
        "query-test-1": {"corpus-test-1": 1},
        "query-test-2": {"corpus-test-0": 1},
    }


def test_mteb2_source_swaps_the_copy_and_never_asserts_published_scores():
    published = get_task("Birdsnap")
    variant = task_for_source(published, "mteb2")
    assert variant.drop_train_rows == (3854,) and published.drop_train_rows == ()
    assert variant.reference_version == "2.26.24" and variant.source_differs
    vidore = task_for_source(get_task("VidoreDocVQARetrieval"), "mteb2")
    assert (vidore.dataset.path, vidore.layout) == ("mteb/docvqa_test_subsampled_beir", "vidore")
    result = TaskResult(
        variant.name, variant.dataset.revision, {"test": [{"hf_subset": "default", "main_score": 0.1}]}, 1.0
    )
    cell = ReferenceCell("test", "default", 0.9, variant.dataset.revision, "embeddings-benchmark/results@x")
    assert compare(published, result, [cell]).checked  # same revision, published source: asserted
    verdict = compare(variant, result, [cell])
    assert not verdict.checked and verdict.passed and "mteb2" in verdict.message
    with pytest.raises(ValueError, match="published, mteb2"):
        task_for_source(published, "mteb3")


def test_run_task_with_the_mteb2_source_reads_the_mteb_copy(tmp_path, engine):
    from harness.data.hub import DataSource
    from harness.runner import run_task

    task = get_task("CIFAR10ZeroShot")
    names = ["airplane", "automobile"]
    table = datasets.Dataset.from_dict(
        {"img": [swatch(1), swatch(2)], "label": [0, 1]},
        features=datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(names=names)}),
    )
    snapshot(tmp_path / "data", "mteb/cifar10", {"default": {"test": table}})  # only the 2.x copy is there
    source = DataSource.from_env(tmp_path / "data", "mteb2")
    outcome = run_task(task, engine, source, tmp_path / "results")
    assert outcome.result.dataset_revision == task.mteb2_dataset.revision
    with pytest.raises(Exception, match="uoft-cs/cifar10"):
        run_task(task, engine, DataSource.from_env(tmp_path / "data"), tmp_path / "results-published")
