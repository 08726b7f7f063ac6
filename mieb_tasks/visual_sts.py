"""VisualSTS: rendered sentence pairs compared as images (STS12-16, STS17, STS-b; raw and aggregate tasks)."""

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks._subsets import subsets
from mieb_tasks.families import ENG, IMG_LITE, MULTI_LITE, visual_sts, visual_sts_multi

VISUAL_STS_TASKS: tuple[TaskSpec, ...] = (
    visual_sts(
        "STS12VisualSTS",
        DatasetRef("Pixel-Linguist/rendered-sts12", "820c25edfba736f3789201b2476208cc62c2ccb9"),
        mteb2_dataset=DatasetRef("mteb/rendered-sts12", "16fabd3185c013b2e5e73f8b3343068e3d438689"),
    ),
    visual_sts(
        "STS13VisualSTS",
        DatasetRef("Pixel-Linguist/rendered-sts13", "561ee9ca47ff3e4a657283c59416deca8dc169f2"),
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/rendered-sts13", "576f4c4340b774e41704af9bcb003376e37241f3"),
    ),
    visual_sts(
        "STS14VisualSTS",
        DatasetRef("Pixel-Linguist/rendered-sts14", "824e95e45471024a684b901e0645579ffd9ca288"),
        mteb2_dataset=DatasetRef("mteb/rendered-sts14", "0a54520fac778d76f3009f7cb7290ad4c7ffc678"),
    ),
    visual_sts(
        "STS15VisualSTS",
        DatasetRef("Pixel-Linguist/rendered-sts15", "1f8d08d9b9daac7118dfdefeb94b0aac4baf2e5f"),
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/rendered-sts15", "a842b71cb9e907ae28d1047a7b436464a7f01c16"),
    ),
    visual_sts(
        "STS16VisualSTS",
        DatasetRef("Pixel-Linguist/rendered-sts16", "fc354f19598af93f32c0af1b94046ffdeaacde15"),
        mteb2_dataset=DatasetRef("mteb/rendered-sts16", "655e604448c6d82015e7a6688a1f371a338e6781"),
    ),
    visual_sts(
        "VisualSTS17Eng",
        DatasetRef("Pixel-Linguist/rendered-sts17", "2e31b4b459551a51e1ab54fd7266b40f3fe510d4"),
        benchmarks=ENG,
        subsets=subsets({"en-en": ("eng-Latn",)}),
        aggregate_of="STS17MultilingualVisualSTS",
    ),
    visual_sts(
        "VisualSTS-b-Eng",
        DatasetRef("Pixel-Linguist/rendered-stsb", "9f1ab21f17f497974996ab74b3ff911165a7dbf9"),
        benchmarks=ENG,
        subsets=subsets({"en": ("eng-Latn",)}),
        aggregate_of="STSBenchmarkMultilingualVisualSTS",
    ),
    visual_sts_multi(
        "STS17MultilingualVisualSTS",
        DatasetRef("Pixel-Linguist/rendered-sts17", "2e31b4b459551a51e1ab54fd7266b40f3fe510d4"),
        subsets=subsets(
            {
                "ar-ar": ("ara-Arab",),
                "en-ar": ("eng-Latn", "ara-Arab"),
                "en-de": ("eng-Latn", "deu-Latn"),
                "en-en": ("eng-Latn",),
                "en-tr": ("eng-Latn", "tur-Latn"),
                "es-en": ("spa-Latn", "eng-Latn"),
                "es-es": ("spa-Latn",),
                "fr-en": ("fra-Latn", "eng-Latn"),
                "it-en": ("ita-Latn", "eng-Latn"),
                "ko-ko": ("kor-Hang",),
                "nl-en": ("nld-Latn", "eng-Latn"),
            }
        ),
    ),
    visual_sts_multi(
        "STSBenchmarkMultilingualVisualSTS",
        DatasetRef("Pixel-Linguist/rendered-stsb", "9f1ab21f17f497974996ab74b3ff911165a7dbf9"),
        eval_splits=("dev", "test"),
        subsets=subsets(
            {
                "de": ("deu-Latn",),
                "en": ("eng-Latn",),
                "es": ("spa-Latn",),
                "fr": ("fra-Latn",),
                "it": ("ita-Latn",),
                "nl": ("nld-Latn",),
                "pl": ("pol-Latn",),
                "pt": ("por-Latn",),
                "ru": ("rus-Cyrl",),
                "zh": ("cmn-Hans",),
            }
        ),
    ),
    visual_sts_multi(
        "VisualSTS17Multilingual",
        DatasetRef("Pixel-Linguist/rendered-sts17", "2e31b4b459551a51e1ab54fd7266b40f3fe510d4"),
        benchmarks=MULTI_LITE,
        subsets=subsets(
            {
                "ko-ko": ("kor-Hang",),
                "ar-ar": ("ara-Arab",),
                "en-ar": ("eng-Latn", "ara-Arab"),
                "en-de": ("eng-Latn", "deu-Latn"),
                "en-tr": ("eng-Latn", "tur-Latn"),
                "es-en": ("spa-Latn", "eng-Latn"),
                "es-es": ("spa-Latn",),
                "fr-en": ("fra-Latn", "eng-Latn"),
                "it-en": ("ita-Latn", "eng-Latn"),
                "nl-en": ("nld-Latn", "eng-Latn"),
            }
        ),
        aggregate_of="STS17MultilingualVisualSTS",
    ),
    visual_sts_multi(
        "VisualSTS-b-Multilingual",
        DatasetRef("Pixel-Linguist/rendered-stsb", "9f1ab21f17f497974996ab74b3ff911165a7dbf9"),
        benchmarks=MULTI_LITE,
        subsets=subsets(
            {
                "de": ("deu-Latn",),
                "es": ("spa-Latn",),
                "fr": ("fra-Latn",),
                "it": ("ita-Latn",),
                "nl": ("nld-Latn",),
                "pl": ("pol-Latn",),
                "pt": ("por-Latn",),
                "ru": ("rus-Cyrl",),
                "zh": ("cmn-Hans",),
            }
        ),
        aggregate_of="STSBenchmarkMultilingualVisualSTS",
    ),
)
