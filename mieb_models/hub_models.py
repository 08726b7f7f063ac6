"""Hub repositories outside the registry, recognised by what they hold.

``hub_meta("myorg/my-clip-finetune", revision)`` reads the repository's small config files (from the
local HF cache when offline) and picks the wrapper:

- ``open_clip_config.json``: open_clip, loaded exactly as a registry open_clip entry;
- a transformers ``config.json`` whose ``model_type`` is CLIP, SigLIP / SigLIP 2 or ALIGN: that
  family's wrapper (its reference preprocessing);
- another config with both a ``text_config`` and a ``vision_config`` (AltCLIP, Chinese-CLIP, ...): a
  generic dual encoder through ``AutoModel``'s ``get_image_features`` / ``get_text_features``;
- an image backbone transformers knows (``MODEL_FOR_IMAGE_MAPPING``: ViT, DINOv2, ConvNeXt, ResNet,
  ...): an image-only encoder (the [CLS] token of transformer backbones, the pooled output of CNNs).

The revision is pinned to the commit the files came from (the ``snapshots/<commit>`` folder), so a
moving branch never mixes results of two commits. Nothing else is downloaded until loading.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from mieb_models.base import ModelMeta
from mieb_models.load_errors import ModelUnavailable, explain

OPEN_CLIP_CONFIG = "open_clip_config.json"
CONFIG = "config.json"


class UnrecognisedModel(ValueError):
    """A hub repository holds no model the harness can wrap; the message says what it found."""


def is_hub_id(spec: str) -> bool:
    """``org/name`` in the hub's spelling (no scheme, no local path, one slash)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if spec.startswith((".", "/", "~")) or spec.count("/") != 1:
        return False
    try:
        validate_repo_id(spec)
    except HFValidationError:
        return False
    return True


def hub_meta(repo_id: str, revision: str | None = None) -> ModelMeta:
    """Metadata of a hub model outside the registry (module docstring); never loads weights."""
    return _hub_meta(repo_id, revision)


@cache
def _hub_meta(repo_id: str, revision: str | None) -> ModelMeta:
    found = _fetch_config(repo_id, revision)
    if found is None:
        files = _listed_files(repo_id, revision)
        raise UnrecognisedModel(
            f"hub repository {repo_id} holds neither {CONFIG} (transformers) nor {OPEN_CLIP_CONFIG} (open_clip)"
            + (f"; it has: {', '.join(files[:12])}" if files else "")
        )
    name, path = found
    commit = path.parent.name  # .../snapshots/<commit>/<file>
    if name == OPEN_CLIP_CONFIG:
        from mieb_models.open_clip_models import load_open_clip

        return _meta(repo_id, commit, "open_clip", _open_clip_architecture(path), ("image", "text"), load_open_clip)
    config = json.loads(path.read_text())
    loader, modalities = _transformers_loader(repo_id, config)
    architecture = (config.get("architectures") or [config.get("model_type", "?")])[0]
    return _meta(
        repo_id,
        commit,
        "transformers",
        architecture,
        modalities,
        loader,
        embed_dim=config.get("projection_dim"),
        remote_code=bool(config.get("auto_map")),
    )


def resolve_commit(repo_id: str, revision: str) -> str:
    """The commit a branch or tag of ``repo_id`` points to (a full commit hash is its own answer)."""
    if re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    found = _fetch_config(repo_id, revision)
    if found is None:
        raise UnrecognisedModel(f"hub repository {repo_id}@{revision} holds no model config")
    return found[1].parent.name


def _fetch_config(repo_id: str, revision: str | None) -> tuple[str, Path] | None:
    """(file name, local path) of the repository's model config; None when it has neither."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    missing_offline: Exception | None = None
    for name in (OPEN_CLIP_CONFIG, CONFIG):  # open_clip first: its repos may also carry a config.json
        try:
            return name, Path(hf_hub_download(repo_id, name, revision=revision))
        except LocalEntryNotFoundError as err:  # offline: not cached (or the repo lacks it)
            missing_offline = missing_offline or err
        except EntryNotFoundError:  # the hub says the repository has no such file
            continue
        except Exception as err:
            raise _unavailable(repo_id, err, revision) from err
    if missing_offline is not None and _cached_snapshot(repo_id, revision) is None:
        raise _unavailable(repo_id, missing_offline, revision) from missing_offline
    return None


def _cached_snapshot(repo_id: str, revision: str | None) -> Path | None:
    """The cached snapshot folder of ``repo_id`` at ``revision``, if the cache has one."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    except Exception:  # not cached: the caller reports the download error instead
        return None


def _unavailable(repo_id: str, err: Exception, revision: str | None) -> Exception:
    explained = explain(repo_id, err, revision)
    return explained if explained is not None else err


def _listed_files(repo_id: str, revision: str | None) -> list[str]:
    from huggingface_hub import constants, list_repo_files

    snapshot = _cached_snapshot(repo_id, revision) if constants.is_offline_mode() else None
    if snapshot is not None:
        return sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file())
    try:
        return sorted(list_repo_files(repo_id, revision=revision))
    except Exception:  # the listing only decorates the message
        return []


def _open_clip_architecture(path: Path) -> str:
    config = json.loads(path.read_text())
    return str(config.get("model_cfg", {}).get("model_name") or config.get("model_name") or "open_clip")


DUAL_LOADERS = {"clip": "load_hf_clip", "siglip": "load_siglip", "siglip2": "load_siglip", "align": "load_align"}


def _transformers_loader(repo_id: str, config: dict[str, Any]) -> tuple[Any, tuple[str, ...]]:
    from mieb_models import clip_hf, image_only, siglip

    model_type = str(config.get("model_type") or "")
    if model_type in DUAL_LOADERS:
        loader = getattr(clip_hf if model_type == "clip" else siglip, DUAL_LOADERS[model_type])
        return loader, ("image", "text")
    if "text_config" in config and "vision_config" in config:
        return clip_hf.load_dual_encoder, ("image", "text")
    if model_type in _image_model_types():
        return image_only.load_image_backbone, ("image",)
    architectures = ", ".join(config.get("architectures") or []) or "none listed"
    raise UnrecognisedModel(
        f"hub repository {repo_id} holds a transformers model of type {model_type or '(none)'!r} "
        f"(architectures: {architectures}), which is neither a dual encoder (text_config + vision_config) "
        "nor an image backbone transformers knows; wrap it as package.module:factory (docs: models)"
    )


@cache
def _image_model_types() -> frozenset[str]:
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_MAPPING_NAMES

    return frozenset(MODEL_FOR_IMAGE_MAPPING_NAMES)


def _meta(
    repo_id: str,
    commit: str,
    framework: str,
    architecture: str,
    modalities: tuple[str, ...],
    loader: Any,
    *,
    embed_dim: int | None = None,
    remote_code: bool = False,
) -> ModelMeta:
    return ModelMeta(
        name=repo_id,
        revision=commit,
        framework=framework,
        architecture=architecture,
        modalities=modalities,
        loader=loader,
        embed_dim=embed_dim if isinstance(embed_dim, int) else None,
        needs_remote_code=remote_code,
        reference=f"https://huggingface.co/{repo_id}",
    )


__all__ = ["ModelUnavailable", "UnrecognisedModel", "hub_meta", "is_hub_id", "resolve_commit"]
