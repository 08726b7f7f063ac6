"""Each model source runs a task end to end, offline: local open_clip, local SigLIP, local DINOv2."""

from __future__ import annotations

import json

import pytest

from harness.api import evaluate, get_model
from harness.catalogue.queries import get_task


@pytest.mark.parametrize(
    ("fixture", "task"),
    [("open_clip_dir", "CIFAR10ZeroShot"), ("siglip_dir", "CIFAR10ZeroShot"), ("dinov2_dir", "CIFAR10Clustering")],
)
def test_local_checkpoint_runs_a_task(request, fixture: str, task: str, cifar_mirror, tmp_path) -> None:
    model = get_model(str(request.getfixturevalue(fixture)), device="cpu")
    (result,) = evaluate(
        model,
        [get_task(task)],
        results_dir=tmp_path / "results",
        datasets_dir=cifar_mirror,
        cache_dir=tmp_path / "cache",
        num_workers=0,
        progress=False,
    )
    assert 0.0 <= result.main_score() <= 1.0
    files = list((tmp_path / "results").glob(f"local__*/*/{task}.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["task_name"] == task


def test_image_only_checkpoint_skips_zero_shot(dinov2_dir, cifar_mirror, tmp_path) -> None:
    model = get_model(str(dinov2_dir), device="cpu")
    results = evaluate(
        model,
        [get_task("CIFAR10ZeroShot")],
        results_dir=tmp_path,
        datasets_dir=cifar_mirror,
        cache_dir=tmp_path / "cache",
        num_workers=0,
        progress=False,
    )
    assert results == []
