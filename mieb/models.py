"""Models by mteb's names and keywords: ``get_model``, ``get_model_meta``.

A name is a registry name (``openai/clip-vit-base-patch16``), an alias (``clip``), any hub id
(recognised by the files its repository holds), a local checkpoint folder or ``package.module:factory``.
``revision`` (a branch, tag or commit of a hub model) is resolved to its commit, which keys the results;
without one, a registry model loads its pinned revision. Local folders and factories take none.
"""

from __future__ import annotations

from mieb_models.base import Encoder
from mieb_models.registry import get_model_meta as _registry_meta
from mieb_records.models import ModelMeta

__all__ = ["Encoder", "ModelMeta", "get_model", "get_model_meta"]


def get_model_meta(model_name: str, revision: str | None = None) -> ModelMeta:
    """What is known of ``model_name`` at ``revision`` (nothing is loaded)."""
    return _registry_meta(model_name, revision)


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
    from harness.api import get_model as load  # torch and the engine: only when a model is loaded

    return load(model_name, device=device, precision=precision, trust_remote_code=trust_remote_code, revision=revision)
