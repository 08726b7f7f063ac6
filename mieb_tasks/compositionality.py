"""Compositionality: per-sample image x text matching (ARO, SugarCrepe, Winoground, ImageCoDe)."""

from types import MappingProxyType

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks.families import ENG_LITE, compositionality

COMPOSITIONALITY_TASKS: tuple[TaskSpec, ...] = (
    compositionality(
        "AROCocoOrder",
        DatasetRef("gowitheflow/ARO-COCO-order", "853ec8757226585a38a80886c51fe0f3f268787c"),
        benchmarks=ENG_LITE,
        image_columns=("images",),
        text_columns=("correct_caption", "hard_text_1", "hard_text_2", "hard_text_3", "hard_text_4"),
        mteb2_dataset=DatasetRef("mteb/ARO-COCO-order", "53c20afc02a87fed8c0245dde2e00f054da4b861"),
    ),
    compositionality(
        "AROFlickrOrder",
        DatasetRef("gowitheflow/ARO-Flickr-Order", "1f9485f69c87947812378a1aedf86410c86a0aa8"),
        benchmarks=ENG_LITE,
        image_columns=("images",),
        text_columns=("correct_caption", "hard_text_1", "hard_text_2", "hard_text_3", "hard_text_4"),
        mteb2_dataset=DatasetRef("mteb/ARO-Flickr-Order", "e5d7f3502345b2c398a6645b4d09b44e650287bf"),
    ),
    compositionality(
        "AROVisualAttribution",
        DatasetRef("gowitheflow/ARO-Visual-Attribution", "18f7e01358d91df599d723f00e16a18640e19398"),
        benchmarks=ENG_LITE,
        image_columns=("image",),
        text_columns=("true_caption", "false_caption"),
        mteb2_dataset=DatasetRef("mteb/ARO-Visual-Attribution", "25fe9b460426ff67cdb0608a737c94f8f49a901e"),
    ),
    compositionality(
        "AROVisualRelation",
        DatasetRef("gowitheflow/ARO-Visual-Relation", "3867ad4f46a1ac2e63be034d1fc77dd8c2ef7209"),
        benchmarks=ENG_LITE,
        image_columns=("image",),
        text_columns=("true_caption", "false_caption"),
        mteb2_dataset=DatasetRef("mteb/ARO-Visual-Relation", "53c1115ab5871ab33b09d5bb8856236d46bdaf2d"),
    ),
    compositionality(
        "SugarCrepe",
        DatasetRef("yjkimstats/SUGARCREPE_fmt", "134abf9ade6a32f9fdae0e89022ff227a70b87e5"),
        image_columns=("images",),
        text_columns=("caption", "negative_caption"),
        mteb2_dataset=DatasetRef("mteb/SUGARCREPE_fmt", "e9e0e3ce40c94023c819d3413edb5d090ec9f0d8"),
        split_aliases=MappingProxyType({"test": "train"}),
    ),
    compositionality(
        "Winoground",
        DatasetRef("facebook/winoground", "b400e173549071916ad1b3d449293bc8d8b4b763"),
        main_score="accuracy",
        benchmarks=ENG_LITE,
        image_columns=("image_0", "image_1"),
        text_columns=("caption_0", "caption_1"),
    ),
    compositionality(
        "ImageCoDe",
        DatasetRef("JamieSJS/imagecode-multi", "d28adfd8b34fefa546fdf94bdc352622b2575f6c"),
        category="it2i",
        main_score="image_acc",
        benchmarks=ENG_LITE,
        layout="imagecode_pairs",
        image_columns=(
            "correct_image",
            "false_image_1",
            "false_image_2",
            "false_image_3",
            "false_image_4",
            "false_image_5",
            "false_image_6",
            "false_image_7",
            "false_image_8",
            "false_image_9",
        ),
        text_columns=("text",),
        mteb2_dataset=DatasetRef("mteb/imagecode-multi", "0a27b28e13841897d490a40fb88a003f04d7e314"),
    ),
)
