"""Score the parity tasks with mieb (``harness.runner.run_task``); run in mieb's venv.

    python scripts/parity/run_mieb.py DATA_ROOT OUT.json

Writes ``{task: {split: {subset: {metric: value}}}}``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import parity_encoder  # noqa: E402

from harness.catalogue.queries import get_task  # noqa: E402
from harness.data.hub import DataSource  # noqa: E402
from harness.runner import build_engine, run_task  # noqa: E402
from mieb_models.base import ModelMeta  # noqa: E402

ENTRY_KEYS = {"hf_subset", "languages"}


class ParityEncoder:
    meta = ModelMeta(
        name="parity/hash-encoder",
        revision="1",
        framework="numpy",
        architecture="random-projection",
        modalities=("image", "text"),
        embed_dim=parity_encoder.DIM,
    )

    def encode_images(self, images):
        return parity_encoder.embed_images(images)

    def encode_texts(self, texts):
        return parity_encoder.embed_texts(texts)


def main(root: Path, out: Path) -> None:
    import datasets

    datasets.disable_progress_bars()
    manifest = json.loads((root / "tasks.json").read_text())
    # The datasets are written in the mteb 2.x layouts that mteb 2.26.24 reads: mieb reads them as
    # `--dataset-source mteb2` does (the published source follows each task's pinned mteb 1.x loader).
    # The data is tiny by design: never the reference's row counts, so content is not verified.
    source = DataSource.from_env(root, "mteb2", verify_data=False)
    scores = {}
    with tempfile.TemporaryDirectory() as results, tempfile.TemporaryDirectory() as cache:
        # A fresh cache per run; MIEB_PARITY_BATCH_SIZE / MIEB_PARITY_WORKERS vary the input
        # pipeline (tolerance measurements).
        engine = build_engine(
            ParityEncoder(),
            cache_dir=cache,
            batch_size=int(os.environ.get("MIEB_PARITY_BATCH_SIZE", "32")),
            num_workers=int(os.environ.get("MIEB_PARITY_WORKERS", "0")),
            progress=False,
        )
        for name, info in manifest.items():
            task = get_task(name)
            outcome = run_task(task, engine, source, results, overwrite=True, subsets=info["subsets"])
            scores[name] = {
                split: {e["hf_subset"]: {k: v for k, v in e.items() if k not in ENTRY_KEYS} for e in entries}
                for split, entries in outcome.result.scores.items()
            }
            print(f"mieb {name}: main_score {[e['main_score'] for es in outcome.result.scores.values() for e in es]}")
    out.write_text(json.dumps(scores, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]))
