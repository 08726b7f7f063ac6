"""What a person sees of a run: task lines with an ETA, phase timings in results, a run that skipped
everything failing, node ids that paste back, no per-case junit warning, plugins unregistered."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness import cli
from harness.plugin.hooks import CASES_MODULE

PIXELS = """
import numpy as np
from mieb_models.base import ModelMeta


class PixelEncoder:
    meta = ModelMeta(name="test/pixels", revision="1", framework="custom", architecture="pixels",
                     modalities=("image",))

    def encode_images(self, images):
        return np.stack([np.asarray(i.resize((4, 4)), dtype=np.float32).reshape(-1) / 255 for i in images])


def pixels():
    return PixelEncoder()
"""


def test_task_lines_eta_phase_seconds_and_xunit2_without_warnings(
    pytester: pytest.Pytester, cifar_mirror: Path, tmp_path: Path
) -> None:
    pytester.makepyfile(pixel_models=PIXELS)
    common = [
        "--model=pixel_models:pixels",
        f"--datasets-dir={cifar_mirror}",
        f"--cache-dir={tmp_path / 'cache'}",
        f"--results-dir={tmp_path / 'results'}",
        "--task=CIFAR10",
        "--task=CIFAR10Clustering",
        "--progress=lines",
        "-p",
        "no:cacheprovider",
    ]
    junit = tmp_path / "junit.xml"
    first = pytester.runpytest_subprocess(*common, f"--junitxml={junit}", "-o", "junit_family=xunit2")
    first.assert_outcomes(passed=2)
    out = first.stdout.str()
    first.stdout.fnmatch_lines(
        [
            "mieb [[]1/2] start pixel_models:pixels CIFAR10",
            "mieb [[]1/2] test/pixels CIFAR10: computed * items in *s, * items/s encoded (*)*session ETA*(1 left)",
            "mieb [[]2/2] start pixel_models:pixels CIFAR10Clustering",
            "mieb [[]2/2] test/pixels CIFAR10Clustering: computed * items in *",
        ]
    )
    assert "incompatible with junit_family" not in out  # once per case before
    assert '<property name="gate"' in junit.read_text()
    stored = json.loads(next((tmp_path / "results").glob("*/*/CIFAR10.json")).read_text())
    phases = stored["mieb_phase_seconds"]
    assert set(phases) == {"load", "encode", "evaluate"} and phases["encode"] > 0 and phases["evaluate"] > 0

    again = pytester.runpytest_subprocess(*common)
    again.assert_outcomes(passed=2)
    again.stdout.fnmatch_lines(["mieb [[]1/2] test/pixels CIFAR10: reused (*CIFAR10.json)*"])

    quiet = pytester.runpytest_subprocess(*common[:-3], "--progress=off", "-p", "no:cacheprovider")
    assert "mieb [" not in quiet.stdout.str()


def test_task_lines_under_xdist(pytester: pytest.Pytester, cifar_mirror: Path, tmp_path: Path) -> None:
    pytester.makepyfile(pixel_models=PIXELS)
    result = pytester.runpytest_subprocess(
        "--model=pixel_models:pixels",
        f"--datasets-dir={cifar_mirror}",
        f"--cache-dir={tmp_path / 'cache'}",
        f"--results-dir={tmp_path / 'results'}",
        "--task=CIFAR10",
        "--task=CIFAR10Clustering",
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    assert out.count("] start pixel_models:pixels CIFAR10") == 2
    assert "/2] test/pixels CIFAR10Clustering: computed" in out and "/2] test/pixels CIFAR10: computed" in out


def test_a_run_whose_every_case_is_skipped_fails_unless_asked(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(pixel_models=PIXELS)
    args = [
        "--model=pixel_models:pixels",
        "--task=CIFAR10ZeroShot",
        f"--results-dir={tmp_path}",
        "-p",
        "no:cacheprovider",
    ]
    skipped = pytester.runpytest_subprocess(*args)
    skipped.assert_outcomes(skipped=1)
    assert skipped.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # 0 before: a run that checked nothing passed
    skipped.stdout.fnmatch_lines(["mieb: every selected case was skipped (1)*--allow-all-skipped*"])
    assert pytester.runpytest_subprocess(*args, "--allow-all-skipped").ret == pytest.ExitCode.OK


def test_a_printed_node_id_pastes_back(pytester: pytest.Pytester) -> None:
    """The id pytest prints for a case (relative to the package's folder) collects that case from anywhere."""
    pasted = "harness/plugin/cases.py::test_task[clip-CIFAR10]"
    assert not Path(pasted.split("::")[0]).exists()  # pytester runs in an empty folder
    result = pytester.runpytest("--model", "clip", "--co", "-q", pasted)
    result.stdout.fnmatch_lines(["*::test_task[[]clip-CIFAR10[]]", "1 test collected*"])


def test_a_bare_printed_node_id_pastes_back(pytester: pytest.Pytester) -> None:
    """Plain pytest run outside the package's folder prints ``::test_task[...]``; pasted, it selects that case."""
    result = pytester.runpytest("--model", "clip", "--co", "-q", "::test_task[clip-CIFAR10]")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()  # was "directory argument cannot contain ::"
    result.stdout.fnmatch_lines(["*::test_task[[]clip-CIFAR10[]]", "1 test collected*"])


def test_mieb_run_keeps_the_cache_plugin_and_prints_package_relative_ids(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    parser = cli._parser()
    args, rest = parser.parse_known_args(["run", "-m", "clip", "-t", "CIFAR10", "--", "--lf"])
    words = cli.run_words(args, rest)
    assert "no:cacheprovider" not in words and words[-1] == "--lf"  # -p no:cacheprovider refused --lf before
    assert f"cache_dir={tmp_path / '.pytest_cache'}" in words
    assert f"--rootdir={CASES_MODULE.parents[2]}" in words  # ids read harness/plugin/cases.py::...
    args, rest = parser.parse_known_args(["run", "-m", "clip", "--", "harness/plugin/cases.py::test_task[clip-DTD]"])
    words = cli.run_words(args, rest)
    assert str(CASES_MODULE) not in words and "--benchmark=MIEB(offline)" not in words  # only the pasted case


def test_the_results_collector_is_unregistered_at_unconfigure(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfigure("--model", "clip", "--progress=lines")
    assert config.pluginmanager.get_plugin("mieb-results") is not None
    config._ensure_unconfigure()
    assert config.pluginmanager.get_plugin("mieb-results") is None
    assert config.pluginmanager.get_plugin("mieb-progress") is None


def test_encode_bars_go_to_the_stream_given_and_none_without_a_terminal(tmp_path: Path) -> None:
    import io

    import numpy as np

    from harness.plugin.progress import terminal_stream
    from harness.runner import build_engine
    from mieb_models.base import ModelMeta

    class Texts:
        meta = ModelMeta(name="t/x", revision="1", framework="custom", architecture="x", modalities=("text",))

        def encode_texts(self, texts):
            return np.ones((len(texts), 3), dtype=np.float32)

    stream = io.StringIO()
    engine = build_engine(Texts(), cache_dir=tmp_path, progress=True, progress_file=stream, batch_size=2)
    engine.texts(["a", "b", "c"])
    assert "encode text" in stream.getvalue()  # not pytest's captured stderr
    if not os.isatty(2):  # under the test run's capture (or in CI) stderr is no terminal: no bars
        assert terminal_stream() is None
