"""``mieb compare`` and the plots, on genuine published result files; the step summary markdown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.plugin.ci_surfaces import step_summary_markdown, write_step_summary

FIXTURES = Path(__file__).parent / "fixtures" / "published_results"
CLIP = FIXTURES / "openai__clip-vit-base-patch16"
SIGLIP = FIXTURES / "google__siglip-base-patch16-224"


def _compare_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["compare", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_same_results_under_a_new_name_pass(tmp_path: Path, capsys) -> None:
    renamed = tmp_path / "rc" / "org__rc" / "v2"
    shutil.copytree(next(CLIP.iterdir()), renamed)
    (renamed / "model_meta.json").write_text(json.dumps({"name": "org/rc", "revision": "v2"}))
    code, out = _compare_json(capsys, str(CLIP), str(tmp_path / "rc"), "-b", "MIEB(lite)")
    assert code == 0 and out["candidate_model"] == "org/rc" and not out["failed"]
    assert {t["status"] for t in out["tasks"]} == {"ok"} and len(out["tasks"]) == 5
    assert all(t["delta"] == 0 for t in out["tasks"])


def test_regressions_by_hand_and_per_type_deltas(capsys, tmp_path: Path) -> None:
    code, out = _compare_json(capsys, str(SIGLIP), str(CLIP), "-b", "MIEB(Img)")
    assert code == 1 and out["failed"]
    tasks = {t["task"]: t for t in out["tasks"]}
    # ImageNetDog15Clustering: clip 0.6325464207828516 vs siglip 0.7817710827980477 (files), tolerance 0.03.
    dog = tasks["ImageNetDog15Clustering"]
    assert dog["delta"] == round(0.6325464207828516 - 0.7817710827980477, 6)  # rounded as the files are
    assert dog["status"] == "regression" and dog["tolerance"] == 0.03
    assert tasks["STL10"]["status"] == "ok"  # +0.32 points; both files use the mteb 1.x protocol
    sts = out["task_types"]["VisualSTS(multi)"]
    assert sts["tasks"] == 2
    assert sts["delta"] == pytest.approx(
        (tasks["STS17MultilingualVisualSTS"]["delta"] + tasks["STSBenchmarkMultilingualVisualSTS"]["delta"]) / 2,
        abs=1e-6,  # each delta is rounded to 6 places, as the files are
    )
    plot = tmp_path / "deltas.png"
    pytest.importorskip("matplotlib", reason="matplotlib (a declared dependency) is not installed here")
    assert main(["compare", str(SIGLIP), str(CLIP), "--plot", str(plot)]) == 1
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_or_incomplete_candidate_fails_and_nothing_shared_is_an_error(tmp_path: Path, capsys) -> None:
    cand = tmp_path / "cand"
    shutil.copytree(CLIP, cand / CLIP.name)
    for path in cand.glob("*/*/FER2013ZeroShot.json"):
        path.unlink()
    sts = next(cand.glob("*/*/STS17MultilingualVisualSTS.json"))
    data = json.loads(sts.read_text())
    data["scores"]["test"] = data["scores"]["test"][1:]
    sts.write_text(json.dumps(data))
    code, out = _compare_json(capsys, str(CLIP), str(cand))
    tasks = {t["task"]: t["status"] for t in out["tasks"]}
    assert code == 1
    assert tasks["FER2013ZeroShot"] == "missing in candidate"
    assert tasks["STS17MultilingualVisualSTS"].startswith("incomplete in candidate (lacks test/")
    assert main(["compare", str(CLIP), str(FIXTURES)]) == 2
    assert "choose one with --candidate-model" in capsys.readouterr().err
    assert main(["compare", str(CLIP), str(CLIP), "-b", "MIEB(offline)"]) == 2
    assert "share no task of MIEB(offline)" in capsys.readouterr().err


def test_report_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (a declared dependency) is not installed here")
    plot = tmp_path / "types.png"
    assert main(["report", str(FIXTURES), "-b", "MIEB(lite)", "--plot", str(plot)]) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


ROWS = [
    {"model": "m", "task": "B", "type": "T", "main_score": 0.5, "expected": 0.6, "tolerance": 0.01},
    {"model": "m", "task": "A", "type": "T", "main_score": 0.7, "expected": None, "tolerance": None},
]


def test_step_summary_markdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        {**ROWS[0], "gate": "regression", "outcome": "failed", "reference": "B below reference"},
        {**ROWS[1], "gate": "not checked", "outcome": "passed"},
    ]
    text = step_summary_markdown(rows, exitstatus=1)
    assert text.startswith("## mieb: FAILED")
    assert "2 cases: 1 not checked, 1 regression." in text
    assert "- `m` B: B below reference" in text
    assert "| m | A | T | 70.00 |  |  | not checked |" in text
    assert "| m | B | T | 50.00 | 60.00 | 1.00 | **regression** |" in text
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert write_step_summary(rows, 1) is None
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    assert write_step_summary(rows, 1) == target
    assert target.read_text().startswith("earlier step\n## mieb: FAILED")  # appended, never overwritten
