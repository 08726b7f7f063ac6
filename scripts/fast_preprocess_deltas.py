"""Main-score effect of ``--fast-preprocess`` for the random-weight test models, family by family.

    python scripts/fast_preprocess_deltas.py WORKDIR [--data offline|parity] [--families clip,siglip,open_clip]

Builds the tiny seeded checkpoints the tests use (``tests/models/conftest.py``: transformers CLIP,
SigLIP, open_clip), then scores every task twice per family, exact and fast (same engine settings
otherwise), and prints each main score's delta against the task family's gate tolerance
(``harness.gating.references.tolerance_for``). ``--data offline``: MIEB(offline) (its datasets built into
WORKDIR/offline-data when missing); ``--data parity``: the parity datasets of
``scripts/parity/build_datasets.py`` (written into WORKDIR). Writes ``WORKDIR/deltas-<data>.json``.
Random weights make the scores near chance: the deltas show how far the pixel difference moves a
score, not what it does to a trained model.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


class _TmpFactory:
    """The one method of pytest's ``tmp_path_factory`` the checkpoint fixtures use."""

    def __init__(self, root: Path):
        self.root = root

    def mktemp(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))


def build_models(work: Path, families: list[str]) -> dict[str, Path]:
    import tests.models.conftest as fixtures

    factory = _TmpFactory(work)
    builders = {
        "clip": lambda: fixtures.clip_dir.__wrapped__(factory, fixtures.clip_tokenizer_dir.__wrapped__(factory)),
        "siglip": lambda: fixtures.siglip_dir.__wrapped__(factory),
        "open_clip": lambda: fixtures.open_clip_dir.__wrapped__(factory),
    }
    return {family: builders[family]() for family in families}


def tasks_and_source(data: str, work: Path) -> tuple[list[tuple[object, list[str] | None]], object]:
    from harness.catalogue.queries import get_benchmark, get_task
    from harness.data.hub import DataSource

    if data == "offline":
        from harness.offline.build import build_offline_datasets

        root = build_offline_datasets(work / "offline-data", progress=False)
        tasks = [(task, None) for task in get_benchmark("MIEB(offline)").tasks]
        return tasks, DataSource.from_env(root, verify_data=False)
    root = work / "parity-data"
    if not (root / "tasks.json").exists():
        subprocess.run([sys.executable, str(REPO / "scripts/parity/build_datasets.py"), str(root)], check=True)
    manifest = json.loads((root / "tasks.json").read_text())
    # the parity data is laid out as mteb 2.x reads it (its paths, its BEIR configs)
    tasks = [(get_task(name), info["subsets"]) for name, info in manifest.items()]
    return tasks, DataSource.from_env(root, "mteb2", verify_data=False)  # tiny by design


def main_scores(model: object, tasks: list, source: object, results: Path, fast: bool) -> dict[str, float]:
    from harness.runner import build_engine, run_task

    # a fresh cache per run (fast-path embeddings are keyed apart from the exact ones anyway)
    cache = results / ("cache-fast" if fast else "cache-exact")
    engine = build_engine(model, cache_dir=cache, batch_size=32, num_workers=0, progress=False, fast_preprocess=fast)
    if fast and engine.spec is None:  # the engine kept the exact path: a zero delta would mean nothing
        raise SystemExit(f"{model.meta.name}: --fast-preprocess does not recognise its transform")
    scores = {}
    for task, subsets in tasks:
        try:
            outcome = run_task(task, engine, source, results, overwrite=True, subsets=subsets)
        except Exception as err:  # one unscorable task (data, modalities) is reported, the rest go on
            print(f"  {task.name}: not scored ({type(err).__name__}: {err})")
            continue
        for split, entries in outcome.result.scores.items():
            for entry in entries:
                scores[f"{task.name}/{split}/{entry['hf_subset']}"] = float(entry["main_score"])
    return scores


def main() -> None:
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    work = Path(args[0]).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data = args[args.index("--data") + 1] if "--data" in args else "offline"
    families = (
        args[args.index("--families") + 1].split(",") if "--families" in args else ["clip", "siglip", "open_clip"]
    )
    import datasets

    from harness.catalogue.queries import get_task
    from harness.gating.references import tolerance_for
    from mieb_models.registry import load_model

    datasets.disable_progress_bars()
    tasks, source = tasks_and_source(data, work)
    report: dict = {"data": data, "families": {}}
    for family, folder in build_models(work, families).items():
        model = load_model(str(folder), device="cpu")
        exact = main_scores(model, tasks, source, work / f"{data}-{family}-exact", fast=False)
        fast = main_scores(model, tasks, source, work / f"{data}-{family}-fast", fast=True)
        rows = []
        for key in sorted(set(exact) & set(fast)):
            task = get_task(key.split("/")[0])
            delta = fast[key] - exact[key]
            rows.append(
                {"case": key, "exact": exact[key], "fast": fast[key], "delta": delta, "tol": tolerance_for(task)}
            )
        beyond = [r for r in rows if abs(r["delta"]) > r["tol"]]
        worst = max(rows, key=lambda r: abs(r["delta"]), default=None)
        summary = {
            "cases": len(rows),
            "mean_abs_delta": sum(abs(r["delta"]) for r in rows) / max(len(rows), 1),
            "max_abs_delta": abs(worst["delta"]) if worst else None,
            "max_case": worst["case"] if worst else None,
            "beyond_tolerance": [r["case"] for r in beyond],
            "rows": rows,
        }
        report["families"][family] = summary
        print(
            f"{family}: {len(rows)} main scores, mean |delta| {summary['mean_abs_delta']:.4f}, "
            f"max {summary['max_abs_delta']:.4f} ({summary['max_case']}), beyond tolerance: {len(beyond)}"
        )
        for r in beyond:
            print(f"    {r['case']}: exact {r['exact']:.4f} fast {r['fast']:.4f} (tolerance {r['tol']})")
    (work / f"deltas-{data}.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
