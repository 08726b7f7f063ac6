"""Encode groups and their order, and the --ray option's usage errors (no cluster needed)."""

from __future__ import annotations

import pytest

from harness.catalogue.queries import get_task
from harness.data.hub import DataSource
from harness.distributed.plan import encode_groups, published_evaluation_times, task_cost


def test_tasks_sharing_a_dataset_form_one_group_and_groups_run_longest_first():
    names = ["CIFAR10ZeroShot", "STL10", "CIFAR10", "Imagenet1k", "CIFAR10Clustering", "STL10ZeroShot"]
    cases = [("clip", get_task(n)) for n in names] + [("siglip", get_task("CIFAR10"))]
    groups = encode_groups(cases, DataSource())

    by_key = {(g.model, g.dataset.path): g.task_names for g in groups}
    cifar = get_task("CIFAR10").dataset.path
    assert by_key[("clip", cifar)] == ("CIFAR10ZeroShot", "CIFAR10", "CIFAR10Clustering")
    assert by_key[("siglip", cifar)] == ("CIFAR10",)
    assert len(groups) == len({(model, task.dataset) for model, task in cases})
    costs = [g.cost_s for g in groups]
    assert costs == sorted(costs, reverse=True)
    times = published_evaluation_times()
    clip_cifar = next(g for g in groups if g.model == "clip" and g.dataset.path == cifar)
    assert clip_cifar.cost_s == pytest.approx(sum(times[n] for n in clip_cifar.task_names))
    assert groups[0].task_names == ("Imagenet1k",)  # the longest published evaluation time of these


def test_a_task_without_published_time_costs_its_local_dataset_size(tmp_path):
    task = get_task("EmojiVisualSTSOffline")
    assert task.name not in published_evaluation_times()
    folder = tmp_path / task.dataset.path
    folder.mkdir(parents=True)
    (folder / "data.parquet").write_bytes(b"x" * 5_000_000)
    assert task_cost(task, DataSource.from_env(tmp_path)) == pytest.approx(5.0)
    assert task_cost(task, DataSource()) == 60.0  # nothing known: a nominal minute


def test_ray_and_xdist_do_not_combine(pytester):
    result = pytester.runpytest("--model", "offline-clip", "--ray", "-n", "2", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--ray and -n (xdist) do not combine*"])


# Every travelling option reaching the workers: tests/test_run_options.py (derived from the option table).


def test_the_worker_reads_the_task_as_the_selection_and_source_say():
    from harness.distributed.worker import JobSettings

    job = JobSettings("clip", dataset_source="mteb2", languages=("deu",))
    cifar = job.task_view(get_task("CIFAR10ZeroShot"))
    assert cifar.dataset == get_task("CIFAR10ZeroShot").mteb2_dataset
    assert job.subsets_of(get_task("EmojiVisualSTSMultilingualOffline")) == ["en-de"]
    assert job.subsets_of(get_task("EmojiVisualSTSOffline")) == []  # no German subset: not run
    assert JobSettings("clip").subsets_of(get_task("EmojiVisualSTSMultilingualOffline")) is None  # all


def test_a_device_index_is_refused_under_ray(pytester, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # two GPUs, so --device cuda:1 itself is valid
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    result = pytester.runpytest("--model", "offline-clip", "--ray", "--device", "cuda:1", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--device cuda:1 with --ray*"])
