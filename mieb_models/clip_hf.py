"""transformers ``CLIPModel`` checkpoints: the OpenAI CLIP family and any local CLIP directory.

Preprocessing follows the reference wrapper: the checkpoint's own image processor per image,
text padded to the longest in the batch and truncated at the model's maximum length, and
``get_image_features`` / ``get_text_features`` (their projected, unnormalised outputs).
"""

from __future__ import annotations

from typing import Any

from mieb_models.base import ModelMeta, TorchEncoder
from mieb_models.hf_pixels import DevicePixels


def _features(output: Any) -> Any:
    # transformers >= 5 returns a ModelOutput whose pooler_output holds the projected features.
    return getattr(output, "pooler_output", output)


class HFCLIPEncoder(TorchEncoder):
    """Image and text towers of a transformers CLIP-style dual encoder."""

    model_class = "CLIPModel"
    text_padding: str | bool = True

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
        self.model = from_pretrained(self.model_class, source, meta, trust_remote_code).to(self.device).eval()
        self.processor = from_pretrained("AutoProcessor", source, meta, trust_remote_code)
        self.max_length = _max_length(self.model.config, self.processor)
        self.pixels = DevicePixels(self.processor.image_processor)

    def preprocess(self, image: Any) -> Any:
        return self.pixels.preprocess(image)

    def preprocess_batch(self, images: list[Any]) -> Any:
        return self.pixels.preprocess_batch(images)

    def _images(self, pixel_values: Any) -> Any:
        pixel_values = self.pixels.finish(pixel_values, self.device)
        return _features(self.model.get_image_features(pixel_values=pixel_values))

    def tokenize(self, texts: list[str]) -> Any:
        """Token tensors on the CPU (the harness calls this ahead of the forward, in a thread)."""
        return self.processor.tokenizer(
            texts, padding=self.text_padding, truncation=True, max_length=self.max_length, return_tensors="pt"
        )

    def encode_tokens(self, tokens: Any) -> Any:
        return self._run(self._tokens, tokens)

    def _texts(self, texts: list[str]) -> Any:
        return self._tokens(self.tokenize(texts))

    def _tokens(self, tokens: Any) -> Any:
        return _features(self.model.get_text_features(**tokens.to(self.device)))


def from_pretrained(class_name: str, source: str, meta: ModelMeta, trust_remote_code: bool) -> Any:
    """``transformers.<class_name>.from_pretrained`` at the pinned revision (local folders have none)."""
    import transformers

    kwargs = {"revision": meta.revision} if meta.revision and not _is_local(source) else {}
    return getattr(transformers, class_name).from_pretrained(source, trust_remote_code=trust_remote_code, **kwargs)


def _max_length(config: Any, processor: Any) -> int:
    text_config = getattr(config, "text_config", None)
    limit = getattr(text_config, "max_position_embeddings", None)
    return int(limit or getattr(processor.tokenizer, "model_max_length", 77))


def _is_local(source: str) -> bool:
    from pathlib import Path

    return Path(source).is_dir()


def transformers_loader(encoder_cls: type) -> Any:
    """A registry loader building ``encoder_cls(meta, source, device, precision, trust_remote_code)``."""

    def load(
        meta: ModelMeta,
        *,
        source: str | None = None,
        device: str | None = None,
        precision: str = "fp32",
        trust_remote_code: bool = False,
        **_: Any,
    ) -> Any:
        return encoder_cls(meta, source or meta.name, device, precision, trust_remote_code)

    load.__doc__ = f"Loads a {encoder_cls.__name__} from a registry entry or a local checkpoint directory."
    return load


load_hf_clip = transformers_loader(HFCLIPEncoder)


class DualEncoder(HFCLIPEncoder):
    """Any transformers dual encoder whose ``AutoModel`` has ``get_image_features``/``get_text_features``
    (AltCLIP, Chinese-CLIP, ...): the CLIP wrapper's preprocessing through the checkpoint's processor."""

    model_class = "AutoModel"

    def __init__(self, meta: ModelMeta, *args: Any, **kwargs: Any):
        super().__init__(meta, *args, **kwargs)
        missing = [m for m in ("get_image_features", "get_text_features") if not hasattr(self.model, m)]
        if missing:
            raise TypeError(
                f"{meta.name}: {type(self.model).__name__} has no {' or '.join(missing)}(), so it is not a dual "
                "encoder the harness can drive; wrap it as package.module:factory"
            )


load_dual_encoder = transformers_loader(DualEncoder)


def _openai(name: str, revision: str, dim: int, params: int, aliases: tuple[str, ...] = ()) -> ModelMeta:
    return ModelMeta(
        name=name,
        revision=revision,
        framework="transformers",
        architecture="CLIPModel",
        modalities=("image", "text"),
        loader=load_hf_clip,
        embed_dim=dim,
        n_parameters=params,
        max_text_length=77,
        license=None,
        aliases=aliases,
        reference=f"https://huggingface.co/{name}",
    )


MODELS: tuple[ModelMeta, ...] = (
    _openai("openai/clip-vit-base-patch16", "57c216476eefef5ab752ec549e440a49ae4ae5f3", 512, 149620737, ("clip",)),
    _openai("openai/clip-vit-base-patch32", "3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268", 512, 151277313, ("clip-b32",)),
    _openai("openai/clip-vit-large-patch14", "32bd64288804d66eefd0ccbe215aa642df71cc41", 768, 427616513, ("clip-l14",)),
)

LOCAL_LOADERS = {"clip": load_hf_clip}
