"""One table of facts per task family; every other place derives what it needs from it.

A family is a protocol: the task types it covers, the MIEB paper's category they are reported
under, the view its data is read into, the pipeline that scores it, which counts fingerprint its
data, and the default tolerance of its reference gate. ``LAYOUTS`` names every dataset layout a
task may declare and the view it is read into; the data layer holds one reader per layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mieb_records.errors import UnknownNameError

# The views the data layer reads a split into (``harness.data.records``): what a pipeline gets.
VIEWS = ("labeled_images", "retrieval", "image_pairs", "samples")

# Dataset layout -> the view it is read into. A task's ``layout`` must be one of these (checked
# when the task is declared); ``harness.data.views.READERS`` holds one reader per layout.
LAYOUTS: Mapping[str, str] = MappingProxyType(
    {
        "labeled": "labeled_images",  # one table: an image column and a label column
        "multilabel": "labeled_images",  # ... whose label column holds a list of labels per image
        "beir": "retrieval",  # configs corpus / queries / qrels
        "vidore": "retrieval",
        "vidore_table": "retrieval",
        "xm3600": "retrieval",
        "wit": "retrieval",
        "xflickrco": "retrieval",
        "cvbench": "retrieval",
        "hateful_memes": "retrieval",
        "hateful_memes_dedup": "retrieval",
        "memotion": "retrieval",
        "memotion_text_filter": "retrieval",
        "scimmir": "retrieval",
        "sts": "image_pairs",  # rendered sentence pairs and a 0-5 score
        "image_text_pairs": "samples",  # one row per sample, image and text columns
        "imagecode_pairs": "samples",  # ImageCoDe in retrieval form, read as samples
    }
)


@dataclass(frozen=True)
class FamilyFacts:
    """What holds for every task of one family (``name`` is also its pytest marker)."""

    name: str
    types: tuple[str, ...]
    paper_category: str  # the MIEB paper's category its scores are reported under
    layout: str  # the layout a task reads unless it declares another (of the same view)
    pipeline: str  # the key of ``harness.pipelines.PIPELINES`` that scores one split
    fingerprint: str  # the kind of counts that fingerprint its data (``harness.data.fingerprints``)
    # Absolute tolerance on the main score when the user gives none. Measured on CPU fp32: batch
    # size, decode workers and -n move no main score by 1e-6 on MIEB(offline) or the parity data.
    # The margins cover what one machine cannot measure (fp16/bf16 on GPUs, other BLAS); linear
    # probes and clustering get more for their solvers and k-means runs.
    tolerance: float = 0.01

    @property
    def view(self) -> str:
        return LAYOUTS[self.layout]


FAMILY_FACTS: tuple[FamilyFacts, ...] = (
    FamilyFacts(
        "zeroshot",
        ("ZeroShotClassification",),
        "Zero-shot classification",
        layout="labeled",
        pipeline="zero_shot",
        fingerprint="labeled",
    ),
    FamilyFacts(
        "linear_probe",
        ("ImageClassification",),
        "Linear probing",
        layout="labeled",
        pipeline="linear_probe",
        fingerprint="labeled",
        tolerance=0.02,
    ),
    FamilyFacts(
        "clustering",
        ("ImageClustering",),
        "Clustering",
        layout="labeled",
        pipeline="clustering",
        fingerprint="labeled",
        tolerance=0.03,
    ),
    FamilyFacts(
        "retrieval",
        ("Any2AnyRetrieval", "Any2AnyMultilingualRetrieval"),
        "Retrieval",
        layout="beir",
        pipeline="retrieval",
        fingerprint="retrieval",
    ),
    FamilyFacts(
        "document",
        ("DocumentUnderstanding",),
        "Document understanding",
        layout="vidore",
        pipeline="retrieval",
        fingerprint="retrieval",
    ),
    FamilyFacts(
        "visual_sts",
        ("VisualSTS(eng)", "VisualSTS(multi)"),
        "Visual STS",
        layout="sts",
        pipeline="visual_sts",
        fingerprint="visual_sts",
    ),
    FamilyFacts(
        "compositionality",
        ("Compositionality",),
        "Compositionality",
        layout="image_text_pairs",
        pipeline="compositionality",
        fingerprint="compositionality",
    ),
    FamilyFacts(
        "vision_qa",
        ("VisionCentricQA",),
        "Vision-centric QA",
        layout="beir",
        pipeline="retrieval",
        fingerprint="multiple_choice",
    ),
)

FACTS_OF_FAMILY: Mapping[str, FamilyFacts] = MappingProxyType({f.name: f for f in FAMILY_FACTS})
FACTS_OF_TYPE: Mapping[str, FamilyFacts] = MappingProxyType({t: f for f in FAMILY_FACTS for t in f.types})
# Derived views of the table, by the names the rest of the project reads.
FAMILIES: tuple[str, ...] = tuple(FACTS_OF_FAMILY)
FAMILY_OF_TYPE: Mapping[str, str] = MappingProxyType({t: f.name for t, f in FACTS_OF_TYPE.items()})
PAPER_CATEGORY_OF_TYPE: Mapping[str, str] = MappingProxyType({t: f.paper_category for t, f in FACTS_OF_TYPE.items()})


def facts_of_type(task_type: str) -> FamilyFacts:
    """The facts of the family that covers ``task_type``; an unknown type raises with close matches."""
    try:
        return FACTS_OF_TYPE[task_type]
    except KeyError:
        raise UnknownNameError("task type", task_type, FACTS_OF_TYPE) from None


def check_layout(task_name: str, task_type: str, layout: str) -> None:
    """Refuse a layout that is unknown (with close matches) or read into another view than the family's."""
    facts = facts_of_type(task_type)
    if layout not in LAYOUTS:
        raise UnknownNameError(f"dataset layout (task {task_name})", layout, LAYOUTS)
    if LAYOUTS[layout] != facts.view:
        raise ValueError(
            f"{task_name}: layout {layout!r} is read into the {LAYOUTS[layout]} view, but family {facts.name} "
            f"scores the {facts.view} view (its layouts: "
            f"{', '.join(n for n, v in LAYOUTS.items() if v == facts.view)})"
        )
