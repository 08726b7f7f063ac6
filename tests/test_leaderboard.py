"""``mieb report``: the leaderboard of published MIEB result files, untouched and edited.

The fixtures under ``tests/fixtures/published_results`` are genuine files of the public results
repository (embeddings-benchmark/results @ f4cc6c8b365a): three models written by mteb 1.14.15
(no ``date``; voyage-multimodal-3's VidoreDocVQARetrieval by mteb 2.1.0) and BidirLM written by
mteb 2.12 (epoch-float ``date``). The edits below are the traps of real folders: an extra split,
a bogus subset, a missing language, a missing split, a second revision with a newer date in this
project's format (ISO ``date``).

The always-on tests check hand-worked values read off the files. With ``MIEB_MTEB_PYTHON`` set
to a python with mteb 2.26.24, the same folders go through mteb's own leaderboard code
(``tests/support/mteb_leaderboard.py``) and every number must agree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.cli import main
from harness.results.task_result import TaskResult, write_result

FIXTURES = Path(__file__).parent / "fixtures" / "published_results"
CLIP = "openai__clip-vit-base-patch16/57c216476eefef5ab752ec549e440a49ae4ae5f3"
SIGLIP = "google__siglip-base-patch16-224/7fd15f0689c79d79e38b1c2e2e2370a7bf2761ed"
MTEB_PYTHON = os.environ.get("MIEB_MTEB_PYTHON")
MTEB_SCRIPT = Path(__file__).parent / "support" / "mteb_leaderboard.py"

# Main scores read off the fixture files (hf_subset "default", split "test").
CLIP_FER = 0.4354973530231262
CLIP_ARO = 0.48180729150772095
CLIP_DOG = 0.6325464207828516
CLIP_VIDORE = 0.14602
CLIP_VSTS_B = 0.262778


def _report_json(capsys, *args: str) -> dict:
    """The JSON report, with means over incomplete sets (these folders hold a few tasks of each benchmark)."""
    assert main(["report", *args, "--format", "json", "--partial-means"]) == 0
    return json.loads(capsys.readouterr().out)


def _rows(report: dict) -> dict[str, dict]:
    return {m["model"]: m for m in report["models"]}


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """A copy of the published folder with the traps of real results folders."""
    root = tmp_path / "results"
    shutil.copytree(FIXTURES, root)

    def extra_train_split(data):  # a split the task does not evaluate on
        data["scores"]["train"] = [{**data["scores"]["test"][0], "main_score": 0.99}]

    def bogus_subset(data):  # a subset the task does not have
        data["scores"]["test"].append({"hf_subset": "xx", "languages": ["xxx-Latn"], "main_score": 0.01})

    def missing_language(data):  # clip ran STS-b without German on test
        data["scores"]["test"] = [e for e in data["scores"]["test"] if e["hf_subset"] != "de"]

    def missing_split(data):  # siglip's STS-b has no dev split
        del data["scores"]["dev"]

    _edit(root / CLIP / "FER2013ZeroShot.json", extra_train_split)
    _edit(root / SIGLIP / "FER2013ZeroShot.json", bogus_subset)
    _edit(root / CLIP / "STSBenchmarkMultilingualVisualSTS.json", missing_language)
    _edit(root / SIGLIP / "STSBenchmarkMultilingualVisualSTS.json", missing_split)
    # A newer revision of clip in this project's format (ISO date, mteb_version 2.26.24) with
    # far better scores: the pinned revision still wins, as on mteb's leaderboard.
    newer = root / "openai__clip-vit-base-patch16" / "retrained"
    newer.mkdir()
    (newer / "model_meta.json").write_text(
        json.dumps({"name": "openai/clip-vit-base-patch16", "revision": "retrained"})
    )
    for task in ("FER2013ZeroShot", "AROCocoOrder"):
        entry = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": 0.999, "accuracy": 0.999}
        write_result(newer / f"{task}.json", TaskResult(task, "x", {"test": [entry]}, 1.0, "2030-01-01T00:00:00+00:00"))
    return root


def test_untouched_published_files_by_hand(capsys) -> None:
    report = _report_json(capsys, str(FIXTURES), "-b", "MIEB(lite)")
    assert report["benchmark"] == "MIEB(lite)"
    clip = _rows(report)["openai/clip-vit-base-patch16"]
    assert clip["revision"] == "57c216476eefef5ab752ec549e440a49ae4ae5f3"
    assert clip["tasks"] == {
        "FER2013ZeroShot": CLIP_FER,
        "ImageNetDog15Clustering": CLIP_DOG,
        "VidoreDocVQARetrieval": CLIP_VIDORE,
        "VisualSTS-b-Multilingual": CLIP_VSTS_B,
        "AROCocoOrder": CLIP_ARO,
    }
    # One task per type here, so Mean(TaskType) = Mean(Task) = the plain mean of the five.
    expected = (CLIP_FER + CLIP_DOG + CLIP_VIDORE + CLIP_VSTS_B + CLIP_ARO) / 5
    assert clip["mean_task_type"] == pytest.approx(expected, abs=1e-15)
    assert clip["mean_task"] == pytest.approx(expected, abs=1e-15)
    assert clip["task_types"]["ZeroShotClassification"] == CLIP_FER
    # Borda over 4 models: clip is last or tied-last on 4 tasks and third on AROCocoOrder.
    ranks = {m["model"]: m["borda_rank"] for m in report["models"]}
    assert ranks == {
        "voyageai/voyage-multimodal-3": 1,
        "BidirLM/BidirLM-Omni-2.5B-Embedding": 2,
        "google/siglip-base-patch16-224": 3,
        "openai/clip-vit-base-patch16": 4,
    }
    assert report["models"][0]["model"] == "voyageai/voyage-multimodal-3"  # by Mean(TaskType)


def test_edited_files_filter_splits_and_subsets_and_keep_missing_missing(capsys, edited: Path) -> None:
    lite = _rows(_report_json(capsys, str(edited), "-b", "MIEB(lite)"))
    clip, siglip = lite["openai/clip-vit-base-patch16"], lite["google/siglip-base-patch16-224"]
    # The extra train split (0.99) and the newer revision (0.999) are not counted.
    assert clip["tasks"]["FER2013ZeroShot"] == CLIP_FER
    assert clip["tasks"]["AROCocoOrder"] == CLIP_ARO
    assert clip["revision"] == "57c216476eefef5ab752ec549e440a49ae4ae5f3"
    # The bogus subset (0.01) is not counted either.
    siglip_fer = json.loads((FIXTURES / SIGLIP / "FER2013ZeroShot.json").read_text())["scores"]["test"][0]
    assert siglip["tasks"]["FER2013ZeroShot"] == siglip_fer["main_score"]

    img = _rows(_report_json(capsys, str(edited), "-b", "MIEB(Img)"))
    # A missing language or split makes the task missing (other models have every cell), so its
    # type and Mean(TaskType) are missing too; the other types are still reported.
    for model in ("openai/clip-vit-base-patch16", "google/siglip-base-patch16-224"):
        row = img[model]
        assert row["tasks"]["STSBenchmarkMultilingualVisualSTS"] is None
        assert row["task_types"]["VisualSTS(multi)"] is None
        assert row["mean_task_type"] is None and row["mean_task"] is None
        assert row["task_types"]["ImageClustering"] is not None
    # A genuine case: BidirLM's published STS-b file (mteb 2.12) has no "en" subset, which the
    # other models have, so the task is missing for it rather than the mean of 9 languages.
    bidir = img["BidirLM/BidirLM-Omni-2.5B-Embedding"]
    assert bidir["tasks"]["STSBenchmarkMultilingualVisualSTS"] is None
    # BidirLM has no STL10 result: its ImageClassification type is missing.
    assert bidir["tasks"]["STL10"] is None and bidir["task_types"]["ImageClassification"] is None


def test_explicit_revision_and_mixed_date_types(capsys, edited: Path) -> None:
    report = _rows(
        _report_json(capsys, str(edited), "-b", "MIEB(lite)", "--revision", "openai/clip-vit-base-patch16=retrained")
    )
    clip = report["openai/clip-vit-base-patch16"]
    assert clip["revision"] == "retrained"
    assert clip["tasks"]["FER2013ZeroShot"] == 0.999
    assert clip["tasks"]["ImageNetDog15Clustering"] is None  # that revision never ran it
    assert clip["mean_task_type"] is None


def test_unresolvable_revisions_are_an_error_naming_the_remedy(tmp_path: Path, capsys) -> None:
    for revision in ("a", "b"):
        entry = {"hf_subset": "default", "languages": ["eng-Latn"], "main_score": 0.5}
        write_result(
            tmp_path / "org__m" / revision / "FER2013ZeroShot.json",
            TaskResult("FER2013ZeroShot", "x", {"test": [entry]}, 1.0),
        )
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "org/m" in err and "revisions a, b" in err and "--revision org/m=REVISION" in err
    assert main(["report", str(tmp_path), "--revision", "org/m=b", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("model,revision,found,total,borda_rank,mean_task_type")
    assert lines[1].startswith("org/m,b,1,1,1,0.5")


def test_empty_missing_or_foreign_folder_is_an_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "no result files" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "no such results folder" in capsys.readouterr().err
    assert main(["report", str(FIXTURES), "-b", "MIEB(offline)"]) == 2
    assert "no results for any task of MIEB(offline)" in capsys.readouterr().err


def _markdown_row(capsys, *args: str) -> tuple[dict[str, str], list[str]]:
    assert main(["report", str(FIXTURES / CLIP.split("/")[0]), "-b", "MIEB(lite)", "--markdown", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return dict(zip(header, [c.strip() for c in lines[2].strip("|").split("|")], strict=True)), lines


def test_model_folder_and_markdown(capsys) -> None:
    row, _ = _markdown_row(capsys, "--partial-means")
    assert row["model"] == "openai/clip-vit-base-patch16" and row["ZeroShotClassification"] == "43.55*"


def test_coverage_is_found_of_the_benchmark_and_no_mean_over_an_incomplete_set(capsys) -> None:
    """5 of MIEB(lite)'s 51 tasks read "5/5" with a full-benchmark-looking mean before."""
    row, lines = _markdown_row(capsys)
    assert row["tasks"] == "5/51"
    assert row["Mean(TaskType)"] == row["Mean(Task)"] == row["ZeroShotClassification"] == "-"
    assert "Means over an incomplete set are not shown (openai/clip-vit-base-patch16 has 5 of 51" in lines[-1]
    partial, lines = _markdown_row(capsys, "--partial-means")
    expected = (CLIP_FER + CLIP_DOG + CLIP_VIDORE + CLIP_VSTS_B + CLIP_ARO) / 5
    assert partial["Mean(TaskType)"] == f"{100 * expected:.2f}*" and "* a mean over the tasks found only" in lines[-1]


def test_json_report_leaves_out_incomplete_means_unless_asked(capsys) -> None:
    assert main(["report", str(FIXTURES / CLIP.split("/")[0]), "-b", "MIEB(lite)", "--format", "json"]) == 0
    (clip,) = json.loads(capsys.readouterr().out)["models"]
    assert (clip["found"], clip["complete"], clip["mean_task_type"], clip["mean_task"]) == (5, False, None, None)
    assert clip["tasks"]["FER2013ZeroShot"] == CLIP_FER  # task scores are always there


def _mteb_tables(benchmark: str, root: Path) -> dict:
    done = subprocess.run(
        [MTEB_PYTHON, str(MTEB_SCRIPT), benchmark, str(root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root.parent,  # nothing of this repository shadows mteb's imports
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same(got, expected) -> bool:
    """Equal up to float summation order (1e-12 relative); None (missing) only equals None."""
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(_same(got[k], v) for k, v in expected.items())
        )
    if expected is None or got is None:
        return got is expected
    if not isinstance(expected, float):
        return got == expected
    return got == pytest.approx(expected, rel=1e-12, abs=0)


def _assert_equal_tables(ours: dict, theirs: dict) -> None:
    rows = _rows(ours)
    # mteb's summary lists only models in mteb's registry; its per-task table lists every model.
    assert set(theirs["per_task"]) == set(rows)
    for model, tasks in theirs["per_task"].items():
        assert _same(rows[model]["tasks"], tasks), (model, rows[model]["tasks"], tasks)
    assert theirs["models"], "mteb's summary is empty"
    for expected in theirs["models"]:
        got = rows[expected["model"]]
        for key in ("revision", "borda_rank", "mean_task_type", "mean_task", "task_types"):
            assert _same(got[key], expected[key]), (expected["model"], key, got[key], expected[key])
    # Rows are sorted by Mean(TaskType); the order of missing ones is arbitrary in mteb (polars sort).
    ranked = [m["model"] for m in theirs["models"] if m["mean_task_type"] is not None]
    assert [m["model"] for m in ours["models"] if m["model"] in set(ranked)] == ranked


@pytest.mark.skipif(not MTEB_PYTHON, reason="set MIEB_MTEB_PYTHON to a python with mteb 2.26.24 installed")
@pytest.mark.parametrize("bench", ["MIEB(lite)", "MIEB(Img)"])
@pytest.mark.parametrize("folder", ["published", "edited"])
def test_report_json_equals_mteb_leaderboard(capsys, edited: Path, bench: str, folder: str) -> None:
    root = FIXTURES if folder == "published" else edited
    _assert_equal_tables(_report_json(capsys, str(root), "-b", bench), _mteb_tables(bench, root))
