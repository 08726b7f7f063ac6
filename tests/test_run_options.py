"""The run options' one table reaches every door: pytest, `mieb run` (help, parser, the pytest words it
passes on), ``Settings`` and Ray's ``JobSettings``; bad values are one usage error before any case runs."""

from __future__ import annotations

import argparse
import pickle
import re
from dataclasses import fields
from pathlib import Path

import pytest
import torch  # before any in-process pytester run: --device imports it, and pytester unloads what a run imports

from harness import cli
from harness.distributed.ray_cases import job_settings
from harness.distributed.worker import JobSettings
from harness.run_options import OPTIONS, Settings, pytest_arguments, settings_of


@pytest.fixture(scope="module")
def run_help() -> str:
    return " ".join(_run_parser().format_help().split())


def _run_parser() -> argparse.ArgumentParser:
    commands = next(a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["run"]


def test_the_table_is_consistent() -> None:
    names = [row.name for row in OPTIONS]
    assert len(names) == len(set(names)), "one row per option"
    for row in OPTIONS:
        assert row.help.strip() and row.example, f"{row.name}: every option has a help text and an example"
        assert row.example[0].startswith(row.flag) or row.example[0] in row.switches, row.name


@pytest.mark.parametrize("row", OPTIONS, ids=lambda row: row.name)
def test_every_option_reaches_every_door(row, pytester: pytest.Pytester, run_help: str, tmp_path: Path) -> None:
    # pytest: the example gives the option a value other than its default
    direct = settings_of(pytester.parseconfig(*row.example).option)
    value = getattr(direct, row.name)
    assert value != getattr(Settings(), row.name)

    # mieb run: its --help lists the option with its text, its parser takes the same words, and the
    # pytest words it passes on make the same Settings
    assert row.flag in run_help and " ".join(row.help.split())[:40] in run_help
    args, rest = _run_parser().parse_known_args(list(row.example))
    assert rest == []
    passed_on = settings_of(pytester.parseconfig(*pytest_arguments(args)).option)
    assert passed_on == direct

    # Ray: a travelling option reaches the worker's settings (folders made absolute); the others stay
    job = job_settings("clip", direct)
    if row.travels:
        expected = str(Path(value).resolve()) if row.path else value
        assert getattr(job, row.name) == expected
    else:
        assert row.name not in {f.name for f in fields(JobSettings)}


def test_job_settings_are_the_model_and_the_travelling_options_and_pickle() -> None:
    assert [f.name for f in fields(JobSettings)] == ["model"] + [row.name for row in OPTIONS if row.travels]
    job = JobSettings("clip", batch_size=7, languages=("deu",))
    assert pickle.loads(pickle.dumps(job)) == job  # Ray sends it to the workers


def test_mieb_run_help_gives_every_option_a_text() -> None:
    silent = [a.option_strings for a in _run_parser()._actions if a.option_strings and not (a.help or "").strip()]
    assert silent == []


def test_mieb_run_passes_on_only_what_was_given() -> None:
    args, _ = _run_parser().parse_known_args(["-m", "clip", "siglip", "-t", "CIFAR10", "--batch-size", "8"])
    assert pytest_arguments(args) == ["--model=clip", "--model=siglip", "--task=CIFAR10", "--batch-size=8"]


# --- Options validated up front (each value below used to be accepted and failed per case, or worse:
# --tolerance nan let a drop from 90 to 2.6 pass the gate). ---

BAD_VALUES = [
    (["--batch-size", "0"], "--batch-size: '0' is not a whole number >= 1"),
    (["--batch-size", "-1"], "--batch-size: '-1' is not a whole number >= 1"),
    (["--num-workers", "-1"], "--num-workers: '-1' is not a whole number >= 0"),
    (["--tolerance", "nan"], "--tolerance: 'nan' is not a finite number >= 0"),
    (["--tolerance", "inf"], "--tolerance: 'inf' is not a finite number >= 0"),
    (["--tolerance", "-0.01"], "--tolerance: '-0.01' is not a finite number >= 0"),
    (["--batch-timeout", "0"], "--batch-timeout: '0' is not a finite number of seconds > 0"),
    (["--batch-timeout", "nan"], "--batch-timeout: 'nan' is not a finite number of seconds > 0"),
    (["--device", "bogus"], "--device: 'bogus' is not a torch device"),
    (["--ray-cpus", "0"], "--ray-cpus: '0' is not a whole number >= 1"),
]


@pytest.mark.parametrize(("words", "message"), BAD_VALUES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_a_bad_value_is_one_usage_error_before_any_case(
    words: list[str], message: str, pytester: pytest.Pytester, tmp_path: Path, capsys
) -> None:
    results = tmp_path / "results"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "-t", "CIFAR10", "--results-dir", str(results), *words])
    assert exit_.value.code == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert not results.exists()  # nothing ran

    result = pytester.runpytest("--model", "clip", "--task", "CIFAR10", "--co", *words)  # plain pytest
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in " ".join(result.stderr.str().split())


def test_cuda_is_refused_where_there_is_none(capsys) -> None:
    if torch.cuda.is_available():
        word, expected = f"cuda:{torch.cuda.device_count()}", "CUDA device(s)"
    else:
        word, expected = "cuda", "this machine has no CUDA device"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "-t", "CIFAR10", "--device", word])
    assert exit_.value.code == 2
    assert expected in capsys.readouterr().err


def test_an_environment_default_is_checked_too(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("MIEB_DATASET_SOURCE", "mteb2")
    assert pytester.parseconfig().option.dataset_source == "mteb2"
    monkeypatch.setenv("MIEB_VERIFY_DATA", "0")
    assert settings_of(pytester.parseconfig().option).verify_data is False
    monkeypatch.setenv("MIEB_PROGRESS", "off")
    assert settings_of(pytester.parseconfig().option).progress == "off"


def test_no_progress_is_progress_off(pytester: pytest.Pytester) -> None:
    assert settings_of(pytester.parseconfig("--no-progress").option).progress == "off"
    args, _ = _run_parser().parse_known_args(["--no-progress"])
    assert pytest_arguments(args) == ["--progress=off"]


def test_help_texts_name_no_value_twice() -> None:
    """The env variable is appended by the table, not repeated in the prose."""
    for row in OPTIONS:
        if row.env:
            assert len(re.findall(re.escape(row.env), row.help_text())) == 1, row.name


def test_the_usage_page_names_every_option() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "usage.md").read_text()
    assert [row.flag for row in OPTIONS if f"`{row.flag}" not in page] == []


def test_compare_takes_the_same_tolerance_check(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["compare", "base", "candidate", "--tolerance", "nan"])
    assert exit_.value.code == 2 and "'nan' is not a finite number >= 0" in capsys.readouterr().err
