"""The benchmark as test cases: one case per (model, task), collected when ``--model`` is given."""

from __future__ import annotations

import json

import pytest

from harness.plugin import RESULT_PROPERTY, Settings, cluster_key
from harness.spec import TaskSpec


def test_task(
    mieb_task: TaskSpec, mieb_model_name: str, mieb_model_meta, mieb_settings: Settings, record_property, request
) -> None:
    """Run the task, write its MTEB result, and assert it against the reference score."""
    # Imported here so that collection stays instant (no sklearn or torch at collection time).
    from harness.data.hub import DatasetUnavailable, DataSource
    from harness.encode import ModelOutputError
    from harness.references import baseline_cells, compare, reference_cells
    from harness.runner import TaskSkipped, finished_result, modality_gap, run_task

    meta = mieb_model_meta
    if meta is not None and (gap := modality_gap(mieb_task, meta)):
        pytest.skip(gap)
    outcome = None
    cluster = request.config.stash.get(cluster_key, None)
    if cluster is not None:  # --ray: the cluster computed it; this case only gates
        from harness.distributed.outcomes import ClusterTaskFailed

        try:
            outcome, meta = cluster.outcome_for(mieb_model_name, mieb_task, meta)
        except TaskSkipped as skip:
            pytest.skip(str(skip))
        except ClusterTaskFailed as err:
            pytest.fail(str(err), pytrace=False)
    if outcome is None and meta is not None and not mieb_settings.overwrite:
        outcome = finished_result(mieb_task, meta, mieb_settings.results_dir)  # no model load for finished work
    if outcome is None:
        engine = request.getfixturevalue("mieb_engine")
        meta = engine.model.meta
        source = DataSource.from_env(mieb_settings.datasets_dir)
        try:
            outcome = run_task(mieb_task, engine, source, mieb_settings.results_dir, overwrite=mieb_settings.overwrite)
        except TaskSkipped as skip:
            pytest.skip(str(skip))
        except (DatasetUnavailable, ModelOutputError) as err:
            pytest.fail(str(err), pytrace=False)
    cells = reference_cells(meta.name, mieb_task.name)
    if not cells and mieb_settings.baseline_dir:
        cells = baseline_cells(mieb_settings.baseline_dir, meta.name, meta.revision, mieb_task.name)
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
