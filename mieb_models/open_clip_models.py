"""open_clip checkpoints: LAION/DataComp ViTs on the hub, EVA02-CLIP and MetaCLIP by open_clip tag,
and local directories in open_clip's hub layout.

Parity with the reference wrapper (mteb ``openclip_loader``): the image transform open_clip builds
from the checkpoint's ``preprocess_cfg`` (applied per image, here in DataLoader workers), open_clip's
tokenizer (context 77, truncating), and unnormalised ``encode_image``/``encode_text``. The reference
runs under ``torch.cuda.amp.autocast()`` (fp16 on CUDA); ``--precision fp16`` reproduces that.

Hub entries are fetched at their pinned revision (open_clip's own ``hf-hub:`` path cannot pin one)
and then loaded exactly as a local directory. EVA02-CLIP is loaded in mteb through the EVA
repository's ``eva_clip`` package (not pip-installable); here it goes through open_clip's EVA02
configs and timm, whose weights are open_clip's conversions of the same QuanSun/EVA-CLIP files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mieb_models.base import ModelMeta, TorchEncoder

CONFIG_FILE = "open_clip_config.json"
WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


class OpenCLIPEncoder(TorchEncoder):
    """An open_clip model; ``preprocess`` is open_clip's (picklable) eval transform."""

    def __init__(
        self,
        meta: ModelMeta,
        model_name: str,
        pretrained: str | None = None,
        device: str | None = None,
        precision: str = "fp32",
    ):
        super().__init__(device, precision)
        import open_clip

        self.meta = meta
        self.model, _, self.preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=pretrained, device=self.device
        )
        self.model.eval()
        self.tokenizer = open_clip.get_tokenizer(model_name)

    def _images(self, images: Any) -> Any:
        import torch

        if not isinstance(images, torch.Tensor):  # a list of PIL images
            images = torch.stack([self.preprocess(image) for image in images]).to(self.device)
        return self.model.encode_image(images)

    def tokenize(self, texts: list[str]) -> Any:
        """Token ids on the CPU (the harness calls this ahead of the forward, in a thread)."""
        return self.tokenizer(texts)

    def encode_tokens(self, tokens: Any) -> Any:
        return self._run(self._tokens, tokens)

    def _texts(self, texts: list[str]) -> Any:
        return self._tokens(self.tokenize(texts))

    def _tokens(self, tokens: Any) -> Any:
        return self.model.encode_text(tokens.to(self.device))


def download_open_clip(repo_id: str, revision: str | None) -> Path:
    """The hub snapshot folder holding a repository's open_clip config and weights at ``revision``."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    folder = Path(hf_hub_download(repo_id, CONFIG_FILE, revision=revision)).parent
    missing: Exception | None = None
    for filename in WEIGHT_FILES:  # open_clip's own preference: safetensors first
        try:
            hf_hub_download(repo_id, filename, revision=revision)
            return folder
        except EntryNotFoundError as err:  # absent from the repository, or from the offline cache
            missing = err
    raise FileNotFoundError(f"{repo_id}@{revision}: none of {', '.join(WEIGHT_FILES)} found") from missing


def load_open_clip(
    meta: ModelMeta,
    *,
    source: str | None = None,
    device: str | None = None,
    precision: str = "fp32",
    trust_remote_code: bool = False,
    open_clip_name: str | None = None,
    pretrained: str | None = None,
    **_: Any,
) -> OpenCLIPEncoder:
    """Loader for a local open_clip directory, a hub repository, or an open_clip name + tag."""
    if source is not None:
        name, pretrained = f"local-dir:{Path(source).resolve()}", None
    elif pretrained is not None:
        name = open_clip_name or meta.architecture
    else:
        name = f"local-dir:{download_open_clip(meta.name, meta.revision)}"
    return OpenCLIPEncoder(meta, name, pretrained, device, precision)


def _meta(
    name: str,
    revision: str | None,
    architecture: str,
    dim: int,
    params: int,
    *,
    tag: str | None = None,
    license: str | None = "mit",
    aliases: tuple[str, ...] = (),
    reference: str | None = None,
) -> ModelMeta:
    return ModelMeta(
        name=name,
        revision=revision,
        framework="open_clip",
        architecture=architecture,
        modalities=("image", "text"),
        loader=load_open_clip,
        embed_dim=dim,
        n_parameters=params,
        max_text_length=77,
        license=license,
        aliases=aliases,
        reference=reference or f"https://huggingface.co/{name}",
        loader_kwargs={"open_clip_name": architecture, "pretrained": tag} if tag else {},
        reference_precision="fp16",  # the reference wrapper runs open_clip under CUDA autocast
    )


EVA_REVISION = "11afd202f2ae80869d6cef18b1ec775e79bd8d12"  # QuanSun/EVA-CLIP, as mteb pins it
EVA_REFERENCE = "https://huggingface.co/QuanSun/EVA-CLIP"


def _metaclip(arch: str, timm_repo: str, tag: str, dim: int, params: int, alias: str) -> ModelMeta:
    # open_clip tags resolve to a timm/* hub repository at its main branch: no revision to pin.
    return _meta(f"timm/{timm_repo}", None, arch, dim, params, tag=tag, license="cc-by-nc-4.0", aliases=(alias,))


MODELS: tuple[ModelMeta, ...] = (
    _meta(
        "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        "08f73555f1b2fb7c82058aebbd492887a94968ef",
        "ViT-B-32",
        512,
        151277313,
        aliases=("openclip-b32",),
    ),
    _meta(
        "laion/CLIP-ViT-L-14-laion2B-s32B-b82K",
        "1627032197142fbe2a7cfec626f4ced3ae60d07a",
        "ViT-L-14",
        768,
        427616513,
        aliases=("openclip-l14",),
    ),
    _meta(
        "laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
        "de081ac0a0ca8dc9d1533eed1ae884bb8ae1404b",
        "ViT-H-14",
        1024,
        986109441,
        aliases=("openclip-h14",),
    ),
    _meta(
        "laion/CLIP-ViT-g-14-laion2B-s34B-b88K",
        "15efd0f6ac0c40c0f9da7becca03c974d7012604",
        "ViT-g-14",
        1024,
        1367000000,
    ),
    _meta(
        "laion/CLIP-ViT-bigG-14-laion2B-39B-b160k",
        "bc7788f151930d91b58474715fdce5524ad9a189",
        "ViT-bigG-14",
        1280,
        2539567105,
        aliases=("openclip-bigg14",),
    ),
    _meta(
        "laion/CLIP-ViT-B-16-DataComp.XL-s13B-b90K",
        "d110532e8d4ff91c574ee60a342323f28468b287",
        "ViT-B-16",
        512,
        150000000,
    ),
    _meta(
        "laion/CLIP-ViT-B-32-DataComp.XL-s13B-b90K",
        "f0e2ffa09cbadab3db6a261ec1ec56407ce42912",
        "ViT-B-32",
        512,
        151000000,
    ),
    _meta(
        "laion/CLIP-ViT-L-14-DataComp.XL-s13B-b90K",
        "84c9828e63dc9a9351d1fe637c346d4c1c4db341",
        "ViT-L-14",
        768,
        427616513,
    ),
    _meta(
        "QuanSun/EVA02-CLIP-B-16",
        EVA_REVISION,
        "EVA02-B-16",
        512,
        149000000,
        tag="merged2b_s8b_b131k",
        reference=EVA_REFERENCE,
        aliases=("eva02-clip-b16",),
    ),
    _meta(
        "QuanSun/EVA02-CLIP-L-14",
        EVA_REVISION,
        "EVA02-L-14",
        768,
        428000000,
        tag="merged2b_s4b_b131k",
        reference=EVA_REFERENCE,
        aliases=("eva02-clip-l14",),
    ),
    _meta(
        "QuanSun/EVA02-CLIP-bigE-14",
        EVA_REVISION,
        "EVA02-E-14",
        1024,
        4700000000,
        tag="laion2b_s4b_b115k",
        reference=EVA_REFERENCE,
        aliases=("eva02-clip-bige14",),
    ),
    _meta(
        "QuanSun/EVA02-CLIP-bigE-14-plus",
        EVA_REVISION,
        "EVA02-E-14-plus",
        1024,
        5000000000,
        tag="laion2b_s9b_b144k",
        reference=EVA_REFERENCE,
        aliases=("eva02-clip-bige14-plus",),
    ),
    _metaclip(
        "ViT-B-32-quickgelu",
        "vit_base_patch32_clip_224.metaclip_400m",
        "metaclip_400m",
        512,
        151277313,
        "metaclip-b32-400m",
    ),
    _metaclip(
        "ViT-B-32-quickgelu",
        "vit_base_patch32_clip_224.metaclip_2pt5b",
        "metaclip_fullcc",
        512,
        151277313,
        "metaclip-b32-fullcc2.5b",
    ),
    _metaclip(
        "ViT-B-16-quickgelu",
        "vit_base_patch16_clip_224.metaclip_400m",
        "metaclip_400m",
        512,
        149620737,
        "metaclip-b16-400m",
    ),
    _metaclip(
        "ViT-B-16-quickgelu",
        "vit_base_patch16_clip_224.metaclip_2pt5b",
        "metaclip_fullcc",
        512,
        149620737,
        "metaclip-b16-fullcc2.5b",
    ),
    _metaclip(
        "ViT-L-14-quickgelu",
        "vit_large_patch14_clip_224.metaclip_400m",
        "metaclip_400m",
        768,
        427616513,
        "metaclip-l14-400m",
    ),
    _metaclip(
        "ViT-L-14-quickgelu",
        "vit_large_patch14_clip_224.metaclip_2pt5b",
        "metaclip_fullcc",
        768,
        427616513,
        "metaclip-l14-fullcc2.5b",
    ),
    _metaclip(
        "ViT-H-14-quickgelu",
        "vit_huge_patch14_clip_224.metaclip_2pt5b",
        "metaclip_fullcc",
        1024,
        986109441,
        "metaclip-h14-fullcc2.5b",
    ),
)

LOCAL_LOADERS = {"open_clip": load_open_clip}
