"""Write harness/reference_data/fingerprints.json from mteb's own descriptive statistics.

Each MIEB task's pinned dataset revision gets the counts the reference reported for it (rows and
label counts per split; queries, documents and relevant documents for retrieval; samples, images
and texts for compositionality; pairs and mean score for visual STS), keyed by ``path@revision``.

Statistics of mteb 1.39.7 are read from a git clone of mteb at tag ``1.39.7`` and are kept only
when the stats file was last written after the task's pinned revision entered mteb (older files
describe another revision). Statistics of mteb 2.26.24 are read from an installed mteb 2.26.24
(its ``descriptive_stats`` folder) and used for the tasks that version pinned (the five
loading-script sources) and for the ``mteb2`` source's copies of the labeled-image families (the
families whose mteb 2.x views are proven against mteb 2.26.24's loaders).

    python scripts/fingerprints.py --mteb-git MTEB_CLONE \\
        --mteb1-python .mteb1/bin/python --mteb2-python .mteb2/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.catalogue.queries import all_tasks  # noqa: E402
from harness.data.fingerprints import FINGERPRINT_FILE, reference_fields  # noqa: E402
from harness.data.sources import MTEB2_VERSION, task_for_source  # noqa: E402
from mieb_tasks.families import PRE_RELEASE_MIEB  # noqa: E402

MTEB1_REF = "1.39.7"
# The pre-release MIEB code (mteb commit 088d1540): its loaders carry no statistics, but where mteb
# 1.39.7's statistics of a task were written while the task's file was still byte-identical to the
# pre-release one, those statistics are the pre-release loader's output (HatefulMemes, Memotion).
PRE_RELEASE_COMMIT = "088d1540ecae1afe032f4cff996cff2b0435a2a5"
LABELED = {"zeroshot", "linear_probe", "clustering"}

# Run inside a side virtualenv: each task's type, dataset and source file as that mteb declares them.
METADATA_SCRIPT = r"""
import inspect, json, os, sys
import mteb
out = {"version": mteb.__version__, "package": os.path.dirname(mteb.__file__), "tasks": {}}
for name in json.loads(sys.argv[1]):
    try:
        task = mteb.get_task(name)
    except Exception as err:
        out["tasks"][name] = {"error": f"{type(err).__name__}: {err}"}
        continue
    source = os.path.relpath(inspect.getfile(type(task)), os.path.dirname(out["package"]))
    out["tasks"][name] = {"type": task.metadata.type, "path": task.metadata.dataset["path"],
                          "revision": task.metadata.dataset["revision"], "file": source}
print(json.dumps(out))
"""


def side_metadata(python: str, names: list[str]) -> dict:
    done = subprocess.run([python, "-c", METADATA_SCRIPT, json.dumps(names)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{python} could not describe the tasks:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=False).stdout.strip()


def v1_stats(repo: str, name: str, meta: dict, pre_release: bool = False) -> tuple[dict | None, str]:
    """The 1.39.7 stats of a task, and where they come from (or why there are none).

    ``pre_release``: the task follows the pre-release loader; the stats count only when they were
    written by it (the task's file at the stats commit is the pre-release file, byte for byte).
    """
    files = git(repo, "ls-tree", "-r", "--name-only", MTEB1_REF, "mteb/descriptive_stats/Image").splitlines()
    preferred = f"mteb/descriptive_stats/Image/{meta['type']}/{name}.json"
    matches = [preferred] if preferred in files else [f for f in files if f.endswith(f"/{name}.json")]
    if not matches:
        return None, f"mteb {MTEB1_REF} carries no descriptive statistics for {name}"
    stats_file = matches[0]
    stats_commit = git(repo, "log", "-1", "--format=%H", MTEB1_REF, "--", stats_file)
    # The newest commit that changed how often the revision occurs (following renames): the one
    # that brought the pinned revision in, since the revision is there at the tag.
    changes = ["log", "--follow", "--format=%H", "-S", meta["revision"], MTEB1_REF, "--", meta["file"]]
    added = git(repo, *changes).splitlines()[:1]
    if not added:
        return None, f"revision {meta['revision']} not found in the history of {meta['file']}"
    ancestor = subprocess.run(["git", "-C", repo, "merge-base", "--is-ancestor", added[0], stats_commit], check=False)
    if ancestor.returncode != 0:
        return None, (
            f"{stats_file} (commit {stats_commit[:10]}) predates revision {meta['revision'][:10]} "
            f"(commit {added[0][:10]}): its counts describe another revision"
        )
    origin = f"mteb {MTEB1_REF} {stats_file}"
    if pre_release:
        at_stats = git(repo, "show", f"{stats_commit}:{meta['file']}")
        if not at_stats or at_stats != git(repo, "show", f"{PRE_RELEASE_COMMIT}:{meta['file']}"):
            return None, (
                f"{stats_file} (commit {stats_commit[:10]}) was not written by the pre-release loader "
                f"({meta['file']} differs from commit {PRE_RELEASE_COMMIT[:8]}'s)"
            )
        origin += f" (written by the pre-release loader: {meta['file']} as at commit {PRE_RELEASE_COMMIT[:8]})"
    return json.loads(git(repo, "show", f"{MTEB1_REF}:{stats_file}")), origin


def v2_stats(package: str, name: str, meta: dict) -> tuple[dict | None, str]:
    base = Path(package, "descriptive_stats", "Image")
    preferred = base / meta["type"] / f"{name}.json"
    matches = [preferred] if preferred.is_file() else sorted(base.rglob(f"{name}.json"))
    if not matches:
        return None, f"mteb {MTEB2_VERSION} carries no descriptive statistics for {name}"
    relative = matches[0].relative_to(Path(package).parent).as_posix()
    return json.loads(matches[0].read_text()), f"mteb {MTEB2_VERSION} {relative}"


def fingerprint_of(task, stats: dict, version: str) -> tuple[dict | None, str]:
    """``{split: {subset: {field: value}}}`` for the task's eval splits and subsets, from the stats."""
    kind = task.facts.fingerprint
    splits = {}
    for split in task.eval_splits:
        if split not in stats:
            return None, f"the statistics have no split {split!r}"
        per_subset = stats[split].get("hf_subset_descriptive_stats")
        subsets = {}
        for subset in task.subsets:
            block = stats[split] if subset == "default" else (per_subset or {}).get(subset)
            if block is None:
                return None, f"the statistics have no subset {subset!r} of split {split!r}"
            fields = reference_fields(kind, block, version)
            if not fields:
                return None, f"the statistics of {split}/{subset} hold none of the counts checked for {kind}"
            subsets[subset] = fields
        splits[split] = subsets
    return splits, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mteb-git", required=True, help="a git clone of mteb (bare is fine) with tag 1.39.7")
    parser.add_argument("--mteb1-python", default=os.environ.get("MIEB_MTEB1_PYTHON"), required=False)
    parser.add_argument("--mteb2-python", default=os.environ.get("MIEB_MTEB_PYTHON"), required=False)
    parser.add_argument("--out", default=str(ROOT / "harness" / "reference_data" / FINGERPRINT_FILE))
    args = parser.parse_args()
    if not (args.mteb1_python and args.mteb2_python):
        parser.error("--mteb1-python and --mteb2-python (or MIEB_MTEB1_PYTHON / MIEB_MTEB_PYTHON) are required")

    tasks = [t for t in all_tasks() if "MIEB(offline)" not in t.benchmarks]
    names = [t.name for t in tasks if t.aggregate_of is None]
    v1 = side_metadata(args.mteb1_python, names)
    v2 = side_metadata(args.mteb2_python, names)
    if v1["version"] != MTEB1_REF or v2["version"] != MTEB2_VERSION:
        raise SystemExit(f"need mteb {MTEB1_REF} and {MTEB2_VERSION}; got {v1['version']} and {v2['version']}")

    fingerprints: dict[str, dict] = {}
    missing: dict[str, str] = {}

    def record(task, source_name: str) -> None:
        variant = task_for_source(task, source_name)
        key = f"{variant.dataset.path}@{variant.dataset.revision}"
        label = f"{task.name} ({source_name})"
        if task.aggregate_of is not None:
            missing[label] = f"aggregate of {task.aggregate_of}: checked when that task's data is read"
            return
        use_v2 = variant.reference_version == MTEB2_VERSION
        if source_name == "mteb2" and variant.family not in LABELED:
            missing[label] = (
                f"{key}: mieb's mteb2 views of the {variant.family} family are not yet proven against "
                f"mteb {MTEB2_VERSION}'s loaders, so its statistics are not applied"
            )
            return
        pre_release = variant.reference_version == PRE_RELEASE_MIEB
        if not use_v2 and not pre_release and not variant.reference_version.startswith(MTEB1_REF):
            missing[label] = f"{key}: pinned by {variant.reference_version}, which carries no descriptive statistics"
            return
        meta = (v2 if use_v2 else v1)["tasks"].get(task.name, {})
        if "error" in meta or not meta:
            missing[label] = f"{key}: the reference has no task {task.name} ({meta.get('error', 'absent')})"
            return
        # The revision decides (a path the reference reads under another name, same revision, is the same data).
        if meta["revision"] != variant.dataset.revision:
            version = MTEB2_VERSION if use_v2 else MTEB1_REF
            missing[label] = f"{key}: mteb {version}'s statistics describe revision {meta['revision']}"
            return
        if use_v2:
            stats, origin = v2_stats(v2["package"], task.name, meta)
        else:
            stats, origin = v1_stats(args.mteb_git, task.name, meta, pre_release)
        if stats is None:
            missing[label] = f"{key}: {origin}"
            return
        splits, problem = fingerprint_of(variant, stats, MTEB2_VERSION if use_v2 else MTEB1_REF)
        if splits is None:
            missing[label] = f"{key}: {origin}: {problem}"
            return
        fingerprints.setdefault(key, {})[task.name] = {
            "kind": variant.facts.fingerprint,
            "from": origin,
            "splits": splits,
        }

    for task in tasks:
        record(task, "published")
        if task_for_source(task, "mteb2") != task:
            record(task, "mteb2")

    commit = git(args.mteb_git, "rev-parse", f"{MTEB1_REF}^{{commit}}")
    document = {
        "about": "Counts the reference reported for each task's pinned data (scripts/fingerprints.py)",
        "sources": {MTEB1_REF: f"mteb git tag {MTEB1_REF} (commit {commit})", MTEB2_VERSION: f"mteb {MTEB2_VERSION}"},
        "fingerprints": dict(sorted(fingerprints.items())),
        "not_recorded": dict(sorted(missing.items())),
    }
    out = Path(args.out)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    os.replace(tmp, out)
    published = [t.name for t in tasks if f"{t.name} (published)" not in missing]
    print(
        f"{out}: {sum(len(v) for v in fingerprints.values())} fingerprints over {len(fingerprints)} datasets; "
        f"{len(published)} of {len(tasks)} tasks fingerprinted in the published source; "
        f"{len(missing)} (task, source) pairs without one"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
