"""Runs in a python with the reference implementation (mteb 1.39.7 or 2.26.24): load every task with
mteb's own loader, its ``datasets.load_dataset`` calls redirected to the local snapshots, and write
the evaluation inputs in the canonical form of ``ours.py``.

    python reference_side.py MANIFEST.json OUT.json

The manifest lists the tasks with the local folder of each one's dataset; a task may carry the
source of a pre-release loader function (``prerelease``), run instead of the installed task's
``load_data``. Every ``load_dataset`` call is recorded (path, config, revision) so the driver can
check that the reference asks for the same dataset and revision as mieb pins. Imports nothing
from mieb.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets

ORIGINAL = datasets.load_dataset
STATE: dict[str, Any] = {"folder": None, "calls": [], "cache": None}


def redirected_load_dataset(path: str | None = None, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
    """``datasets.load_dataset`` pointed at the current task's snapshot; records what was asked for."""
    if path is None:
        path = kwargs.pop("path")
    name = kwargs.pop("name", name)
    STATE["calls"].append(
        {"path": path, "name": name, "revision": kwargs.get("revision"), "split": kwargs.get("split")}
    )
    for key in ("revision", "trust_remote_code", "num_proc", "download_mode"):
        kwargs.pop(key, None)
    kwargs["cache_dir"] = STATE["cache"]
    return ORIGINAL(STATE["folder"], name, *args, **kwargs)


def install_redirect() -> None:
    datasets.load_dataset = redirected_load_dataset
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("mteb") and getattr(module, "load_dataset", None) is ORIGINAL:
            module.load_dataset = redirected_load_dataset


def code_of(value: Any) -> int | None:
    from PIL import Image

    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("bytes")
        if value is None:
            return None
    if isinstance(value, bytes | bytearray):
        value = Image.open(io.BytesIO(value))
    red, green, *_ = value.convert("RGB").getpixel((0, 0))
    return int(red) + 256 * int(green)


def _labels(values: Any) -> list:
    return [list(map(int, v)) if isinstance(v, list) else int(v) for v in list(values)]


def _pick(container: Any, split: str, subset: str) -> Any:
    return container[split] if subset == "default" else container[subset][split]


def _side(data: Any) -> dict:
    """ids, texts and image codes of a corpus/queries Dataset, by its first row's modality (as the evaluator does)."""
    if isinstance(data, list):
        data = datasets.Dataset.from_list(data)
    ids = [str(i) for i in data["id"]]
    modality = data[0]["modality"] if len(data) else ""
    # mteb 2.x names sides by column presence instead
    if not modality:
        modality = ",".join(c for c in ("image", "text") if c in data.column_names)
    texts = list(data["text"]) if "text" in modality else None
    images = [code_of(v) for v in data["image"]] if "image" in modality else None
    return {"ids": ids, "texts": texts, "images": images}


def retrieval_inputs(corpus: Any, queries: Any, qrels: Any, multichoice: bool) -> dict:
    qrels = {str(q): {str(d): int(s) for d, s in docs.items()} for q, docs in qrels.items()}
    candidates = {q: sorted(docs) for q, docs in qrels.items()} if multichoice else None
    queries_side = _side(queries)
    if candidates is not None:
        candidates = {q: candidates[q] for q in queries_side["ids"] if q in candidates}
    return {"queries": queries_side, "corpus": _side(corpus), "qrels": qrels, "candidates": candidates}


def task_inputs(task: Any, spec: dict) -> dict:
    """The evaluation inputs of an mteb 1.x task object after ``load_data``."""
    kinds = {c.__name__ for c in type(task).__mro__}
    out: dict[str, Any] = {}
    for split in spec["eval_splits"]:
        for subset in spec["subsets"]:
            key = f"{split}/{subset}"
            if "AbsTaskAny2AnyRetrieval" in kinds or "AbsTaskAny2AnyMultiChoice" in kinds:
                out[key] = retrieval_inputs(
                    _pick(task.corpus, split, subset),
                    _pick(task.queries, split, subset),
                    _pick(task.relevant_docs, split, subset),
                    # multiple choice, and ROxford/RParis's candidate masking (the mixin) in 1.x
                    bool(kinds & {"AbsTaskAny2AnyMultiChoice", "MultiChoiceEvaluationMixin"}),
                )
            elif "AbsTaskVisualSTS" in kinds:
                data = _pick(task.dataset, split, subset)
                first, second = task.sentences_column_names
                out[key] = {
                    "first": [code_of(v) for v in data[first]],
                    "second": [code_of(v) for v in data[second]],
                    "scores": [float(s) for s in data["score"]],
                }
            elif "AbsTaskImageTextPairClassification" in kinds:
                data = _pick(task.dataset, split, subset)
                images = task.images_column_names
                texts = task.texts_column_names
                images = [images] if isinstance(images, str) else images
                texts = [texts] if isinstance(texts, str) else texts
                out[key] = {
                    "images": [[code_of(v) for v in data[c]] for c in images],
                    "texts": [list(data[c]) for c in texts],
                }
            else:  # zero-shot, linear probe, multilabel, clustering
                data = _pick(task.dataset, split, subset)
                # mteb 1.x names the image column image_column_name, 2.x input_column_name
                image_column = getattr(task, "image_column_name", None) or task.input_column_name
                entry = {
                    "images": [code_of(v) for v in data[image_column]],
                    "labels": _labels(data[task.label_column_name]),
                }
                if "AbsTaskZeroShotClassification" in kinds:
                    with label_files(spec.get("label_files", {})):
                        entry["prompts"] = list(task.get_candidate_labels())
                out[key] = entry
                probes = {"AbsTaskImageClassification", "AbsTaskImageMultilabelClassification", "AbsTaskClassification"}
                if kinds & (probes | {"AbsTaskMultilabelClassification"}):
                    train = _pick(task.dataset, getattr(task, "train_split", "train"), subset)
                    out[f"train/{subset}"] = {
                        "images": [code_of(v) for v in train[image_column]],
                        "labels": _labels(train[task.label_column_name]),
                    }
    return out


def descriptive_stats(task: Any, spec: dict) -> dict:
    """The reference's own descriptive statistics of each (split, subset), as its stats files hold them."""
    compute = getattr(task, "_calculate_metrics_from_split", None) or task._calculate_descriptive_statistics_from_split
    out: dict[str, Any] = {}
    for split in spec["eval_splits"]:
        for subset in spec["subsets"]:
            try:
                with label_files(spec.get("label_files", {})):
                    stats = compute(split, hf_subset=None if subset == "default" else subset)
                out[f"{split}/{subset}"] = json.loads(json.dumps(stats, default=str))
            except Exception as err:  # reported per cell
                out[f"{split}/{subset}"] = {"error": f"{type(err).__name__}: {err}"}
    return out


@contextlib.contextmanager
def label_files(texts: dict[str, str]) -> Any:
    """Serve the named label files (``templates/<name>``) with the given text: the pre-release files."""
    import builtins

    real_open = builtins.open

    def patched(file: Any, *args: Any, **kwargs: Any) -> Any:
        name = os.path.basename(str(file))
        if name in texts and os.path.basename(os.path.dirname(str(file))) == "templates":
            return io.StringIO(texts[name])
        return real_open(file, *args, **kwargs)

    builtins.open = patched
    try:
        yield
    finally:
        builtins.open = real_open


def run_prerelease(spec: dict) -> dict:
    """A pre-release loader function (its source text from mteb's history), on the snapshot."""
    namespace: dict[str, Any] = {"__name__": "prerelease_loader"}
    exec(compile(spec["prerelease"]["source"], spec["prerelease"]["origin"], "exec"), namespace)
    loader = namespace[spec["prerelease"]["function"]]
    corpus, queries, qrels = loader(
        path=spec["prerelease"]["path"], splits=spec["eval_splits"], revision=spec["prerelease"]["revision"]
    )
    return {
        f"{split}/default": retrieval_inputs(corpus[split], queries[split], qrels[split], False)
        for split in spec["eval_splits"]
    }


def main(manifest_path: str, out_path: str) -> None:
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    datasets.disable_progress_bars()
    import mteb

    install_redirect()
    STATE["cache"] = manifest["cache_dir"]
    results = {"mteb_version": mteb.__version__, "tasks": {}}
    for spec in manifest["tasks"]:
        STATE["folder"], STATE["calls"] = spec["folder"], []
        record: dict[str, Any] = {}
        try:
            if spec.get("prerelease"):
                record["inputs"] = run_prerelease(spec)
                record["pinned"] = {"path": spec["prerelease"]["path"], "revision": spec["prerelease"]["revision"]}
            else:
                task = mteb.get_task(spec["name"])
                record["pinned"] = {k: task.metadata.dataset.get(k) for k in ("path", "revision", "name")}
                install_redirect()  # modules imported lazily by get_task
                task.load_data()
                record["inputs"] = task_inputs(task, spec)
                record["stats"] = descriptive_stats(task, spec)
        except Exception as err:  # one task's failure is reported, the others still run
            record["error"] = f"{type(err).__name__}: {err}"
            record["traceback"] = traceback.format_exc()[-3000:]
        record["calls"] = STATE["calls"]
        results["tasks"][spec["name"]] = record
    with open(out_path, "w") as handle:
        json.dump(results, handle, default=str)


if __name__ == "__main__":
    main(*sys.argv[1:3])
