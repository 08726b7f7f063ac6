"""Drawn shape scenes: ARO / Winoground compositionality and CV-Bench-layout counting."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from harness.offline.common import Configs, png_cell, scaled, table

if TYPE_CHECKING:
    from harness.offline.render import Shape

_RELATIONS = {"left": ("to the left of", "to the right of"), "above": ("above", "below")}


def _two_shapes(rng: np.random.Generator, relation: str, c1: str, s1: str, c2: str, s2: str) -> list[Shape]:
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
    for _ in range(scaled(150, scale, 4)):
        relation, c1, s1, c2, s2, flip = _scene_spec(rng)
        forward, backward = _RELATIONS[relation]
        image = draw_scene(_two_shapes(rng, relation, c1, s1, c2, s2))
        if flip:  # describe the second shape relative to the first
            c1, s1, c2, s2, forward, backward = c2, s2, c1, s1, backward, forward
        columns["images"].append(png_cell(image))
        columns["correct_caption"].append(f"a {c1} {s1} {forward} a {c2} {s2}")
        columns["hard_text_1"].append(f"a {c2} {s1} {forward} a {c1} {s2}")
        columns["hard_text_2"].append(f"a {c1} {s1} {backward} a {c2} {s2}")
        columns["hard_text_3"].append(f"a {c1} {s2} {forward} a {c2} {s1}")
    string = datasets.Value("string")
    features = {"images": datasets.Image(), **{k: string for k in columns if k != "images"}}
    return {"default": {"test": table(columns, features)}}


def build_shapes_winoground(rng: np.random.Generator, scale: float) -> Configs:
    """Winoground-style rows: two scenes, two captions with the same words in another order."""
    import datasets

    from harness.offline.render import draw_scene

    columns: dict[str, list] = {"id": [], "image_0": [], "image_1": [], "caption_0": [], "caption_1": [], "tag": []}
    for n in range(scaled(50, scale, 4)):
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
        columns["image_0"].append(png_cell(draw_scene(scene_0)))
        columns["image_1"].append(png_cell(draw_scene(scene_1)))
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
    return {"default": {"test": table(columns, features)}}


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
    for n in range(scaled(150, scale, 4)):
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
        columns["image"].append(png_cell(image))
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
    return {"default": {"test": table(columns, features)}}
