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


# Options that only steer the driver: selection, where results go, the gate, progress bars, Ray itself.
DRIVER_ONLY = {
    "models",
    "results_dir",
    "reference",
    "tolerance",
    "baseline_dir",
    "baseline_model",
    "allow_missing_baseline",
    "gate",  # the gate runs in the driver's pytest session, never on a worker
    "min_effect",
    "gate_alpha",
    "progress",
    "ray",
    "ray_cpus",
}


def test_every_option_that_decides_what_is_computed_reaches_the_workers(tmp_path):
    """A new run option must be forwarded to the workers or declared driver-only here."""
    from dataclasses import fields

    from harness.catalogue.subsets import SubsetSelection
    from harness.distributed.ray_cases import job_settings
    from harness.plugin.hooks import Settings

    checkpoint = tmp_path / "ckpt"
    checkpoint.mkdir()
    settings = Settings(
        models=("clip",),
        datasets_dir=str(tmp_path),
        results_dir="r",
        dataset_source="mteb2",
        cache_dir="relative-cache",
        batch_size=7,
        device="cpu",
        precision="bf16",
        num_workers=3,
        overwrite=True,
        reference="off",
        tolerance=0.5,
        baseline_dir=None,
        baseline_model=None,
        allow_missing_baseline=False,
        trust_remote_code=True,
        progress=False,
        fast_preprocess=True,
        selection=SubsetSelection.of(["deu"], ["en-de"]),
        batch_timeout=12.5,
        verify_data=False,
        ray="local",
        ray_cpus=2,
    )
    job = job_settings("clip", settings)
    forwarded = {
        "datasets_dir": job.datasets_dir == str(tmp_path.resolve()),
        "dataset_source": job.dataset_source == "mteb2",
        "cache_dir": job.cache_dir == str(tmp_path.cwd() / "relative-cache"),
        "batch_size": job.batch_size == 7,
        "device": job.device == "cpu",
        "precision": job.precision == "bf16",
        "num_workers": job.num_workers == 3,
        "overwrite": job.overwrite,
        "trust_remote_code": job.trust_remote_code,
        "fast_preprocess": job.fast_preprocess,
        "selection": (job.languages, job.subsets) == (("deu",), ("en-de",)),
        "batch_timeout": job.batch_timeout == 12.5,
        "verify_data": job.verify_data is False,
    }
    assert {f.name for f in fields(Settings)} == set(forwarded) | DRIVER_ONLY
    assert [name for name, ok in forwarded.items() if not ok] == []
    assert job_settings(str(checkpoint), settings).model == str(checkpoint.resolve())  # a worker's cwd differs


def test_the_worker_reads_the_task_as_the_selection_and_source_say():
    from harness.distributed.worker import JobSettings

    job = JobSettings("clip", dataset_source="mteb2", languages=("deu",))
    cifar = job.task_view(get_task("CIFAR10ZeroShot"))
    assert cifar.dataset == get_task("CIFAR10ZeroShot").mteb2_dataset
    assert job.subsets_of(get_task("EmojiVisualSTSMultilingualOffline")) == ["en-de"]
    assert job.subsets_of(get_task("EmojiVisualSTSOffline")) == []  # no German subset: not run
    assert JobSettings("clip").subsets_of(get_task("EmojiVisualSTSMultilingualOffline")) is None  # all


def test_a_device_index_is_refused_under_ray(pytester):
    result = pytester.runpytest("--model", "offline-clip", "--ray", "--device", "cuda:1", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--device cuda:1 with --ray*"])
