"""Image-only models run every MIEB(Img) task and are skipped, with a reason, on tasks needing text."""

from __future__ import annotations

from harness.catalogue.queries import get_benchmark
from harness.runner import modality_gap
from mieb_models.base import ModelMeta
from mieb_models.registry import get_model_meta

IMAGE_ONLY = ModelMeta(
    name="test/image-only", revision="1", framework="custom", architecture="x", modalities=("image",)
)


def test_every_img_task_needs_images_only() -> None:
    tasks = get_benchmark("MIEB(Img)").tasks
    assert len(tasks) == 49
    assert all(modality_gap(t, IMAGE_ONLY) is None for t in tasks)


def test_text_tasks_are_skipped_with_the_reason() -> None:
    lite = get_benchmark("MIEB(lite)").tasks
    gaps = {t.name: modality_gap(t, IMAGE_ONLY) for t in lite}
    runnable = {name for name, gap in gaps.items() if gap is None}
    assert runnable == {t.name for t in lite if t.modalities == ("image",)}
    assert gaps["CIFAR100ZeroShot"] == ("test/image-only has no text encoder; CIFAR100ZeroShot needs image, text")


def test_registry_image_only_models_declare_it() -> None:
    assert get_model_meta("dinov2").modalities == ("image",)
    assert get_model_meta("offline-image").modalities == ("image",)
