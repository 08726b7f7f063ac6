"""Model wrappers and the registry behind ``--model``."""

from mieb_models.base import Encoder, ModelMeta, TorchEncoder
from mieb_models.registry import get_model_meta, list_models, load_model

__all__ = ["Encoder", "ModelMeta", "TorchEncoder", "get_model_meta", "list_models", "load_model"]
