"""Any2AnyMultilingualRetrieval: text-to-image search per language subset (3 tasks)."""

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks._subsets import subsets
from mieb_tasks.families import MULTI_LITE, multilingual_retrieval

MULTILINGUAL_RETRIEVAL_TASKS: tuple[TaskSpec, ...] = (
    multilingual_retrieval(
        "WITT2IRetrieval",
        DatasetRef("mteb/wit", "91ac153f1371a98b209ed763205e25e115ecd06e"),
        benchmarks=MULTI_LITE,
        subsets=subsets(
            {
                "ar": ("ara-Arab",),
                "bg": ("bul-Cyrl",),
                "da": ("dan-Latn",),
                "el": ("ell-Grek",),
                "en": ("eng-Latn",),
                "et": ("est-Latn",),
                "id": ("ind-Latn",),
                "ja": ("jpn-Jpan",),
                "ko": ("kor-Hang",),
                "tr": ("tur-Latn",),
                "vi": ("vie-Latn",),
            }
        ),
        layout="wit",
    ),
    multilingual_retrieval(
        "XM3600T2IRetrieval",
        DatasetRef("floschne/xm3600", "8d3e5665526c55a5855cd6ddfbaba2032bc7cee4"),
        benchmarks=MULTI_LITE,
        subsets=subsets(
            {
                "ar": ("ara-Arab",),
                "bn": ("ben-Beng",),
                "cs": ("ces-Latn",),
                "da": ("dan-Latn",),
                "de": ("deu-Latn",),
                "el": ("ell-Grek",),
                "en": ("eng-Latn",),
                "es": ("spa-Latn",),
                "fa": ("fas-Arab",),
                "fi": ("fin-Latn",),
                "fil": ("fil-Latn",),
                "fr": ("fra-Latn",),
                "he": ("heb-Hebr",),
                "hi": ("hin-Deva",),
                "hr": ("hrv-Latn",),
                "hu": ("hun-Latn",),
                "id": ("ind-Latn",),
                "it": ("ita-Latn",),
                "ja": ("jpn-Jpan",),
                "ko": ("kor-Hang",),
                "mi": ("mri-Latn",),
                "nl": ("nld-Latn",),
                "no": ("nob-Latn", "nno-Latn", "nor-Latn"),
                "pl": ("pol-Latn",),
                "pt": ("por-Latn",),
                "quz": ("quz-Latn",),
                "ro": ("ron-Latn",),
                "ru": ("rus-Cyrl",),
                "sv": ("swe-Latn",),
                "sw": ("swa-Latn",),
                "te": ("tel-Telu",),
                "th": ("tha-Thai",),
                "tr": ("tur-Latn",),
                "uk": ("ukr-Cyrl",),
                "vi": ("vie-Latn",),
                "zh": ("zho-Hans",),
            }
        ),
        layout="xm3600",
        mteb2_dataset=DatasetRef("mteb/xm3600", "536cd45bbfe53de9b08c0483bb4a76a4bd3673fa"),
    ),
    multilingual_retrieval(
        "XFlickr30kCoT2IRetrieval",
        DatasetRef("floschne/xflickrco", "0af2c2eba58b27a71898787e286be04befdd7a20"),
        subsets=subsets(
            {
                "de": ("deu-Latn",),
                "en": ("eng-Latn",),
                "es": ("spa-Latn",),
                "id": ("ind-Latn",),
                "ja": ("jpn-Jpan",),
                "ru": ("rus-Cyrl",),
                "tr": ("tur-Latn",),
                "zh": ("zho-Hans",),
            }
        ),
        layout="xflickrco",
        mteb2_dataset=DatasetRef("mteb/xflickrco", "4da629e05455d757306174cdc72f2edfe00b9027"),
    ),
)
