"""Each evaluator's per-item outcomes recompute its metric exactly, checked with independent code.

Hand-made inputs; the recomputation uses numpy, scipy, scikit-learn and pytrec_eval directly, never
the evaluator's own helpers.
"""

from __future__ import annotations

import numpy as np
import pytest
import pytrec_eval
from scipy.stats import pearsonr, spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import label_ranking_average_precision_score, normalized_mutual_info_score, v_measure_score

from harness.evaluators.clustering import clustering_scored
from harness.evaluators.compositionality import compositionality_scored
from harness.evaluators.linear_probe import linear_probe_scored, lrap_per_sample_hard, multilabel_probe_scored
from harness.evaluators.retrieval.metrics import retrieval_scored
from harness.evaluators.sts import visual_sts_scored
from harness.evaluators.zero_shot import zero_shot_scored


def test_zero_shot_items_are_each_images_prediction() -> None:
    labels = np.eye(3)
    # images 0, 1 point at labels 0, 1; image 2 at label 0 though its gold is 2; image 3 right.
    images = np.array([[1, 0.1, 0], [0, 1, 0.2], [1, 0, 0.3], [0, 0.1, 1]])
    scored = zero_shot_scored(images, labels, [0, 1, 2, 2])
    outcome = scored.outcome("accuracy")
    assert outcome.kind == "mean"
    assert outcome.item_ids.tolist() == ["0", "1", "2", "3"]
    assert outcome.values.tolist() == [1.0, 1.0, 0.0, 1.0]
    assert scored.details["predicted"].tolist() == [0, 1, 0, 2]
    assert outcome.values.mean() == scored.metrics["accuracy"] == 0.75


def test_linear_probe_items_per_experiment() -> None:
    rng = np.random.default_rng(0)
    x_test = rng.normal(size=(30, 4))
    y_test = (x_test[:, 0] > 0).astype(int) + (x_test[:, 1] > 0.5)
    experiments = []
    for _ in range(3):
        x = rng.normal(size=(12, 4))
        experiments.append((x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)))
    scored = linear_probe_scored(experiments, x_test, y_test, seed=42)
    outcome = scored.outcome("accuracy")
    assert outcome.values.shape == (3, 30)
    for e, (x, y) in enumerate(experiments):
        pred = LogisticRegression(max_iter=100, random_state=42).fit(x, y).predict(x_test)
        assert scored.details["predicted"][e].tolist() == pred.tolist()
        assert outcome.values[e].tolist() == (pred == y_test).astype(float).tolist()
        assert outcome.values[e].mean() == scored.metrics["scores_per_experiment"][e]["accuracy"]
    assert outcome.values.mean() == pytest.approx(scored.metrics["accuracy"], abs=1e-15)


def test_lrap_per_sample_matches_sklearn_row_by_row() -> None:
    rng = np.random.default_rng(1)
    truth = rng.random((200, 5)) < 0.4
    pred = rng.random((200, 5)) < 0.5
    truth[:3] = [False] * 5  # no relevant label
    truth[3] = [True] * 5  # every label relevant
    pred[4] = [False] * 5  # nothing predicted
    per_sample = lrap_per_sample_hard(truth.astype(int), pred.astype(int))
    expected = [
        label_ranking_average_precision_score(truth[i : i + 1], pred[i : i + 1].astype(int)) for i in range(200)
    ]
    np.testing.assert_allclose(per_sample, expected, rtol=1e-15, atol=0)


def test_multilabel_items_recompute_every_mean_metric() -> None:
    rng = np.random.default_rng(2)
    test_lists = [sorted({int(v) for v in rng.integers(0, 4, size=rng.integers(1, 3))}) for _ in range(25)]
    x_test = rng.normal(size=(25, 3))
    experiments = [(rng.normal(size=(15, 3)), [test_lists[i % 25] for i in range(15)]) for _ in range(2)]
    scored = multilabel_probe_scored(experiments, x_test, test_lists)
    labels = scored.details["labels"].tolist()
    truth = np.array([[label in row for label in labels] for row in test_lists])
    for e in range(2):
        pred = scored.details["predicted"][e]
        row = scored.metrics["scores_per_experiment"][e]
        assert scored.outcome("accuracy").values[e].tolist() == (pred == truth).all(axis=1).astype(float).tolist()
        assert scored.outcome("lrap").values[e].mean() == pytest.approx(
            label_ranking_average_precision_score(truth, pred.astype(int)), abs=1e-15
        )
        assert scored.outcome("lrap").values[e].mean() == pytest.approx(row["lrap"], abs=1e-15)
        assert scored.outcome("hamming").values[e].mean() == row["hamming"]
    assert scored.outcome("lrap").values.mean() == pytest.approx(scored.metrics["lrap"], abs=1e-15)


def test_clustering_items_are_assignments_against_labels() -> None:
    rng = np.random.default_rng(3)
    gold = np.repeat(["cat", "dog", "owl"], 10)
    emb = rng.normal(size=(30, 8)).astype(np.float32) + 3 * np.repeat(np.eye(3, 8), 10, axis=0)
    scored = clustering_scored(emb, gold)
    nmi, v = scored.outcome("nmi"), scored.outcome("v_measure")
    assert nmi.kind == "nmi" and v.kind == "v_measure"
    assert nmi.reference.tolist() == gold.tolist()
    assert normalized_mutual_info_score(nmi.reference, nmi.values) == scored.metrics["nmi"]
    assert v_measure_score(v.reference, v.values) == scored.metrics["v_measure"]


def test_visual_sts_items_are_pair_similarities() -> None:
    rng = np.random.default_rng(4)
    e1 = rng.normal(size=(12, 6)).astype(np.float32)
    e2 = (e1 + rng.normal(scale=0.8, size=(12, 6))).astype(np.float32)
    gold = rng.uniform(0, 5, size=12)
    scored = visual_sts_scored(e1, e2, gold)
    outcome = scored.outcome("cosine_spearman")
    assert outcome.kind == "spearman"
    cosine = (e1 * e2).sum(1) / (np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1))
    np.testing.assert_allclose(outcome.values, cosine, rtol=1e-5)
    np.testing.assert_allclose(outcome.reference, gold / 5, rtol=1e-15)
    assert spearmanr(outcome.reference, outcome.values)[0] == scored.metrics["cosine_spearman"]
    pearson = scored.outcome("cosine_pearson")
    assert pearson.kind == "pearson"
    assert pearsonr(pearson.reference, pearson.values)[0] == scored.metrics["cosine_pearson"]


def test_compositionality_items_are_per_sample_flags() -> None:
    # sample 0: both directions right; sample 1: text right only; sample 2: neither
    img = np.array([[[1, 0], [0, 1]], [[1, 0], [0, 1]], [[0, 1], [1, 0]]], dtype=np.float32)
    txt = np.array([[[1, 0], [0, 1]], [[1, 0.2], [1, 0.9]], [[1, 0], [0, 1]]], dtype=np.float32)
    scored = compositionality_scored(img, txt)
    assert scored.outcome("text_acc").values.tolist() == [1.0, 1.0, 0.0]
    assert scored.outcome("image_acc").values.tolist() == [1.0, 0.0, 0.0]
    assert scored.outcome("accuracy").values.tolist() == [1.0, 0.0, 0.0]
    for name in ("text_acc", "image_acc", "accuracy"):
        assert float(np.float32(scored.outcome(name).values.mean())) == scored.metrics[name]


def test_retrieval_items_are_each_querys_measures_and_top_documents() -> None:
    rng = np.random.default_rng(5)
    corpus_ids = [f"d{i}" for i in range(40)]
    query_ids = ["q0", "q1", "q2", "q3", "q4"]
    corpus = rng.normal(size=(40, 8)).astype(np.float32)
    queries = (corpus[[0, 5, 10, 15, 20]] + rng.normal(scale=1.5, size=(5, 8))).astype(np.float32)
    qrels = {"q0": {"d0": 1, "d7": 2}, "q1": {"d5": 1}, "q2": {"d10": 1, "d3": 1}, "q4": {"d30": 1}}  # q3: none
    scored = retrieval_scored(queries, corpus, query_ids, corpus_ids, qrels, k_values=(1, 5, 10))
    ndcg = scored.outcome("ndcg_at_10")
    assert ndcg.item_ids.tolist() == ["q0", "q1", "q2", "q4"]  # mteb drops a query without qrels

    # independent: pytrec_eval on the full ranking
    sims = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ (
        corpus / np.linalg.norm(corpus, axis=1, keepdims=True)
    ).T
    run = {q: {c: float(sims[i, j]) for j, c in enumerate(corpus_ids)} for i, q in enumerate(query_ids) if q in qrels}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.1"})
    per_query = evaluator.evaluate(run)
    np.testing.assert_allclose(ndcg.values, [per_query[q]["ndcg_cut_10"] for q in ndcg.item_ids], rtol=1e-6)
    assert round(sum(ndcg.values.tolist()) / len(ndcg.values), 5) == scored.metrics["ndcg_at_10"]
    assert round(ndcg.values.mean(), 5) == scored.metrics["ndcg_at_10"]
    assert scored.outcome("accuracy").values.tolist() == [per_query[q]["recall_1"] for q in ndcg.item_ids]
    assert scored.outcome("mrr_at_10").values.mean() == pytest.approx(scored.metrics["mrr_at_10"], abs=1e-15)

    top_docs, top_scores, doc_ids = (scored.details[k] for k in ("top_docs", "top_scores", "doc_ids"))
    assert top_docs.shape == top_scores.shape == (4, 10)
    for row, q in enumerate(ndcg.item_ids):
        i = query_ids.index(q)
        best = np.argsort(-sims[i], kind="stable")[:10]
        assert [doc_ids[j] for j in top_docs[row]] == [corpus_ids[j] for j in best]
        np.testing.assert_allclose(top_scores[row], sims[i, best], rtol=1e-5)


def test_retrieval_details_mark_missing_documents() -> None:
    corpus = np.eye(3, dtype=np.float32)
    candidates = [np.array([0, 1]), np.array([2])]
    scored = retrieval_scored(
        np.eye(3, dtype=np.float32)[:2],
        corpus,
        ["a", "b"],
        ["x", "y", "z"],
        {"a": {"x": 1}, "b": {"z": 1}},
        k_values=(1, 2),
        candidates=candidates,
    )
    docs = scored.details["doc_ids"]
    assert [[docs[j] if j >= 0 else None for j in row] for row in scored.details["top_docs"]] == [
        ["x", "y"],
        ["z", None],
    ]
    assert scored.details["top_scores"][1, 1] == -np.inf
    assert scored.outcome("accuracy").values.tolist() == [1.0, 1.0]
