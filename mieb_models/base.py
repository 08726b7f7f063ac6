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
- ``meta.similarity`` (``"cosine"``, ``"dot"`` or ``"euclidean"``) is the similarity retrieval
  ranks with and visual STS reports as ``pearson``/``spearman``; ``similarity_pairwise(a, b)``
  (optional) returns those STS pair scores itself.

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


# Float dtypes an embedding keeps. mteb hands the model's output to scikit-learn, scipy and torch
# unchanged, and the dtype decides their arithmetic: scikit-learn computes float16 input in float64
# (paired distances, LogisticRegression, k-means), float32 input in float32. Casting float16 to
# float32 is exact but moves those computations to float32 and changes the last bits of STS scores
# and, rarely, a linear-probe prediction. bfloat16 (no numpy dtype) and integers become float32.
KEPT_DTYPES = (np.float16, np.float32, np.float64)


def torch_to_numpy(tensor: Any) -> np.ndarray:
    """A CPU numpy array of a torch tensor, in its own float dtype when numpy has it (else float32)."""
    import torch

    tensor = tensor.detach()
    if tensor.dtype not in (torch.float16, torch.float32, torch.float64):
        tensor = tensor.float()
    return tensor.cpu().numpy()


def embedding_array(array: np.ndarray) -> np.ndarray:
    """``array`` in a kept float dtype (see ``KEPT_DTYPES``); anything else becomes float32."""
    return array if array.dtype in KEPT_DTYPES else array.astype(np.float32)


def to_numpy(embeddings: Any) -> np.ndarray:
    """A numpy copy of a torch tensor or array-like of embeddings, in the dtype mteb would see."""
    if hasattr(embeddings, "detach"):
        embeddings = torch_to_numpy(embeddings)
    array = embedding_array(np.asarray(embeddings))
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
    on CUDA only; CPU always runs fp32) and returns CPU tensors: float16 when the model's output
    is float16 (mteb's wrappers hand that dtype on), float32 otherwise (bfloat16 included).
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
        return (out if out.dtype == torch.float16 else out.float()).cpu()

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
