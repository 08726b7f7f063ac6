"""The generic BEIR retrieval loader on local snapshots of real tasks' datasets.

Each test writes the configs, splits and columns the task's pinned dataset has on the hub and
checks what ``harness.data.views.read_view`` returns: ids, texts, which side carries images, row
alignment, the qrels and the candidate lists of the multiple-choice tasks.
"""

from __future__ import annotations

import datasets
import pytest

from harness.catalogue.queries import get_task
from harness.data import views
from harness.data.sources import task_for_source
from harness.data.views import TaskViews
from harness.pipelines import score_split
from tests.support.layouts import beir_side, qrels_table, snapshot, source_codes, text_code


def mteb2_task(name: str):
    """The generic BEIR layout read the mteb 2.x way (``--dataset-source mteb2``); 1.x: test_mteb1_views.py."""
    return task_for_source(get_task(name), "mteb2")


# task -> (category, query has texts, query has images, corpus has texts, corpus has images)
CATEGORY_TASKS = {
    "Flickr30kT2IRetrieval": ("t2i", True, False, False, True),
    "MSCOCOI2TRetrieval": ("i2t", False, True, True, False),
    "CUB200I2IRetrieval": ("i2i", False, True, False, True),
    "CIRRIT2IRetrieval": ("it2i", True, True, False, True),
    "VQA2IT2TRetrieval": ("it2t", True, True, True, False),
    "WebQAT2ITRetrieval": ("t2it", True, False, True, True),
}

QUERY_TEXTS = ["find the red boat", "a query nobody judged", "a query judged all zero", "find the green kite"]
QUERY_CODES = [101, 102, 103, 104]
DOC_TEXTS = ["doc zero", "doc one", "doc two", "doc three"]
DOC_CODES = [201, 202, 203, 204]
# q1 has no qrels row (dropped); q2's only qrel is 0 (kept); the extra qrels column is ignored.
QRELS = [("q0", "d2", 1), ("q2", "d1", 0), ("q3", "d0", 1), ("q3", "d3", 2)]
EXPECTED_QRELS = {"q0": {"d2": 1}, "q2": {"d1": 0}, "q3": {"d0": 1, "d3": 2}}


@pytest.mark.parametrize("unused", ["none", "filled"])
@pytest.mark.parametrize("name", list(CATEGORY_TASKS))
def test_category_decides_the_columns_read(tmp_path, name, unused):
    task = mteb2_task(name)
    category, q_text, q_image, d_text, d_image = CATEGORY_TASKS[name]
    assert (task.category, task.layout, task.restrict_to_qrels) == (category, "beir", False)

    def side(ids, texts, codes, has_text, has_image):
        # A modality the category does not name is None-filled (M-BEIR) or, harder, filled with data.
        keep_text, keep_image = has_text or unused == "filled", has_image or unused == "filled"
        return beir_side(ids, texts if keep_text else None, codes if keep_image else None)

    source = snapshot(
        tmp_path,
        task.dataset.path,
        {
            "corpus": {"test": side([f"d{i}" for i in range(4)], DOC_TEXTS, DOC_CODES, d_text, d_image)},
            "queries": {"test": side([f"q{i}" for i in range(4)], QUERY_TEXTS, QUERY_CODES, q_text, q_image)},
            "default": {"test": qrels_table(QRELS, extra=True)},
        },
    )
    data = views.read_view(source, task, "test", "default")

    kept = [0, 2, 3]
    assert data.queries.ids == ["q0", "q2", "q3"]
    assert data.queries.texts == ([QUERY_TEXTS[i] for i in kept] if q_text else None)
    assert (source_codes(data.queries.images) if q_image else data.queries.images) == (
        [QUERY_CODES[i] for i in kept] if q_image else None
    )
    assert data.corpus.ids == ["d0", "d1", "d2", "d3"]
    assert data.corpus.texts == (DOC_TEXTS if d_text else None)
    assert (source_codes(data.corpus.images) if d_image else data.corpus.images) == (DOC_CODES if d_image else None)
    assert data.qrels == EXPECTED_QRELS
    assert data.candidates is None


def test_singular_query_config_qrels_config_int_ids_and_single_splits(tmp_path):
    """``query`` / ``qrels`` configs, ``_id`` int columns, and configs whose only split is not ``test``."""
    task = mteb2_task("Flickr30kT2IRetrieval")
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {
            "corpus": {"corpus": beir_side([7, 8], None, [11, 12], id_column="_id", id_type="int64")},
            "query": {"queries": beir_side([1, 2, 3], ["one", "two", "three"], None, id_column="_id", id_type="int64")},
            "qrels": {"test": qrels_table([(1, 8, 1), (3, 7, 1)], id_type="int64")},
        },
    )
    data = views.read_view(source, task, "test", "default")
    assert data.queries.ids == ["1", "3"]
    assert data.queries.texts == ["one", "three"]
    assert data.corpus.ids == ["7", "8"]
    assert source_codes(data.corpus.images) == [11, 12]
    assert data.qrels == {"1": {"8": 1}, "3": {"7": 1}}


def test_query_and_default_configs_win_over_queries_and_qrels(tmp_path):
    """With both names present, mteb reads ``query`` (not ``queries``) and ``default`` (not ``qrels``)."""
    task = mteb2_task("Flickr30kT2IRetrieval")
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {
            # Two splits: the eval split is read, not the other one.
            "corpus": {
                "train": beir_side(["x0"], None, [99]),
                "test": beir_side(["d0", "d1"], None, [21, 22]),
            },
            "queries": {"test": beir_side(["old"], ["from queries"], None)},
            "query": {"test": beir_side(["new"], ["from query"], None)},
            "qrels": {"test": qrels_table([("old", "d0", 1), ("new", "d0", 1)])},
            "default": {"test": qrels_table([("new", "d1", 1)])},
        },
    )
    data = views.read_view(source, task, "test", "default")
    assert (data.queries.ids, data.queries.texts) == (["new"], ["from query"])
    assert data.corpus.ids == ["d0", "d1"]
    assert source_codes(data.corpus.images) == [21, 22]
    assert data.qrels == {"new": {"d1": 1}}


def test_corpus_title_is_prepended_to_the_text_and_query_title_is_not(tmp_path):
    task = mteb2_task("WebQAT2ITRetrieval")  # t2it: text queries, text+image documents
    string = datasets.Value("string")
    corpus = beir_side(
        ["d0", "d1", "d2"],
        ["tower at night", "a bridge", "a river"],
        [31, 32, 33],
        extra={"title": (["Eiffel", "", None], string)},
    )
    queries = beir_side(["q0"], ["which tower?"], None, extra={"title": (["not a corpus title"], string)})
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {"corpus": {"test": corpus}, "queries": {"test": queries}, "default": {"test": qrels_table([("q0", "d0", 1)])}},
    )
    data = views.read_view(source, task, "test", "default")
    assert data.corpus.texts == ["Eiffel tower at night", "a bridge", "a river"]
    assert source_codes(data.corpus.images) == [31, 32, 33]
    assert data.queries.texts == ["which tower?"]


def test_roxford_candidates_are_each_querys_qrels_in_order(tmp_path):
    task = mteb2_task("ROxfordEasyI2IRetrieval")
    assert (task.category, task.restrict_to_qrels) == ("i2i", True)
    qrels = [("q0", "d3", 1), ("q0", "d0", 0), ("q0", "d4", 1), ("q2", "d1", 0), ("q2", "d2", 0)]
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {
            "corpus": {"test": beir_side([f"d{i}" for i in range(5)], None, [40, 41, 42, 43, 44])},
            "queries": {"test": beir_side(["q0", "q1", "q2"], None, [50, 51, 52])},
            "default": {"test": qrels_table(qrels)},
        },
    )
    data = views.read_view(source, task, "test", "default")
    assert data.queries.ids == ["q0", "q2"]  # q1 has no qrels; q2's all-0 qrels keep it
    assert source_codes(data.queries.images) == [50, 52]
    assert data.candidates == {"q0": ["d3", "d0", "d4"], "q2": ["d1", "d2"]}
    assert data.qrels == {"q0": {"d3": 1, "d0": 0, "d4": 1}, "q2": {"d1": 0, "d2": 0}}


def _blink_snapshot(tmp_path, task, *, image_choices: bool, query_stripes=None):
    choices = ["left", "right", "both", "above", "below"]
    codes = [60, 61, 62, 63, 64]
    corpus = beir_side(
        [f"c{i}" for i in range(5)],
        None if image_choices else choices,
        codes if image_choices else None,
    )
    queries = beir_side(["q0", "q1"], ["which side?", "where is it?"], query_stripes or [70, 71])
    qrels = [("q0", "c0", 0), ("q0", "c1", 1), ("q0", "c2", 0), ("q1", "c4", 0), ("q1", "c3", 1)]
    return snapshot(
        tmp_path,
        task.dataset.path,
        {"corpus": {"test": corpus}, "queries": {"test": queries}, "default": {"test": qrels_table(qrels)}},
    )


@pytest.mark.parametrize("name", ["BLINKIT2TMultiChoice", "BLINKIT2IMultiChoice"])
def test_blink_multiple_choice_candidates(tmp_path, name):
    task = mteb2_task(name)
    image_choices = task.category == "it2i"
    assert task.category in ("it2t", "it2i") and task.restrict_to_qrels
    data = views.read_view(_blink_snapshot(tmp_path, task, image_choices=image_choices), task, "test", "default")
    assert data.queries.ids == ["q0", "q1"]
    assert data.queries.texts == ["which side?", "where is it?"]  # fused queries: text and image
    assert source_codes(data.queries.images) == [70, 71]
    if image_choices:
        assert data.corpus.texts is None
        assert source_codes(data.corpus.images) == [60, 61, 62, 63, 64]
    else:
        assert data.corpus.texts == ["left", "right", "both", "above", "below"]
        assert data.corpus.images is None
    assert data.candidates == {"q0": ["c0", "c1", "c2"], "q1": ["c4", "c3"]}
    assert data.qrels == {"q0": {"c0": 0, "c1": 1, "c2": 0}, "q1": {"c4": 0, "c3": 1}}


# --- end to end through the retrieval pipeline ----------------------------------------------------


def test_pipeline_t2i_counts_all_zero_queries_and_drops_unjudged_ones(tmp_path, engine):
    """Every judged query finds its image first; the all-0 query scores 0 -> ndcg@10 = 3/4."""
    task = mteb2_task("Flickr30kT2IRetrieval")
    texts = ["a red boat", "a green kite", "a blue door", "a yellow cab", "nobody judged me"]
    codes = [text_code(t) for t in texts]
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {
            "corpus": {"test": beir_side([f"d{i}" for i in range(5)], None, codes)},
            "queries": {"test": beir_side([f"q{i}" for i in range(5)], texts, None)},
            # q3's only qrel is 0 (kept, scores 0); q4 has none (dropped, not averaged).
            "default": {"test": qrels_table([("q0", "d0", 1), ("q1", "d1", 1), ("q2", "d2", 1), ("q3", "d3", 0)])},
        },
    )
    scores = score_split(task, "test", "default", TaskViews(source, task), engine).metrics
    assert scores["ndcg_at_10"] == 0.75
    assert scores["hit_rate_at_1"] == 0.75


def test_pipeline_skip_first_result_drops_the_query_image(tmp_path, engine):
    """CUB200 (skip_first_result): the top hit is the query image itself; the partner comes second."""
    task = mteb2_task("CUB200I2IRetrieval")
    assert task.skip_first_result
    a, b, x, y = 1000, 2000, 3000, 4000
    corpus = beir_side(
        ["self-a", "partner-a", "self-b", "partner-b", "other"],
        None,
        [a, [(a, 6), (x, 2)], b, [(b, 6), (y, 2)], 5000],
    )
    source = snapshot(
        tmp_path,
        task.dataset.path,
        {
            "corpus": {"test": corpus},
            "queries": {"test": beir_side(["qa", "qb"], None, [a, b])},
            "default": {"test": qrels_table([("qa", "partner-a", 1), ("qb", "partner-b", 1)])},
        },
    )
    scores = score_split(task, "test", "default", TaskViews(source, task), engine).metrics
    assert scores["hit_rate_at_1"] == 1.0


@pytest.mark.parametrize("name", ["BLINKIT2IMultiChoice", "BLINKIT2TMultiChoice"])
def test_pipeline_blink_right_choice_wins_among_own_candidates(tmp_path, engine, name):
    """Query image = stripes of the right choice (2 rows) and another query's choice (6 rows).

    Over the whole corpus the other query's choice would win; among the query's own choices
    (its qrels) the right one does, so accuracy is 1.0 only with the candidate restriction.
    """
    task = mteb2_task(name)
    image_choices = task.category == "it2i"
    choice_codes = (
        [60, 61, 62, 63, 64] if image_choices else [text_code(c) for c in ["left", "right", "both", "above", "below"]]
    )
    stripes = [[(choice_codes[4], 6), (choice_codes[1], 2)], [(choice_codes[0], 6), (choice_codes[3], 2)]]
    source = _blink_snapshot(tmp_path, task, image_choices=image_choices, query_stripes=stripes)
    scores = score_split(task, "test", "default", TaskViews(source, task), engine).metrics
    assert scores["accuracy"] == 1.0
    assert scores[task.main_score] == 1.0

    # The same embeddings without the restriction: the foreign choice wins every query.
    from harness.evaluators.retrieval.metrics import retrieval

    data = views.read_view(source, task, "test", "default")
    query_emb = engine.fused(data.queries.texts, data.queries.images)
    corpus_emb = engine.images(data.corpus.images) if image_choices else engine.texts(data.corpus.texts)
    unrestricted = retrieval(query_emb, corpus_emb, data.queries.ids, data.corpus.ids, data.qrels)
    assert unrestricted["accuracy"] == 0.0
