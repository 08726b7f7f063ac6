"""The pytest plugin: options, markers, parametrization, fixtures and the results summary.

With ``--model``, every task of the catalogue becomes a case of ``harness/plugin/cases.py``, parametrized
over the models; ``-m`` (benchmark and family markers) and ``-k`` select. Results travel from xdist
workers to the controller on the test reports (``user_properties``), the way junitxml collects
them; the controller prints the summary. The plugin never computes a metric. The options and the
``Settings`` record they make are in ``harness/plugin/options.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from harness.catalogue.queries import BENCHMARK_MARKERS, FAMILIES, UnknownNameError, all_tasks
from harness.catalogue.subsets import SelectionError
from harness.plugin.options import Settings, add_options, selection_of, settings_from

CASES_MODULE = Path(__file__).with_name("cases.py")
RESULT_PROPERTY = "mieb_result"
MARKERS = {
    **{family: f"MIEB task family {family}" for family in FAMILIES},
    **{marker: f"task of the {name} benchmark" for name, marker in BENCHMARK_MARKERS.items()},
}


settings_key = pytest.StashKey[Settings]()
results_key = pytest.StashKey["ResultsCollector"]()
progress_key = pytest.StashKey[object]()  # harness.plugin.progress.ProgressReporter, when lines are shown
load_seconds_key = pytest.StashKey[dict]()  # model argument -> seconds its loading took in this process
terminal_key = pytest.StashKey[object]()  # the real terminal for encode bars (None: no terminal)
# A case's node id as printed for an installed package; pasted back, it names the installed module.
CASES_NODE_PREFIX = "harness/plugin/cases.py"
baseline_key = pytest.StashKey[object]()  # harness.gating.baseline.Baseline, opened once per process
cluster_key = pytest.StashKey["ClusterOutcomes"]()  # set when --ray ran the cases on a cluster


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    option = config.option
    settings = settings_from(option)
    config.stash[settings_key] = settings
    collector = ResultsCollector()
    config.stash[results_key] = collector
    config.pluginmanager.register(collector, "mieb-results")
    if not settings.models:
        return
    _open_baseline(config, settings)
    _check_models(settings.models, trust_remote_code=settings.trust_remote_code, revision=settings.model_revision)
    _check_datasets_dir(settings.datasets_dir)
    if settings.ray is not None:
        _check_ray_options(settings, option)
    _check_selection(option)
    _check_marker_expression(config)
    _add_cases_module(config)
    _register_progress(config, settings)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Unregister what ``pytest_configure`` registered (pytest's junitxml pattern) and close the terminal."""
    for key in (results_key, progress_key):
        plugin = config.stash.get(key, None)
        if plugin is not None:
            del config.stash[key]
            config.pluginmanager.unregister(plugin)
    stream = config.stash.get(terminal_key, None)
    if stream is not None:
        del config.stash[terminal_key]
        stream.close()


def _register_progress(config: pytest.Config, settings: Settings) -> None:
    """Task lines and ETA on the reporting process; a terminal for encode bars on every process."""
    from harness.plugin.progress import ProgressReporter, terminal_stream

    if settings.progress == "auto":
        config.stash[terminal_key] = terminal_stream()
    if settings.progress == "off" or hasattr(config, "workerinput"):
        return

    def write_line(line: str) -> None:  # the terminal reporter registers after this plugin configures
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            if getattr(getattr(reporter, "_tw", None), "width_of_current_line", 0):
                reporter.write("\n")  # after -q's dots (ensure_newline only ends a file's line)
            reporter.write_line(line)

    progress = ProgressReporter(write_line)
    config.stash[progress_key] = progress
    config.pluginmanager.register(progress, "mieb-progress")


def _check_models(models: tuple[str, ...], *, trust_remote_code: bool, revision: str | None = None) -> None:
    from mieb_models.load_errors import ModelUnavailable
    from mieb_models.registry import get_model_meta

    for name in models:
        try:
            meta = get_model_meta(name, revision)
        except (UnknownNameError, ValueError, ImportError) as err:
            raise pytest.UsageError(f"--model {name}: {err}") from None
        except ModelUnavailable:
            continue  # not reachable now: its cases fail once with the reason (harness.plugin.model_loads)
        if meta.needs_remote_code and not trust_remote_code:
            raise pytest.UsageError(
                f"--model {name}: {meta.name} runs code from its repository (trust_remote_code); "
                "pass --trust-remote-code to allow it"
            )


def _check_datasets_dir(datasets_dir: str | None) -> None:
    if datasets_dir and not Path(datasets_dir).expanduser().is_dir():
        source = "--datasets-dir" if datasets_dir != os.environ.get("MIEB_DATASETS_DIR") else "MIEB_DATASETS_DIR"
        raise pytest.UsageError(f"{source} {datasets_dir}: no such directory")


def _check_ray_options(settings: Settings, option: object) -> None:
    """The options a Ray run cannot honour as a local run does are refused before any work."""
    if getattr(option, "numprocesses", None):
        raise pytest.UsageError("--ray and -n (xdist) do not combine: Ray schedules the work itself")
    if settings.device and ":" in settings.device:
        raise pytest.UsageError(
            f"--device {settings.device} with --ray: Ray gives each encode group its own GPU (as cuda), so a "
            "device index names a GPU the worker may not see; pass --device cuda or cpu, or leave it out"
        )


def _open_baseline(config: pytest.Config, settings: Settings) -> None:
    if settings.gate == "significance" and not settings.baseline_dir:
        raise pytest.UsageError("--gate significance needs --baseline-dir (the run it is compared with)")
    if not settings.baseline_dir:
        if settings.baseline_model or settings.allow_missing_baseline:
            raise pytest.UsageError("--baseline-model and --allow-missing-baseline need --baseline-dir")
        return
    from harness.gating.baseline import Baseline
    from harness.results.folders import ResultsFolderError

    try:
        config.stash[baseline_key] = Baseline.open(settings.baseline_dir, settings.baseline_model)
    except ResultsFolderError as err:
        raise pytest.UsageError(f"--baseline-dir: {err}") from None


def _check_selection(option: object) -> None:
    from harness.catalogue.queries import get_tasks

    try:
        tasks = get_tasks(option.task or None, benchmarks=option.benchmark or None, task_types=option.task_type or None)
        selection_of(option).check(tasks)
    except (UnknownNameError, SelectionError) as err:
        raise pytest.UsageError(str(err)) from None


def _selected_task_names(config: pytest.Config) -> set[str] | None:
    from harness.catalogue.queries import get_tasks

    option = config.option
    selection = config.stash[settings_key].selection
    if not (option.task or option.benchmark or option.task_type or selection):
        return None
    tasks = get_tasks(option.task or None, benchmarks=option.benchmark or None, task_types=option.task_type or None)
    return {t.name for t in selection.select(tasks)}


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_marker_expression(config: pytest.Config) -> None:
    expression = config.option.markexpr
    if not expression:
        return
    known = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    for name in _IDENTIFIER.findall(expression):
        if name not in {"and", "or", "not"} and name not in known:
            raise pytest.UsageError(str(UnknownNameError("marker", name, known)))


def _add_cases_module(config: pytest.Config) -> None:
    target = str(CASES_MODULE)
    for index, arg in enumerate(config.args):  # a printed node id, pasted back where the package is installed
        path, sep, rest = arg.partition("::")
        pasted = path.replace(os.sep, "/").endswith(CASES_NODE_PREFIX) and not Path(path).exists()
        # outside the package's folder pytest prints the id without its file: ``::test_task[...]``
        bare = path == "" and sep and rest.startswith("test_task")
        if pasted or bare:
            config.args[index] = f"{target}{sep}{rest}"
    if any(Path(arg.split("::")[0]).resolve() == CASES_MODULE for arg in config.args if arg):
        return
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args.append(target)
    else:  # only the benchmark: the project's own tests are not mixed into a benchmark run
        config.args[:] = [target]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mieb_task" not in metafunc.fixturenames:
        return
    settings = metafunc.config.stash[settings_key]
    metafunc.parametrize("mieb_model_name", settings.models, ids=list(settings.models), scope="session")
    params = [
        pytest.param(task, id=task.name, marks=[getattr(pytest.mark, m) for m in task.markers]) for task in all_tasks()
    ]
    metafunc.parametrize("mieb_task", params)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply --task/--benchmark/--task-type/--languages/--subsets; unknown names in ``-k`` get close matches."""
    selected = _selected_task_names(config)
    if selected is not None:
        keep, drop = [], []
        for item in items:
            task = getattr(item, "callspec", None) and item.callspec.params.get("mieb_task")
            (keep if task is None or task.name in selected else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """After -k/-m deselection: a -k that selects no task names close matches instead of running nothing."""
    config, items = session.config, session.items
    keyword = config.option.keyword
    settings = config.stash[settings_key]
    if not settings.models or not keyword or any("mieb_task" in getattr(i, "fixturenames", ()) for i in items):
        return
    names = [t.name for t in all_tasks()]
    words = [w for w in _IDENTIFIER.findall(keyword) if w not in {"and", "or", "not"}]
    known = [*names, *settings.models, "test_task"]
    unknown = [w for w in words if not any(w.lower() in n.lower() for n in known)]
    if not unknown:
        return
    close = {w: UnknownNameError("task", w, names).close_matches for w in unknown}
    hints = "; ".join(f"{w!r}: did you mean {', '.join(c)}?" for w, c in close.items() if c)
    raise pytest.UsageError(f"-k {keyword!r} selects no MIEB task. {hints}".strip())


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """With --ray: run the selected cases' encode groups on the cluster first; the cases then only gate."""
    settings = session.config.stash[settings_key]
    if settings.ray is None or session.config.option.collectonly or session.testsfailed:
        return
    from harness.distributed.ray_cases import run_session_on_ray

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write_line = reporter.write_line if reporter is not None else print
    session.config.stash[cluster_key] = run_session_on_ray(session.items, settings, write_line)


@pytest.fixture(scope="session")
def mieb_settings(request: pytest.FixtureRequest) -> Settings:
    return request.config.stash[settings_key]


@pytest.fixture(scope="session")
def mieb_baseline(request: pytest.FixtureRequest):
    """The ``--baseline-dir`` results (``harness.gating.baseline.Baseline``), or None without one."""
    return request.config.stash.get(baseline_key, None)


@pytest.fixture(scope="session")
def mieb_model_meta(mieb_model_name: str, request: pytest.FixtureRequest):
    """The model's metadata without loading it; None for ``module:factory`` models (known after loading)."""
    from harness.plugin.model_loads import meta_or_none

    meta = meta_or_none(mieb_model_name, request.config.stash[settings_key].model_revision)
    return None if meta is None or "factory" in meta.loader_kwargs else meta


@pytest.fixture(scope="session")
def mieb_model(mieb_model_name: str, mieb_settings: Settings, worker_device: str | None, request):
    """The loaded encoder, once per process and model (how long loading took goes to its engine);
    a failed load is remembered, never retried."""
    import time

    from harness.plugin.model_loads import load_once
    from mieb_models.registry import load_model

    options = {
        "device": worker_device,
        "precision": mieb_settings.precision,
        "trust_remote_code": mieb_settings.trust_remote_code,
        "revision": mieb_settings.model_revision,
    }
    key = (mieb_model_name, *options.values())
    start = time.perf_counter()
    model = load_once(request.config, key, lambda: load_model(mieb_model_name, **options), mieb_model_name)
    request.config.stash.setdefault(load_seconds_key, {})[mieb_model_name] = time.perf_counter() - start
    return model


@pytest.fixture(scope="session")
def worker_device(mieb_settings: Settings) -> str | None:
    """``--device``, else GPU N mod count for xdist worker N (unless CUDA_VISIBLE_DEVICES is set)."""
    if mieb_settings.device:
        return mieb_settings.device
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and "CUDA_VISIBLE_DEVICES" not in os.environ:
        return f"cuda:{int(worker[2:]) % torch.cuda.device_count()}"
    return "cuda"


@pytest.fixture(scope="session")
def mieb_engine(mieb_model, mieb_model_name: str, mieb_settings: Settings, request: pytest.FixtureRequest):
    """The encode engine (batching, workers, embedding cache) of one model; bars on the real terminal."""
    from harness.runner import build_engine

    load_seconds = request.config.stash.get(load_seconds_key, {}).get(mieb_model_name, 0.0)
    terminal = request.config.stash.get(terminal_key, None)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return build_engine(
        mieb_model,
        cache_dir=mieb_settings.cache_dir,
        batch_size=mieb_settings.batch_size,
        num_workers=mieb_settings.num_workers,
        progress=terminal is not None,
        progress_file=terminal,
        progress_position=int(worker[2:]) if worker.startswith("gw") else 0,
        fast_preprocess=mieb_settings.fast_preprocess,
        cache_dtype=mieb_settings.cache_dtype,
        batch_timeout=mieb_settings.batch_timeout,
        load_seconds=load_seconds,
    )


class ResultsCollector:
    """Gathers result rows from test reports (they arrive from xdist workers too), as junitxml does."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.ran = 0  # benchmark cases that ran to a verdict (passed or failed)
        self.skipped = 0
        self.all_skipped = False  # set at session end when that failed the run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if "::test_task[" in report.nodeid:
            if report.skipped and report.when in ("setup", "call"):
                self.skipped += 1
            elif report.when == "call" or (report.when == "setup" and report.failed):
                self.ran += 1
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if name == RESULT_PROPERTY:
                self.rows.append({**json.loads(value), "outcome": report.outcome})


ALL_SKIPPED = (
    "mieb: every selected case was skipped ({n}): nothing was computed or checked; see the skip reasons "
    "(-rs), or pass --allow-all-skipped to accept such a run"
)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run whose every benchmark case was skipped checked nothing: it fails unless asked not to."""
    config = session.config
    settings, collector = config.stash.get(settings_key, None), config.stash.get(results_key, None)
    if settings is None or collector is None or hasattr(config, "workerinput") or not settings.models:
        return
    if exitstatus == 0 and collector.skipped and not collector.ran and not settings.allow_all_skipped:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
        collector.all_skipped = True


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash[settings_key]
    if settings.models:
        baseline = config.stash.get(baseline_key, None)
        gate = f"; gated on baseline {baseline.describe()}" if baseline is not None else ""
        if baseline is not None and settings.gate == "significance":
            gate += f" (significance: paired tests, min effect {settings.min_effect:g}, alpha {settings.gate_alpha:g})"
        content = "" if settings.verify_data else "; dataset content not verified (--no-verify-data)"
        return f"mieb: models {', '.join(settings.models)}; results in {settings.results_dir}{gate}{content}"
    return "mieb: benchmark cases not collected; choose a model with --model NAME (e.g. --model clip)"


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    collector = config.stash[results_key]
    if collector.all_skipped:
        terminalreporter.write_line(ALL_SKIPPED.format(n=collector.skipped), red=True)
    rows = collector.rows
    if not rows:
        return
    from harness.results.report import summary_lines

    terminalreporter.section("mieb results")
    for line in summary_lines(rows):
        terminalreporter.write_line(line)
    settings = config.stash[settings_key]
    if settings.gate == "significance":
        from harness.gating.paired_tasks import session_lines

        for line in session_lines(rows, settings.gate_alpha, settings.min_effect):
            terminalreporter.write_line(line)
    if not config.stash[settings_key].verify_data:
        terminalreporter.write_line("mieb: dataset content not verified (--no-verify-data): counts never compared")
    from harness.plugin.ci_surfaces import write_step_summary

    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller writes the step summary
    if path := write_step_summary(rows, exitstatus):
        terminalreporter.write_line(f"mieb: results table and gate verdicts appended to {path}")


INTERRUPTED_LINE = "mieb: interrupted; finished tasks are saved, rerun the same command to resume"


def pytest_keyboard_interrupt(excinfo) -> None:
    """Ctrl-C: say what was kept and how to resume (finished tasks are on disk, written atomically)."""
    import sys

    sys.stderr.write(f"\n{INTERRUPTED_LINE}\n")
