"""Retrieval loaders with custom layouts: ViDoRe, XM3600 / WIT, CV-Bench."""

from __future__ import annotations

import pytest

from harness.catalogue.queries import get_task
from harness.data import views
from harness.data.sources import task_for_source
from harness.data.views import TaskViews
from harness.evaluators.retrieval.metrics import retrieval
from harness.pipelines import score_split
from tests.support.layouts import captions_split, cvbench_split, snapshot, source_codes, text_code, vidore_configs

# --- ViDoRe ---------------------------------------------------------------------------------------


def test_vidore_int_ids_get_split_prefixes(tmp_path):
    task = task_for_source(get_task("VidoreDocVQARetrieval"), "mteb2")  # the BEIR release
    assert (task.layout, task.category) == ("vidore", "t2i")
    configs = vidore_configs(
        queries=[(3, "what is the total?"), (7, "who signed?"), (9, "never judged")],
        pages=[(10, 110), (11, 111), (12, 112)],
        qrels=[(3, 11, 1), (7, 10, 1), (7, 12, 0)],
    )
    data = views.read_view(snapshot(tmp_path, task.dataset.path, configs), task, "test", "default")
    assert data.queries.ids == ["query-test-3", "query-test-7"]
    assert data.queries.texts == ["what is the total?", "who signed?"]
    assert data.queries.images is None
    assert data.corpus.ids == ["corpus-test-10", "corpus-test-11", "corpus-test-12"]
    assert data.corpus.texts is None
    assert source_codes(data.corpus.images) == [110, 111, 112]
    assert data.qrels == {
        "query-test-3": {"corpus-test-11": 1},
        "query-test-7": {"corpus-test-10": 1, "corpus-test-12": 0},
    }
    assert data.candidates is None


def test_pipeline_vidore_ndcg_at_5(tmp_path, engine):
    task = task_for_source(get_task("VidoreInfoVQARetrieval"), "mteb2")  # the BEIR release
    texts = ["revenue in 2020", "number of employees", "headquarters city"]
    pages = [(20 + i, text_code(t)) for i, t in enumerate(texts)] + [(99, 4242)]
    configs = vidore_configs(
        queries=[(i, t) for i, t in enumerate(texts)], pages=pages, qrels=[(i, 20 + i, 1) for i in range(3)]
    )
    scores = score_split(
        task, "test", "default", TaskViews(snapshot(tmp_path, task.dataset.path, configs), task), engine
    ).metrics
    assert task.main_score == "ndcg_at_5"
    assert scores["ndcg_at_5"] == 1.0


# --- XM3600 and WIT: one split per language, captions lists -----------------------------------------


@pytest.mark.parametrize(
    ("name", "subset", "raw_struct"), [("XM3600T2IRetrieval", "de", True), ("WITT2IRetrieval", "da", False)]
)
def test_captions_become_one_query_per_caption(tmp_path, name, subset, raw_struct):
    task = get_task(name)
    assert subset in task.subsets and "en" in task.subsets
    rows = [
        ("img-a", 5, ["ein Hund", "ein kleiner Welpe"]),
        ("img-b", 6, ["eine Katze"]),
        ("img-c", 7, ["  ", "ein Haus", "ein Dach"]),  # a blank caption stays a query in T2I
    ]
    splits = {
        "en": captions_split([("img-en", 9, ["a dog"])], raw_struct=raw_struct),
        subset: captions_split(rows, raw_struct=raw_struct),
    }
    if raw_struct:  # XM3600: not an Image feature, and the columns mteb removes are there
        features = splits[subset].features
        assert "bytes" in features["image"] and "path" in features["image"]
        assert {"captions_tokenized", "captions_tokenized_lowercase", "image_locale"} <= set(features)
    source = snapshot(tmp_path, task.dataset.path, {"default": splits})
    data = views.read_view(source, task, "test", subset)

    query_ids = ["query-img-a-0", "query-img-a-1", "query-img-b-0", "query-img-c-0", "query-img-c-1", "query-img-c-2"]
    assert data.queries.ids == query_ids
    assert data.queries.texts == ["ein Hund", "ein kleiner Welpe", "eine Katze", "  ", "ein Haus", "ein Dach"]
    assert data.queries.images is None
    assert data.corpus.ids == ["corpus-img-a", "corpus-img-b", "corpus-img-c"]
    assert data.corpus.texts is None
    assert source_codes(data.corpus.images) == [5, 6, 7]
    assert data.qrels == {q: {"corpus-" + q.rsplit("-", 1)[0].removeprefix("query-"): 1} for q in query_ids}
    assert data.candidates is None

    english = views.read_view(source, task, "test", "en")
    assert (english.queries.ids, english.corpus.ids) == (["query-img-en-0"], ["corpus-img-en"])


def test_pipeline_xm3600_per_language_ndcg(tmp_path, engine):
    """Each image is painted half with the code of each of its two captions: both find it first."""
    task = get_task("XM3600T2IRetrieval")
    captions = [["ein Hund", "ein Welpe"], ["eine Katze", "ein Kätzchen"], ["ein Haus", "ein Dach"]]
    rows = [(f"i{k}", [(text_code(a), 4), (text_code(b), 4)], [a, b]) for k, (a, b) in enumerate(captions)]
    source = snapshot(tmp_path, task.dataset.path, {"default": {"de": captions_split(rows, raw_struct=True)}})
    scores = score_split(task, "test", "de", TaskViews(source, task), engine).metrics
    assert scores["ndcg_at_10"] == 1.0


# --- CV-Bench ------------------------------------------------------------------------------------

CVBENCH_ROWS = [
    ("Count", "How many chairs?", ["2", "3", "4"], "(B)", 80),
    ("Depth", "Which is closer?", ["lamp", "sofa"], "(A)", 81),
    ("Count", "How many cups?", ["3", "5", "3"], "(C)", 82),  # the answer string appears twice
    ("Count", "How many dogs?", ["5", "0", "1", "6", "7", "8"], "(F)", 83),
    ("Relation", "Is the cup left of the plate?", ["left", "right"], "(B)", 84),
]


def test_cvbench_filters_the_task_and_deduplicates_choices(tmp_path):
    task = get_task("CVBenchCount")
    assert (task.layout, task.category, task.restrict_to_qrels) == ("cvbench", "it2t", True)
    source = snapshot(tmp_path, task.dataset.path, {"default": {"test": cvbench_split(CVBENCH_ROWS)}})
    data = views.read_view(source, task, "test", "default")

    # Query ids count the rows left after filtering on ``task``.
    assert data.queries.ids == ["query-test-0", "query-test-1", "query-test-2"]
    assert data.queries.texts == ["How many chairs?", "How many cups?", "How many dogs?"]
    assert source_codes(data.queries.images) == [80, 82, 83]
    # Distinct choice strings of the kept rows, in order of first appearance.
    assert data.corpus.texts == ["2", "3", "4", "5", "0", "1", "6", "7", "8"]
    assert data.corpus.ids == [f"corpus-test-{n}" for n in range(9)]
    assert data.corpus.images is None
    c = {text: cid for text, cid in zip(data.corpus.texts, data.corpus.ids, strict=True)}
    assert data.qrels == {
        "query-test-0": {c["2"]: 0, c["3"]: 1, c["4"]: 0},
        "query-test-1": {c["3"]: 1, c["5"]: 0},
        "query-test-2": {c["5"]: 0, c["0"]: 0, c["1"]: 0, c["6"]: 0, c["7"]: 0, c["8"]: 1},
    }
    assert data.candidates == {q: list(rel) for q, rel in data.qrels.items()}

    depth = get_task("CVBenchDepth")
    data = views.read_view(source, depth, "test", "default")
    assert data.queries.ids == ["query-test-0"]
    assert source_codes(data.queries.images) == [81]
    assert (data.corpus.ids, data.corpus.texts) == (["corpus-test-0", "corpus-test-1"], ["lamp", "sofa"])
    assert data.qrels == {"query-test-0": {"corpus-test-0": 1, "corpus-test-1": 0}}


def test_cvbench_duplicate_choice_that_is_not_the_answer(tmp_path):
    task = get_task("CVBenchRelation")
    rows = [("Relation", "Where is the cup?", ["left", "right", "left"], "(B)", 90)]
    source = snapshot(tmp_path, task.dataset.path, {"default": {"test": cvbench_split(rows)}})
    data = views.read_view(source, task, "test", "default")
    assert data.corpus.texts == ["left", "right"]
    assert data.qrels == {"query-test-0": {"corpus-test-0": 0, "corpus-test-1": 1}}
    assert data.candidates == {"query-test-0": ["corpus-test-0", "corpus-test-1"]}


def test_pipeline_cvbench_accuracy_needs_the_own_choices(tmp_path, engine):
    """Query image: 2 rows of the answer's code, 6 rows of another query's choice.

    Among the query's own choices the answer wins (accuracy 1.0); over the whole deduplicated
    corpus the foreign choice would win every query (accuracy 0.0).
    """
    task = get_task("CVBenchCount")

    def image(answer: str, foreign: str):
        return [(text_code(foreign), 6), (text_code(answer), 2)]

    rows = [
        ("Count", "How many chairs?", ["2", "3", "4"], "(B)", image("3", "8")),
        ("Depth", "Which is closer?", ["lamp", "sofa"], "(A)", 81),
        ("Count", "How many cups?", ["3", "5"], "(A)", image("3", "2")),
        ("Count", "How many dogs?", ["5", "8"], "(B)", image("8", "4")),
    ]
    source = snapshot(tmp_path, task.dataset.path, {"default": {"test": cvbench_split(rows)}})
    scores = score_split(task, "test", "default", TaskViews(source, task), engine).metrics
    assert scores["accuracy"] == 1.0

    data = views.read_view(source, task, "test", "default")
    query_emb = engine.fused(data.queries.texts, data.queries.images)
    corpus_emb = engine.texts(data.corpus.texts)
    assert retrieval(query_emb, corpus_emb, data.queries.ids, data.corpus.ids, data.qrels)["accuracy"] == 0.0
