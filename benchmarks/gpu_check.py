"""CUDA path check and throughput: run on a machine with a GPU (``python benchmarks/gpu_check.py OUT``).

Checks, on a randomly initialised ViT-B/32-size CLIP and a local CIFAR-style mirror:
1. encode throughput of the harness (workers + fp16 autocast) vs the bare fp16 forward of the same
   preprocessed images (ratio measured in this run);
2. fp32 GPU embeddings equal CPU embeddings; fp16 ones stay close (cosine);
3. the three CIFAR10 tasks run end to end on CUDA through pytest, single process and ``-n 2``;
4. chunked retrieval search on CUDA equals the CPU search;
5. ``--fast-preprocess`` on CUDA (nvJPEG batch decode, device-side resize): throughput, and its
   embeddings' cosine to the exact path's;
6. the input-pipeline suite (``benchmarks/test_input_pipeline.py``: decode, decode+preprocess, full
   encode, bare forward, on CPU and CUDA), its JSON written as ``input_pipeline.json``.
Writes ``gpu_check.json`` into the output folder and prints it; exit status 1 when a step failed,
2 (with a "no CUDA device" message, before building anything) on a machine without CUDA.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

N_TEST = int(os.environ.get("GPU_CHECK_IMAGES", "4096"))


def build_model(folder: Path) -> None:
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    from mieb_models.clip_tokenizer import write_clip_tokenizer_files

    torch.manual_seed(0)
    CLIPModel(CLIPConfig()).eval().save_pretrained(folder)
    write_clip_tokenizer_files(folder)
    tokenizer = CLIPTokenizer.from_pretrained(folder)
    CLIPProcessor(image_processor=CLIPImageProcessor(), tokenizer=tokenizer).save_pretrained(folder)


def build_data(root: Path) -> None:
    import datasets
    from PIL import Image

    from harness.data.hub import write_snapshot

    rng = np.random.default_rng(0)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    features = datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(names=names)})
    splits = {}
    for split, n in (("train", 1000), ("test", N_TEST)):
        images = [Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)) for _ in range(n)]
        splits[split] = datasets.Dataset.from_dict({"img": images, "label": np.arange(n) % 10}, features=features)
    write_snapshot(root / "uoft-cs" / "cifar10", {"plain_text": splits})


def throughput(model_dir: Path, data_dir: Path, report: dict) -> None:
    from transformers import CLIPModel, CLIPProcessor

    from harness.catalogue.queries import get_task
    from harness.data import views
    from harness.data.hub import DataSource
    from harness.encode.engine import EncodeEngine
    from mieb_models.registry import load_model

    task = get_task("CIFAR10ZeroShot")
    data = views.labeled_images(DataSource.from_env(data_dir), task, "test")
    processor = CLIPProcessor.from_pretrained(model_dir)
    bare = CLIPModel.from_pretrained(model_dir).cuda().eval()
    images = [data.images.dataset[i]["img"] for i in range(len(data.images))]
    batches = [
        processor(images=images[i : i + 256], return_tensors="pt")["pixel_values"].cuda()
        for i in range(0, len(images), 256)
    ]
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16):
        bare.get_image_features(pixel_values=batches[0])
        torch.cuda.synchronize()
        start = time.perf_counter()
        for batch in batches:
            bare.get_image_features(pixel_values=batch)
        torch.cuda.synchronize()
        bare_s = time.perf_counter() - start
    del bare
    for workers, fast in ((8, False), (15, False), (8, True), (15, True)):
        model = load_model(str(model_dir), device="cuda", precision="fp16")
        engine = EncodeEngine(model, None, batch_size=256, num_workers=workers, progress=False, fast_preprocess=fast)
        start = time.perf_counter()
        engine.images(data.images.select(range(1024)))  # worker start-up plus a few batches
        startup_s = time.perf_counter() - start
        start = time.perf_counter()
        embeddings = engine.images(data.images)
        ours_s = time.perf_counter() - start
        report[f"encode_workers_{workers}{'_fast' if fast else ''}"] = {
            "images": len(images),
            "bare_fp16_forward_s": bare_s,
            "harness_s": ours_s,
            "harness_img_per_s": len(images) / ours_s,
            "bare_img_per_s": len(images) / bare_s,
            "ratio_harness_over_bare": ours_s / bare_s,
            "finite": bool(np.isfinite(embeddings).all()),
            "first_1024_images_s": startup_s,
        }

    subset = data.images.select(range(64))
    outs = {}
    for device, precision in (("cpu", "fp32"), ("cuda", "fp32"), ("cuda", "fp16"), ("cuda", "bf16")):
        engine = EncodeEngine(
            load_model(str(model_dir), device=device, precision=precision),
            None,
            batch_size=32,
            num_workers=0,
            progress=False,
        )
        outs[(device, precision)] = engine.images(subset)
    fast = EncodeEngine(
        load_model(str(model_dir), device="cuda", precision="fp32"),
        None,
        batch_size=32,
        num_workers=0,
        progress=False,
        fast_preprocess=True,
    ).images(subset)
    cpu = outs[("cpu", "fp32")]
    cos = (fast * cpu).sum(1) / np.linalg.norm(fast, axis=1) / np.linalg.norm(cpu, axis=1)
    report["gpu_fast_preprocess_vs_cpu_exact_min_cosine"] = float(cos.min())
    report["gpu_fp32_vs_cpu_max_abs"] = float(np.abs(outs[("cuda", "fp32")] - cpu).max())
    for precision in ("fp16", "bf16"):
        other = outs[("cuda", precision)]
        cos = (other * cpu).sum(1) / np.linalg.norm(other, axis=1) / np.linalg.norm(cpu, axis=1)
        report[f"gpu_{precision}_vs_cpu_min_cosine"] = float(cos.min())


def pytest_runs(model_dir: Path, data_dir: Path, work: Path, report: dict) -> None:
    path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), os.getcwd()) if p)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONPATH": path}
    from importlib.metadata import entry_points

    installed = any(e.name == "mieb" for e in entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "harness.plugin.hooks"]  # a bare checkout has no entry point
    base = [
        sys.executable,
        "-m",
        "pytest",
        *plugin,
        "harness/plugin/cases.py",
        "--model",
        str(model_dir),
        "--datasets-dir",
        str(data_dir),
        "--task",
        "CIFAR10ZeroShot",
        "--task",
        "CIFAR10",
        "--task",
        "CIFAR10Clustering",
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-progress",
        "--precision",
        "fp16",
    ]
    for name, extra in (("single", []), ("xdist2", ["-n", "2"])):
        start = time.perf_counter()
        done = subprocess.run(
            [*base, "--results-dir", str(work / name), "--cache-dir", str(work / f"cache-{name}"), *extra],
            capture_output=True,
            text=True,
            env=env,
        )
        report[f"pytest_{name}"] = {
            "returncode": done.returncode,
            "seconds": time.perf_counter() - start,
            "tail": done.stdout[-1500:] + done.stderr[-800:],
        }
    scores = {}
    for name in ("single", "xdist2"):
        scores[name] = {
            p.name: json.loads(p.read_text())["scores"]
            for p in (work / name).glob("*/*/*.json")
            if p.name != "model_meta.json"
        }
    report["xdist_equals_single"] = scores["single"] == scores["xdist2"] and bool(scores["single"])


def search_check(report: dict) -> None:
    from harness.evaluators.retrieval.search import search

    rng = np.random.default_rng(0)
    corpus = rng.standard_normal((200_000, 512)).astype(np.float16)
    queries = rng.standard_normal((2_000, 512)).astype(np.float16)
    start = time.perf_counter()
    cpu_scores, cpu_idx = search(queries, corpus, 100, device="cpu")
    cpu_s = time.perf_counter() - start
    start = time.perf_counter()
    gpu_scores, gpu_idx = search(queries, corpus, 100, device="cuda")
    gpu_s = time.perf_counter() - start
    report["search"] = {
        "cpu_s": cpu_s,
        "cuda_s": gpu_s,
        "same_indices_fraction": float((cpu_idx == gpu_idx).mean()),
        "max_score_diff": float(np.abs(cpu_scores - gpu_scores).max()),
    }


def input_pipeline_suite(out: Path, report: dict) -> None:
    suite = Path(__file__).with_name("test_input_pipeline.py")
    cmd = [sys.executable, "-m", "pytest", str(suite), "-s", "-q", "-p", "no:cacheprovider"]
    proc = subprocess.run([*cmd, f"--benchmark-json={out / 'input_pipeline.json'}"], capture_output=True, text=True)
    report["input_pipeline"] = {"exit": proc.returncode, "tail": proc.stdout[-3000:]}
    if proc.returncode != 0:
        raise RuntimeError(f"input-pipeline suite exited {proc.returncode}: {proc.stderr[-500:] or proc.stdout[-500:]}")


NO_CUDA = (
    "no CUDA device: gpu_check.py checks the CUDA paths and needs one (torch {torch} sees none). "
    "The CPU figures of the input pipeline: pytest benchmarks/test_input_pipeline.py -s"
)


def main() -> int:
    if not torch.cuda.is_available():
        print(NO_CUDA.format(torch=torch.__version__), file=sys.stderr)
        return 2
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {
        "torch": torch.__version__,
        "cuda": torch.cuda.is_available(),
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    work = Path(tempfile.mkdtemp())
    os.environ["HF_DATASETS_CACHE"] = str(work / "hf")
    model_dir, data_dir = work / "model", work / "data"
    build_model(model_dir)
    build_data(data_dir)
    steps = {
        "throughput": lambda: throughput(model_dir, data_dir, report),
        "search": lambda: search_check(report),
        "pytest": lambda: pytest_runs(model_dir, data_dir, work, report),
        "suite": lambda: input_pipeline_suite(out, report),
    }
    wanted = os.environ.get("GPU_CHECK_STEPS", ",".join(steps)).split(",")
    for step in (steps[name] for name in wanted):
        try:
            step()
        except Exception as err:  # report every step, keep going
            report.setdefault("errors", []).append(f"{type(err).__name__}: {err}")
        (out / "gpu_check.json").write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps(report, indent=1, default=str))
    return 1 if report.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
