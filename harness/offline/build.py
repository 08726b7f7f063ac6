"""Build the MIEB(offline) datasets in the real hub layouts (the layouts the reference implementation reads).

``build_offline_datasets(target_dir)`` writes ``target_dir/mieb-offline/<name>`` with
``harness.data.hub.write_snapshot``, so ``--datasets-dir target_dir`` serves them to the normal
loaders. It is

* idempotent: each dataset folder carries a stamp (builder version, scale); a stamped folder is
  skipped, anything else is rebuilt;
* atomic: a dataset is written to a temporary sibling folder and renamed into place;
* deterministic: every dataset draws from its own ``numpy`` generator seeded by its name, and
  images are PNG-encoded by PIL, so two builds give byte-identical parquet files.

Emoji-based evaluation splits only use the ``eval`` half of the emojis (``mieb_assets.emoji``),
never the pairs the offline CLIP's head was fitted on. The builders live in the family modules
(``classification``, ``retrieval``, ``documents``, ``sts``, ``shapes``); this module registers them and
orchestrates the build. Run ``python -m harness.offline.build DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from harness.offline.classification import build_animal_mnist, build_emoji_categories, build_fashion_mnist, build_mnist
from harness.offline.common import Configs, seeded_rng
from harness.offline.documents import build_emoji_docs
from harness.offline.retrieval import build_emoji_i2t, build_emoji_t2i, build_emoji_xm3600
from harness.offline.shapes import build_shapes_aro, build_shapes_count, build_shapes_winoground
from harness.offline.sts import build_emoji_sts, build_emoji_sts_multi
from mieb_tasks.offline import BUILDER_VERSION, ORG

STAMP = ".mieb-offline-stamp.json"

BUILDERS: dict[str, Callable[[np.random.Generator, float], Configs]] = {
    "emoji-categories": build_emoji_categories,
    "animal-mnist": build_animal_mnist,
    "fashion-mnist": build_fashion_mnist,
    "mnist": build_mnist,
    "emoji-t2i": build_emoji_t2i,
    "emoji-i2t": build_emoji_i2t,
    "emoji-xm3600": build_emoji_xm3600,
    "emoji-docs": build_emoji_docs,
    "emoji-sts": build_emoji_sts,
    "emoji-sts-multi": build_emoji_sts_multi,
    "shapes-aro": build_shapes_aro,
    "shapes-winoground": build_shapes_winoground,
    "shapes-count": build_shapes_count,
}


def default_offline_dir() -> Path:
    """``$MIEB_HOME/offline-datasets`` (``~/.cache/mieb/offline-datasets``): where ``mieb offline build``
    and ``mieb run`` without ``--datasets-dir`` put the offline datasets."""
    from mieb_assets.locations import mieb_home

    return mieb_home() / "offline-datasets"


def _stamp(name: str, scale: float) -> dict[str, Any]:
    return {"builder_version": BUILDER_VERSION, "dataset": f"{ORG}/{name}", "scale": scale}


def is_built(folder: Path, name: str, scale: float) -> bool:
    try:
        return json.loads((folder / STAMP).read_text()) == _stamp(name, scale)
    except (OSError, ValueError):
        return False


def build_one(root: Path, name: str, scale: float = 1.0) -> bool:
    """Build ``root/name`` unless it is already built at this version and scale; True if built now."""
    final = root / name
    if is_built(final, name, scale):
        return False
    tmp = root / f".tmp-{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        from harness.data.hub import write_snapshot

        write_snapshot(tmp, BUILDERS[name](seeded_rng(name), scale))
        (tmp / STAMP).write_text(json.dumps(_stamp(name, scale), sort_keys=True) + "\n")
        if final.exists():
            stale = root / f".old-{name}-{os.getpid()}"
            os.replace(final, stale)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(tmp, final)
        except OSError:
            if not is_built(final, name, scale):  # lost a race to another builder: fine if it finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def build_offline_datasets(
    target_dir: str | os.PathLike[str], *, progress: bool = True, scale: float = 1.0, only: Iterable[str] | None = None
) -> Path:
    """Build every offline dataset (or those in ``only``) under ``target_dir/mieb-offline``.

    ``scale`` multiplies every dataset's size (tests use a small one); it is part of the stamp.
    Returns ``target_dir`` (the folder to pass as ``--datasets-dir``).
    """
    from mieb_assets.locations import AssetMissing, check_all

    problems = check_all()
    if problems:
        raise AssetMissing("offline assets missing:\n  " + "\n  ".join(problems))
    names = list(BUILDERS) if only is None else list(only)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        raise KeyError(f"unknown offline datasets {unknown}; known: {sorted(BUILDERS)}")
    target = Path(target_dir).expanduser().resolve()
    root = target / ORG
    root.mkdir(parents=True, exist_ok=True)
    import datasets
    from tqdm.auto import tqdm

    quiet = datasets.utils.are_progress_bars_disabled()
    datasets.disable_progress_bars()  # one bar for the whole build, not one per parquet file
    try:
        missing = [n for n in names if not is_built(root / n, n, scale)]  # no bar when all are built
        bar = tqdm(names, desc="mieb-offline datasets", unit="dataset", disable=not (progress and missing))
        for name in bar:
            bar.set_postfix_str(name)
            build_one(root, name, scale)
    finally:
        if not quiet:
            datasets.enable_progress_bars()
    summary = {
        "builder_version": BUILDER_VERSION,
        "scale": scale,
        "datasets": sorted(n for n in BUILDERS if is_built(root / n, n, scale)),
    }
    tmp = root / f".stamp-{os.getpid()}.tmp"
    tmp.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, root / STAMP)
    return target


def dataset_name(task: Any) -> str | None:
    """The offline builder's name of a task's dataset (``mieb-offline/<name>``), or None for hub tasks."""
    org, _, name = task.dataset.path.partition("/")
    return name if org == ORG and name in BUILDERS else None


def datasets_dir_for(task: Any, datasets_dir: str | None) -> str | None:
    """Where ``task`` reads its data: ``datasets_dir``, except for an offline task it lacks.

    An offline dataset missing there is built (once, under a lock shared with other processes and
    xdist workers) in ``default_offline_dir()``, so plain ``pytest -m offline`` needs no download
    step. Raises ``AssetMissing`` when the packages the builders read are not installed.
    """
    name = dataset_name(task)
    if name is None or (datasets_dir and (Path(datasets_dir).expanduser() / ORG / name).is_dir()):
        return datasets_dir
    target = default_offline_dir()
    root = target / ORG
    if not is_built(root / name, name, 1.0):
        from filelock import FileLock

        from mieb_assets.locations import AssetMissing, check_all

        root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(root / f".{name}.lock")):
            if problems := check_all():
                raise AssetMissing(f"cannot build {ORG}/{name}: offline assets missing:\n  " + "\n  ".join(problems))
            build_one(root, name)
    return str(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the MIEB(offline) datasets (pass DIR as --datasets-dir).")
    parser.add_argument("target_dir", type=Path, nargs="?", default=None, help="default: $MIEB_HOME/offline-datasets")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", nargs="*", choices=sorted(BUILDERS))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    target = args.target_dir or default_offline_dir()
    path = build_offline_datasets(target, progress=not args.quiet, scale=args.scale, only=args.only)
    print(path, file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
