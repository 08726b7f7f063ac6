"""The pytest plugin end to end: collection, results files, reuse, xdist, failures and skips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FAKE_MODELS = '''
import numpy as np
from mieb_models.base import ModelMeta


class PixelEncoder:
    """Image-only: mean colour and a coarse histogram (no text tower)."""

    meta = ModelMeta(name="test/pixels", revision="1", framework="custom", architecture="pixels",
                     modalities=("image",))

    def encode_images(self, images):
        rows = []
        for image in images:
            a = np.asarray(image.resize((8, 8)), dtype=np.float32) / 255.0
            rows.append(a.reshape(-1))
        return np.stack(rows)


class NaNEncoder:
    meta = ModelMeta(name="test/nan", revision="1", framework="custom", architecture="nan",
                     modalities=("image", "text"))

    def encode_images(self, images):
        return np.full((len(images), 4), np.nan, dtype=np.float32)

    def encode_texts(self, texts):
        return np.full((len(texts), 4), np.nan, dtype=np.float32)


def pixels():
    return PixelEncoder()


def nan_model():
    return NaNEncoder()
'''

TRIO = ["--task", "CIFAR10ZeroShot", "--task", "CIFAR10", "--task", "CIFAR10Clustering"]


def _scores(folder: Path) -> dict:
    out = {}
    for path in sorted(folder.glob("*/*/*.json")):
        if path.name != "model_meta.json":
            data = json.loads(path.read_text())
            out[data["task_name"]] = data["scores"]
    return out


@pytest.mark.parametrize(
    ("expression", "count"),
    [
        ("lite", 51),
        ("zeroshot or linear_probe or clustering", 50),
        ("lite and (zeroshot or linear_probe or clustering)", 17),
        ("retrieval or document", 58),
        ("lite and (retrieval or document)", 19),
        ("multilingual", 130),
        ("eng", 125),
        ("img", 49),
    ],
)
def test_collection_counts(pytester: pytest.Pytester, expression: str, count: int) -> None:
    result = pytester.runpytest("--co", "-q", "--model", "clip", "-m", expression)
    result.stdout.fnmatch_lines([f"{count}/* tests collected*"])


def test_without_model_no_benchmark_case_is_collected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_own="def test_ok():\n    assert True\n")
    result = pytester.runpytest("-m", "lite")
    result.stdout.fnmatch_lines(["mieb: benchmark cases not collected; choose a model with --model*"])
    assert "test_task" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--model", "clipp"], "*Unknown model 'clipp'. Did you mean: clip*"),
        (["--model", "clip", "-m", "litee"], "*Unknown marker 'litee'. Did you mean: lite*"),
        (["--model", "clip", "-k", "CIFAR10ZeroShoot"], "*did you mean CIFAR10ZeroShot*"),
        (
            ["--model", "clip", "--task", "CIFAR10ZeroShoot"],
            "*Unknown task 'CIFAR10ZeroShoot'. Did you mean: CIFAR10ZeroShot*",
        ),
        (["--model", "clip", "--benchmark", "MIEB(Lite)"], "*Did you mean: MIEB(lite)*"),
    ],
)
def test_unknown_names_list_close_matches(pytester: pytest.Pytester, args: list[str], expected: str) -> None:
    result = pytester.runpytest("--co", *args)
    assert result.ret != 0
    result.stderr.fnmatch_lines([expected])


def test_cifar_trio_writes_results_encodes_once_and_resumes(
    pytester: pytest.Pytester, tiny_clip_dir: Path, cifar_mirror: Path, tmp_path: Path
) -> None:
    common = [
        "--model",
        str(tiny_clip_dir),
        "--datasets-dir",
        str(cifar_mirror),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--results-dir",
        str(tmp_path / "results"),
        *TRIO,
        "-p",
        "no:cacheprovider",
        "--no-progress",
        "-o",
        "log_cli=true",
        "--log-cli-level=INFO",
    ]
    first = pytester.runpytest_subprocess(*common)
    first.assert_outcomes(passed=3)
    out = first.stdout.str()
    assert out.count("encoded: CIFAR10") == 3  # test images once, train sample once, prompts once
    assert out.count("images (120 images)") + out.count("test images") >= 1
    results = _scores(tmp_path / "results")
    assert set(results) == {"CIFAR10ZeroShot", "CIFAR10", "CIFAR10Clustering"}
    folder = next((tmp_path / "results").glob("local__*/*"))
    assert (folder / "model_meta.json").is_file()
    assert results["CIFAR10"]["test"][0]["hf_subset"] == "default"
    assert "scores_per_experiment" in results["CIFAR10"]["test"][0]

    second = pytester.runpytest_subprocess(*common)
    second.assert_outcomes(passed=3)
    assert "encoded:" not in second.stdout.str()
    assert second.stdout.str().count("reused") == 3
    assert _scores(tmp_path / "results") == results

    # -n 2 from a cold cache gives the same scores as the single-process run.
    parallel = pytester.runpytest_subprocess(
        "--model",
        str(tiny_clip_dir),
        "--datasets-dir",
        str(cifar_mirror),
        "--cache-dir",
        str(tmp_path / "cache2"),
        "--results-dir",
        str(tmp_path / "results-n2"),
        *TRIO,
        "-p",
        "no:cacheprovider",
        "--no-progress",
        "-n",
        "2",
    )
    parallel.assert_outcomes(passed=3)
    assert _scores(tmp_path / "results-n2") == results
    parallel.stdout.fnmatch_lines(["*mieb results*", "*CIFAR10Clustering*"])


def test_failing_model_fails_its_cases_and_image_only_model_skips_text_tasks(
    pytester: pytest.Pytester, cifar_mirror: Path, tmp_path: Path
) -> None:
    pytester.makepyfile(fake_models=FAKE_MODELS)
    result = pytester.runpytest_subprocess(
        "--model",
        "fake_models:pixels",
        "--model",
        "fake_models:nan_model",
        "--datasets-dir",
        str(cifar_mirror),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--results-dir",
        str(tmp_path / "results"),
        *TRIO,
        "-p",
        "no:cacheprovider",
        "--no-progress",
        "-rs",
    )
    result.assert_outcomes(passed=2, failed=3, skipped=1)
    result.stdout.fnmatch_lines(["*test/nan returned NaN or infinite embeddings*"])
    result.stdout.fnmatch_lines(["*SKIPPED*test/pixels has no text encoder; CIFAR10ZeroShot needs image, text*"])


def test_unreachable_dataset_names_path_revision_and_remedy(
    pytester: pytest.Pytester, tiny_clip_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()  # a mirror without the dataset (a missing folder is a usage error)
    result = pytester.runpytest_subprocess(
        "--model",
        str(tiny_clip_dir),
        "--datasets-dir",
        str(tmp_path / "empty"),
        "--task",
        "DTD",
        "--results-dir",
        str(tmp_path / "results"),
        "--cache-dir",
        str(tmp_path / "cache"),
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Dataset tanganke/dtd at revision d2afa97d*--datasets-dir*"])
