"""The pytest side of ``--ray``: the session's selected cases become cluster work before they run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from harness.distributed.outcomes import ClusterOutcomes
from harness.distributed.worker import JobSettings
from harness.run_options import OPTIONS


def selected_cases(items: Sequence[pytest.Item]) -> list[tuple[str, object]]:
    """(model argument, task) of every collected benchmark case, in collection order."""
    cases = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "mieb_task" in params and "mieb_model_name" in params:
            cases.append((params["mieb_model_name"], params["mieb_task"]))
    return cases


def job_settings(model: str, settings: object) -> JobSettings:
    """The worker's copy of every travelling option (``harness.run_options.OPTIONS``, ``travels=True``).

    Paths become absolute (a worker's working directory is not the driver's), a local checkpoint's too.
    """
    values = {}
    for row in OPTIONS:
        if row.travels:
            value = getattr(settings, row.name)
            values[row.name] = _absolute(value) if row.path else value
    return JobSettings(model=_absolute(model) if Path(model).expanduser().is_dir() else model, **values)


def _absolute(path: str | None) -> str | None:
    return str(Path(path).expanduser().resolve()) if path else None


def run_session_on_ray(
    items: Sequence[pytest.Item], settings: object, write_line: Callable[[str], None]
) -> ClusterOutcomes:
    from harness.distributed.driver import ClusterUnavailable, run_cases_on_ray

    cases = selected_cases(items)
    jobs = {model: job_settings(model, settings) for model in dict.fromkeys(m for m, _ in cases)}
    try:
        return run_cases_on_ray(
            cases,
            jobs,
            address=settings.ray,
            results_dir=settings.results_dir,
            cpus=settings.ray_cpus,
            write_line=write_line,
        )
    except ClusterUnavailable as err:
        pytest.exit(f"mieb: {err}", returncode=pytest.ExitCode.USAGE_ERROR)
