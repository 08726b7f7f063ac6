"""Models by mteb's names and keywords: ``get_model``, ``get_model_meta``.

A name is a registry name (``openai/clip-vit-base-patch16``), an alias (``clip``), a local
checkpoint folder or ``package.module:factory``. mieb loads the revision its registry pins (or, for
a local folder, the weights in it): asking for another revision is an error, never a silent
substitution.
"""

from __future__ import annotations

from mieb_models.base import Encoder
from mieb_models.registry import get_model_meta as _registry_meta
from mieb_records.models import ModelMeta

__all__ = ["Encoder", "ModelMeta", "get_model", "get_model_meta"]


def get_model_meta(model_name: str, revision: str | None = None) -> ModelMeta:
    """What the registry knows of ``model_name`` (nothing is loaded); ``revision`` must be the pinned one."""
    meta = _registry_meta(model_name)
    _check_revision(meta, revision)
    return meta


def get_model(
    model_name: str,
    revision: str | None = None,
    device: str | None = None,
    *,
    precision: str | None = None,
    trust_remote_code: bool = False,
) -> Encoder:
    """Load ``model_name`` on ``device`` (default: CUDA when present) in ``precision`` (default: the
    reference's for that model); ``trust_remote_code`` allows models that run their repository's code."""
    if revision is not None:
        _check_revision(_registry_meta(model_name), revision)
    from harness.api import get_model as load  # torch and the engine: only when a model is loaded

    return load(model_name, device=device, precision=precision, trust_remote_code=trust_remote_code)


def _check_revision(meta: ModelMeta, revision: str | None) -> None:
    if revision is not None and revision != meta.revision:
        raise ValueError(
            f"{meta.name} is pinned to revision {meta.revision} (the one its results are keyed by); "
            f"mieb does not load revision {revision}. Download that revision and pass its folder as the model name"
        )
