"""Image-only encoders: DINOv2 and Web-SSL DINO (transformers ``Dinov2Model`` checkpoints).

Parity with the reference wrapper (mteb ``DINOModel``): the checkpoint's image processor per image,
fp32, and the [CLS] token of ``last_hidden_state`` (after the final layer norm, i.e. the same
vector as ``pooler_output``), unnormalised. These models have no text tower: their modalities are
``("image",)``, so tasks needing text skip them, as the reference does.
"""

from __future__ import annotations

from typing import Any

from mieb_models.base import ModelMeta, TorchEncoder
from mieb_models.clip_hf import from_pretrained, transformers_loader
from mieb_models.hf_pixels import DevicePixels


class DINOEncoder(TorchEncoder):
    """A transformers DINOv2-style vision transformer; the embedding is its [CLS] token."""

    def __init__(
        self,
        meta: ModelMeta,
        source: str,
        device: str | None = None,
        precision: str = "fp32",
        trust_remote_code: bool = False,
    ):
        super().__init__(device, precision)
        self.meta = meta
        self.model = from_pretrained("AutoModel", source, meta, trust_remote_code).to(self.device).eval()
        self.image_processor = from_pretrained("AutoImageProcessor", source, meta, trust_remote_code)
        self.pixels = DevicePixels(self.image_processor)

    def preprocess(self, image: Any) -> Any:
        return self.pixels.preprocess(image)

    def preprocess_batch(self, images: list[Any]) -> Any:
        return self.pixels.preprocess_batch(images)

    def _images(self, images: Any) -> Any:
        return self.model(pixel_values=self.pixels.finish(images, self.device)).last_hidden_state[:, 0]

    def _texts(self, texts: list[str]) -> Any:
        raise TypeError(f"{self.meta.name} is an image-only model: it cannot encode text")


load_dino = transformers_loader(DINOEncoder)


class ImageBackboneEncoder(DINOEncoder):
    """Any transformers image backbone: the [CLS] token of a transformer's ``last_hidden_state``
    (as for DINOv2), the flattened ``pooler_output`` of a convolutional one (4-D hidden states)."""

    def _images(self, images: Any) -> Any:
        output = self.model(pixel_values=self.pixels.finish(images, self.device))
        hidden = output.last_hidden_state
        if hidden.ndim == 3:
            return hidden[:, 0]
        pooled = getattr(output, "pooler_output", None)
        if pooled is None:
            pooled = hidden.mean(dim=tuple(range(2, hidden.ndim)))
        return pooled.flatten(1)


load_image_backbone = transformers_loader(ImageBackboneEncoder)


def _dino(
    name: str, revision: str, dim: int, params: int, license: str = "apache-2.0", aliases: tuple[str, ...] = ()
) -> ModelMeta:
    return ModelMeta(
        name=name,
        revision=revision,
        framework="transformers",
        architecture="Dinov2Model",
        modalities=("image",),
        loader=load_dino,
        embed_dim=dim,
        n_parameters=params,
        max_text_length=None,
        license=license,
        aliases=aliases,
        reference=f"https://huggingface.co/{name}",
    )


NC = "cc-by-nc-4.0"
MODELS: tuple[ModelMeta, ...] = (
    _dino("facebook/dinov2-small", "ed25f3a31f01632728cabb09d1542f84ab7b0056", 384, 22056576),
    _dino("facebook/dinov2-base", "f9e44c814b77203eaa57a6bdbbd535f21ede1415", 768, 86580480, aliases=("dinov2",)),
    _dino("facebook/dinov2-large", "47b73eefe95e8d44ec3623f8890bd894b6ea2d6c", 1024, 304368640),
    _dino("facebook/dinov2-giant", "611a9d42f2335e0f921f1e313ad3c1b7178d206d", 1536, 1136480768),
    _dino("facebook/webssl-dino300m-full2b-224", "8529cdb3fb75014932af3b896455fc21c386168e", 1024, 303655168, NC),
    _dino("facebook/webssl-dino1b-full2b-224", "d3bf033d9c8cc62ea9e73c40956642cad2ec568a", 1536, 1134771200, NC),
    _dino("facebook/webssl-dino2b-full2b-224", "cd5893e3fd2e988eb716792049b3dd53b3f1b68b", 2688, 2084237568, NC),
    _dino("facebook/webssl-dino3b-full2b-224", "2d015c340b16bc47bc6557fcb4e6c83a9d4aa1d3", 3072, 2948317184, NC),
    _dino("facebook/webssl-dino5b-full2b-224", "88006b18b9af369f6c611db7a64d908bde3714e0", 3584, 4938338816, NC),
    _dino("facebook/webssl-dino7b-full8b-224", "c6085463ea680043042a80c6d41db2c65e85f466", 4096, 6450170880, NC),
)

LOCAL_LOADERS = {
    "dinov2": load_dino,
    "vit": load_image_backbone,
    "convnext": load_image_backbone,
    "resnet": load_image_backbone,
}
