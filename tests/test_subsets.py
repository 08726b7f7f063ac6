"""Subset selection (mteb's ``languages=`` / ``hf_subsets=``) and mteb-style repeated list options."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from harness import cli
from harness.catalogue.queries import get_task, get_tasks
from harness.catalogue.subsets import SelectionError, SubsetSelection

STS17 = "STS17MultilingualVisualSTS"
MTEB_PYTHON = os.environ.get("MIEB_MTEB_PYTHON")


@pytest.mark.parametrize(
    ("languages", "subsets", "expected"),
    [
        (["deu"], None, ["en-de"]),
        (["deu-Latn"], None, ["en-de"]),  # the script part is not compared, as in mteb
        (["kor", "ara"], None, ["ar-ar", "en-ar", "ko-ko"]),
        (None, ["en-de", "ko-ko"], ["en-de", "ko-ko"]),
        (["eng"], ["ko-ko", "fr-en"], ["fr-en"]),  # both filters: the subsets that pass both
        (["eng"], None, ["en-ar", "en-de", "en-en", "en-tr", "es-en", "fr-en", "it-en", "nl-en"]),
    ],
)
def test_language_and_subset_filters(languages, subsets, expected) -> None:
    selection = SubsetSelection.of(languages, subsets)
    assert list(selection.subsets_of(get_task(STS17))) == expected
    assert selection.is_partial(get_task(STS17))


def test_eng_and_eng_latn_select_the_same_subsets_everywhere() -> None:
    tasks = get_tasks(benchmarks=["MIEB(Multilingual)"])
    short, full = SubsetSelection.of(["eng"]), SubsetSelection.of(["eng-Latn"])
    assert [short.subsets_of(t) for t in tasks] == [full.subsets_of(t) for t in tasks]


def test_empty_selection_keeps_everything_and_monolingual_tasks_follow_their_language() -> None:
    assert not SubsetSelection.of()
    assert SubsetSelection.of().subsets_of(get_task(STS17)) == tuple(get_task(STS17).subsets)
    cifar = get_task("CIFAR10")
    assert SubsetSelection.of(["eng"]).subsets_of(cifar) == ("default",)
    assert SubsetSelection.of(["deu"]).subsets_of(cifar) == ()
    kept = SubsetSelection.of(["deu"]).select([cifar, get_task(STS17)])
    assert [t.name for t in kept] == [STS17]


def test_aggregate_task_is_kept_whole_never_as_a_partial_mean() -> None:
    aggregate = get_task("VisualSTS17Multilingual")
    selection = SubsetSelection.of(["deu"])
    assert selection.subsets_of(aggregate) == tuple(aggregate.subsets)
    assert not selection.is_partial(aggregate)
    assert SubsetSelection.of(["jpn"]).subsets_of(aggregate) == ()


@pytest.mark.parametrize(
    ("languages", "subsets", "message", "listed"),
    [
        (None, ["en-dee"], f"subset 'en-dee' is in none of the selected tasks ({STS17}); did you mean en-de", "en-en"),
        (["jpn"], None, "language 'jpn' is in none of the selected tasks", "kor-Hang"),
        (["kor"], ["en-de"], "together select no subset", "en-de (eng-Latn/deu-Latn)"),
    ],
)
def test_a_filter_that_selects_nothing_is_an_error_naming_what_exists(languages, subsets, message, listed) -> None:
    with pytest.raises(SelectionError) as err:
        SubsetSelection.of(languages, subsets).select([get_task(STS17)])
    assert message in str(err.value)
    assert listed in str(err.value)  # what exists is listed


def test_malformed_language_code_is_refused() -> None:
    with pytest.raises(SelectionError, match="'english' is not an ISO 639-3 code"):
        SubsetSelection.of(["english"])


MTEB_FILTER = """
import json, sys, mteb
out = {}
for languages in json.loads(sys.argv[1]):
    out[",".join(languages)] = mteb.get_task(sys.argv[2], languages=languages).hf_subsets
print(json.dumps(out))
"""


@pytest.mark.skipif(not MTEB_PYTHON, reason="set MIEB_MTEB_PYTHON to a python with mteb installed")
@pytest.mark.parametrize("task_name", [STS17, "STSBenchmarkMultilingualVisualSTS", "WITT2IRetrieval"])
def test_language_filter_equals_mteb_own_filter(task_name: str) -> None:
    cases = [["eng"], ["deu"], ["eng-Latn", "deu"], ["kor", "ara-Arab"], ["zho"], ["cmn"], ["spa", "fra", "ita"]]
    task = get_task(task_name)
    cases = [c for c in cases if SubsetSelection.of(c).subsets_of(task)]  # mteb raises on an empty result
    run = subprocess.run(
        [MTEB_PYTHON, "-c", MTEB_FILTER, json.dumps(cases), task_name],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    reference = json.loads(run.stdout.strip().splitlines()[-1])
    ours = {",".join(c): list(SubsetSelection.of(c).subsets_of(task)) for c in cases}
    assert ours == {k: sorted(v, key=list(task.subsets).index) for k, v in reference.items()}


MTEB_LANGUAGES = """
import json, sys, mteb
print(json.dumps({n: mteb.get_task(n).metadata.eval_langs for n in sys.argv[1:]}))
"""


@pytest.mark.skipif(not MTEB_PYTHON, reason="set MIEB_MTEB_PYTHON to a python with mteb installed")
def test_subset_languages_equal_mteb_eval_langs() -> None:
    # Aggregate tasks are left out: mteb lists the union of their raw task's languages under
    # "default"; here they are selected by the subsets they aggregate (harness.catalogue.subsets).
    tasks = [t for t in get_tasks(benchmarks=["MIEB(Multilingual)"]) if t.is_multilingual and not t.aggregate_of]
    run = subprocess.run(
        [MTEB_PYTHON, "-c", MTEB_LANGUAGES, *[t.name for t in tasks]],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    reference = json.loads(run.stdout.strip().splitlines()[-1])
    for task in tasks:
        assert {k: sorted(v) for k, v in task.subsets.items()} == {
            k: sorted(v) for k, v in reference[task.name].items()
        }, task.name


# --- mieb run: repeated list options ------------------------------------------------------------------


def _run_args(argv: list[str]) -> object:
    args, _ = cli._parser().parse_known_args(["run", *argv])
    return args


@pytest.mark.parametrize(
    ("argv", "field", "expected"),
    [
        (["-t", "A", "-t", "B"], "task", ["A", "B"]),
        (["-t", "A", "B", "-t", "C"], "task", ["A", "B", "C"]),
        (["-b", "MIEB(lite)", "-b", "MIEB(Img)"], "benchmark", ["MIEB(lite)", "MIEB(Img)"]),
        (["-m", "clip", "-m", "siglip", "dinov2"], "models", ["clip", "siglip", "dinov2"]),
        (["--task-types", "A", "--task-types", "B"], "task_type", ["A", "B"]),
        (["--languages", "eng", "--languages", "deu", "fra"], "languages", ["eng", "deu", "fra"]),
        (["--subsets", "en-de", "--subsets", "ko-ko"], "subsets", ["en-de", "ko-ko"]),
    ],
)
def test_repeated_list_options_keep_every_value(argv, field, expected) -> None:
    assert getattr(_run_args(argv), field) == expected


def test_mieb_run_passes_every_task_model_and_filter_to_pytest(monkeypatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(pytest, "main", lambda args: seen.append(list(args)) or 0)
    argv = ["run", "-m", "clip", "-m", "siglip", "-t", "STS17MultilingualVisualSTS", "-t", "CIFAR10", "STL10"]
    assert cli.main([*argv, "--languages", "deu", "--languages", "eng", "--subsets", "en-de", "default"]) == 0
    (args,) = seen
    pairs = [tuple(a.split("=", 1)) for a in args if a.startswith("--") and "=" in a]  # --flag=value
    assert [b for a, b in pairs if a == "--model"] == ["clip", "siglip"]
    assert [b for a, b in pairs if a == "--task"] == ["STS17MultilingualVisualSTS", "CIFAR10", "STL10"]
    assert [b for a, b in pairs if a == "--languages"] == ["deu", "eng"]
    assert [b for a, b in pairs if a == "--subsets"] == ["en-de", "default"]


def test_mieb_run_refuses_a_subset_no_task_has(capsys) -> None:
    assert cli.main(["run", "-m", "clip", "-t", STS17, "--subsets", "en-dee"]) == 2
    assert "did you mean en-de" in capsys.readouterr().err


# --- pytest: collection honours the selection -----------------------------------------------------------


def test_collection_keeps_tasks_with_a_selected_subset(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--co", "-q", "--model", "clip", "-m", "visual_sts", "--languages", "deu")
    # STS17/STS-b raw tasks and their two multilingual aggregates carry German; the eng-only ones do not.
    result.stdout.fnmatch_lines(["*4/* tests collected*"])
    for name in [STS17, "STSBenchmarkMultilingualVisualSTS", "VisualSTS17Multilingual", "VisualSTS-b-Multilingual"]:
        assert name in result.stdout.str()


def test_collection_refuses_unknown_subset_with_close_matches(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--co", "--model", "clip", "--task", STS17, "--subsets", "en-dee")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*subset 'en-dee' is in none of the selected tasks*did you mean en-de*"])
