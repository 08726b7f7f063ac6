"""Wall time of mteb 2.x vs mieb on the CIFAR10 trio: same model, same local data, same machine.

    .venv/bin/python scripts/parity/time_vs_mteb.py /path/to/mteb/python [WORKDIR] [--rounds N]

Builds once into WORKDIR (default: a fresh temporary folder) the checkpoint and data of
``benchmarks/test_cifar_trio_speed.py``: a randomly initialised ViT-B/32-size transformers CLIP and
a CIFAR10-like snapshot (1000 train / 500 test random 32x32 images), written under both
``uoft-cs/cifar10`` (mieb's pin) and ``mteb/cifar10`` (mteb 2.x's path). Then, each in a fresh
process with a fresh ``HF_DATASETS_CACHE``:

* mteb: its transformers CLIP wrapper (``mteb.models.model_implementations.clip_models.CLIPModel``)
  on the local folder, given the ``openai/clip-vit-base-patch32`` ModelMeta as ``mteb.get_model``
  would, and ``mteb.evaluate(model, tasks, cache=None, overwrite_strategy="always",
  encode_kwargs={"batch_size": 32})`` on mteb's own task objects pointed at the local folder;
* mieb: ``harness.api.evaluate(get_model(<dir>, device="cpu"), tasks, ..., cache_dir=<empty>,
  overwrite=True)``; then once more warm (the embedding and datasets caches of that run kept).

``--rounds N`` repeats the three runs N times interleaved (mteb, mieb, warm mieb, mteb, ...) and
prints each round's ratios and their spread: on a shared machine one round says little.

Model loading and task lookup are outside the timed part on both sides; everything else (data
loading, preprocessing, encoding, evaluation) is inside. Both sides also count the images/texts
that reach the model's forward and its time, to show where the wall time goes. mteb is never
imported by mieb: the mteb side runs this file under the mteb interpreter (``--side mteb``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[2]
TASKS = ["CIFAR10ZeroShot", "CIFAR10", "CIFAR10Clustering"]
N_TRAIN, N_TEST = 1000, 500
WARM_ENV = "MIEB_TIMING_WARM"
NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


# --- build (mieb venv) ------------------------------------------------------------------------------


def build(work: Path) -> None:
    """Checkpoint and data exactly as benchmarks/test_cifar_trio_speed.py builds them."""
    sys.path.insert(0, str(REPO))
    import datasets
    import numpy as np
    import torch
    from PIL import Image
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    from harness.data.hub import write_snapshot
    from mieb_models.clip_tokenizer import write_clip_tokenizer_files

    ckpt = work / "vit-b32"
    if not (ckpt / "config.json").exists():
        torch.manual_seed(0)
        CLIPModel(CLIPConfig()).eval().save_pretrained(ckpt)
        write_clip_tokenizer_files(ckpt)
        CLIPProcessor(
            image_processor=CLIPImageProcessor(), tokenizer=CLIPTokenizer.from_pretrained(ckpt)
        ).save_pretrained(ckpt)
    data = work / "data"
    mieb_path, mteb_path = data / "uoft-cs" / "cifar10", data / "mteb" / "cifar10"
    if not mieb_path.exists():
        datasets.disable_progress_bars()
        rng = np.random.default_rng(0)
        features = datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(names=NAMES)})
        splits = {}
        for split, n in (("train", N_TRAIN), ("test", N_TEST)):
            labels = np.arange(n) % 10
            images = [Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)) for _ in range(n)]
            splits[split] = datasets.Dataset.from_dict({"img": images, "label": labels}, features=features)
        write_snapshot(mieb_path, {"plain_text": splits})
    if not mteb_path.exists():
        shutil.copytree(mieb_path, mteb_path)


# --- instrumentation (both sides) ---------------------------------------------------------------------


def instrument_forward(torch_model) -> dict:
    """Count rows through get_image_features / get_text_features and time them."""
    stats = {"images": 0, "texts": 0, "image_forward_s": 0.0, "text_forward_s": 0.0, "image_calls": 0}

    def wrap(name: str, kind: str, key: str):
        original = getattr(torch_model, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            out = original(*args, **kwargs)
            stats[f"{kind}_forward_s"] += time.perf_counter() - start
            stats[f"{kind}s"] += int(kwargs[key].shape[0] if key in kwargs else args[0].shape[0])
            if kind == "image":
                stats["image_calls"] += 1
            return out

        setattr(torch_model, name, timed)

    wrap("get_image_features", "image", "pixel_values")
    wrap("get_text_features", "text", "input_ids")
    return stats


def flat_scores(scores: dict) -> dict:
    """{split: [entry]} -> {"split/subset/metric": float} for the numeric metrics."""
    out = {}
    for split, entries in scores.items():
        for entry in entries:
            for key, value in entry.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    out[f"{split}/{entry['hf_subset']}/{key}"] = float(value)
    return out


# --- mteb side (mteb interpreter) ----------------------------------------------------------------------


def side_mteb(work: Path, out: Path) -> None:
    import datasets
    import mteb
    from mteb.models.model_implementations.clip_models import CLIPModel, clip_vit_base_patch32

    datasets.disable_progress_bars()
    t0 = time.perf_counter()
    model = CLIPModel(str(work / "vit-b32"), revision=None, device="cpu")
    # what ModelMeta.load_model does after calling the loader
    model.mteb_model_meta = clip_vit_base_patch32.model_copy(
        deep=True, update={"name": "local/vit-b32-random", "revision": "local", "loader_kwargs": {"device": "cpu"}}
    )
    load_s = time.perf_counter() - t0
    stats = instrument_forward(model.model)

    processor = model.processor
    stats["processor_s"] = 0.0

    class TimedProcessor:
        def __call__(self, *args, **kwargs):
            start = time.perf_counter()
            result = processor(*args, **kwargs)
            stats["processor_s"] += time.perf_counter() - start
            return result

        def __getattr__(self, name):
            return getattr(processor, name)

    model.processor = TimedProcessor()
    calls = []
    encode = model.encode

    def logged_encode(inputs, *, task_metadata, hf_split, hf_subset, **kwargs):
        start = time.perf_counter()
        result = encode(inputs, task_metadata=task_metadata, hf_split=hf_split, hf_subset=hf_subset, **kwargs)
        columns = sorted(c for c in ("image", "text") if c in inputs.dataset.features)
        calls.append(
            [task_metadata.name, "+".join(columns), len(inputs.dataset), round(time.perf_counter() - start, 3)]
        )
        return result

    model.encode = logged_encode
    tasks = []
    for name in TASKS:
        task = mteb.get_task(name)
        task.metadata.dataset["path"] = str(work / "data" / "mteb" / "cifar10")
        tasks.append(task)

    start = time.perf_counter()
    result = mteb.evaluate(
        model,
        tasks,
        cache=None,
        overwrite_strategy="always",
        show_progress_bar=False,
        encode_kwargs={"batch_size": 32, "show_progress_bar": False},
    )
    seconds = time.perf_counter() - start
    scores = {r.task_name: flat_scores(r.scores) for r in result.task_results}
    out.write_text(
        json.dumps({"seconds": seconds, "load_s": load_s, "scores": scores, "stats": stats, "encode_calls": calls})
    )


# --- mieb side (mieb venv) -------------------------------------------------------------------------------


def side_mieb(work: Path, out: Path) -> None:
    sys.path.insert(0, str(REPO))
    import datasets

    from harness.api import evaluate, get_model
    from harness.catalogue.queries import get_task

    datasets.disable_progress_bars()
    t0 = time.perf_counter()
    model = get_model(str(work / "vit-b32"), device="cpu")
    load_s = time.perf_counter() - t0
    stats = instrument_forward(model.model)
    tasks = [get_task(name) for name in TASKS]
    cache = work / "mieb-cache"
    if not os.environ.get(WARM_ENV):  # warm: the embedding cache of the previous (cold) run stays
        shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(exist_ok=True)

    start = time.perf_counter()
    results = evaluate(
        model,
        tasks,
        results_dir=work / "mieb-results",
        datasets_dir=work / "data",
        cache_dir=cache,
        overwrite=True,
        progress=False,
        verify_data=False,  # a small local copy of CIFAR10: never the reference's counts
    )
    seconds = time.perf_counter() - start
    scores = {r.task_name: flat_scores(r.scores) for r in results}
    out.write_text(json.dumps({"seconds": seconds, "load_s": load_s, "scores": scores, "stats": stats}))


# --- driver ------------------------------------------------------------------------------------------------


def run_side(side: str, python: str, work: Path, warm: bool = False) -> dict:
    out = work / f"{side}{'-warm' if warm else ''}.json"
    out.unlink(missing_ok=True)
    hf_cache = work / f"hf-cache-{side}"
    env = {**os.environ, "HF_DATASETS_CACHE": str(hf_cache)}
    if warm:
        env[WARM_ENV] = "1"
    else:
        shutil.rmtree(hf_cache, ignore_errors=True)
    # mteb runs from the work folder so nothing in the repository shadows its imports
    cwd = work if side == "mteb" else REPO
    print(f"== {side}", flush=True)
    proc = subprocess.run(
        [python, str(HERE), "--side", side, str(work), str(out)], cwd=cwd, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0 or not out.exists():
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise SystemExit(f"{side} side failed (exit {proc.returncode})")
    return json.loads(out.read_text())


def report(mteb: dict, mieb: dict) -> None:
    ratio = mteb["seconds"] / mieb["seconds"]
    print(
        f"\nwall time (model load excluded): mteb {mteb['seconds']:.1f}s, mieb {mieb['seconds']:.1f}s, "
        f"mteb/mieb {ratio:.2f}x   (load: mteb {mteb['load_s']:.1f}s, mieb {mieb['load_s']:.1f}s)"
    )
    for side, res in (("mteb", mteb), ("mieb", mieb)):
        s = res["stats"]
        extra = f", processor {s['processor_s']:.1f}s" if "processor_s" in s else ""
        print(
            f"  {side}: forward {s['images']} images in {s['image_calls']} batches {s['image_forward_s']:.1f}s, "
            f"{s['texts']} texts {s['text_forward_s']:.1f}s{extra}, "
            f"rest {res['seconds'] - s['image_forward_s'] - s['text_forward_s'] - s.get('processor_s', 0):.1f}s"
        )
    if mteb.get("encode_calls"):
        print("  mteb encode calls (task, inputs, n, s):")
        for call in mteb["encode_calls"]:
            print(f"    {call}")
    print(f"\n{'task':<20}{'mteb main_score':>17}{'mieb main_score':>17}  max |diff| over all metrics")
    for task in TASKS:
        a, b = mteb["scores"].get(task, {}), mieb["scores"].get(task, {})
        main = next((k for k in a if k.endswith("/main_score")), None)
        common = sorted(set(a) & set(b))
        worst = max(common, key=lambda k: abs(a[k] - b[k]), default=None)
        diff = f"{abs(a[worst] - b[worst]):.2e} ({worst.split('/')[-1]})" if worst else "n/a"
        print(f"{task:<20}{a.get(main, float('nan')):>17.6f}{b.get(main, float('nan')):>17.6f}  {diff}")
        only = sorted(set(a) ^ set(b))
        if only:
            print(f"  metrics on one side only: {only}")


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--side":
        side, work, out = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
        {"mteb": side_mteb, "mieb": side_mieb}[side](work, out)
        return
    args = sys.argv[1:]
    rounds = 1
    if "--rounds" in args:
        at = args.index("--rounds")
        rounds = int(args[at + 1])
        del args[at : at + 2]
    if not args:
        raise SystemExit(__doc__)
    mteb_python = args[0]
    work = Path(args[1]).resolve() if len(args) > 1 else Path(tempfile.mkdtemp(prefix="mieb-vs-mteb."))
    work.mkdir(parents=True, exist_ok=True)
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONWARNINGS": "ignore",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
    print(f"== building checkpoint and data in {work}", flush=True)
    build(work)
    runs = []
    for i in range(rounds):  # interleaved, so a change in the machine's load hits both sides alike
        print(f"== round {i + 1}/{rounds}", flush=True)
        mteb = run_side("mteb", mteb_python, work)
        mieb = run_side("mieb", sys.executable, work)
        warm = run_side("mieb", sys.executable, work, warm=True)
        runs.append({"mteb": mteb, "mieb": mieb, "mieb_warm": warm})
    (work / "summary.json").write_text(json.dumps(runs, indent=1))
    report(runs[-1]["mteb"], runs[-1]["mieb"])
    print("\nper round: mieb/mteb wall time, cold and warm (embedding and datasets caches of the cold run kept)")
    cold = [r["mieb"]["seconds"] / r["mteb"]["seconds"] for r in runs]
    warm = [r["mieb_warm"]["seconds"] / r["mteb"]["seconds"] for r in runs]
    for i, r in enumerate(runs):
        print(
            f"  round {i + 1}: mteb {r['mteb']['seconds']:.1f}s, mieb {r['mieb']['seconds']:.1f}s, "
            f"warm mieb {r['mieb_warm']['seconds']:.1f}s -> cold {cold[i]:.3f}, warm {warm[i]:.3f}"
        )
    print(
        f"  cold {min(cold):.3f}..{max(cold):.3f} (mean {sum(cold) / rounds:.3f}), "
        f"warm {min(warm):.3f}..{max(warm):.3f} (mean {sum(warm) / rounds:.3f})"
    )


if __name__ == "__main__":
    main()
