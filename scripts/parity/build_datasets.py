"""Write the parity datasets (real hub layouts, tiny) under ROOT; run in mieb's venv.

Each task's data goes under every path either side reads it from: mieb's pinned
``TaskSpec.dataset.path`` and mteb 2.x's path (``TaskSpec.mteb2_dataset.path`` when mieb pins
another one). ``ROOT/tasks.json`` lists the tasks and the subsets to run.

    python scripts/parity/build_datasets.py ROOT [TASK ...]   # default: every task below
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import datasets  # noqa: E402

from harness.catalogue.queries import get_task  # noqa: E402
from harness.data.hub import write_snapshot  # noqa: E402
from tests.support.datasets_local import DIGIT_NAMES, digit_images  # noqa: E402
from tests.support.layouts import (  # noqa: E402
    beir_side,
    captions_split,
    cvbench_split,
    imagecode_configs,
    pair_rows,
    qrels_table,
    sts_split,
    swatch,
    text_code,
    vidore_configs,
)

RNG = np.random.default_rng(7)

# task -> subsets to run (None: all of the task's subsets)
TASKS: dict[str, list[str] | None] = {
    "CIFAR10ZeroShot": None,
    "RenderedSST2": None,
    "PatchCamelyonZeroShot": None,
    "CIFAR10": None,
    "VOC2007": None,
    "CIFAR10Clustering": None,
    "Flickr30kT2IRetrieval": None,
    "CUB200I2IRetrieval": None,
    "VidoreArxivQARetrieval": None,
    "XM3600T2IRetrieval": ["en", "de"],
    "CVBenchCount": None,
    "BLINKIT2IMultiChoice": None,
    "STS12VisualSTS": None,
    "STS14VisualSTS": None,
    "MNIST": None,
    "Winoground": None,
    "AROCocoOrder": None,
    "ImageCoDe": None,
}


def rand_code() -> int:
    return int(RNG.integers(0, 1 << 16))


def mix(code: int, rows: int) -> list[tuple[int, int]] | int:
    """A swatch that is ``rows``/8 of ``code`` and the rest a random colour."""
    return code if rows == 8 else [(code, rows), (rand_code(), 8 - rows)]


# --- image classification / zero-shot / clustering -------------------------------------------------


def labeled(n: int, offset: int, column: str, label_feature, label_fn=lambda y: int(y)) -> datasets.Dataset:
    images, labels = digit_images(n, offset=offset)
    values = [label_fn(y) for y in labels]
    return datasets.Dataset.from_dict(
        {column: images, "label_tmp": values},
        features=datasets.Features({column: datasets.Image(), "label_tmp": label_feature}),
    )


def classification(column: str, label: str, label_feature, label_fn=lambda y: int(y), n_train=200, n_test=100):
    splits = {}
    for split, n, offset in (("train", n_train, 0), ("test", n_test, 1000)):
        splits[split] = labeled(n, offset, column, label_feature, label_fn).rename_column("label_tmp", label)
    return splits


def cifar10():
    return {"plain_text": classification("img", "label", datasets.ClassLabel(names=DIGIT_NAMES))}


def painted_binary(task_name: str, column: str, label_feature, n_digits: int = 40, n_painted: int = 40):
    """Binary zero-shot data: digit images (label = digit parity) plus swatches painted with a
    candidate prompt's code, so the softmax(100 cos) saturates and ties decide ``ap``."""
    from harness.data.views import class_names

    spec = get_task(task_name)
    prompts = spec.prompts(class_names(spec, datasets.Dataset.from_dict({"x": []})) or ["negative", "positive"])
    splits = classification(column, "cls", label_feature, lambda y: int(y) % 2, n_test=n_digits)
    test = splits["test"].to_dict()
    for i in range(n_painted):
        label = i % 2
        painted = label if i % 5 else 1 - label  # every 5th image shows the other class
        test[column].append(swatch(mix(text_code(prompts[painted]), [8, 7, 6, 5][i % 4])))
        test["cls"].append(label)
    splits["test"] = datasets.Dataset.from_dict(test, features=splits["test"].features)
    return {"default": splits}


def rendered_sst2():
    return painted_binary("RenderedSST2", "png", datasets.ClassLabel(names=["negative", "positive"]))


def pcam():
    return painted_binary("PatchCamelyonZeroShot", "webp", datasets.Value("int64"))


def voc2007():
    splits = {}
    for split, n, offset in (("train", 200, 0), ("test", 100, 1000)):
        images, labels = digit_images(n, offset=offset)
        classes = []
        for i, y in enumerate(labels):
            row = [int(y)]
            if i % 3 == 0:
                row.append(int((y + 3) % 10))
            if i % 7 == 0:
                row.append(int((y + 5) % 10))
            classes.append(sorted(set(row)))
        splits[split] = datasets.Dataset.from_dict(
            {"image": images, "classes": classes},
            features=datasets.Features(
                {"image": datasets.Image(), "classes": datasets.Sequence(datasets.Value("int64"))}
            ),
        )
    return {"default": splits}


# --- retrieval --------------------------------------------------------------------------------------


def flickr():
    queries = [f"a photo of scene number {i}" for i in range(24)]
    codes = [text_code(q) for q in queries]
    corpus_ids, corpus_images, qrels = [], [], []
    for i, code in enumerate(codes):
        corpus_ids.append(f"img{i}")
        corpus_images.append(mix(code, [8, 6, 4, 3, 2][i % 5]))
        qrels.append((f"q{i}", f"img{i}", 1))
        if i % 4 == 0:  # a second, weaker relevant image
            corpus_ids.append(f"img{i}b")
            corpus_images.append(mix(code, 2))
            qrels.append((f"q{i}", f"img{i}b", 1))
    for j in range(10):  # distractors
        corpus_ids.append(f"noise{j}")
        corpus_images.append(rand_code())
    qrels.append(("q_zero", "img0", 0))  # a query whose qrels are all 0: kept
    query_ids = [f"q{i}" for i in range(24)] + ["q_zero", "q_none"]  # q_none: no qrels row, dropped
    query_texts = [*queries, "a query with only a zero judgement", "a query without judgements"]
    return {
        "corpus": {"test": beir_side(corpus_ids, images=corpus_images)},
        "queries": {"test": beir_side(query_ids, texts=query_texts)},
        "qrels": {"test": qrels_table(qrels)},
    }


def cub200():
    classes = [rand_code() for _ in range(6)]
    ids, images, label = [], [], []
    for c, code in enumerate(classes):
        for k in range(5):
            ids.append(f"c{c}_{k}")
            images.append(mix(code, [7, 6, 5, 4, 3][k]))
            label.append(c)
    q_ids, q_images, qrels = [], [], []
    for i in range(0, len(ids), 2):  # every other corpus image is also a query (same pixels)
        qid = f"q_{ids[i]}"
        q_ids.append(qid)
        q_images.append(images[i])
        qrels += [(qid, ids[j], 1) for j in range(len(ids)) if label[j] == label[i]]
    return {
        "corpus": {"test": beir_side(ids, images=images)},
        "queries": {"test": beir_side(q_ids, images=q_images)},
        "qrels": {"test": qrels_table(qrels)},
    }


def vidore():
    texts = [f"what does figure {i} show" for i in range(14)]
    pages = [(100 + i, mix(text_code(t), [8, 5, 3][i % 3])) for i, t in enumerate(texts)]
    pages += [(200 + j, rand_code()) for j in range(8)]
    qrels = [(i, 100 + i, 1) for i in range(14)] + [(0, 200, 1), (3, 201, 1)]
    return vidore_configs(list(enumerate(texts)), pages, qrels)


def xm3600():
    def lang(tag: str):
        rows = []
        for i in range(12):
            caps = [f"{tag} caption {i} first", f"{tag} caption {i} second"]
            stripes = [(text_code(caps[0]), 3), (text_code(caps[1]), 2), (rand_code(), 3)]
            rows.append((f"{tag}{i:03d}", stripes, caps))
        return captions_split(rows, raw_struct=True)

    return {"default": {"en": lang("en"), "de": lang("de")}}


def cvbench():
    rows = []
    for i in range(14):
        n = i % 4 + 1
        choices = [str(k) for k in range(n, n + 3 + i % 2)]
        answer = f"({'ABCD'[i % len(choices)]})"
        image = mix(text_code(choices[i % len(choices)]), [6, 3][i % 2])
        rows.append(("Count", f"How many objects of kind {i} are in the image?", choices, answer, image))
        if i % 4 == 0:
            rows.append(("Relation", f"Is object {i} left of the other?", ["left", "right"], "(A)", rand_code()))
    return {"default": {"test": cvbench_split(rows)}}


def blink():
    corpus_ids = [f"c{j}" for j in range(30)]
    corpus_codes = [rand_code() for _ in corpus_ids]
    q_ids, q_texts, q_images, qrels = [], [], [], []
    for i in range(12):
        choices = [(3 * i + k) % 30 for k in range(2 + i % 3)]
        correct = choices[i % len(choices)]
        q_ids.append(f"q{i}")
        q_texts.append(f"which image continues picture {i}?")
        q_images.append(mix(corpus_codes[correct], [5, 3][i % 2]))
        qrels += [(f"q{i}", corpus_ids[c], int(c == correct)) for c in choices]
    return {
        "corpus": {"test": beir_side(corpus_ids, images=corpus_codes)},
        "queries": {"test": beir_side(q_ids, texts=q_texts, images=q_images)},
        "qrels": {"test": qrels_table(qrels)},
    }


# --- STS and compositionality -------------------------------------------------------------------------


def sts12():
    pairs = []
    for _ in range(40):
        a, k = rand_code(), int(RNG.integers(0, 9))
        second = a if k == 8 else rand_code() if k == 0 else [(a, k), (rand_code(), 8 - k)]
        pairs.append((a, second, float(np.clip(5 * k / 8 + RNG.normal(0, 0.8), 0, 5))))
    return {"default": {"test": sts_split(pairs)}}


def sts_duplicates(n: int = 150, pool: int = 10):
    """Rendered-sentence pairs drawn from a small pool: each image recurs in many rows, in both
    columns and in every batch position, and 1 pair in 9 is a sentence paired with itself, so many
    similarities are ties (or near-ties) at ~1.0 and their rounding decides Spearman's ranks."""
    codes = [rand_code() for _ in range(pool)]
    pairs = []
    for _ in range(n):
        i, k = int(RNG.integers(0, pool)), int(RNG.integers(0, 9))
        second = codes[i] if k == 8 else [(codes[i], k), (codes[(i + 1 + k) % pool], 8 - k)]
        first = codes[i] if RNG.random() < 0.7 else [(codes[i], 4), (codes[(i + 3) % pool], 4)]
        pairs.append((first, second, float(np.clip(5 * k / 8 + RNG.normal(0, 0.5), 0, 5))))
    return {"default": {"test": sts_split(pairs)}}


def noisy_probe(n_train: int = 240, n_test: int = 400, n_classes: int = 10):
    """Linear-probe data whose classes barely separate (random swatches, labels half random), so
    many test predictions sit near a decision boundary: the solver's float dtype shows there."""
    feature = datasets.ClassLabel(names=DIGIT_NAMES[:n_classes])
    prototypes = [rand_code() for _ in range(n_classes)]
    splits = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = [int(RNG.integers(0, n_classes)) for _ in range(n)]
        strong = [int(RNG.integers(1, 4)) for _ in labels]
        images = [
            swatch([(prototypes[y], r), (rand_code(), 6 - r), (rand_code(), 2)])
            for y, r in zip(labels, strong, strict=True)
        ]
        labels = [y if RNG.random() < 0.5 else int(RNG.integers(0, n_classes)) for y in labels]
        splits[split] = datasets.Dataset.from_dict(
            {"image": images, "label": labels},
            features=datasets.Features({"image": datasets.Image(), "label": feature}),
        )
    return {"default": splits}


def winoground():
    c0 = [f"the {i} cup is on the book" for i in range(16)]
    c1 = [f"the book is on the {i} cup" for i in range(16)]
    img0 = [mix(text_code(t), [6, 4, 2][i % 3]) for i, t in enumerate(c0)]
    img1 = [mix(text_code(t), [3, 5, 7][i % 3]) for i, t in enumerate(c1)]
    extra = {
        "id": (list(range(16)), datasets.Value("int64")),
        "tag": (["Object"] * 16, datasets.Value("string")),
        "secondary_tag": ([""] * 16, datasets.Value("string")),
        "num_main_preds": ([1] * 16, datasets.Value("int64")),
        "collapsed_tag": (["Object"] * 16, datasets.Value("string")),
    }
    rows = pair_rows({"image_0": img0, "image_1": img1}, {"caption_0": c0, "caption_1": c1}, extra)
    return {"default": {"test": rows}}


def aro():
    names = ("correct_caption", "hard_text_1", "hard_text_2", "hard_text_3", "hard_text_4")
    texts = {n: [f"{n} variant of sentence {i}" for i in range(20)] for n in names}
    images = [mix(text_code(texts["correct_caption"][i]), [5, 3, 2, 1][i % 4]) for i in range(20)]
    return {"default": {"test": pair_rows({"images": images}, texts)}}


def imagecode():
    corpus, queries, qrels = [], [], []
    for q in range(6):
        text = f"the moment when event {q} happens"
        queries.append((f"q{q}", text))
        n = 10 + q % 2
        correct = q % n
        for k in range(n):
            cid = f"f{q}_{k}"
            code = mix(text_code(text), [4, 2][q % 2]) if k == correct else rand_code()
            corpus.append((cid, code))
            qrels.append((f"q{q}", cid, int(k == correct)))
    corpus.reverse()  # corpus order != qrels order
    return imagecode_configs(corpus, queries, qrels)


BUILDERS = {
    "CIFAR10ZeroShot": cifar10,
    "RenderedSST2": rendered_sst2,
    "PatchCamelyonZeroShot": pcam,
    "CIFAR10": cifar10,
    "VOC2007": voc2007,
    "CIFAR10Clustering": cifar10,
    "Flickr30kT2IRetrieval": flickr,
    "CUB200I2IRetrieval": cub200,
    "VidoreArxivQARetrieval": vidore,
    "XM3600T2IRetrieval": xm3600,
    "CVBenchCount": cvbench,
    "BLINKIT2IMultiChoice": blink,
    "STS12VisualSTS": sts12,
    "STS14VisualSTS": sts_duplicates,
    "MNIST": noisy_probe,
    "Winoground": winoground,
    "AROCocoOrder": aro,
    "ImageCoDe": imagecode,
}


def main(root: Path, only: list[str] | None = None) -> None:
    unknown = sorted(set(only or ()) - set(TASKS))
    if unknown:
        raise SystemExit(f"no parity dataset for {unknown}; choose from {sorted(TASKS)}")
    datasets.disable_progress_bars()
    root.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    manifest = {}
    for name, subsets in TASKS.items():
        if only and name not in only:
            continue
        spec = get_task(name)
        paths = [spec.dataset.path]
        if spec.mteb2_dataset is not None and spec.mteb2_dataset.path not in paths:
            paths.append(spec.mteb2_dataset.path)
        first = root.joinpath(*paths[0].split("/"))
        if paths[0] not in written:
            if first.exists():
                shutil.rmtree(first)
            write_snapshot(first, BUILDERS[name]())
            written[paths[0]] = first
        for other in paths[1:]:
            target = root.joinpath(*other.split("/"))
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(written[paths[0]], target)
        manifest[name] = {"paths": paths, "subsets": subsets or list(spec.subsets)}
    (root / "tasks.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {len(manifest)} task datasets under {root}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), sys.argv[2:] or None)
