"""ImageClassification: few-shot logistic-regression probes on frozen image embeddings (21 tasks) and
the multilabel VOC2007 (k-NN, lrap)."""

from types import MappingProxyType

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks.families import IMG_LITE, linear_probe, mteb2_copy_instead_of_script

LINEAR_PROBE_TASKS: tuple[TaskSpec, ...] = (
    linear_probe(
        "Birdsnap",
        DatasetRef("mteb/birdsnap", "fd23015508be94f0b5b59d61630e4ea2536509e4"),
        label_column="common",
        mteb2=MappingProxyType({"drop_train_rows": (3854,)}),
    ),
    linear_probe(
        "Caltech101",
        **mteb2_copy_instead_of_script(
            "HuggingFaceM4/Caltech-101@851374102055782c84f89b1b4e9d128a6568847b (config with_background_category)",
            DatasetRef("mteb/Caltech101", "011e51e5fb01f0c820824734edb7a539ab8e6650"),
        ),
    ),
    linear_probe(
        "CIFAR10",
        DatasetRef("uoft-cs/cifar10", "0b2714987fa478483af9968de7c934580d0bb9a2"),
        input_column="img",
        mteb2_dataset=DatasetRef("mteb/cifar10", "69a62dd171e24a133d193073e73fda4dbb823266"),
    ),
    linear_probe(
        "CIFAR100",
        DatasetRef("uoft-cs/cifar100", "aadb3af77e9048adbea6b47c21a81e47dd092ae5"),
        category="i2t",
        input_column="img",
        label_column="fine_label",
        mteb2_dataset=DatasetRef("mteb/cifar100", "ac5511f885f65fb75d31a9d8810a8440913f7721"),
    ),
    linear_probe(
        "Country211",
        DatasetRef("clip-benchmark/wds_country211", "1699f138f0558342a1cbf99f7cf36b4361bb5ebc"),
        benchmarks=IMG_LITE,
        input_column="jpg",
        label_column="cls",
        mteb2_dataset=DatasetRef("mteb/wds_country211", "c3875324cab4803fa6d3afcd5947a97c84fad4c6"),
    ),
    linear_probe(
        "DTD",
        DatasetRef("tanganke/dtd", "d2afa97d9f335b1a6b3b09c637aef667f98f966e"),
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/dtd", "96726183040de9e64a590d08eaac8de940dfcbdf"),
    ),
    linear_probe(
        "EuroSAT",
        DatasetRef("timm/eurosat-rgb", "b4e28552cd5f3932b6abc37eb20d3e84901ad728"),
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/eurosat-rgb", "da02b77448e750b3b034e0b5da008167b9706571"),
    ),
    linear_probe(
        "FER2013",
        DatasetRef("clip-benchmark/wds_fer2013", "9399b94167523fe5c40b3a857e24ef931ee4395b"),
        input_column="jpg",
        label_column="cls",
        mteb2_dataset=DatasetRef("mteb/wds_fer2013", "d9cabab388cb32bc071a1601ef68cb2f70ca0ba7"),
    ),
    linear_probe(
        "FGVCAircraft",
        **mteb2_copy_instead_of_script(
            "HuggingFaceM4/FGVC-Aircraft@91860adfc9a09aabca5cddb5247442109b38e213",
            DatasetRef("mteb/FGVCAircraft", "3ae0e4e94e37c610c26df758ec3255fa90d80e67"),
        ),
        label_column="variant",
    ),
    linear_probe(
        "Food101Classification",
        DatasetRef("ethz/food101", "e06acf2a88084f04bce4d4a525165d68e0a36c38"),
        eval_splits=("validation",),
        mteb2_dataset=DatasetRef("mteb/food101", "7cca05bfde8fdad4a9b39ed14a881c800cc1dca2"),
    ),
    linear_probe(
        "GTSRB",
        DatasetRef("clip-benchmark/wds_gtsrb", "1c13eff0803d2b02c9dc8dfe85e67770b3f0f3c5"),
        benchmarks=IMG_LITE,
        input_column="webp",
        label_column="cls",
        mteb2_dataset=DatasetRef("mteb/wds_gtsrb", "a8f4bb6c8b6f76f4bdc548a7f2979057e546ab44"),
    ),
    linear_probe(
        "Imagenet1k",
        DatasetRef("clip-benchmark/wds_imagenet1k", "b24c7a5a3ef12df09089055d1795e2ce7c7e7397"),
        input_column="jpg",
        label_column="cls",
        mteb2_dataset=DatasetRef("mteb/wds_imagenet1k", "b54c9af96641d8a2cba5d1144629c724de94ef76"),
    ),
    linear_probe(
        "MNIST",
        DatasetRef("ylecun/mnist", "77f3279092a1c1579b2250db8eafed0ad422088c"),
        mteb2_dataset=DatasetRef("mteb/mnist", "cf6afcbae72cc3bb1fc07a9480fe0d8e0b615fcd"),
    ),
    linear_probe(
        "OxfordFlowersClassification",
        DatasetRef("nelorth/oxford-flowers", "a37b1891609c0376fa81eced756e7863e1bd873b"),
        mteb2_dataset=DatasetRef("mteb/oxford-flowers", "df976877feae05654b0fcd8b394baff731b00652"),
    ),
    linear_probe(
        "OxfordPets",
        DatasetRef("mteb/OxfordPets", "557b480fae8d69247be74d9503b378a09425096f"),
        benchmarks=IMG_LITE,
    ),
    linear_probe(
        "PatchCamelyon",
        DatasetRef("clip-benchmark/wds_vtab-pcam", "502695fe1a141108650e3c5b91c8b5e0ff84ed49"),
        benchmarks=IMG_LITE,
        input_column="webp",
        label_column="cls",
        mteb2_dataset=DatasetRef("mteb/wds_vtab-pcam", "6544d35f2235ed00e2ac8494c09ff107f8af353c"),
    ),
    linear_probe(
        "RESISC45",
        DatasetRef("timm/resisc45", "fe12fc5f1b7606543b0355eda392f1ddc54625c6"),
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/resisc45", "a5b7c0d47eb6544fb2ef0d380b9c105f3c6dc259"),
    ),
    linear_probe(
        "StanfordCars",
        DatasetRef("mteb/StanfordCars", "09ffe9bc7864d3f1e851529e5c4b7e05601a04fb"),
    ),
    linear_probe(
        "STL10",
        DatasetRef("tanganke/stl10", "49ae7f94508f7feae62baf836db284306eab0b0f"),
        published_protocol_differs="published scores used mteb 1.x's 16 shots x 5 experiments; mteb 2.x runs 8 x 10",
        samples_per_label=8,
        n_experiments=10,
        mteb2_dataset=DatasetRef("mteb/stl10", "2da456fe65204f88c2cb5e5ff17f85f442ef3eaa"),
    ),
    linear_probe(
        "SUN397",
        DatasetRef("dpdl-benchmark/sun397", "7e6af6a2499ad708618be868e1471eac0aca1168"),
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/sun397", "c684cff33166060e2ae05525a5c4abdf5e6d7bce"),
    ),
    linear_probe(
        "UCF101",
        DatasetRef("flwrlabs/ucf101", "1098eed48f2929443f47c39f3b5c814e16369c11"),
        mteb2_dataset=DatasetRef("mteb/ucf101", "e0618988874f6ffbf90af69fa6dccecb9be3deb3"),
    ),
    linear_probe(
        "VOC2007",
        **mteb2_copy_instead_of_script(
            "HuggingFaceM4/pascal_voc@dbafdb9e1506c9c419c5c4672e409463cd21ba50 (config voc2007_main)",
            DatasetRef("mteb/VOC2007", "96d47458fb2f40713997b0ea271688c02bac840b"),
        ),
        published_protocol_differs="published scores used mteb 1.x's one-vs-rest logistic regression; mteb 2.x scores k-NN (k=5)",
        layout="multilabel",
        main_score="lrap",
        label_column="classes",
        samples_per_label=8,
    ),
)
