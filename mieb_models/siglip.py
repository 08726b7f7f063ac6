"""transformers vision-language dual encoders beyond CLIP: SigLIP / SigLIP 2, ALIGN, jina-clip, and
metadata for the MLLM embedders of the published results (E5-V, VLM2Vec), which do not load yet.

Parity with the reference wrappers (mteb ``SiglipModelWrapper``, ``ALIGNModel``, ``JinaCLIPModel``):
- SigLIP: the checkpoint's image processor per image; text through the processor's own call,
  ``padding="max_length", truncation=True`` with no explicit ``max_length`` (so the processor's or
  tokenizer's maximum length applies, capped at the model's position limit), every output passed
  on; ``get_*_features(...).pooler_output``, unnormalised, fp32.
- ALIGN: the same with ``padding=True`` (the processor's default ``max_length`` still truncates).
- jina-clip: the repository's own ``encode_image``/``encode_text`` (its own preprocessing; it returns
  L2-normalised embeddings, as the reference's do). Needs ``--trust-remote-code``.
"""

from __future__ import annotations

from typing import Any

from mieb_models.base import ModelMeta, TorchEncoder
from mieb_models.clip_hf import HFCLIPEncoder, from_pretrained, transformers_loader

UNBOUNDED = 10**6  # tokenizers report a huge model_max_length when none is configured


class SiglipEncoder(HFCLIPEncoder):
    """A transformers SigLIP (or SigLIP 2 fixed-resolution) checkpoint."""

    model_class = "AutoModel"
    text_padding: str | bool = "max_length"

    def tokenize(self, texts: list[str]) -> Any:
        """The processor's own text call, as the reference makes it; capped at the position limit."""
        options: dict[str, Any] = {
            "text": texts,
            "padding": self.text_padding,
            "truncation": True,
            "return_tensors": "pt",
        }
        if getattr(self.processor.tokenizer, "model_max_length", UNBOUNDED) >= UNBOUNDED:
            options["max_length"] = self.max_length
        tokens = self.processor(**options)
        if tokens["input_ids"].shape[1] > self.max_length:
            tokens = self.processor(**{**options, "max_length": self.max_length})
        return tokens


class AlignEncoder(SiglipEncoder):
    """A transformers ALIGN checkpoint (EfficientNet image tower, BERT text tower)."""

    text_padding = True


class JinaCLIPEncoder(TorchEncoder):
    """jina-clip v1/v2 through the repository's remote code; ``encode_images`` takes PIL images."""

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

    def _images(self, images: Any) -> Any:
        return self.model.encode_image(list(images), convert_to_numpy=False, convert_to_tensor=True)

    def _texts(self, texts: list[str]) -> Any:
        return self.model.encode_text(texts, convert_to_numpy=False, convert_to_tensor=True)


load_siglip = transformers_loader(SiglipEncoder)


load_align = transformers_loader(AlignEncoder)


def load_jina_clip(
    meta: ModelMeta,
    *,
    source: str | None = None,
    device: str | None = None,
    precision: str = "fp32",
    trust_remote_code: bool = False,
    **_: Any,
) -> JinaCLIPEncoder:
    """Loader for jina-clip; runs the repository's code, so only with ``trust_remote_code``."""
    if not trust_remote_code:
        from mieb_models.load_errors import RemoteCodeRefused

        raise RemoteCodeRefused(f"{meta.name} runs code from its repository; pass --trust-remote-code")
    return JinaCLIPEncoder(meta, source or meta.name, device, precision, trust_remote_code)


def load_unsupported(meta: ModelMeta, **_: Any) -> TorchEncoder:
    """Placeholder loader for registered models whose wrapper is not written yet."""
    raise NotImplementedError(
        f"{meta.name} ({meta.architecture}) is not supported yet: its metadata is registered so that "
        "published results can be compared, but no wrapper loads it."
    )


# Read by ``mieb_models.registry.why_cannot_run``: such models are listed as such and never loaded.
load_unsupported.cannot_run = "no wrapper loads it yet (its metadata is registered to compare published results)"


def _siglip(
    name: str, revision: str, dim: int, params: int, max_tokens: int = 64, aliases: tuple[str, ...] = ()
) -> ModelMeta:
    return ModelMeta(
        name=name,
        revision=revision,
        framework="transformers",
        architecture="SiglipModel",
        modalities=("image", "text"),
        loader=load_siglip,
        embed_dim=dim,
        n_parameters=params,
        max_text_length=max_tokens,
        license="apache-2.0",
        aliases=aliases,
        reference=f"https://huggingface.co/{name}",
    )


def _other(
    name: str,
    revision: str,
    architecture: str,
    loader: Any,
    dim: int,
    params: int,
    max_tokens: int,
    license: str | None,
    *,
    remote_code: bool = False,
) -> ModelMeta:
    return ModelMeta(
        name=name,
        revision=revision,
        framework="transformers",
        architecture=architecture,
        modalities=("image", "text"),
        loader=loader,
        embed_dim=dim,
        n_parameters=params,
        max_text_length=max_tokens,
        license=license,
        needs_remote_code=remote_code,
        reference=f"https://huggingface.co/{name}",
    )


G = "google/"
MODELS: tuple[ModelMeta, ...] = (
    _siglip(
        G + "siglip-base-patch16-224", "7fd15f0689c79d79e38b1c2e2e2370a7bf2761ed", 768, 203155970, aliases=("siglip",)
    ),
    _siglip(G + "siglip-base-patch16-256", "b078df89e446d623010d890864d4207fe6399f61", 768, 203202050),
    _siglip(G + "siglip-base-patch16-384", "41aec1c83b32e0a6fca20ad88ba058aa5b5ea394", 768, 203447810),
    _siglip(G + "siglip-base-patch16-512", "753a949581523b60257d93e18391e8c27f72eb22", 768, 203791874),
    _siglip(G + "siglip-base-patch16-256-multilingual", "8952a4eafcde3cb7ab46b1dd629b33f8784ca9c6", 768, 370626050),
    _siglip(G + "siglip-large-patch16-256", "d0da9f876e7d66b4e250cd2450c3ba2ce735e447", 1024, 652150786),
    _siglip(G + "siglip-large-patch16-384", "ce005573a40965dfd21fd937fbdeeebf2439fc35", 1024, 652478466),
    _siglip(
        G + "siglip-so400m-patch14-224", "d04cf29fca7b6374f74d8bea1969314492266b5e", 1152, 877360306, max_tokens=16
    ),
    _siglip(
        G + "siglip-so400m-patch14-384",
        "9fdffc58afc957d1a03a25b10dba0329ab15c2a3",
        1152,
        877960498,
        aliases=("siglip-so400m",),
    ),
    _siglip(G + "siglip-so400m-patch16-256-i18n", "365d321c0cfdea96bc28e3a29787a11a062681a1", 1152, 1128758962),
    _siglip(
        G + "siglip2-base-patch16-224", "75de2d55ec2d0b4efc50b3e9ad70dba96a7b2fa2", 768, 375187970, aliases=("siglip2",)
    ),
    _siglip(G + "siglip2-base-patch16-256", "3f9f96cb90da5dbc758b01813f2f6f1aee24c1ab", 768, 375234050),
    _siglip(G + "siglip2-base-patch16-384", "f775b65a79762255128c981547af89addcfe0f88", 768, 375479810),
    _siglip(G + "siglip2-base-patch16-512", "a89f5c5093f902bf39d3cd4d81d2c09867f0724b", 768, 375823874),
    _siglip(G + "siglip2-base-patch32-256", "94dffa8cb1179de3e03f091dbc3917e5d5a9ae84", 768, 376856066),
    _siglip(G + "siglip2-large-patch16-256", "787800c8990e6f058423089178e718139608408c", 1024, 881526786),
    _siglip(G + "siglip2-large-patch16-384", "1b426889ea62b5a72bf9839009a1b184bfc9c178", 1024, 881854466),
    _siglip(G + "siglip2-large-patch16-512", "49488218e80259885f3be61d7a9455faf833b7a8", 1024, 882313218),
    _siglip(G + "siglip2-so400m-patch14-224", "78e403963a4f6a3640d07803284752326fdf4edf", 1152, 1135463602),
    _siglip(G + "siglip2-so400m-patch14-384", "e8e487298228002f3d8a82e0cd5c8ea9c567f57f", 1152, 1136008498),
    _siglip(G + "siglip2-so400m-patch16-256", "e8708ab72d125807e45b36fb7d4e0aacbb59f379", 1152, 1135670962),
    _siglip(G + "siglip2-so400m-patch16-384", "dd658faac399427308559e2c3ac1e99cbe43845d", 1152, 1136039602),
    _siglip(G + "siglip2-so400m-patch16-512", "ceea1cba8130d8271436da4828633198c176a775", 1152, 1136555698),
    _siglip(G + "siglip2-giant-opt-patch16-256", "46d7129e1aa1527cc5a44d86fb35250df3abf0aa", 1536, 1871393906),
    _siglip(G + "siglip2-giant-opt-patch16-384", "a713301b217d38485fb2204c808367d10bc3cc40", 1536, 1871885426),
    _other(
        "kakaobrain/align-base",
        "e96a37facc7b1f59090ece82293226b817afd6ba",
        "AlignModel",
        load_align,
        768,
        172117841,
        64,
        None,
    ),
    _other(
        "jinaai/jina-clip-v1",
        "06150c7c382d7a4faedc7d5a0d8cdb59308968f4",
        "JinaCLIPModel",
        load_jina_clip,
        768,
        222647041,
        8192,
        "apache-2.0",
        remote_code=True,
    ),
    _other(
        "jinaai/jina-clip-v2",
        "344d954da76eb8ad47a7aaff42d012e30c15b8fe",
        "JinaCLIPModel",
        load_jina_clip,
        1024,
        865278477,
        8192,
        "cc-by-nc-4.0",
        remote_code=True,
    ),
    _other(
        "royokong/e5-v",
        "0c1f22679417b3ae925d779442221c40cd1861ab",
        "LlavaNextForConditionalGeneration",
        load_unsupported,
        4096,
        8355276800,
        8192,
        None,
    ),
    _other(
        "TIGER-Lab/VLM2Vec-Full",
        "e9afa98002097ac2471827ba23ea1f2ddd229480",
        "Phi3VForCausalLM",
        load_unsupported,
        3072,
        4146621440,
        131072,
        "apache-2.0",
        remote_code=True,
    ),
)

LOCAL_LOADERS = {"siglip": load_siglip, "align": load_align}
