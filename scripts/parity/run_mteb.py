"""Score the parity tasks with mteb's own task code; run with a python that has mteb 2.x.

    /path/to/mteb/python scripts/parity/run_mteb.py DATA_ROOT OUT.json

Each mteb task is taken from ``mteb.get_task`` and its ``metadata.dataset["path"]`` is pointed at
``DATA_ROOT/<its hub path>`` (mteb's loaders call ``datasets.load_dataset(path, revision=...)``,
which reads a local snapshot folder). Writes ``{task: {split: {subset: {metric: value}}}}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import parity_encoder  # noqa: E402

ENTRY_KEYS = {"hf_subset", "languages"}


def make_model():
    from mteb.models.abs_encoder import AbsEncoder
    from mteb.models.model_meta import ModelMeta, ScoringFunction

    meta = ModelMeta.create_empty(
        overwrites={
            "name": "parity/hash-encoder",
            "revision": "1",
            "modalities": ["image", "text"],
            "similarity_fn_name": ScoringFunction.COSINE,
            "embed_dim": parity_encoder.DIM,
        }
    )

    class ParityEncoder(AbsEncoder):
        """mteb's encoder protocol; image+text batches are fused by summing, as mteb's CLIP wrapper does."""

        mteb_model_meta = meta

        def __init__(self):
            self.model = None

        def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs):
            import numpy as np

            features = inputs.dataset.features
            chunks = []
            for batch in inputs:
                emb = None
                if "text" in features:
                    emb = parity_encoder.embed_texts(batch["text"])
                if "image" in features:
                    img = parity_encoder.embed_images(batch["image"])
                    emb = img if emb is None else emb + img
                if emb is None:
                    raise ValueError(f"batch with neither text nor image: {list(batch)}")
                chunks.append(emb)
            return np.concatenate(chunks, axis=0)  # the encoder's dtype, as mteb's wrappers return it

    return ParityEncoder()


def main(root: Path, out: Path) -> None:
    import datasets
    import mteb

    datasets.disable_progress_bars()
    manifest = json.loads((root / "tasks.json").read_text())
    model = make_model()
    scores = {}
    for name, info in manifest.items():
        subsets = info["subsets"] if info["subsets"] != ["default"] else None
        task = mteb.get_task(name, hf_subsets=subsets)
        hub_path = task.metadata.dataset["path"]
        local = root.joinpath(*hub_path.split("/"))
        if not local.is_dir():
            raise SystemExit(f"{name}: mteb reads {hub_path}, but {local} was not built (paths: {info['paths']})")
        task.metadata.dataset["path"] = str(local)
        result = mteb.evaluate(
            model,
            task,
            cache=None,
            overwrite_strategy="always",
            show_progress_bar=False,
            encode_kwargs={"batch_size": 32, "show_progress_bar": False},
        )
        (task_result,) = result.task_results
        scores[name] = {
            split: {e["hf_subset"]: {k: v for k, v in e.items() if k not in ENTRY_KEYS} for e in entries}
            for split, entries in task_result.scores.items()
        }
        print(f"mteb {name}: main_score {[e['main_score'] for es in task_result.scores.values() for e in es]}")
    out.write_text(json.dumps(scores, indent=1, sort_keys=True, default=float))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]))
