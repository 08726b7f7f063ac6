"""The model metadata record: what is known about a model before loading it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

# The similarities a model may declare (mteb's ``similarity_fn_name``); every evaluator that
# scores with the model's similarity accepts exactly these.
SIMILARITIES = ("cosine", "dot", "euclidean")


@dataclass(frozen=True)
class ModelMeta:
    """What is known about a model before loading it; the registry holds one per entry."""

    name: str
    revision: str | None
    framework: str
    architecture: str
    modalities: tuple[str, ...]
    # loader(meta, *, device, precision, ...) returns the encoder (mieb_models.base.Encoder).
    loader: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    embed_dim: int | None = None
    n_parameters: int | None = None
    max_text_length: int | None = None
    license: str | None = None
    similarity: str = "cosine"
    aliases: tuple[str, ...] = ()
    needs_remote_code: bool = False
    open_weights: bool = True
    reference: str | None = None
    loader_kwargs: dict[str, Any] = field(default_factory=dict, compare=False)
    # Precision the reference implementation runs this model in on CUDA (CPU always runs fp32).
    reference_precision: str = "fp32"

    def with_revision(self, revision: str | None) -> ModelMeta:
        return replace(self, revision=revision)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-serialisable part, written as ``model_meta.json`` beside the results."""
        return {
            "name": self.name,
            "revision": self.revision,
            "framework": [self.framework],
            "architecture": self.architecture,
            "modalities": list(self.modalities),
            "embed_dim": self.embed_dim,
            "n_parameters": self.n_parameters,
            "max_tokens": self.max_text_length,
            "license": self.license,
            "similarity_fn_name": self.similarity,
            "open_weights": self.open_weights,
            "reference": self.reference,
        }
