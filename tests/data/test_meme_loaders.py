"""HatefulMemes and Memotion as the published scores read them (the pre-release MIEB loaders, which
also wrote mteb 1.39.7's statistics of them), and as mteb >= 1.38 / 2.x reads them (``mteb2`` source).

The statistics-built snapshots carry the reference's own counts: HatefulMemes 1,000 test + 500
validation + 8,500 train rows of which 8,045 distinct texts (``unique_documents``); Memotion 6,992
rows (6,988 documents + the 4 removed), test 700 (697 queries + 3 removed), test last, so the removed
corpus rows 6781, 6784 and 6786 are test rows 489, 492 and 494.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.catalogue.queries import get_task
from harness.data import views
from harness.data.fingerprints import DatasetContentMismatch, verify_content
from harness.data.hub import DataSource
from harness.data.retrieval_v1 import MEMOTION_DROPPED_CORPUS_ROWS, MEMOTION_DROPPED_TEST_ROWS
from harness.data.sources import task_for_source
from tests.support.layouts import hateful_memes_split, memotion_split, snapshot, source_codes

HATEFUL_SPLITS = {"test": 1000, "validation": 500, "train": 8500}
HATEFUL_DISTINCT_TEXTS = 8045
MEMOTION_SPLITS = {"train": 5592, "validation": 700, "test": 700}


def _hateful_memes_from_statistics(root):
    """10,000 rows with 8,045 distinct texts; the 1,955 repeats are spread over every split."""
    total = sum(HATEFUL_SPLITS.values())
    texts = [f"meme {i % HATEFUL_DISTINCT_TEXTS}" for i in range(total)]
    configs, start = {}, 0
    for split, n in HATEFUL_SPLITS.items():
        configs[split] = hateful_memes_split(range(start, start + n), texts[start : start + n])
        start += n
    return snapshot(root, get_task("HatefulMemesI2TRetrieval").dataset.path, {"default": configs})


def _checked(source: DataSource) -> DataSource:
    return replace(source, verify_data=True)


@pytest.fixture(scope="module")
def hateful_memes(tmp_path_factory) -> DataSource:
    return _checked(_hateful_memes_from_statistics(tmp_path_factory.mktemp("hateful")))


@pytest.fixture(scope="module")
def memotion(tmp_path_factory) -> DataSource:
    return _checked(_memotion_from_statistics(tmp_path_factory.mktemp("memotion"), set(MEMOTION_DROPPED_CORPUS_ROWS)))


@pytest.mark.parametrize("name", ["HatefulMemesI2TRetrieval", "HatefulMemesT2IRetrieval"])
def test_hateful_memes_copy_with_the_reference_statistics_is_accepted(hateful_memes, name):
    source = hateful_memes
    task = get_task(name)
    assert verify_content(task, source).status == "verified"
    data = views.read_view(source, task, "test", "default")
    assert len(data.corpus.ids) == 10_000 and len(set(data.corpus.ids)) == 10_000
    # every query's own row is in the corpus, same-text rows (hard negatives) included
    assert all(doc in set(data.corpus.ids) for docs in data.qrels.values() for doc in docs)


def test_hateful_memes_text_deduplication_is_what_the_fingerprint_refuses(hateful_memes):
    source = hateful_memes
    later = replace(get_task("HatefulMemesI2TRetrieval"), layout="hateful_memes_dedup")
    with pytest.raises(DatasetContentMismatch, match="has 8,045 test corpus documents, the reference scored 10,000"):
        verify_content(later, source)


def test_hateful_memes_readings_on_a_hand_made_copy(tmp_path):
    task = get_task("HatefulMemesT2IRetrieval")
    configs = {
        "train": hateful_memes_split([4], ["c"], [14]),
        "validation": hateful_memes_split([3], ["a"], [13]),
        "test": hateful_memes_split([1, 2], ["a", "b"], [11, 12]),
    }
    source = snapshot(tmp_path, task.dataset.path, {"default": configs})
    published = views.read_view(source, task, "test", "default")
    # the pre-release loader: every row, in the dataset's split order
    assert published.corpus.ids == ["corpus-4", "corpus-3", "corpus-1", "corpus-2"]
    assert source_codes(published.corpus.images) == [14, 13, 11, 12]
    assert published.queries.texts == ["a", "b"] and published.qrels["query-1"] == {"corpus-1": 1}
    mteb2 = task_for_source(task, "mteb2")
    assert mteb2.layout == "hateful_memes_dedup"
    later = views.read_view(source, replace(mteb2, dataset=task.dataset), "test", "default")
    # test + validation + train, the first row of each text: corpus-3 ("a" again) is dropped
    assert later.corpus.ids == ["corpus-1", "corpus-2", "corpus-4"]
    assert source_codes(later.corpus.images) == [11, 12, 14]


def _memotion_from_statistics(root, none_rows: set[int]):
    """6,992 rows; ``text_corrected`` missing at the given corpus positions, "" at one other row."""
    total = sum(MEMOTION_SPLITS.values())
    texts: list[str | None] = [None if i in none_rows else f"caption {i}" for i in range(total)]
    texts[17] = ""  # the reference's statistics report a shortest document of length 0
    configs, start = {}, 0
    for split, n in MEMOTION_SPLITS.items():
        configs[split] = memotion_split(texts[start : start + n])
        start += n
    return snapshot(root, get_task("MemotionI2TRetrieval").dataset.path, {"default": configs})


@pytest.mark.parametrize("name", ["MemotionI2TRetrieval", "MemotionT2IRetrieval"])
def test_memotion_copy_with_the_reference_statistics_is_accepted(memotion, name):
    source = memotion
    task = get_task(name)
    assert verify_content(task, source).status == "verified"
    data = views.read_view(source, task, "test", "default")
    test_start = MEMOTION_SPLITS["train"] + MEMOTION_SPLITS["validation"]
    assert {row - test_start for row in MEMOTION_DROPPED_CORPUS_ROWS if row >= test_start} == MEMOTION_DROPPED_TEST_ROWS
    assert "query-test-489" not in data.qrels and data.qrels["query-test-490"] == {"corpus-test-490": 1}
    assert "corpus-test-489" not in data.corpus.ids and "corpus-validation-0" in data.corpus.ids


def test_memotion_prerelease_rows_and_the_later_filter_agree_only_when_the_missing_texts_are_those_rows(
    memotion, tmp_path
):
    """The 1.39.7 statistics were written by the pre-release loader, so they cannot tell the two
    readings apart; they select the same rows exactly when the missing texts sit at the fixed rows."""
    task = get_task("MemotionI2TRetrieval")
    later = replace(task_for_source(task, "mteb2"), dataset=task.dataset)
    published, filtered = (views.read_view(memotion, t, "test", "default") for t in (task, later))
    assert published.corpus.texts == filtered.corpus.texts and len(filtered.corpus.ids) == 6988
    elsewhere = _memotion_from_statistics(tmp_path / "elsewhere", {4578, 6781, 6784, 100})
    published, filtered = (views.read_view(elsewhere, t, "test", "default") for t in (task, later))
    assert len(published.corpus.ids) == len(filtered.corpus.ids) == 6988
    assert published.corpus.texts != filtered.corpus.texts  # the pre-release keeps row 100 as "" instead
    assert "" in published.corpus.texts and None not in published.corpus.texts
