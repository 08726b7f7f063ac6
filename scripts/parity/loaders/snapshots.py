"""Tiny local snapshots of every task's dataset, in the layout of the revision the task pins.

Each builder writes what the reference's loader of that version reads (configs, split names,
columns, the columns it removes and so requires, feature types). Images are 8x8 swatches whose
colour encodes a unique integer code (``code_of`` reads it back), so both sides' image order can be
compared without any model. Parquet metadata is written the way ``datasets<4`` wrote it (``Sequence``
rather than ``List``), as the pinned files on the hub were, so that mteb 1.x's ``datasets`` reads it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import datasets

from harness.catalogue.queries import TaskSpec
from harness.data.hub import write_snapshot

STRING = datasets.Value("string")


class Codes:
    """Hands out unique image codes and the PNG swatch of each."""

    def __init__(self) -> None:
        self.next = 1

    def image(self) -> Any:
        from PIL import Image

        code, self.next = self.next, self.next + 1
        return Image.new("RGB", (8, 8), (code % 256, code // 256 % 256, 0))

    def png(self) -> dict[str, Any]:
        buffer = io.BytesIO()
        self.image().save(buffer, format="PNG")
        return {"bytes": buffer.getvalue(), "path": None}


def code_of(value: Any) -> int | None:
    """The code painted into an image (PIL image, ``{bytes, path}`` struct or raw bytes); None for no image."""
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


def _table(columns: Mapping[str, list], features: Mapping[str, Any]) -> Any:
    return datasets.Dataset.from_dict(dict(columns), features=datasets.Features(dict(features)))


# --- per layout --------------------------------------------------------------------------------


def labeled(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    """One table per split: the image column and the label column (ClassLabel; lists for multilabel)."""
    # The train split too: zero-shot, linear-probe and clustering tasks share datasets.
    splits = list(dict.fromkeys([*task.eval_splits, task.train_split]))
    names = ["alpha", "beta", "gamma"]
    out = {}
    for s, split in enumerate(splits):
        n = 7 + s
        images = [codes.image() for _ in range(n)]
        if task.layout == "multilabel":
            labels = [[i % 3, (i + 1) % 3] if i % 2 else [i % 3] for i in range(n)]
            label_feature: Any = datasets.Sequence(datasets.ClassLabel(names=names))
        else:
            labels = [(i * 2 + s) % 3 for i in range(n)]
            label_feature = datasets.ClassLabel(names=names)
        read_split = task.split_aliases.get(split, split)
        out[read_split] = _table(
            {task.input_column: images, task.label_column: labels},
            {task.input_column: datasets.Image(), task.label_column: label_feature},
        )
    return {task.dataset_config or "default": out}


def _side_rows(kind: str, ids: list[str], codes: Codes, text: Callable[[int], str]) -> Any:
    images = [codes.image() if "image" in kind else None for _ in ids]
    texts = [text(i) if "text" in kind else None for i in range(len(ids))]
    return _table(
        {"id": ids, "modality": [kind] * len(ids), "text": texts, "image": images},
        {"id": STRING, "modality": STRING, "text": STRING, "image": datasets.Image()},
    )


def _kind(code: str) -> str:
    return ",".join(n for c, n in (("i", "image"), ("t", "text")) if c in code)


def beir_v1(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    """mteb 1.x M-BEIR layout: corpus (split ``corpus``), query and qrels (split = eval split)."""
    query_code, doc_code = task.category.split("2")
    docs = [f"d{i}" for i in range(6)]
    corpus = _side_rows(_kind(doc_code), docs, codes, lambda i: f"document {i}")
    queries = _side_rows(_kind(query_code), [f"q{i}" for i in range(5)], codes, lambda i: f"query {i}")
    # q4 has no qrels (dropped); q0 has a 0-scored row; restricted tasks get several candidates each.
    rows = [("q0", "d0", 1), ("q0", "d3", 0), ("q1", "d1", 1), ("q1", "d2", 1), ("q2", "d2", 1), ("q3", "d5", 1)]
    if task.restrict_to_qrels:
        rows += [("q2", "d4", 0), ("q3", "d0", 0), ("q3", "d1", 0)]
    qrels = _table(
        {"query-id": [r[0] for r in rows], "corpus-id": [r[1] for r in rows], "score": [r[2] for r in rows]},
        {"query-id": STRING, "corpus-id": STRING, "score": datasets.Value("int64")},
    )
    split = task.eval_splits[0]
    return {"corpus": {"corpus": corpus}, "query": {split: queries}, "qrels": {split: qrels}}


def hateful_memes(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    """Raw table per split (test, validation, train): id, text, image, label, split; texts repeat across splits."""
    out = {}
    for s, split in enumerate(["train", "validation", "test"]):
        ids = [100 * s + i for i in range(4)]
        texts = [f"meme {(100 * s + i) % 7}" if i != 3 else "meme 0" for i in range(4)]
        out[split] = _table(
            {
                "id": ids,
                "text": texts,
                "image": [codes.image() for _ in ids],
                "label": [i % 2 for i in ids],
                "split": [split] * 4,
            },
            {
                "id": datasets.Value("int64"),
                "text": STRING,
                "image": datasets.Image(),
                "label": datasets.Value("int64"),
                "split": STRING,
            },
        )
    return {"default": out}


def memotion(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    """Raw table per split (train, validation, test; 6,992 rows as the reference's): the corrected text may
    be missing or empty, and the pre-release loader's fixed rows (corpus 4578, 6781, 6784, 6786; test 489,
    492, 494) exist, so both readings are exercised."""
    extra = ["humor", "sarcasm", "offensive", "motivational", "sentiment"]
    out = {}
    start = 0
    shared = codes.png()  # one image for the unremarkable rows; the rows around the fixed ones get their own
    for split, n in (("train", 5592), ("validation", 700), ("test", 700)):
        rows = range(start, start + n)
        marked = {4577, 4578, 4579, 6780, 6781, 6782, 6784, 6786, 6787, 1, 2, 5592, 6292}
        corrected = [None if r in (2, 4578, 6781) else "" if r == 1 else f"caption {r}" for r in rows]
        columns = {
            "image": [codes.png() if r in marked else shared for r in rows],
            "text_ocr": [f"ocr {r}" for r in rows],
            "text_corrected": corrected,
            "split": [split] * n,
            **{c: ["x"] * n for c in extra},
        }
        out[split] = _table(columns, {"image": datasets.Image(), **{c: STRING for c in columns if c != "image"}})
        start += n
    return {"default": out}


def scimmir(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    extra = ["file_name_index", "class", "super_class", "sub_class", "split"]
    n = 5
    columns = {
        "image": [codes.image() for _ in range(n)],
        "text": [f"figure {i}" for i in range(n)],
        **{c: ["x"] * n for c in extra},
    }
    return {
        "default": {
            "test": _table(columns, {"image": datasets.Image(), **{c: STRING for c in columns if c != "image"}})
        }
    }


def captions(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    """XM3600 / WIT: one split per language; XM3600's image is a raw bytes struct."""
    out = {}
    xm = task.layout == "xm3600"
    for lang in task.subsets:
        n = 3
        columns: dict[str, list] = {
            "image": [codes.png() if xm else codes.image() for _ in range(n)],
            "image_id": [f"{lang}{i}" for i in range(n)],
            "captions": [[f"{lang} caption {i}.{k}" for k in range(1 + i % 2)] for i in range(n)],
        }
        features: dict[str, Any] = {
            "image": {"bytes": datasets.Value("binary"), "path": STRING} if xm else datasets.Image(),
            "image_id": STRING,
            "captions": datasets.Sequence(STRING),
        }
        if xm:
            columns |= {
                "image_locale": [lang] * n,
                "captions_tokenized": columns["captions"],
                "captions_tokenized_lowercase": columns["captions"],
            }
            features |= {
                "image_locale": STRING,
                "captions_tokenized": datasets.Sequence(STRING),
                "captions_tokenized_lowercase": datasets.Sequence(STRING),
            }
        out[lang] = _table(columns, features)
    return {"default": out}


def xflickrco(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    out = {}
    for lang in task.subsets:
        n = 3
        out[lang] = _table(
            {
                "id": [f"{lang}{i}" for i in range(n)],
                "image": [codes.png() for _ in range(n)],
                "sentences": [f"{lang} sentence {i}" for i in range(n)],
            },
            {"id": STRING, "image": {"bytes": datasets.Value("binary"), "path": STRING}, "sentences": STRING},
        )
    return {"default": out}


def vidore(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    """ViDoRe BEIR release: configs queries, corpus, qrels (int ids), split test."""
    int64 = datasets.Value("int64")
    queries = _table(
        {"query-id": [0, 1, 2], "query": ["what?", "where?", "when?"], "source": ["s"] * 3},
        {"query-id": int64, "query": STRING, "source": STRING},
    )
    corpus = _table(
        {"corpus-id": [10, 11, 12, 13], "image": [codes.image() for _ in range(4)], "doc-id": ["a"] * 4},
        {"corpus-id": int64, "image": datasets.Image(), "doc-id": STRING},
    )
    qrels = _table(
        {"query-id": [0, 1, 2, 2], "corpus-id": [11, 10, 13, 12], "score": [1, 1, 1, 0]},
        {"query-id": int64, "corpus-id": int64, "score": int64},
    )
    return {"queries": {"test": queries}, "corpus": {"test": corpus}, "qrels": {"test": qrels}}


def vidore_table(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    """Pre-release ViDoRe: one table; several questions share a page (same image_filename)."""
    files = ["p1.png", "p2.png", "p1.png", "p3.png", "p2.png"]
    return {
        "default": {
            "test": _table(
                {
                    "query": [f"question {i}" for i in range(5)],
                    "image": [codes.image() for _ in files],
                    "image_filename": files,
                    "answer": ["a"] * 5,
                },
                {"query": STRING, "image": datasets.Image(), "image_filename": STRING, "answer": STRING},
            )
        }
    }


def cvbench(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    extra = ["type", "filename", "source", "source_dataset", "source_filename", "target_class", "prompt"]
    tasks = ["Count", "Relation", "Depth", "Distance", "Count", "Depth", "Relation", "Distance"]
    n = len(tasks)
    choices = [
        ["2", "3", "4"] if t == "Count" else ["left", "right", "left" if i % 2 else "above"]
        for i, t in enumerate(tasks)
    ]
    columns = {
        "idx": list(range(n)),
        "image": [codes.image() for _ in range(n)],
        "question": [f"q{i} {t}?" for i, t in enumerate(tasks)],
        "choices": choices,
        "answer": ["(B)" if i % 2 else "(A)" for i in range(n)],
        "task": tasks,
        "target_size": [[1, 2]] * n,
        "bbox": [[[0.0, 1.0]]] * n,
        **{c: ["x"] * n for c in extra},
    }
    features = {
        "idx": datasets.Value("int64"),
        "image": datasets.Image(),
        "question": STRING,
        "choices": datasets.Sequence(STRING),
        "answer": STRING,
        "task": STRING,
        "target_size": datasets.Sequence(datasets.Value("int64")),
        "bbox": datasets.Sequence(datasets.Sequence(datasets.Value("float64"))),
        **{c: STRING for c in extra},
    }
    return {"default": {"test": _table(columns, features)}}


def sts(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    out = {}
    for subset in task.subsets:
        splits = {}
        for split in task.eval_splits:
            n = 4
            splits[split] = _table(
                {
                    "sentence1": [codes.image() for _ in range(n)],
                    "sentence2": [codes.image() for _ in range(n)],
                    "score": [0.5 + i for i in range(n)],
                },
                {"sentence1": datasets.Image(), "sentence2": datasets.Image(), "score": datasets.Value("float64")},
            )
        out[subset] = splits
    return out


def pairs(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    n = 4
    columns: dict[str, list] = {c: [codes.image() for _ in range(n)] for c in task.image_columns}
    columns |= {c: [f"{c} {i}" for i in range(n)] for c in task.text_columns}
    columns["id"] = list(range(n))
    features = (
        {c: datasets.Image() for c in task.image_columns}
        | {c: STRING for c in task.text_columns}
        | {"id": datasets.Value("int64")}
    )
    split = task.split_aliases.get(task.eval_splits[0], task.eval_splits[0])
    return {"default": {split: _table(columns, features)}}


def imagecode(task: TaskSpec, codes: Codes) -> dict[str, dict[str, Any]]:
    """ImageCoDe in retrieval form: corpus (split corpus), query and qrels (split test)."""
    corpus_ids = [f"img{i}" for i in range(24)]
    corpus = _table(
        {"id": corpus_ids, "image": [codes.image() for _ in corpus_ids], "modality": ["image"] * 24},
        {"id": STRING, "image": datasets.Image(), "modality": STRING},
    )
    queries = _table(
        {"id": ["q0", "q1"], "text": ["first", "second"], "modality": ["text"] * 2},
        {"id": STRING, "text": STRING, "modality": STRING},
    )
    rows = [("q0", f"img{i}", int(i == 3)) for i in range(10)] + [
        ("q1", f"img{i}", int(i == 20)) for i in range(11, 23)
    ]
    qrels = _table(
        {"query-id": [r[0] for r in rows], "corpus-id": [r[1] for r in rows], "score": [r[2] for r in rows]},
        {"query-id": STRING, "corpus-id": STRING, "score": datasets.Value("int64")},
    )
    return {"corpus": {"corpus": corpus}, "query": {"test": queries}, "qrels": {"test": qrels}}


BUILDERS: dict[str, Callable[[TaskSpec, Codes], dict[str, dict[str, Any]]]] = {
    "labeled": labeled,
    "multilabel": labeled,
    "beir": beir_v1,
    "hateful_memes": hateful_memes,
    "memotion": memotion,
    "memotion_text_filter": memotion,
    "hateful_memes_dedup": hateful_memes,
    "scimmir": scimmir,
    "xm3600": captions,
    "wit": captions,
    "xflickrco": xflickrco,
    "vidore": vidore,
    "vidore_table": vidore_table,
    "cvbench": cvbench,
    "sts": sts,
    "image_text_pairs": pairs,
    "imagecode_pairs": imagecode,
}


def legacy_metadata(folder: Path) -> None:
    """Rewrite each parquet file's feature metadata as datasets<4 wrote it (``List`` -> ``Sequence``)."""
    import pyarrow.parquet as pq

    def legacy(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: legacy(v) for k, v in node.items()}
            if node.get("_type") == "List":
                node["_type"] = "Sequence"
            return node
        if isinstance(node, list):
            return [legacy(v) for v in node]
        return node

    for file in folder.rglob("*.parquet"):
        table = pq.read_table(file)
        meta = dict(table.schema.metadata or {})
        if b"huggingface" in meta:
            meta[b"huggingface"] = json.dumps(legacy(json.loads(meta[b"huggingface"]))).encode()
            pq.write_table(table.replace_schema_metadata(meta), file)


def write_task_snapshot(root: Path, task: TaskSpec, written: set[str]) -> str:
    """Write the task's dataset under ``root/<path>`` (once per path); return the layout name used."""
    if task.dataset.path in written:
        return task.layout
    configs = BUILDERS[task.layout](task, Codes())
    folder = Path(root, *task.dataset.path.split("/"))
    write_snapshot(folder, configs)
    legacy_metadata(folder)
    written.add(task.dataset.path)
    return task.layout
