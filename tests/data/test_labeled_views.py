"""``labeled_images`` after a non-contiguous row selection (Birdsnap's dropped train row)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from harness.catalogue.queries import get_task
from harness.data import views
from harness.data.hub import DataSource
from tests.support.datasets_local import digit_images, write_classification


def test_dropped_train_row_keeps_labels_aligned_with_images(tmp_path):
    # Birdsnap drops train row 3854; the same rule on row 1 of a 5-row train split.
    task = replace(get_task("Birdsnap"), drop_train_rows=(1,))
    write_classification(tmp_path, task.dataset.path, label_column=task.label_column, n_train=5, n_test=2)
    data = views.labeled_images(DataSource.from_env(tmp_path), task, task.train_split)

    _, labels = digit_images(5)
    kept = [0, 2, 3, 4]
    assert data.labels.tolist() == labels[kept].tolist()
    assert len(data.images) == len(kept)
    decoded = [np.asarray(data.images.dataset[i][task.input_column]) for i in range(len(data.images.dataset))]
    expected = [np.asarray(im) for im in digit_images(5)[0]]
    assert len(decoded) == len(kept)
    assert all(np.array_equal(d, expected[k]) for d, k in zip(decoded, kept, strict=True))
    assert data.images.identity.endswith("-without-1")


def test_the_multilabel_layout_reads_a_list_of_labels_per_image(tmp_path):
    """VOC2007's layout: its own reader, lists of labels, counted label by label for the fingerprint."""
    import datasets

    from harness.data.fingerprints import observe
    from harness.data.hub import write_snapshot
    from harness.data.views import READERS, TaskViews
    from tests.support.layouts import swatch

    task = get_task("VOC2007")
    features = datasets.Features({"image": datasets.Image(), "classes": datasets.Sequence(datasets.Value("int64"))})
    labels = [[0, 2], [2], [1, 2, 3]]
    test = datasets.Dataset.from_dict({"image": [swatch(i) for i in range(3)], "classes": labels}, features=features)
    write_snapshot(tmp_path / task.dataset.path, {"default": {"test": test}})

    assert READERS[task.layout] is views.multilabeled_images
    data = TaskViews(DataSource.from_env(tmp_path), task).get("test")
    assert data.multilabel and data.class_names is None and data.labels == labels
    counts = observe(task.facts.fingerprint, task, data)
    assert counts == {"num_samples": 3, "unique_labels": 4, "labels": {"0": 1, "1": 1, "2": 3, "3": 1}}
