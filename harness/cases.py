"""The benchmark as test cases: one case per (model, task), collected when ``--model`` is given."""

from __future__ import annotations

import json

import pytest

from harness.plugin import RESULT_PROPERTY, Settings
from harness.spec import TaskSpec


def test_task(mieb_task: TaskSpec, mieb_model_meta, mieb_settings: Settings, record_property, request) -> None:
    """Run the task, write its MTEB result, and assert it against the reference score."""
    # Imported here so that collection stays instant (no sklearn or torch at collection time).
    from harness.data.hub import DatasetUnavailable, DataSource
    from harness.encode import ModelOutputError
    from harness.references import baseline_cells, compare, reference_cells
    from harness.runner import TaskSkipped, finished_result, modality_gap, run_task

    meta = mieb_model_meta
    selection = mieb_settings.selection
    subsets = list(selection.subsets_of(mieb_task)) if selection.is_partial(mieb_task) else None
    if meta is not None and (gap := modality_gap(mieb_task, meta)):
        pytest.skip(gap)
    outcome = None
    if meta is not None and not mieb_settings.overwrite:
        # finished work is reported without loading the model
        outcome = finished_result(mieb_task, meta, mieb_settings.results_dir, subsets)
    if outcome is None:
        engine = request.getfixturevalue("mieb_engine")
        meta = engine.model.meta
        source = DataSource.from_env(mieb_settings.datasets_dir)
        try:
            outcome = run_task(
                mieb_task, engine, source, mieb_settings.results_dir, overwrite=mieb_settings.overwrite, subsets=subsets
            )
        except TaskSkipped as skip:
            pytest.skip(str(skip))
        except (DatasetUnavailable, ModelOutputError) as err:
            pytest.fail(str(err), pytrace=False)
    cells = reference_cells(meta.name, mieb_task.name)
    if not cells and mieb_settings.baseline_dir:
        cells = baseline_cells(mieb_settings.baseline_dir, meta.name, meta.revision, mieb_task.name)
    if subsets is not None:  # a subset selection is gated on the selected subsets' references only
        cells = [c for c in cells if c.subset in subsets]
    verdict = compare(mieb_task, outcome.result, cells, mode=mieb_settings.reference, tolerance=mieb_settings.tolerance)
    record_property(
        RESULT_PROPERTY,
        json.dumps(
            {
                "model": meta.name,
                "task": mieb_task.name,
                "type": mieb_task.type,
                "main_score_name": mieb_task.main_score,
                "main_score": outcome.result.main_score(),
                "reused": outcome.reused,
                "reference": verdict.message if verdict.checked else f"not checked: {verdict.message}",
                "reference_checked": verdict.checked,
                "path": str(outcome.path),
            }
        ),
    )
    if not verdict.passed:
        pytest.fail(verdict.message, pytrace=False)
