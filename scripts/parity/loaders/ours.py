"""The evaluation inputs of every task as mieb's data views read them, in the comparison's canonical form.

Canonical form (shared with ``reference_side.py``), per task, keyed ``"<split>/<subset>"``:
labeled images ``{"images": [codes], "labels": [...]}`` (plus ``"prompts"`` for zero-shot, and the
train split under ``"train/<subset>"`` for linear probes); retrieval ``{"queries": side, "corpus":
side, "qrels": {q: {d: score}}, "candidates": {q: sorted ids} | None}`` with ``side = {"ids",
"texts", "images"}``; visual STS ``{"first", "second", "scores"}``; compositionality
``{"images": [[codes] per column], "texts": [[...] per column]}``.
"""

from __future__ import annotations

from typing import Any

from snapshots import code_of

from harness.catalogue.queries import TaskSpec
from harness.data import views
from harness.data.hub import DataSource


def _codes(source: Any) -> list[int | None] | None:
    if source is None:
        return None
    rows = source.rows if source.rows is not None else range(len(source.dataset))
    column = source.dataset.select_columns([source.column])
    return [code_of(column[int(r)][source.column]) for r in rows]


def _labels(values: Any) -> list:
    return [list(map(int, v)) if isinstance(v, list) else int(v) for v in list(values)]


def _side(side: views.Side) -> dict:
    return {"ids": list(side.ids), "texts": side.texts, "images": _codes(side.images)}


def task_inputs(task: TaskSpec, source: DataSource) -> dict[str, Any]:
    """Every (split, subset) input of one task as mieb reads it."""
    out: dict[str, Any] = {}
    for split in task.eval_splits:
        for subset in task.subsets:
            key = f"{split}/{subset}"
            if task.family in ("zeroshot", "linear_probe", "clustering"):
                data = views.read_view(source, task, split)
                entry = {"images": _codes(data.images), "labels": _labels(data.labels)}
                if task.family == "zeroshot":
                    names = data.class_names or []
                    entry["prompts"] = task.prompts(names) if task.prompts else list(names)
                out[key] = entry
                if task.family == "linear_probe":
                    train = views.read_view(source, task, task.train_split)
                    out[f"train/{subset}"] = {"images": _codes(train.images), "labels": _labels(train.labels)}
            elif task.family in ("retrieval", "document", "vision_qa"):
                data = views.read_view(source, task, split, subset)
                candidates = None
                if data.candidates is not None:
                    candidates = {q: sorted(c) for q, c in data.candidates.items()}
                out[key] = {
                    "queries": _side(data.queries),
                    "corpus": _side(data.corpus),
                    "qrels": data.qrels,
                    "candidates": candidates,
                }
            elif task.family == "visual_sts":
                pairs = views.image_pairs(source, task, split, subset)
                out[key] = {
                    "first": _codes(pairs.first),
                    "second": _codes(pairs.second),
                    "scores": [float(s) for s in pairs.scores],
                }
            elif task.family == "compositionality":
                samples = views.read_view(source, task, split, subset)
                out[key] = {"images": [_codes(s) for s in samples.images], "texts": samples.texts}
            else:
                raise ValueError(f"{task.name}: unknown family {task.family}")
    return out
