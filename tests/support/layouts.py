"""Tiny local datasets in the hub layouts of the retrieval, STS and compositionality families.

Every builder writes the layout the reference implementation reads for a family
(configs, split names, column names and feature types, including the columns mteb removes and so
requires). The images are tiny colour swatches that carry an integer *code* in their pixels:
code ``c`` is the colour ``(c % 256, c // 256, 0)``. ``text_code`` hashes a text into the same code
space, so a test can paint the image that a text should match (see the fake encoder in
``tests/data/conftest.py``).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

CODE_SPACE = 1 << 16
SIZE = 8  # swatches are SIZE x SIZE pixels; a stripe is a whole number of rows

Stripes = int | Sequence[tuple[int, int]]  # one code, or (code, rows) stripes summing to SIZE rows


def text_code(text: str) -> int:
    """A text's code: the first bytes of its SHA-256, reduced to the code space."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % CODE_SPACE


def swatch(stripes: Stripes) -> Any:
    """An RGB PIL image: one code, or horizontal stripes of ``(code, rows)``."""
    from PIL import Image

    parts = [(stripes, SIZE)] if isinstance(stripes, int) else list(stripes)
    if sum(rows for _, rows in parts) != SIZE:
        raise ValueError(f"stripes must cover {SIZE} rows: {parts}")
    pixels = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    top = 0
    for code, rows in parts:
        pixels[top : top + rows] = (code % 256, code // 256, 0)
        top += rows
    return Image.fromarray(pixels, "RGB")


def pixel_codes(image: Any) -> np.ndarray:
    """The code of every pixel of an image (any PIL mode)."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.int64)
    return (rgb[..., 0] + 256 * rgb[..., 1]).ravel()


def image_code(image: Any) -> int:
    """The code of a single-code swatch."""
    codes = np.unique(pixel_codes(image))
    if len(codes) != 1:
        raise ValueError(f"not a single-code swatch: codes {codes.tolist()}")
    return int(codes[0])


def png_bytes(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def source_codes(source: Any) -> list[int]:
    """The code of every image of a ``harness.encode.engine.ImageSource``, in its row order."""
    from harness.encode.engine import to_rgb

    rows = source.rows if source.rows is not None else range(len(source.dataset))
    return [image_code(to_rgb(source.dataset[int(r)][source.column])) for r in rows]


def snapshot(root: Path, path: str, configs: Mapping[str, Mapping[str, Any]]) -> Any:
    """Write ``{config: {split: Dataset}}`` as dataset ``path`` under ``root``; return a DataSource."""
    from harness.data.hub import DataSource, write_snapshot

    write_snapshot(Path(root, *path.split("/")), configs)
    return DataSource.from_env(root)


def _dataset(columns: Mapping[str, list], features: Mapping[str, Any]) -> Any:
    import datasets

    return datasets.Dataset.from_dict(dict(columns), features=datasets.Features(dict(features)))


# --- generic BEIR retrieval ----------------------------------------------------


def beir_side(
    ids: Sequence[Any],
    texts: Sequence[str | None] | None = None,
    images: Sequence[Stripes | None] | None = None,
    *,
    id_column: str = "id",
    id_type: str = "string",
    modality_columns: bool = True,
    extra: Mapping[str, tuple[list, Any]] | None = None,
) -> Any:
    """A corpus or queries split in the M-BEIR style: ``id``, ``modality``, ``text``, ``image``.

    Both modality columns are always present; a side without texts (or images) has that column
    filled with None, as M-BEIR-derived datasets do. ``extra`` adds ``{name: (values, feature)}``.
    """
    import datasets

    n = len(ids)
    texts = list(texts) if texts is not None else [None] * n
    images = [swatch(s) if s is not None else None for s in images] if images is not None else [None] * n
    columns: dict[str, list] = {id_column: list(ids)}
    features: dict[str, Any] = {id_column: datasets.Value(id_type)}
    if modality_columns:
        kinds = []
        for text, image in zip(texts, images, strict=True):
            kinds.append(",".join(k for k, v in (("image", image), ("text", text)) if v is not None))
        columns |= {"modality": kinds, "text": texts, "image": images}
        features |= {"modality": datasets.Value("string"), "text": datasets.Value("string"), "image": datasets.Image()}
    for name, (values, feature) in (extra or {}).items():
        columns[name] = list(values)
        features[name] = feature
    return _dataset(columns, features)


def qrels_table(rows: Iterable[tuple[Any, Any, int]], *, id_type: str = "string", extra: bool = False) -> Any:
    """Qrels rows ``(query-id, corpus-id, score)``; ``extra`` adds a column the loader must drop."""
    import datasets

    rows = list(rows)
    columns = {
        "query-id": [r[0] for r in rows],
        "corpus-id": [r[1] for r in rows],
        "score": [r[2] for r in rows],
    }
    features = {
        "query-id": datasets.Value(id_type),
        "corpus-id": datasets.Value(id_type),
        "score": datasets.Value("int64"),
    }
    if extra:
        columns["note"] = ["ignored"] * len(rows)
        features["note"] = datasets.Value("string")
    return _dataset(columns, features)


# --- ViDoRe ------------------------------------------------------------------------------


def vidore_configs(
    queries: Sequence[tuple[int, str]], pages: Sequence[tuple[int, Stripes]], qrels: Sequence[tuple[int, int, int]]
) -> dict[str, dict[str, Any]]:
    """Configs ``queries`` (query-id, query), ``corpus`` (corpus-id, image) and ``qrels``, split ``test``.

    Ids are int64 as in the ViDoRe BEIR releases; each config carries one extra column.
    """
    import datasets

    query_ds = _dataset(
        {
            "query-id": [q for q, _ in queries],
            "query": [t for _, t in queries],
            "answer": [f"answer {q}" for q, _ in queries],
        },
        {"query-id": datasets.Value("int64"), "query": datasets.Value("string"), "answer": datasets.Value("string")},
    )
    corpus_ds = _dataset(
        {
            "corpus-id": [c for c, _ in pages],
            "image": [swatch(s) for _, s in pages],
            "image_filename": [f"page_{c}.png" for c, _ in pages],
        },
        {"corpus-id": datasets.Value("int64"), "image": datasets.Image(), "image_filename": datasets.Value("string")},
    )
    return {
        "queries": {"test": query_ds},
        "corpus": {"test": corpus_ds},
        "qrels": {"test": qrels_table(qrels, id_type="int64")},
    }


# --- XM3600 / WIT ------------------------------------------------------------------------


def captions_split(rows: Sequence[tuple[str, Stripes, list[str]]], *, raw_struct: bool) -> Any:
    """One language split: ``image``, ``image_id``, ``captions`` (+ XM3600's removed columns).

    ``raw_struct`` (XM3600) stores ``image`` as a plain ``{bytes, path}`` struct, not an Image
    feature, and adds ``captions_tokenized``, ``captions_tokenized_lowercase`` and ``image_locale``.
    """
    import datasets

    images = [swatch(s) for _, s, _ in rows]
    columns: dict[str, list] = {
        "image_id": [i for i, _, _ in rows],
        "captions": [list(c) for _, _, c in rows],
    }
    features: dict[str, Any] = {
        "image_id": datasets.Value("string"),
        "captions": datasets.Sequence(datasets.Value("string")),
    }
    if raw_struct:
        columns["image"] = [
            {"bytes": png_bytes(im), "path": f"{i}.png"} for im, (i, _, _) in zip(images, rows, strict=True)
        ]
        features["image"] = {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}
        columns |= {
            "captions_tokenized": [[" ".join(c.split()) for c in caps] for _, _, caps in rows],
            "captions_tokenized_lowercase": [[" ".join(c.lower().split()) for c in caps] for _, _, caps in rows],
            "image_locale": ["xx"] * len(rows),
        }
        features |= {
            "captions_tokenized": datasets.Sequence(datasets.Value("string")),
            "captions_tokenized_lowercase": datasets.Sequence(datasets.Value("string")),
            "image_locale": datasets.Value("string"),
        }
    else:
        columns["image"] = images
        features["image"] = datasets.Image()
    return _dataset(columns, features)


# --- CV-Bench ----------------------------------------------------------------------------

CVBENCH_REMOVED = (
    "idx",
    "type",
    "filename",
    "source",
    "source_dataset",
    "source_filename",
    "target_class",
    "target_size",
    "bbox",
    "prompt",
)


def cvbench_split(rows: Sequence[tuple[str, str, list[str], str, Stripes]]) -> Any:
    """Rows ``(task, question, choices, answer "(A)".."(F)", image)`` plus every removed column."""
    import datasets

    n = len(rows)
    columns: dict[str, list] = {
        "idx": list(range(n)),
        "type": ["3D" if r[0] in ("Depth", "Distance") else "2D" for r in rows],
        "task": [r[0] for r in rows],
        "image": [swatch(r[4]) for r in rows],
        "question": [r[1] for r in rows],
        "choices": [list(r[2]) for r in rows],
        "answer": [r[3] for r in rows],
        "filename": [f"img/{i}.png" for i in range(n)],
        "source": ["ADE20K"] * n,
        "source_dataset": ["ADE20K"] * n,
        "source_filename": [f"{i}.jpg" for i in range(n)],
        "target_class": [None] * n,
        "target_size": [None] * n,
        "bbox": [None] * n,
        "prompt": [f"{r[1]} Select from the following choices." for r in rows],
    }
    string = datasets.Value("string")
    features: dict[str, Any] = {
        "idx": datasets.Value("int64"),
        "type": string,
        "task": string,
        "image": datasets.Image(),
        "question": string,
        "choices": datasets.Sequence(string),
        "answer": string,
        "filename": string,
        "source": string,
        "source_dataset": string,
        "source_filename": string,
        "target_class": string,
        "target_size": datasets.Value("int64"),
        "bbox": datasets.Sequence(datasets.Value("float64")),
        "prompt": string,
    }
    return _dataset(columns, features)


# --- VisualSTS ---------------------------------------------------------------------------


def sts_split(pairs: Sequence[tuple[Stripes, Stripes, float]]) -> Any:
    """``sentence1`` and ``sentence2`` (rendered-sentence images) and a 0-5 float ``score``."""
    import datasets

    return _dataset(
        {
            "sentence1": [swatch(a) for a, _, _ in pairs],
            "sentence2": [swatch(b) for _, b, _ in pairs],
            "score": [float(s) for _, _, s in pairs],
        },
        {"sentence1": datasets.Image(), "sentence2": datasets.Image(), "score": datasets.Value("float64")},
    )


# --- Compositionality --------------------------------------------------------------------


def pair_rows(
    images: Mapping[str, Sequence[Stripes]],
    texts: Mapping[str, Sequence[str]],
    extra: Mapping[str, tuple[list, Any]] | None = None,
) -> Any:
    """One row per sample: one Image per image column, one string per text column."""
    import datasets

    columns: dict[str, list] = {}
    features: dict[str, Any] = {}
    for name, values in images.items():
        columns[name] = [swatch(v) for v in values]
        features[name] = datasets.Image()
    for name, values in texts.items():
        columns[name] = list(values)
        features[name] = datasets.Value("string")
    for name, (values, feature) in (extra or {}).items():
        columns[name] = list(values)
        features[name] = feature
    return _dataset(columns, features)


def imagecode_configs(
    corpus: Sequence[tuple[str, Stripes]], queries: Sequence[tuple[str, str]], qrels: Sequence[tuple[str, str, int]]
) -> dict[str, dict[str, Any]]:
    """ImageCoDe's retrieval form: ``corpus`` (split ``corpus``), ``query`` and ``qrels`` (split ``test``)."""
    import datasets

    string = datasets.Value("string")
    return {
        "corpus": {
            "corpus": _dataset(
                {"id": [c for c, _ in corpus], "image": [swatch(s) for _, s in corpus]},
                {"id": string, "image": datasets.Image()},
            )
        },
        "query": {
            "test": _dataset(
                {"id": [q for q, _ in queries], "text": [t for _, t in queries]}, {"id": string, "text": string}
            )
        },
        "qrels": {"test": qrels_table(qrels)},
    }


# --- meme tables (HatefulMemes, Memotion): one raw table per split ------------------------------


def _image_column(codes: Sequence[Stripes] | Stripes, n: int) -> list[dict[str, Any]]:
    """``n`` encoded images: one swatch per code, or the same swatch ``n`` times (fast for large tables)."""
    if isinstance(codes, int):
        shared = {"bytes": png_bytes(swatch(codes)), "path": None}
        return [shared] * n
    return [{"bytes": png_bytes(swatch(c)), "path": None} for c in codes]


def hateful_memes_split(ids: Sequence[int], texts: Sequence[str], images: Sequence[Stripes] | Stripes = 1) -> Any:
    """Ahren09/MMSoc_HatefulMemes: ``id``, ``text``, ``image``, ``label``, ``split``."""
    import datasets

    n = len(ids)
    return _dataset(
        {"id": list(ids), "text": list(texts), "image": _image_column(images, n), "label": [0] * n, "split": ["s"] * n},
        {
            "id": datasets.Value("int64"),
            "text": datasets.Value("string"),
            "image": datasets.Image(),
            "label": datasets.Value("int64"),
            "split": datasets.Value("string"),
        },
    )


MEMOTION_EXTRA = ("text_ocr", "humor", "sarcasm", "offensive", "motivational", "sentiment", "split")


def memotion_split(texts: Sequence[str | None], images: Sequence[Stripes] | Stripes = 1) -> Any:
    """Ahren09/MMSoc_Memotion: ``image``, ``text_corrected`` (may be missing) and the label columns mteb removes."""
    import datasets

    n = len(texts)
    string = datasets.Value("string")
    return _dataset(
        {"image": _image_column(images, n), "text_corrected": list(texts), **{c: ["x"] * n for c in MEMOTION_EXTRA}},
        {"image": datasets.Image(), "text_corrected": string, **dict.fromkeys(MEMOTION_EXTRA, string)},
    )
