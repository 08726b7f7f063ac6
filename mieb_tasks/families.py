"""Each task family's defaults: a declaration in the catalogue states only what differs from them.

``zero_shot("CIFAR10ZeroShot", DatasetRef(...), input_column="img", ...)`` builds the full
``TaskSpec`` from the family's defaults and the declaration's own fields. A declaration that
restates a default is refused, so what a task declares is what sets it apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mieb_records.families import facts_of_type
from mieb_records.tasks import MTEB2_VERSION, DatasetRef, TaskSpec

__all__ = ["MTEB2_VERSION", "Family", "family", "mteb2_copy_instead_of_script"]  # and the families below
# The ViDoRe tasks whose published scores used the single-table copies and the pre-release code.
PRE_RELEASE_MIEB = "pre-release MIEB (mteb 1.16.5, commit 088d1540)"

IMAGE = ("image",)
IMAGE_TEXT = ("image", "text")

# Benchmark membership as declared on each task (the benchmarks derive from it).
ENG = ("MIEB(Multilingual)", "MIEB(eng)")  # the full benchmark and its English part
ENG_LITE = (*ENG, "MIEB(lite)")
IMG = ("MIEB(Img)", *ENG)  # ... and its image-only part
IMG_LITE = (*IMG, "MIEB(lite)")
MULTI = ("MIEB(Multilingual)",)  # the full benchmark only (multilingual tasks)
MULTI_LITE = (*MULTI, "MIEB(lite)")
IMG_ONLY = ("MIEB(Img)",)
OFFLINE = ("MIEB(offline)",)


@dataclass(frozen=True)
class Family:
    """A constructor of one family's tasks: ``family(name, dataset, **fields)`` -> ``TaskSpec``."""

    defaults: Mapping[str, Any]

    def __call__(self, name: str, dataset: DatasetRef, **fields: Any) -> TaskSpec:
        restated = sorted(k for k, v in fields.items() if k in self.defaults and self.defaults[k] == v)
        if restated:
            raise ValueError(f"{name}: {', '.join(restated)} restate the family default; leave them out")
        return TaskSpec(name=name, dataset=dataset, **{**self.defaults, **fields})

    def variant(self, **defaults: Any) -> Family:
        """The same family with some defaults replaced (a group of tasks that share them)."""
        return Family(MappingProxyType({**self.defaults, **defaults}))


def family(type: str, **defaults: Any) -> Family:
    """The family of task type ``type``; every family evaluates split ``test`` and reads its family's
    layout (``mieb_records.families``) unless it says otherwise."""
    return Family(
        MappingProxyType({"type": type, "eval_splits": ("test",), "layout": facts_of_type(type).layout, **defaults})
    )


def mteb2_copy_instead_of_script(script: str, copy: DatasetRef) -> dict[str, Any]:
    """Fields of a task whose published scores read a loading script that datasets>=4 cannot run:
    it reads ``copy`` (the mteb 2.x parquet copy) with mteb 2.x's loader, and its published
    references are reported, not asserted."""
    return {
        "dataset": copy,
        "mteb2_dataset": copy,
        "reference_version": MTEB2_VERSION,
        "source_differs": (
            f"published scores read the loading script {script} (datasets<4 with trust_remote_code); datasets>=4 "
            f"cannot run loading scripts, so this task reads the mteb 2.x parquet copy with mteb {MTEB2_VERSION}'s loader"
        ),
    }


zero_shot = family(
    "ZeroShotClassification", category="i2t", main_score="accuracy", modalities=IMAGE_TEXT, benchmarks=ENG
)
linear_probe = family(
    "ImageClassification",
    category="i2c",
    main_score="accuracy",
    modalities=IMAGE,
    benchmarks=IMG,
    samples_per_label=16,
    n_experiments=5,
)
clustering = family("ImageClustering", category="i2c", main_score="nmi", modalities=IMAGE, benchmarks=IMG)
retrieval = family("Any2AnyRetrieval", main_score="ndcg_at_10", modalities=IMAGE_TEXT, benchmarks=ENG)
image_retrieval = retrieval.variant(category="i2i", main_score="hit_rate_at_1", modalities=IMAGE, benchmarks=IMG)
# The revisited Oxford and Paris landmarks: mAP@5 over each query's own judged images.
landmark_retrieval = image_retrieval.variant(main_score="map_at_5", restrict_to_qrels=True)
multilingual_retrieval = family(
    "Any2AnyMultilingualRetrieval", category="t2i", main_score="ndcg_at_10", modalities=IMAGE_TEXT, benchmarks=MULTI
)
document = family(
    "DocumentUnderstanding",
    category="t2i",
    main_score="ndcg_at_5",
    modalities=IMAGE_TEXT,
    benchmarks=ENG,
)
# Published on ViDoRe's single-table copies by the pre-release code; mteb 2.x reads the BEIR copies.
document_table = document.variant(
    layout="vidore_table", reference_version=PRE_RELEASE_MIEB, mteb2=MappingProxyType({"layout": "vidore"})
)
visual_sts = family("VisualSTS(eng)", category="i2i", main_score="cosine_spearman", modalities=IMAGE, benchmarks=IMG)
visual_sts_multi = visual_sts.variant(type="VisualSTS(multi)", benchmarks=IMG_ONLY)
compositionality = family(
    "Compositionality",
    category="i2t",
    main_score="text_acc",
    modalities=IMAGE_TEXT,
    benchmarks=ENG,
)
vision_qa = family(
    "VisionCentricQA",
    category="it2t",
    main_score="accuracy",
    modalities=IMAGE_TEXT,
    benchmarks=ENG,
    restrict_to_qrels=True,
)
