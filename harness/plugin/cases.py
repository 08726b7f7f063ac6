"""The benchmark as test cases: one case per (model, task), collected when ``--model`` is given."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from harness.catalogue.queries import TaskSpec
from harness.plugin.hooks import RESULT_PROPERTY, cluster_key
from harness.plugin.options import Settings


def test_task(mieb_task: TaskSpec, mieb_model_name: str, mieb_model_meta, mieb_settings: Settings, request) -> None:
    """Run the task, write its MTEB result, and assert it against the reference score."""
    # Imported here so that collection stays instant (no sklearn or torch at collection time).
    from harness.data.hub import DatasetUnavailable, DataSource
    from harness.data.sources import task_for_source
    from harness.encode.checks import ModelError
    from harness.gating.references import compare, reference_cells
    from harness.offline.build import datasets_dir_for
    from harness.plugin.model_loads import ModelLoadFailed
    from harness.results.intervals import task_interval
    from harness.runner import (
        ResultsNotWritable,
        TaskSkipped,
        expected_provenance,
        finished_result,
        modality_gap,
        run_task,
    )
    from mieb_assets.locations import AssetMissing
    from mieb_models.registry import why_cannot_run

    mieb_task = task_for_source(mieb_task, mieb_settings.dataset_source)
    meta = mieb_model_meta
    if meta is not None and (reason := why_cannot_run(meta)):
        pytest.skip(f"{meta.name} cannot run: {reason}")
    selection = mieb_settings.selection
    subsets = list(selection.subsets_of(mieb_task)) if selection.is_partial(mieb_task) else None
    if meta is not None and (gap := modality_gap(mieb_task, meta)):
        pytest.skip(gap)
    outcome = None
    cluster = request.config.stash.get(cluster_key, None)
    if cluster is not None:  # --ray: the cluster computed it; this case only gates
        from harness.distributed.outcomes import ClusterTaskFailed

        try:
            outcome, meta = cluster.outcome_for(mieb_model_name, mieb_task, meta, subsets)
        except TaskSkipped as skip:
            pytest.skip(str(skip))
        except ClusterTaskFailed as err:
            pytest.fail(str(err), pytrace=False)
    if outcome is None and meta is not None and not mieb_settings.overwrite:
        # finished work is reported without loading the model
        device = request.getfixturevalue("worker_device")
        provenance = expected_provenance(
            meta,
            mieb_settings.dataset_source,
            mieb_settings.precision,
            device,
            mieb_settings.fast_preprocess,
            mieb_settings.cache_dtype,
        )
        outcome = finished_result(mieb_task, meta, mieb_settings.results_dir, subsets, provenance)
    if outcome is None:
        try:
            engine = request.getfixturevalue("mieb_engine")
        except ModelLoadFailed as failed:
            failed.report(request.node.nodeid)
        meta = engine.model.meta
        try:  # an offline task finds (or builds) its dataset without --datasets-dir
            datasets_dir = datasets_dir_for(mieb_task, mieb_settings.datasets_dir)
        except AssetMissing as err:
            raise pytest.fail.Exception(str(err), pytrace=False) from None
        source = DataSource.from_env(datasets_dir, mieb_settings.dataset_source, verify_data=mieb_settings.verify_data)
        try:
            outcome = run_task(
                mieb_task,
                engine,
                source,
                mieb_settings.results_dir,
                overwrite=mieb_settings.overwrite,
                subsets=subsets,
                predictions=mieb_settings.predictions,
            )
        except TaskSkipped as skip:
            pytest.skip(str(skip))
        except (DatasetUnavailable, ModelError, ResultsNotWritable) as err:
            pytest.fail(str(err), pytrace=False)
    baseline = request.getfixturevalue("mieb_baseline")
    missing = ""  # why the baseline has no value for (part of) this case
    if baseline is not None:  # a given baseline is what the case is gated on, never the published scores
        lookup = baseline.lookup(mieb_task)
        cells, missing = lookup.cells, lookup.problem
    else:
        cells = reference_cells(meta.name, mieb_task.name)
    if subsets is not None:  # a subset selection is gated on the selected subsets' references only
        cells = [c for c in cells if c.subset in subsets]
    verdict = compare(mieb_task, outcome.result, cells, mode=mieb_settings.reference, tolerance=mieb_settings.tolerance)
    checks = mieb_settings.reference != "off"
    significance = None
    if mieb_settings.gate == "significance" and baseline is not None and verdict.checked and not missing:
        significance = _significance_gate(mieb_task, baseline, outcome, cells, mieb_settings, request)
        verdict = replace(verdict, passed=not significance.failed, message=significance.message, tolerance=None)
    if missing and checks and not mieb_settings.allow_missing_baseline:
        state = "missing baseline"
        missing += " (a gate never passes by checking nothing; --allow-missing-baseline skips such cases)"
    elif missing and checks:
        state = "skipped: missing baseline"
    elif significance is not None and significance.state == "no outcomes" and mieb_settings.allow_missing_baseline:
        state, missing = "skipped: no outcomes", significance.message
        verdict = replace(verdict, message="")
    elif significance is not None:
        state = significance.state
    else:
        state = ("ok" if verdict.passed else "regression") if verdict.checked else "not checked"
    parts = (missing if checks else "", verdict.message if verdict.checked or not missing else "")
    message = "; ".join(m for m in parts if m) or verdict.message
    score = outcome.score
    row = {
        "model": meta.name,
        "task": mieb_task.name,
        "type": mieb_task.type,
        "main_score_name": mieb_task.main_score,
        "main_score": score,
        "main_score_ci": task_interval(outcome.result.entry(*cell) or {} for cell in outcome.cells),
        "expected": verdict.expected,
        "tolerance": verdict.tolerance,
        "reference": message if verdict.checked else f"not checked: {message}",
        "reference_checked": verdict.checked,
        "gate": state,
        "reused": outcome.reused,
        **_paired_fields(significance),
        "path": str(outcome.path),
        "items": outcome.items,
        "phase_seconds": outcome.phases,
    }
    # user_properties directly, not the record_property fixture: it warns on every case under
    # junit_family=xunit2, while junitxml writes these <property> elements in every family alike.
    properties = request.node.user_properties
    properties.append((RESULT_PROPERTY, json.dumps(row)))
    for name in ("score", "expected", "tolerance", "checked"):  # junitxml <property> per case
        value = {"score": score, "checked": verdict.checked}.get(name, row.get(name))
        properties.append((name, "" if value is None else str(value).lower() if isinstance(value, bool) else value))
    properties.append(("gate", state))
    if state == "missing baseline" or (not verdict.passed and not state.startswith("skipped")):
        pytest.fail(message, pytrace=False)
    if state.startswith("skipped"):
        pytest.skip(message)


def _significance_gate(task: TaskSpec, baseline, outcome, cells, settings: Settings, request):
    """``--gate significance``: the case's paired test against the baseline's saved outcomes."""
    from harness.gating.paired_tasks import gate_case

    entries = [outcome.result.entry(c.split, c.subset) for c in cells]
    got = sum(float(e["main_score"]) for e in entries) / len(entries)
    expected = sum(c.score for c in cells) / len(cells)
    # Bonferroni over the session's cases: known when the case runs (Holm needs every p-value, which
    # only the end of the session has; the terminal summary adds it).
    n_cases = sum(1 for item in request.session.items if getattr(item, "originalname", "") == "test_task")
    return gate_case(
        task.name,
        task.main_score,
        [(c.split, c.subset) for c in cells],
        baseline.by_task[task.name].path,
        outcome.path,
        (expected, got),
        n_cases=n_cases,
        alpha=settings.gate_alpha,
        min_effect=settings.min_effect,
    )


def _paired_fields(significance) -> dict:
    if significance is None or significance.comparison is None:
        return {}
    c = significance.comparison
    return {"delta": c.delta, "ci": [c.low, c.high], "p_value": c.p_value, "n_items": c.n_items, "test": c.test}
