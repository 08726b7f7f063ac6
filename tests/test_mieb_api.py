"""``import mieb as mteb``: MIEB's documented three steps run unchanged; mteb's keywords mean what they mean there."""

from __future__ import annotations

import importlib.metadata
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import mieb
import mieb as mteb
from harness.catalogue.subsets import SelectionError
from harness.data.hub import DatasetUnavailable
from mieb_assets.locations import check_all
from mieb_records.errors import UnknownNameError

MIEB_BENCHMARKS = ("MIEB(Multilingual)", "MIEB(eng)", "MIEB(lite)", "MIEB(Img)")
# One small offline task (its dataset built at a fifth of its size): the run is about a model load
# and one encode pass, most of it process start-up.
RUN_TASKS = ["ShapesWinogroundOffline"]
offline_assets = pytest.mark.skipif(bool(check_all()), reason="offline assets not installed")


def test_version_comes_from_the_installed_distribution():
    assert mieb.__version__ == importlib.metadata.version("mieb")


def test_choosing_tasks_loads_no_model_machinery():
    code = (
        "import sys, mieb\n"
        "mieb.get_tasks(task_types=['Compositionality']); mieb.get_benchmarks('MIEB(lite)')\n"
        "heavy = {'torch', 'transformers', 'open_clip', 'sklearn'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


def test_get_benchmarks_takes_one_name_as_mieb_documents_it():
    for name in MIEB_BENCHMARKS:
        (benchmark,) = mteb.get_benchmarks(name)
        assert benchmark.name == name
    assert [b.name for b in mteb.get_benchmarks(["MIEB(lite)", "MIEB(Img)"])] == ["MIEB(lite)", "MIEB(Img)"]
    assert {b.name for b in mteb.get_benchmarks()} >= set(MIEB_BENCHMARKS)
    assert len(mteb.get_benchmark("MIEB(Multilingual)").tasks) == 130
    with pytest.raises(UnknownNameError, match="MIEB\\(lite\\)"):
        mteb.get_benchmarks("MIEB(lite")


def test_get_tasks_by_names_and_by_task_type():
    names = ["CIFAR10ZeroShot", "Winoground"]
    assert [t.name for t in mteb.get_tasks(tasks=names)] == names
    compositional = mteb.get_tasks(task_types=["Compositionality"])
    assert {t.type for t in compositional} == {"Compositionality"}
    assert {"Winoground", "ImageCoDe", "ShapesWinogroundOffline"} <= {t.name for t in compositional}
    with pytest.raises(UnknownNameError, match="CIFAR10ZeroShot"):
        mteb.get_tasks(tasks=["CIFAR10ZeroShoot"])


def test_languages_narrow_multilingual_tasks_to_their_subsets():
    (xm3600,) = mteb.get_tasks(tasks=["XM3600T2IRetrieval"], languages=["deu"])
    assert list(xm3600.subsets) == ["de"]
    full = mteb.get_task("XM3600T2IRetrieval")
    assert len(full.subsets) > 1 and "de" in full.subsets
    # a task without a subset in the language is left out, as in mteb
    assert mteb.get_tasks(tasks=["CIFAR10ZeroShot", "XM3600T2IRetrieval"], languages=["deu"]) == [xm3600]
    assert list(mteb.get_task("XM3600T2IRetrieval", hf_subsets=["fr"]).subsets) == ["fr"]
    with pytest.raises(SelectionError, match="subsets there"):
        mteb.get_task("XM3600T2IRetrieval", hf_subsets=["xx"])


def test_eval_splits_narrow_and_select():
    cifar = mteb.get_task("CIFAR10", eval_splits=["test"])
    assert cifar.eval_splits == ("test",)
    assert mteb.get_tasks(tasks=["CIFAR10"], eval_splits=["validation"]) == []
    with pytest.raises(ValueError, match="no eval split 'validation'"):
        mteb.get_task("CIFAR10", eval_splits=["validation"])


def test_modalities_filter_as_mteb():
    image_only = mteb.get_tasks(modalities=["image"], exclusive_modality_filter=True)
    assert image_only and all(t.modalities == ("image",) for t in image_only)
    any_image = mteb.get_tasks(modalities=["image"])  # mteb: tasks sharing any listed modality
    assert {t.name for t in image_only} < {t.name for t in any_image}
    assert any(set(t.modalities) == {"image", "text"} for t in any_image)
    assert not any(t.aggregate_of for t in mteb.get_tasks(exclude_aggregate=True))


def test_get_model_meta_takes_hub_revisions_only():
    meta = mteb.get_model_meta("openai/clip-vit-base-patch16")
    assert meta.revision and mteb.get_model_meta(meta.name, revision=meta.revision) == meta
    other = "0" * 40  # a commit is used as given (a branch is resolved to its commit: tests/models/test_hub_models.py)
    assert mteb.get_model_meta(meta.name, revision=other).revision == other
    with pytest.raises(ValueError, match="hub models only"):
        mteb.get_model_meta("mieb/offline-clip", revision="main")


def test_mteb_keywords_mieb_cannot_honour_are_refused():
    with pytest.raises(ValueError, match="only-missing, always"):
        mteb.evaluate("unused", [], overwrite_strategy="only-cache")
    with pytest.raises(ValueError, match="mieb takes batch_size"):
        mteb.MTEB(tasks=["CIFAR10"]).run("unused", encode_kwargs={"normalize": True})
    with pytest.raises(ValueError, match="local results folders"):
        mteb.load_results("https://github.com/embeddings-benchmark/results")


def test_mteb_takes_benchmarks_and_runs_each_task_once():
    evaluation = mteb.MTEB(tasks=mteb.get_benchmarks(["MIEB(lite)", "MIEB(Multilingual)"]))
    names = [t.name for t in evaluation.tasks]
    assert len(names) == len(set(names)) == 130
    assert names[:51] == [t.name for t in mteb.get_benchmark("MIEB(lite)").tasks]


@pytest.fixture(scope="module")
def offline_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from harness.offline import build_offline_datasets

    root = tmp_path_factory.mktemp("offline-datasets")
    build_offline_datasets(root, progress=False, scale=0.2, only=["shapes-winoground"])
    return root


@offline_assets
def test_the_three_steps_unchanged(offline_data, tmp_path, monkeypatch):
    """MIEB's documented usage, word for word, on the offline model and an offline task."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MIEB_DATASETS_DIR", str(offline_data))
    monkeypatch.setenv("MIEB_CACHE_DIR", str(tmp_path / "embeddings"))

    # 1. select tasks
    benchmarks = mteb.get_benchmarks("MIEB(Multilingual)")
    assert len(benchmarks[0].tasks) == 130
    tasks = mteb.get_tasks(tasks=RUN_TASKS)
    # 2. load a model
    model = mteb.get_model(model_name="mieb/offline-clip")
    # 3. run
    evaluation = mteb.MTEB(tasks=tasks)
    results = evaluation.run(model)

    assert [r.task_name for r in results] == RUN_TASKS
    folder = Path("results") / "mieb__offline-clip" / model.meta.revision
    expected = [*(f"{n}.json" for n in RUN_TASKS), *(f"{n}.predictions.npz" for n in RUN_TASKS), "model_meta.json"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)  # results, per-item outcomes, model record
    for result in results:
        on_disk = json.loads((folder / f"{result.task_name}.json").read_text())
        assert on_disk["task_name"] == result.task_name
        (entry,) = on_disk["scores"]["test"]
        assert entry["main_score"] == pytest.approx(result.scores["test"][0]["main_score"], abs=1e-6)
        assert 0.0 <= entry["main_score"] <= 1.0

    frame = mteb.load_results("results").to_dataframe()
    assert list(frame.columns) == ["task_name", "mieb/offline-clip"]
    by_task = dict(zip(frame["task_name"], frame["mieb/offline-clip"], strict=True))
    assert by_task == pytest.approx({r.task_name: r.main_score() for r in results}, abs=1e-6)
    long = mteb.load_results("results", tasks=["ShapesWinogroundOffline"]).to_dataframe("subset", format="long")
    assert long.to_dict("records") == [
        {
            "model_name": "mieb/offline-clip",
            "task_name": "ShapesWinogroundOffline",
            "split": "test",
            "subset": "default",
            "score": pytest.approx(by_task["ShapesWinogroundOffline"], abs=1e-6),
        }
    ]

    # a second run reuses the finished files (nothing recomputed, nothing rewritten)
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.glob("*Offline.json")}
    again = mteb.evaluate(model, tasks)
    assert again.model_name == "mieb/offline-clip" and [r.task_name for r in again.task_results] == RUN_TASKS
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*Offline.json")} == stamps


def _write_result(root: Path, model: str, revision: str, task: str, scores: dict) -> None:
    folder = root / model.replace("/", "__") / revision
    folder.mkdir(parents=True, exist_ok=True)
    data = {"dataset_revision": "r", "task_name": task, "mteb_version": "2.26.24", "scores": scores}
    (folder / f"{task}.json").write_text(json.dumps(data))


def _cell(subset: str, language: str, score: float) -> dict:
    return {"hf_subset": subset, "languages": [language], "main_score": score}


def test_load_results_aggregates_as_mteb_to_dataframe(tmp_path):
    scores = {
        "test": [_cell("a", "eng-Latn", 0.2), _cell("b", "deu-Latn", 0.6)],
        "validation": [_cell("a", "eng-Latn", 0.7)],
    }
    _write_result(tmp_path, "org/model", "1", "T", scores)
    results = mteb.load_results(tmp_path)

    def scores_of(level: str) -> dict:
        long = results.to_dataframe(level, format="long")
        keys = [c for c in long.columns if c not in ("model_name", "score")]
        return {tuple(row[k] for k in keys): row["score"] for row in long.to_dict("records")}

    assert scores_of("task") == pytest.approx({("T",): (0.2 + 0.6 + 0.7) / 3})
    assert scores_of("split") == pytest.approx({("T", "test"): 0.4, ("T", "validation"): 0.7})
    assert scores_of("subset") == pytest.approx(
        {("T", "test", "a"): 0.2, ("T", "test", "b"): 0.6, ("T", "validation", "a"): 0.7}
    )
    assert scores_of("language") == pytest.approx({("eng-Latn",): 0.45, ("deu-Latn",): 0.6})
    with pytest.raises(ValueError, match="aggregation_level"):
        results.to_dataframe("model")


def test_load_results_takes_the_pinned_revision_unless_revisions_are_asked_for(tmp_path):
    name = "openai/clip-vit-base-patch16"
    pinned = mteb.get_model_meta(name).revision
    _write_result(tmp_path, name, pinned, "T", {"test": [_cell("default", "eng-Latn", 0.9)]})
    _write_result(tmp_path, name, "other", "T", {"test": [_cell("default", "eng-Latn", 0.1)]})
    _write_result(tmp_path, "org/model", "1", "U", {"test": [_cell("default", "eng-Latn", 0.5)]})
    results = mteb.load_results(tmp_path)

    table = results.to_dataframe().set_index("task_name")
    assert sorted(table.columns) == sorted([name, "org/model"])
    assert table.loc["T", name] == 0.9 and table.loc["U", "org/model"] == 0.5
    assert math.isnan(table.loc["U", name]) and math.isnan(table.loc["T", "org/model"])
    both = results.to_dataframe(include_model_revision=True, format="long")
    assert sorted((r["model_revision"], r["score"]) for r in both.to_dict("records") if r["model_name"] == name) == [
        (pinned, 0.9),
        ("other", 0.1),
    ]
    assert [m.model_name for m in mteb.load_results(tmp_path, models=["org/model"])] == ["org/model"]


def test_run_with_raise_error_false_goes_on_after_a_failing_task(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MIEB_DATASETS_DIR", str(tmp_path / "no-datasets"))
    (tmp_path / "no-datasets").mkdir()
    model = mteb.get_model("tests.models.example_encoder:build")
    # a hub task (offline tasks are built locally when missing): its data is in no mirror and no hub
    evaluation = mteb.MTEB(tasks=mteb.get_tasks(tasks=["DTD"]))
    with caplog.at_level("ERROR", logger="mieb"):
        assert evaluation.run(model, verbosity=0, raise_error=False) == []
    assert "DTD failed: DatasetUnavailable" in caplog.text
    with pytest.raises(DatasetUnavailable, match="tanganke/dtd"):
        evaluation.run(model, verbosity=0)
