"""``mieb run | list | report | compare | download | offline``: the mteb-style command line over pytest."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

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
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run benchmarks or tasks on models (through pytest); extra args go to pytest")
    # List options accept both `-t A B` and `-t A -t B` (mteb's style); every value is kept.
    many = {"action": "extend", "nargs": "+"}
    run.add_argument("-m", "--model", **many, help=f"model(s) (default: {OFFLINE_MODEL})")
    run.add_argument(
        "-b", "--benchmark", **many, help=f'benchmark(s), e.g. "MIEB(lite)" (default: {OFFLINE_BENCHMARK})'
    )
    run.add_argument("-t", "--tasks", **many, help="task names (overrides -b)")
    run.add_argument("--task-types", **many, help="mteb task types")
    run.add_argument("--languages", **many, help="keep subsets in any of these languages (eng or eng-Latn)")
    run.add_argument("--subsets", **many, help="keep only these HF subsets (mteb's hf_subsets)")
    run.add_argument("-n", "--workers", default=None, help="xdist workers (one per GPU on multi-GPU machines)")
    run.add_argument("--results-dir", "--output-folder", dest="results_dir", default="results")
    run.add_argument("--datasets-dir", default=None)
    run.add_argument(
        "--no-verify-data", action="store_true", help="skip checking each task's data against the reference's counts"
    )
    run.add_argument("--dataset-source", choices=("published", "mteb2"), default=None)
    run.add_argument("--cache-dir", default=None)
    run.add_argument("--batch-size", type=int, default=None)
    run.add_argument("--device", default=None)
    run.add_argument("--precision", choices=("fp32", "fp16", "bf16"), default=None)
    run.add_argument("--overwrite", action="store_true")
    run.add_argument("--no-predictions", action="store_true", help="do not save per-item predictions")
    run.add_argument("--reference", choices=("regression", "reproduce", "off"), default=None)
    run.add_argument("--tolerance", type=float, default=None)
    run.add_argument("--baseline-dir", default=None, help="gate on a previous release's results folder")
    run.add_argument("--baseline-model", default=None, help="the model to use where --baseline-dir holds several")
    run.add_argument("--allow-missing-baseline", action="store_true", help="skip cases the baseline lacks")
    run.add_argument(
        "--gate",
        choices=("tolerance", "significance"),
        default=None,
        help="tolerance (default) or significance: fail only drops a paired test on per-item outcomes finds "
        "significant and larger than --min-effect (needs --baseline-dir)",
    )
    run.add_argument(
        "--min-effect", type=float, default=None, help="--gate significance: smallest failing drop (0.005)"
    )
    run.add_argument("--gate-alpha", type=float, default=None, help="--gate significance: family-wise alpha (0.05)")
    run.add_argument("--trust-remote-code", action="store_true")
    run.add_argument("--fast-preprocess", action="store_true", help="tensor decode/resize on the model's device")
    run.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run on a Ray cluster: auto, ray://host:port, host:port; alone: a local one (needs mieb[ray])",
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
    report.add_argument("--plot", metavar="FILE.png", help="also draw the per-type scores of the models side by side")
    report.set_defaults(handler=_report)

    compare = commands.add_parser(
        "compare", help="per-task and per-type deltas of a candidate's results against a baseline's"
    )
    compare.add_argument("base", help="baseline results folder (results root with one model, or a model folder)")
    compare.add_argument("candidate", help="candidate results folder (same forms)")
    compare.add_argument("-b", "--benchmark", help="compare only this benchmark's tasks")
    compare.add_argument("--base-model", help="the model to use where BASE holds several")
    compare.add_argument("--candidate-model", help="the model to use where CANDIDATE holds several")
    compare.add_argument("--tolerance", type=float, default=None, help="absolute tolerance (default per family)")
    compare.add_argument(
        "--correction",
        choices=("holm", "bh"),
        default="holm",
        help="multiple-testing control across tasks: holm (family-wise, default) or bh (false discovery rate)",
    )
    compare.add_argument("--alpha", type=float, default=0.05, help="significance level after correction (0.05)")
    compare.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    compare.add_argument("--plot", metavar="FILE.png", help="draw the per-task deltas grouped by task type")
    compare.set_defaults(handler=_compare)

    download = commands.add_parser(
        "download",
        help="snapshot tasks' datasets at their pinned revisions into a folder; --verify checks their content",
    )
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
    download.add_argument("--dataset-source", choices=("published", "mteb2"), default=None)
    download.set_defaults(handler=_download)

    offline = commands.add_parser("offline", help="build the offline datasets (MIEB(offline))")
    offline.add_argument("action", choices=("build",))
    offline.add_argument("--dir", default=None, help="target folder (default: $MIEB_HOME/offline-datasets)")
    offline.set_defaults(handler=_offline)
    return parser


def _run(args: argparse.Namespace, passthrough: list[str]) -> int:
    import pytest

    from harness.catalogue.queries import get_tasks
    from harness.catalogue.subsets import SubsetSelection
    from harness.plugin.hooks import CASES_MODULE

    benchmarks = args.benchmark or ([] if args.tasks or args.task_types else [OFFLINE_BENCHMARK])
    tasks = get_tasks(args.tasks, benchmarks=benchmarks or None, task_types=args.task_types)  # validate names early
    selection = SubsetSelection.of(args.languages, args.subsets)
    if selection:
        selection.check(tasks)
    models = args.model or [OFFLINE_MODEL]
    datasets_dir = args.datasets_dir
    if datasets_dir is None and any(_is_offline(task) for task in tasks):
        datasets_dir = str(_build_offline(None))
    pytest_args = [
        str(CASES_MODULE),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rfs",
        "--results-dir",
        args.results_dir,
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    for model in models:
        pytest_args += ["--model", model]
    for task in args.tasks or []:
        pytest_args += ["--task", task]
    for benchmark in [] if args.tasks else benchmarks:
        pytest_args += ["--benchmark", benchmark]
    for task_type in args.task_types or []:
        pytest_args += ["--task-type", task_type]
    for language in args.languages or []:
        pytest_args += ["--languages", language]
    for subset in args.subsets or []:
        pytest_args += ["--subsets", subset]
    options = {
        "--datasets-dir": datasets_dir,
        "--dataset-source": args.dataset_source,
        "--cache-dir": args.cache_dir,
        "--batch-size": args.batch_size,
        "--device": args.device,
        "--precision": args.precision,
        "--reference": args.reference,
        "--tolerance": args.tolerance,
        "--baseline-dir": args.baseline_dir,
        "--baseline-model": args.baseline_model,
        "--gate": args.gate,
        "--min-effect": args.min_effect,
        "--gate-alpha": args.gate_alpha,
        "-n": args.workers,
    }
    for flag, value in options.items():
        if value is not None:
            pytest_args += [flag, str(value)]
    if args.overwrite:
        pytest_args.append("--overwrite")
    if args.trust_remote_code:
        pytest_args.append("--trust-remote-code")
    if args.allow_missing_baseline:
        pytest_args.append("--allow-missing-baseline")
    if args.fast_preprocess:
        pytest_args.append("--fast-preprocess")
    if args.no_verify_data:
        pytest_args.append("--no-verify-data")
    if args.no_predictions:
        pytest_args.append("--no-predictions")
    if args.ray is not None:
        pytest_args.append(f"--ray={args.ray}")
    if passthrough[:1] == ["--"]:
        passthrough = passthrough[1:]
    return int(pytest.main([*pytest_args, *passthrough]))


def _list(args: argparse.Namespace, _: list[str]) -> None:
    import fnmatch

    from harness.catalogue.queries import get_benchmarks, get_tasks

    if args.what == "benchmarks":
        for bench in get_benchmarks():
            print(f"{bench.name:<20} {len(bench.tasks):>4} tasks  -m {bench.marker:<13} {bench.description}")
        return
    if args.what == "models":
        from mieb_models.registry import list_models

        print(f"{'name':<48} {'framework':<12} {'modalities':<11} {'dim':>5} {'params':>8}  {'revision':<12} aliases")
        for meta in list_models(args.pattern):
            params = f"{meta.n_parameters / 1e6:.0f}M" if meta.n_parameters else "-"
            print(
                f"{meta.name:<48} {meta.framework:<12} {'+'.join(meta.modalities):<11} {meta.embed_dim or '-':>5} "
                f"{params:>8}  {(meta.revision or '-')[:12]:<12} {', '.join(meta.aliases)}"
            )
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
    for line in leaderboard_lines(board, args.format):
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

    if not args.target and not args.verify:
        print("mieb download: give --to DIR (where to download), or --verify to check data", file=sys.stderr)
        return 2
    if args.target and args.datasets_dir:
        print("mieb download: --to and --datasets-dir exclude each other (--to is verified itself)", file=sys.stderr)
        return 2
    tasks = [task_for_source(t, args.dataset_source) for t in get_tasks(args.tasks, benchmarks=args.benchmark)]
    failed = _snapshot(tasks, args.target) if args.target else 0
    if args.verify:
        failed += _verify(tasks, args.target or args.datasets_dir, args.dataset_source)
    return 1 if failed else 0


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

    refs = {t.dataset for t in tasks if not t.dataset.path.startswith("mieb-offline/")}
    failed = 0
    for ref in sorted(refs, key=lambda r: r.path):
        target = Path(root, *ref.path.split("/"))
        try:
            snapshot_download(ref.path, repo_type="dataset", revision=ref.revision, local_dir=str(target))
            print(f"ok    {ref.path}@{ref.revision[:10]} -> {target}")
        except Exception as err:  # report every dataset, then fail
            failed += 1
            print(
                f"FAIL  {ref.path}@{ref.revision}: {type(err).__name__}: {str(err).splitlines()[0][:200]}",
                file=sys.stderr,
            )
    return failed


def _is_offline(task) -> bool:
    from harness.offline import ORG

    return task.dataset.path.startswith(f"{ORG}/")


def _build_offline(target: str | None) -> Path:
    from harness.offline.build import build_offline_datasets, default_offline_dir

    return build_offline_datasets(Path(target) if target else default_offline_dir())


def _offline(args: argparse.Namespace, _: list[str]) -> None:
    print(_build_offline(args.dir))


if __name__ == "__main__":
    sys.exit(main())
