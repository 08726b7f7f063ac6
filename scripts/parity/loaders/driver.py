"""Loader parity: every task's evaluation inputs as mieb reads them vs as the reference's own loader does.

    python scripts/parity/loaders/driver.py --mteb1 PYTHON [--mteb-git DIR] [--work DIR] [--table FILE] [--docs]

For each task (the 132 MIEB tasks), a tiny snapshot of its dataset is written in the layout of the
revision it pins (``snapshots.py``); mieb's views read it (``ours.py``, this interpreter) and so does
the reference implementation of the version that pinned it (``reference_side.py``, run once, for all
tasks, in ``--mteb1``: a python with mteb 1.39.7, see ``scripts/parity/side_env.sh``), with its
``load_dataset`` calls redirected to the snapshots. Queries, corpus, qrels, candidate lists, labels,
prompts, image order, and the dataset path and revision the reference asks for are compared.
Tasks pinned by the pre-release MIEB code are run with that code's loader, read from a git clone of
mteb (``--mteb-git``, env ``MIEB_MTEB_GIT``); without it they are reported as not proven.

Writes ``WORK/loader_parity.json`` and a markdown table (``--table``; ``--docs`` replaces the table
between the markers in docs/datasets.md). The table says, per task, which reference loader it was
compared with (the five loading-script sources: mteb 2.26.24's loader of the parquet copy, not the
script behind the published scores) and who chose the pinned revision: the reference, or mieb where
the reference's loader asked for none (mteb 1.x's BEIR layout; the content fingerprint is then the
proof). Exit status 1 when a task that was compared differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path[:0] = [str(HERE), str(REPO)]

from ours import task_inputs  # noqa: E402
from snapshots import write_task_snapshot  # noqa: E402

from harness.catalogue.queries import TaskSpec, all_tasks  # noqa: E402
from harness.data.fingerprints import fingerprint  # noqa: E402
from harness.data.hub import DataSource  # noqa: E402
from harness.data.sources import reference_pins_revision  # noqa: E402

# The pre-release MIEB loaders behind published scores, by layout name: (commit, file, function);
# ``{name}`` in the file is the task's name (one file per task).
PRERELEASE_COMMIT = "088d1540ecae1afe032f4cff996cff2b0435a2a5"
PRERELEASE = {
    "vidore_table": (PRERELEASE_COMMIT, "mteb/tasks/Image/Any2AnyRetrieval/eng/VidoreBenchRetrieval.py", "_load_data"),
    "hateful_memes": (PRERELEASE_COMMIT, "mteb/tasks/Image/Any2AnyRetrieval/eng/{name}.py", "_load_data"),
    "memotion": (PRERELEASE_COMMIT, "mteb/tasks/Image/Any2AnyRetrieval/eng/{name}.py", "_load_data"),
}
# The pre-release label files behind the published zero-shot prompts (1.39.7's end with a newline).
LABEL_FILES = ("088d1540ecae1afe032f4cff996cff2b0435a2a5", "mteb/tasks/Image/ZeroshotClassification/eng/templates")
TABLE_PAGE = REPO / "docs" / "datasets.md"  # the page whose parity table ``--docs`` rewrites
TABLE_BEGIN = "<!-- loader-parity:begin -->"
TABLE_END = "<!-- loader-parity:end -->"


def mieb_tasks() -> list[TaskSpec]:
    return [t for t in all_tasks() if "MIEB(offline)" not in t.benchmarks]


def first_difference(ours: Any, theirs: Any, where: str = "") -> str | None:
    """The path of the first difference between two canonical structures (None when equal)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if set(ours) != set(theirs):
            only_ours, only_theirs = sorted(set(ours) - set(theirs))[:3], sorted(set(theirs) - set(ours))[:3]
            return f"{where or '.'}: keys only in mieb {only_ours}, only in reference {only_theirs}"
        for key in ours:
            found = first_difference(ours[key], theirs[key], f"{where}/{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{where}: {len(ours)} items in mieb, {len(theirs)} in reference"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        return None
    if ours != theirs:
        return f"{where}: mieb {ours!r}, reference {theirs!r}"
    return None


def git_show(mteb_git: str, commit: str, file: str) -> str:
    return subprocess.run(
        ["git", "-C", mteb_git, "show", f"{commit}:{file}"], check=True, capture_output=True, text=True
    ).stdout


def prerelease_source(task: TaskSpec, mteb_git: str | None) -> dict | None:
    commit, file, function = PRERELEASE[task.layout]
    file = file.format(name=task.name)
    if not mteb_git:
        return None
    source = git_show(mteb_git, commit, file)
    return {
        "source": source,
        "origin": f"mteb@{commit[:8]}:{file}",
        "function": function,
        "path": task.dataset.path,
        "revision": task.dataset.revision,
    }


def side_interpreter(python: str) -> str:
    """``python`` usable from another working folder: a path (``.mteb1/bin/python``) made absolute against
    the caller's folder, not resolved (a venv's interpreter is a symlink whose location makes it the venv's);
    a bare name (``python3``) is left to the PATH lookup."""
    return str(Path(python).absolute()) if os.sep in python or (os.altsep and os.altsep in python) else python


def run_side(python: str, manifest: dict, work: Path, name: str) -> dict:
    manifest_path, out_path = work / f"{name}_manifest.json", work / f"{name}_reference.json"
    python = side_interpreter(python)
    manifest_path.write_text(json.dumps(manifest))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    # from a neutral folder, so nothing of this repository shadows the reference's imports
    subprocess.run(
        [python, str(HERE / "reference_side.py"), str(manifest_path), str(out_path)], check=True, cwd=work, env=env
    )
    return json.loads(out_path.read_text())


def compare_task(task: TaskSpec, ours: dict | str, record: dict) -> tuple[str, str]:
    """(status, note) of one task: ``identical``, ``differs`` or ``error``."""
    if isinstance(ours, str):
        return "error", f"mieb: {ours}"
    if "error" in record:
        return "error", f"reference: {record['error'][:300]}"
    pinned = record.get("pinned", {})
    notes = []
    if pinned.get("revision") and pinned["revision"] != task.dataset.revision:
        return "differs", f"reference pins revision {pinned['revision']}, mieb {task.dataset.revision}"
    if pinned.get("path") and pinned["path"] != task.dataset.path:
        notes.append(f"reference path {pinned['path']} (same revision)")
    asked = {c.get("revision") for c in record.get("calls", [])}
    if reference_pins_revision(task):
        if asked != {task.dataset.revision}:
            shown = sorted(str(r) for r in asked)
            return "differs", f"reference loads revision {shown}, mieb pins {task.dataset.revision} as the reference's"
    elif asked != {None}:
        shown = sorted(str(r) for r in asked)
        return "differs", f"the catalogue says the reference loads no revision, it asked for {shown}"
    difference = first_difference(ours, record["inputs"])
    if difference:
        return "differs", difference[:400]
    return "identical", "; ".join(notes)


def compare_counts(task: TaskSpec, source: DataSource, record: dict, version: str) -> str:
    """Whether mieb's content-fingerprint counts of the snapshot equal the reference's own statistics of it."""
    from harness.data.fingerprints import observe, reference_fields
    from harness.data.views import read_view

    kind = task.facts.fingerprint
    differences = []
    for cell, stats in (record.get("stats") or {}).items():
        if "error" in stats:  # the reference's statistics code itself fails on this task
            return f"not computable: reference statistics of {cell}: {stats['error'][:200]}"
        expected = reference_fields(kind, stats, version)
        split, subset = cell.split("/")
        try:
            found = observe(kind, task, read_view(source, task, split, subset))
        except Exception as err:  # reported per task
            return f"error: mieb counts of {cell}: {type(err).__name__}: {err}"
        differences += [f"{cell} {k}: mieb {found[k]!r}, reference {v!r}" for k, v in expected.items() if found[k] != v]
    if not record.get("stats"):
        return "error: no reference statistics"
    return "identical" if not differences else "differs: " + "; ".join(differences)[:400]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mteb1", default=os.environ.get("MIEB_MTEB1_PYTHON"), help="python with mteb 1.39.7")
    parser.add_argument(
        "--mteb2",
        default=os.environ.get("MIEB_MTEB_PYTHON"),
        help="python with mteb 2.26.24: also compare the labeled-image tasks as --dataset-source mteb2 reads them",
    )
    parser.add_argument(
        "--mteb-git", default=os.environ.get("MIEB_MTEB_GIT"), help="git clone of mteb (pre-release loaders)"
    )
    parser.add_argument("--work", default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--tasks", nargs="*", help="only these tasks")
    parser.add_argument("--table", default=None, help="write the markdown table here")
    parser.add_argument("--docs", action="store_true", help="replace the table in docs/datasets.md")
    args = parser.parse_args()
    if not args.mteb1:
        parser.error("--mteb1 (or env MIEB_MTEB1_PYTHON) is required: a python with mteb 1.39.7")
    work = Path(args.work or tempfile.mkdtemp(prefix="mieb-loader-parity-"))
    data = work / "data"
    os.environ["HF_DATASETS_CACHE"] = str(work / "hf-cache-mieb")
    import datasets

    datasets.disable_progress_bars()
    tasks = [t for t in mieb_tasks() if not args.tasks or t.name in args.tasks]
    source = DataSource.from_env(data)
    rows: dict[str, dict] = {}
    manifest: dict[str, Any] = {"cache_dir": str(work / "hf-cache-reference"), "tasks": []}
    ours: dict[str, Any] = {}
    written: set[str] = set()
    for task in tasks:
        if task.aggregate_of:
            rows[task.name] = {"status": "aggregate", "note": f"reuses {task.aggregate_of}'s inputs"}
            continue
        if not task.follows_mteb1:
            rows[task.name] = {"status": "source differs", "note": task.source_differs}
            continue
        write_task_snapshot(data, task, written)
        try:
            ours[task.name] = task_inputs(task, source)
        except Exception as err:  # reported per task
            ours[task.name] = f"{type(err).__name__}: {err}"
        entry = {
            "name": task.name,
            "folder": str(Path(data, *task.dataset.path.split("/"))),
            "eval_splits": list(task.eval_splits),
            "subsets": list(task.subsets),
        }
        if task.label_names_file:
            if not args.mteb_git:
                rows[task.name] = {
                    "status": "not proven",
                    "note": "pre-release label file: pass --mteb-git (a clone of mteb)",
                }
                continue
            commit, folder = LABEL_FILES
            entry["label_files"] = {
                task.label_names_file: git_show(args.mteb_git, commit, f"{folder}/{task.label_names_file}")
            }
        if task.layout in PRERELEASE:
            entry["prerelease"] = prerelease_source(task, args.mteb_git)
            if entry["prerelease"] is None:
                rows[task.name] = {
                    "status": "not proven",
                    "note": "pre-release loader: pass --mteb-git (a clone of mteb)",
                }
                continue
        manifest["tasks"].append(entry)
    reference = run_side(args.mteb1, manifest, work, "mteb1")
    for entry in manifest["tasks"]:
        task = next(t for t in tasks if t.name == entry["name"])
        status, note = compare_task(task, ours[task.name], reference["tasks"][task.name])
        rows[task.name] = {"status": status, "note": note}
        if "prerelease" not in entry:  # the pre-release loaders come without the statistics code
            rows[task.name]["counts"] = compare_counts(task, source, reference["tasks"][task.name], "1.39.7")
    mteb2_version = None
    if args.mteb2:
        mteb2_rows, mteb2_version = run_mteb2(args.mteb2, tasks, work)
        for name, row in mteb2_rows.items():
            if rows[name]["status"] == "source differs":  # its reader is the 2.x one: this is its proof
                rows[name] = {"status": row["status"], "note": f"{row['note']}; {rows[name]['note']}"}
            elif row["status"] != "identical":
                rows[name]["note"] = f"{rows[name]['note']} mteb2 source {row['note']}".strip()
            rows[name]["mteb2"] = row["status"]
            rows[name]["mteb2_counts"] = row["counts"]
    for task in tasks:
        rows[task.name]["reference"] = reference_loader(task)
        rows[task.name]["revision"] = revision_origin(task)
        rows[task.name]["in_lite"] = "MIEB(lite)" in task.benchmarks
    (work / "loader_parity.json").write_text(
        json.dumps({"mteb1": reference.get("mteb_version"), "mteb2": mteb2_version, "tasks": rows}, indent=1)
    )
    table = markdown_table(tasks, rows)
    if args.table:
        Path(args.table).write_text(table)
    if args.docs:
        replace_docs_table(table)
    counts: dict[str, int] = {}
    for row in rows.values():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    print(f"loader parity vs mteb {reference.get('mteb_version')} ({work}): {summary(counts)}")
    bad = ("differs", "error")
    if mteb2_version:
        counts2: dict[str, int] = {}
        for row in rows.values():
            counts2[row.get("mteb2", "not compared")] = counts2.get(row.get("mteb2", "not compared"), 0) + 1
        print(f"--dataset-source mteb2 vs mteb {mteb2_version}: {counts2}")
    for name, row in rows.items():
        if row["status"] in bad or row.get("mteb2") in bad:
            print(f"  {row['status']:9} (mteb2: {row.get('mteb2', '-')}) {name}: {row['note']}")
    counted = [r.get("counts") for r in rows.values() if r.get("counts")]
    print(
        f"content-fingerprint counts vs the reference's statistics: {sum(c == 'identical' for c in counted)} of "
        f"{len(counted)} tasks identical"
    )
    for name, row in rows.items():
        for field in ("counts", "mteb2_counts"):
            if row.get(field, "identical") != "identical":
                print(f"  {field} {name}: {row[field]}")
    counts_bad = any(
        r.get(f, "identical").startswith(("differs", "error"))
        for r in rows.values()
        for f in ("counts", "mteb2_counts")
    )
    return 1 if counts_bad or any(r["status"] in bad or r.get("mteb2") in bad for r in rows.values()) else 0


def summary(counts: dict[str, int]) -> str:
    """``128 identical, 4 aggregates (read through their raw task), ... of 132 tasks``: what each count is."""
    words = {"aggregate": "aggregates (read through their raw task)", "not proven": "not proven (no --mteb-git)"}
    parts = [f"{n} {words.get(status, status)}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return f"{', '.join(parts)} of {sum(counts.values())} tasks"


MTEB2_FAMILIES = ("zeroshot", "linear_probe", "clustering")


def run_mteb2(python: str, tasks: list[TaskSpec], work: Path) -> tuple[dict[str, dict], str | None]:
    """The labeled-image tasks as ``--dataset-source mteb2`` reads them vs mteb 2.26.24's own loader."""
    from harness.data.sources import task_for_source

    data = work / "data-mteb2"
    source = DataSource.from_env(data, "mteb2")
    manifest: dict[str, Any] = {"cache_dir": str(work / "hf-cache-reference2"), "tasks": []}
    variants: dict[str, TaskSpec] = {}
    ours: dict[str, Any] = {}
    written: set[str] = set()
    for task in tasks:
        if task.family not in MTEB2_FAMILIES:
            continue
        variant = variants[task.name] = task_for_source(task, "mteb2")
        write_task_snapshot(data, variant, written)
        try:
            ours[task.name] = task_inputs(variant, source)
        except Exception as err:  # reported per task
            ours[task.name] = f"{type(err).__name__}: {err}"
        manifest["tasks"].append(
            {
                "name": task.name,
                "folder": str(Path(data, *variant.dataset.path.split("/"))),
                "eval_splits": list(variant.eval_splits),
                "subsets": list(variant.subsets),
            }
        )
    reference = run_side(python, manifest, work, "mteb2")
    rows = {}
    for name, variant in variants.items():
        status, note = compare_task(variant, ours[name], reference["tasks"][name])
        rows[name] = {
            "status": status,
            "note": f"vs mteb {reference.get('mteb_version')}" + (f": {note}" if note else ""),
            "counts": compare_counts(variant, source, reference["tasks"][name], str(reference.get("mteb_version"))),
        }
    return rows, reference.get("mteb_version")


def reference_loader(task: TaskSpec) -> str:
    """The reference loader the task was compared with, and whether the published scores used it."""
    if task.source_differs:
        # the five loading-script sources: proven against the 2.x loader of the parquet copy they read
        return f"{task.reference_version} (not the published scores' loader: they read a loading script)"
    return task.reference_version


def revision_origin(task: TaskSpec) -> str:
    """Who chose the pinned revision: the reference's loader, or mieb (the reference asked for none)."""
    if task.aggregate_of:
        return f"as {task.aggregate_of}"
    if reference_pins_revision(task):
        return "the reference's"
    proof = "fingerprinted" if fingerprint(task) is not None else "**no fingerprint**"
    return f"mieb's (the reference read HEAD); {proof}"


def markdown_table(tasks: list[TaskSpec], rows: dict[str, dict]) -> str:
    verdict = {"identical": "yes", "differs": "**no**", "error": "**no** (error)"}
    lines = [
        "| task | reference loader | pinned revision | inputs identical | `--dataset-source mteb2` inputs identical "
        "| note |",
        "|---|---|---|---|---|---|",
    ]
    for task in tasks:
        row = rows[task.name]
        shown = verdict.get(row["status"], row["status"])
        note = row["note"].replace("|", "\\|").replace("\n", " ")
        mteb2 = verdict.get(row.get("mteb2", ""), "not compared")
        lite = " (lite)" if row["in_lite"] else ""
        lines.append(f"| {task.name}{lite} | {row['reference']} | {row['revision']} | {shown} | {mteb2} | {note} |")
    return "\n".join(lines) + "\n"


def replace_docs_table(table: str, page: Path = TABLE_PAGE) -> None:
    """Replace the table between the loader-parity markers of ``page`` (atomically)."""
    text = page.read_text()
    if TABLE_BEGIN not in text or TABLE_END not in text:
        raise SystemExit(f"{page} has no {TABLE_BEGIN} ... {TABLE_END} markers to write the table between")
    start, end = text.index(TABLE_BEGIN) + len(TABLE_BEGIN), text.index(TABLE_END)
    tmp = page.with_name(page.name + ".tmp")
    tmp.write_text(text[:start] + "\n" + table + text[end:])
    os.replace(tmp, page)


if __name__ == "__main__":
    sys.exit(main())
