"""The encoder protocol every model implements, and a torch base class.

The metadata record ``ModelMeta`` lives with the other records (``mieb_records.models``).

An encoder turns images and texts into embeddings. The harness drives it in batches:

- ``preprocess(image) -> Tensor`` (optional) runs in DataLoader worker processes on one RGB PIL
  image; ``encode_images`` then receives the stacked batch tensor. Without ``preprocess``,
  ``encode_images`` receives a list of RGB PIL images. ``preprocess_batch(images)`` (optional,
  with ``preprocess``) does the same for a whole batch in one call; it must equal stacking
  ``preprocess`` outputs.
- ``encode_texts(list[str])`` embeds texts. ``tokenize(list[str])`` with ``encode_tokens(tokens)``
  (optional, both) split it in two, ``encode_tokens(tokenize(texts)) == encode_texts(texts)``: the
  harness then tokenises batch n+1 in its prefetch thread while batch n runs.
- ``encode_fused(texts, images)`` (optional) embeds image+text pairs; by default the harness sums
  the unnormalised text and image embeddings, as the reference CLIP-family wrappers do.
- ``similarity(a, b)`` (optional) overrides cosine similarity for retrieval.

Every method returns a 2-D float array (numpy or torch) with one row per input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from mieb_records.models import ModelMeta

__all__ = ["PRECISIONS", "Encoder", "ModelMeta", "TorchEncoder", "default_device", "has_modalities", "to_numpy"]

PRECISIONS = ("fp32", "fp16", "bf16")


@runtime_checkable
class Encoder(Protocol):
    """The minimal encoder: metadata plus image and text encoding (see the module docstring)."""

    meta: ModelMeta

    def encode_images(self, images: Any) -> Any: ...

    def encode_texts(self, texts: list[str]) -> Any: ...


def to_numpy(embeddings: Any) -> np.ndarray:
    """A float32 numpy copy of a torch tensor or array-like of embeddings."""
    if hasattr(embeddings, "detach"):
        embeddings = embeddings.detach().float().cpu().numpy()
    array = np.asarray(embeddings, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D embedding array, got shape {array.shape}")
    return array


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class TorchEncoder:
    """Shared device and precision handling for torch-based wrappers.

    Subclasses set ``self.model`` and implement ``_images``/``_texts`` on tensors already on
    the device; this class moves inputs, wraps the forward in ``no_grad`` and autocast (fp16/bf16
    on CUDA only; CPU always runs fp32) and returns float32 CPU tensors.
    """

    meta: ModelMeta

    def __init__(self, device: str | None = None, precision: str = "fp32"):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.device = device or default_device()
        self.precision = precision

    def _autocast(self) -> contextlib.AbstractContextManager:
        import torch

        if self.device.startswith("cuda") and self.precision != "fp32":
            dtype = torch.float16 if self.precision == "fp16" else torch.bfloat16
            return torch.autocast("cuda", dtype=dtype)
        return contextlib.nullcontext()

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        import torch

        with torch.inference_mode(), self._autocast():
            out = fn(*args)
        return out.float().cpu()

    def encode_images(self, images: Any) -> Any:
        import torch

        if isinstance(images, torch.Tensor):
            images = images.to(self.device, non_blocking=True)
        return self._run(self._images, images)

    def encode_texts(self, texts: list[str]) -> Any:
        return self._run(self._texts, list(texts))

    def _images(self, images: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _texts(self, texts: list[str]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


def has_modalities(meta: ModelMeta, needed: Sequence[str]) -> bool:
    """True when the model covers every modality a task needs."""
    return set(needed) <= set(meta.modalities)
