"""Content fingerprints: local snapshots in the real schemas with the reference's exact counts pass;
a removed row, a missing subset, a changed label set or qrels that no longer join their queries
fail with the numbers, in the library and through ``mieb download --verify``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from harness.catalogue.queries import get_task
from harness.data.fingerprints import DatasetContentMismatch, fingerprint, verify_content
from harness.data.hub import DataSource, write_snapshot
from tests.support.layouts import beir_side, qrels_table, sts_split, swatch


def _checked(root: Path) -> DataSource:
    return DataSource.from_env(root, verify_data=True)  # the tests' default is off (tests/conftest.py)


def _cifar10(root: Path, *, drop: int = 0, relabel: dict[int, int] | None = None) -> None:
    """uoft-cs/cifar10's test split with exactly the reference's per-label counts (tiny images)."""
    import datasets

    counts = fingerprint(get_task("CIFAR10"))["splits"]["test"]["default"]["labels"]
    labels = [int(label) for label, n in sorted(counts.items()) for _ in range(n)]
    labels = [(relabel or {}).get(label, label) for label in labels][drop:]
    features = datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(num_classes=10)})
    image = swatch(7)
    test = datasets.Dataset.from_dict({"img": [image] * len(labels), "label": labels}, features=features)
    write_snapshot(root / "uoft-cs" / "cifar10", {"plain_text": {"test": test}})


def test_fingerprints_cover_the_catalogue():
    from harness.data.fingerprints import _document

    document = _document()
    tasks = {name for entry in document["fingerprints"].values() for name in entry}
    assert len(tasks) >= 120
    assert "no fingerprint recorded" in verify_content(get_task("VidoreArxivQARetrieval"), _checked(Path("."))).message


def test_exact_counts_pass_and_a_removed_row_fails(tmp_path):
    _cifar10(tmp_path / "exact")
    check = verify_content(get_task("CIFAR10"), _checked(tmp_path / "exact"))
    assert check.status == "verified"
    _cifar10(tmp_path / "short", drop=1)
    with pytest.raises(DatasetContentMismatch) as err:
        verify_content(get_task("CIFAR10"), _checked(tmp_path / "short"))
    message = str(err.value)
    assert "uoft-cs/cifar10@0b2714987fa478483af9968de7c934580d0bb9a2" in message
    assert "has 9,999 test rows, the reference scored 10,000" in message
    assert "label 0: 999 here, 1,000 in the reference" in message


def test_a_changed_label_set_fails(tmp_path):
    _cifar10(tmp_path, relabel={9: 8})
    with pytest.raises(DatasetContentMismatch) as err:
        verify_content(get_task("CIFAR10ZeroShot"), _checked(tmp_path))
    assert "has 9 test distinct labels, the reference scored 10" in str(err.value)
    assert "label 8: 2,000 here, 1,000 in the reference" in str(err.value)


def test_opt_out_is_reported_not_silent(tmp_path):
    _cifar10(tmp_path, drop=5)
    check = verify_content(get_task("CIFAR10"), DataSource.from_env(tmp_path, verify_data=False))
    assert check.status == "not verified" and "dataset content not verified" in check.message


def _sts17(root: Path, subsets: list[str]) -> None:
    counts = fingerprint(get_task("STS17MultilingualVisualSTS"))["splits"]["test"]
    configs = {}
    for subset in subsets:
        n, mean = counts[subset]["num_samples"], counts[subset]["avg_score"]
        configs[subset] = {"test": sts_split([(1, 2, mean)] * n)}
    write_snapshot(root / "Pixel-Linguist" / "rendered-sts17", configs)


def test_a_missing_subset_fails_with_the_reference_counts(tmp_path):
    task = get_task("STS17MultilingualVisualSTS")
    _sts17(tmp_path, ["ar-ar"])
    assert verify_content(task, _checked(tmp_path), subsets=["ar-ar"]).status == "verified"
    with pytest.raises(DatasetContentMismatch) as err:
        verify_content(task, _checked(tmp_path), subsets=["ar-ar", "en-ar"])
    assert "split 'test' subset 'en-ar' cannot be read" in str(err.value)
    assert "the reference scored 250 rows" in str(err.value)


def _blink_it2t(root: Path, *, scramble: bool = False) -> None:
    """JamieSJS/blink-it2t in mteb 1.x's layout with the reference's query, corpus and qrels counts."""
    counts = fingerprint(get_task("BLINKIT2TRetrieval"))["splits"]["test"]["default"]
    n_queries, n_docs = counts["num_queries"], counts["num_documents"]
    query_ids = [f"q{i}" for i in range(n_queries)]
    doc_ids = [f"d{i}" for i in range(n_docs)]
    qrels = [(f"x{q}" if scramble else q, doc_ids[i % n_docs], 1) for i, q in enumerate(query_ids)]
    write_snapshot(
        root / "JamieSJS" / "blink-it2t",
        {
            "corpus": {"corpus": beir_side(doc_ids, texts=[f"answer {i}" for i in range(n_docs)])},
            "query": {"test": beir_side(query_ids, texts=["which?"] * n_queries, images=[3] * n_queries)},
            "qrels": {"test": qrels_table(qrels)},
        },
    )


def test_retrieval_counts_and_qrels_that_no_longer_join(tmp_path):
    task = get_task("BLINKIT2TRetrieval")
    _blink_it2t(tmp_path / "exact")
    assert verify_content(task, _checked(tmp_path / "exact")).status == "verified"
    _blink_it2t(tmp_path / "scrambled", scramble=True)
    with pytest.raises(DatasetContentMismatch) as err:
        verify_content(task, _checked(tmp_path / "scrambled"))
    assert "has 0 test queries, the reference scored 793" in str(err.value)


def test_a_mismatch_is_raised_before_anything_is_encoded(tmp_path):
    from harness.runner import build_engine, run_task
    from tests.models.example_encoder import build

    _cifar10(tmp_path / "data", drop=3)
    engine = build_engine(build(), cache_dir=tmp_path / "cache", progress=False)
    with pytest.raises(DatasetContentMismatch, match="has 9,997 test rows"):
        run_task(get_task("CIFAR10ZeroShot"), engine, _checked(tmp_path / "data"), tmp_path / "results")
    assert not any((tmp_path / "cache").rglob("*.npy")) and not list((tmp_path / "results").rglob("CIFAR10*.json"))


def test_download_verify_exit_codes(tmp_path, capsys):
    from harness.cli import main

    _cifar10(tmp_path / "exact")
    assert main(["download", "-t", "CIFAR10", "Winoground", "--verify", "--datasets-dir", str(tmp_path / "exact")]) == 1
    out = capsys.readouterr().out
    assert "ok              CIFAR10:" in out and "UNREACHABLE     Winoground:" in out and "facebook/winoground" in out
    assert main(["download", "-t", "CIFAR10", "--verify", "--datasets-dir", str(tmp_path / "exact")]) == 0
    _cifar10(tmp_path / "short", drop=1)
    assert main(["download", "-t", "CIFAR10", "--verify", "--datasets-dir", str(tmp_path / "short")]) == 1
    assert "MISMATCH        CIFAR10: " in capsys.readouterr().out


@pytest.mark.skipif(not os.environ.get("MIEB_MTEB_PYTHON"), reason="MIEB_MTEB_PYTHON (mteb 2.26.24) not set")
def test_fingerprints_agree_with_the_installed_mteb2_statistics():
    package = subprocess.run(
        [
            os.environ["MIEB_MTEB_PYTHON"],
            "-c",
            "import mteb, os; print(mteb.__version__, os.path.dirname(mteb.__file__))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert package[0] == "2.26.24"
    from harness.data.sources import task_for_source

    for name, kind in [
        ("Caltech101", "ImageClassification"),
        ("VOC2007", "ImageClassification"),
        ("CIFAR10", "ImageClassification"),
        ("DTDZeroShot", "ZeroShotClassification"),
    ]:
        stats = json.loads(Path(package[1], "descriptive_stats", "Image", kind, f"{name}.json").read_text())["test"]
        recorded = fingerprint(task_for_source(get_task(name), "mteb2"))["splits"]["test"]["default"]
        assert recorded["num_samples"] == stats["num_samples"]
        assert recorded["unique_labels"] == stats["label_statistics"]["unique_labels"]
        assert recorded["labels"] == {k: v["count"] for k, v in stats["label_statistics"]["labels"].items()}


@pytest.mark.skipif(not os.environ.get("MIEB_MTEB_GIT"), reason="MIEB_MTEB_GIT (a git clone of mteb) not set")
def test_fingerprints_agree_with_mteb_1_39_7_statistics():
    def stats(path: str) -> dict:
        shown = subprocess.run(
            ["git", "-C", os.environ["MIEB_MTEB_GIT"], "show", f"1.39.7:{path}"],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(shown.stdout)

    base = "mteb/descriptive_stats/Image"
    cifar = stats(f"{base}/ImageClassification/CIFAR10.json")["test"]
    assert fingerprint(get_task("CIFAR10"))["splits"]["test"]["default"]["num_samples"] == cifar["num_samples"]
    cirr = stats(f"{base}/Any2AnyRetrieval/CIRRIT2IRetrieval.json")["test"]
    recorded = fingerprint(get_task("CIRRIT2IRetrieval"))["splits"]["test"]["default"]
    assert (recorded["num_queries"], recorded["num_documents"]) == (cirr["num_queries"], cirr["num_documents"])
    xm = stats(f"{base}/Any2AnyMultilingualRetrieval/XM3600T2IRetrieval.json")["test"]["hf_subset_descriptive_stats"]
    recorded = fingerprint(get_task("XM3600T2IRetrieval"))["splits"]["test"]
    assert {s: c["num_queries"] for s, c in recorded.items()} == {s: xm[s]["num_queries"] for s in recorded}


def test_a_split_is_read_once_for_the_content_check_and_the_evaluation(tmp_path, monkeypatch, engine):
    """run_task reads each split's view once: the content check counts it, the pipeline then gets it."""
    from harness import runner
    from harness.data import views

    _cifar10(tmp_path / "data")
    reads, seen = [], []
    reader = views.READERS["labeled"]
    monkeypatch.setitem(views.READERS, "labeled", lambda *args: reads.append(args[2:]) or reader(*args))

    def pipeline(task, split, subset, task_views, engine):
        from harness.evaluators.items import Scored, mean_outcomes

        seen.append(task_views.get(split))
        return Scored({"accuracy": 0.5}, mean_outcomes({"accuracy": [1.0, 0.0]}, 2))

    monkeypatch.setattr(runner, "score_split", pipeline)
    outcome = runner.run_task(get_task("CIFAR10ZeroShot"), engine, _checked(tmp_path / "data"), tmp_path / "results")
    assert outcome.content_check.startswith("verified")
    assert reads == [("test", "default")]
    assert len(seen) == 1 and len(seen[0].labels) == 10_000
