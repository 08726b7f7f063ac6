"""ImageClustering: MiniBatchKMeans on image embeddings, scored by NMI (5 tasks)."""

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks.families import IMG_LITE, clustering

CLUSTERING_TASKS: tuple[TaskSpec, ...] = (
    clustering(
        "CIFAR10Clustering",
        DatasetRef("uoft-cs/cifar10", "0b2714987fa478483af9968de7c934580d0bb9a2"),
        input_column="img",
        mteb2_dataset=DatasetRef("mteb/cifar10", "69a62dd171e24a133d193073e73fda4dbb823266"),
    ),
    clustering(
        "CIFAR100Clustering",
        DatasetRef("uoft-cs/cifar100", "aadb3af77e9048adbea6b47c21a81e47dd092ae5"),
        category="i2t",
        input_column="img",
        label_column="fine_label",
        mteb2_dataset=DatasetRef("mteb/cifar100", "ac5511f885f65fb75d31a9d8810a8440913f7721"),
    ),
    clustering(
        "ImageNetDog15Clustering",
        DatasetRef("JamieSJS/imagenet-dog-15", "bfb6ad3b2109d26c9daddf14f98d315daa35ee72"),
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/imagenet-dog-15", "16b4f3ff0eba385e23756afc3fdefc460a5c3444"),
    ),
    clustering(
        "ImageNet10Clustering",
        DatasetRef("JamieSJS/imagenet-10", "88f8a6d47c257895094c5ad81e67ba751771fc99"),
        category="i2t",
        mteb2_dataset=DatasetRef("mteb/imagenet-10", "6ee8458695d029cc225d046deb33342dfca9d4ce"),
    ),
    clustering(
        "TinyImageNetClustering",
        DatasetRef("zh-plus/tiny-imagenet", "5a77092c28e51558c5586e9c5eb71a7e17a5e43f"),
        eval_splits=("valid",),
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/tiny-imagenet", "e04e259f646f750bd0bdb2a56c2a4577d89bee3d"),
    ),
)
