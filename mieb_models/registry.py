"""The model registry: names, aliases and wildcards -> metadata; metadata -> a loaded encoder.

A ``--model`` value is one of:
- a registry name (``openai/clip-vit-base-patch16``) or alias (``clip``);
- a local directory holding a checkpoint (transformers ``config.json``, or open_clip
  ``open_clip_config.json``); its revision is a content hash of its weight files;
- ``package.module:factory``, a callable returning an object that implements the encoder protocol;
  without a revision of its own, its revision is a hash of the factory module's source and of the
  loaded model's weights, so an edited model never reuses the old one's results or embeddings.
- any other hub repository id (``myorg/my-clip-finetune``), recognised by the files it holds
  (``mieb_models.hub_models``); ``revision`` picks a branch, tag or commit of hub models.

Resolving never loads weights, so collection stays instant; ``load_model`` does the loading.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import importlib
import inspect
import json
import sys
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mieb_models.base import Encoder, ModelMeta
from mieb_models.load_errors import RemoteCodeRefused
from mieb_records.errors import UnknownNameError

# Modules holding a ``MODELS`` tuple of ModelMeta and, optionally, ``LOCAL_LOADERS`` mapping a
# checkpoint's ``model_type`` (or ``"open_clip"``) to a loader for local directories.
FAMILY_MODULES: tuple[str, ...] = (
    "mieb_models.clip_hf",
    "mieb_models.open_clip_models",
    "mieb_models.siglip",
    "mieb_models.image_only",
    "mieb_models.offline",
)

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")


def _family_modules() -> list[Any]:
    modules = []
    for name in FAMILY_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as err:
            if err.name != name:  # a real import error inside the module, not a missing module
                raise
    return modules


@cache
def _entries() -> Mapping[str, ModelMeta]:
    entries: dict[str, ModelMeta] = {}
    for module in _family_modules():
        for meta in getattr(module, "MODELS", ()):
            if meta.name in entries:
                raise RuntimeError(f"model {meta.name!r} registered twice")
            entries[meta.name] = meta
    return MappingProxyType(entries)


@cache
def _aliases() -> Mapping[str, str]:
    aliases: dict[str, str] = {}
    for meta in _entries().values():
        for alias in meta.aliases:
            if alias in aliases:
                raise RuntimeError(f"alias {alias!r} used twice")
            aliases[alias] = meta.name
    return MappingProxyType(aliases)


@cache
def _local_loaders() -> Mapping[str, Callable[..., Encoder]]:
    loaders: dict[str, Callable[..., Encoder]] = {}
    for module in _family_modules():
        loaders.update(getattr(module, "LOCAL_LOADERS", {}))
    return MappingProxyType(loaders)


def list_models(pattern: str = "*") -> list[ModelMeta]:
    """Registry entries whose name or alias matches a shell-style wildcard (``*siglip*``)."""
    pattern = pattern.lower()
    return [
        meta
        for name, meta in _entries().items()
        if fnmatch.fnmatchcase(name.lower(), pattern) or any(fnmatch.fnmatchcase(a, pattern) for a in meta.aliases)
    ]


def why_cannot_run(meta: ModelMeta) -> str | None:
    """Why a registered model cannot run in this version (its loader says so), or None."""
    return getattr(meta.loader, "cannot_run", None)


def get_model_meta(spec: str, revision: str | None = None) -> ModelMeta:
    """Metadata for a ``--model`` value (see module docstring); never loads weights.

    ``revision`` (a branch, tag or commit) applies to hub models only, registered or not.
    """
    if spec in _aliases() or spec in _entries():
        meta = _entries()[_aliases().get(spec, spec)]
        return meta if revision is None else _registered_at_revision(meta, revision)
    path = Path(spec).expanduser()
    if path.is_dir() or (":" in spec and not spec.startswith(("/", "."))):
        if revision is not None:
            raise ValueError(f"{spec} is not a hub model: a revision (--model-revision) applies to hub models only")
        return _local_meta(path) if path.is_dir() else _factory_meta(spec)
    known = [*_entries(), *_aliases()]
    if _looks_like_hub_id(spec):
        return _hub_model_meta(spec, revision, known)
    if spec.startswith((".", "/", "~")) or "/" in spec:
        raise UnknownNameError("model (not a registry name, and no such directory)", spec, known)
    raise UnknownNameError("model", spec, known)


def _looks_like_hub_id(spec: str) -> bool:
    from mieb_models.hub_models import is_hub_id

    return is_hub_id(spec)


def _hub_model_meta(spec: str, revision: str | None, known: list[str]) -> ModelMeta:
    """A hub id outside the registry; one that cannot be reached but is close to registry names is a typo."""
    from mieb_models.hub_models import hub_meta
    from mieb_models.load_errors import ModelUnavailable

    try:
        return hub_meta(spec, revision)
    except ModelUnavailable as err:
        if Path(spec).parent.is_dir():  # ``checkpoints/run1`` beside an existing ``checkpoints/``: a path typo
            raise ValueError(f"{spec}: no such directory (and as a hub repository: {err.cause})") from None
        unknown = UnknownNameError("model", spec, known)
        if err.kind not in {"no-repository", "not-cached"} or not unknown.close_matches:
            raise
        unknown.args = (f"{unknown.args[0]} As a hub repository: {err.cause}.",)
        raise unknown from None


def _registered_at_revision(meta: ModelMeta, revision: str) -> ModelMeta:
    if meta.framework not in {"transformers", "open_clip"} or meta.loader_kwargs.get("pretrained"):
        raise ValueError(
            f"{meta.name} is not loaded from its own hub repository: a revision applies to hub models only"
        )
    if revision == meta.revision:
        return meta
    from mieb_models.hub_models import resolve_commit

    return meta.with_revision(resolve_commit(meta.name, revision))  # results are keyed by a commit, not a branch


def _local_meta(path: Path) -> ModelMeta:
    path = path.resolve()
    kind = _checkpoint_kind(path)
    loader = _local_loaders().get(kind)
    if loader is None:
        raise ValueError(
            f"{path} holds a checkpoint of type {kind!r}, which no wrapper handles; "
            f"supported: {', '.join(sorted(_local_loaders()))}"
        )
    modalities = ("image",) if kind in IMAGE_ONLY_TYPES else ("image", "text")
    return ModelMeta(
        needs_remote_code=_config_asks_for_remote_code(path),
        name=f"local/{path.name}",
        revision=weights_digest(path),
        framework="open_clip" if kind == "open_clip" else "transformers",
        architecture=kind,
        modalities=modalities,
        loader=loader,
        reference=None,
        open_weights=True,
        loader_kwargs={"source": str(path)},
    )


def _config_asks_for_remote_code(path: Path) -> bool:
    """A transformers config naming classes in its own repository (``auto_map``) runs that code."""
    for name in ("config.json", "preprocessor_config.json", "tokenizer_config.json"):
        try:
            config = json.loads((path / name).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(config, dict) and config.get("auto_map"):
            return True
    return False


IMAGE_ONLY_TYPES = frozenset({"dinov2", "vit", "convnext", "resnet"})


def _checkpoint_kind(path: Path) -> str:
    if (path / "open_clip_config.json").is_file():
        return "open_clip"
    config = path / "config.json"
    if config.is_file():
        model_type = json.loads(config.read_text()).get("model_type")
        if model_type:
            return str(model_type)
    raise ValueError(
        f"{path} is not a model checkpoint directory: expected a transformers config.json "
        "or an open_clip open_clip_config.json"
    )


def weights_digest(path: Path) -> str:
    """A content hash of a checkpoint's weight files: two checkpoints never share results."""
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    if not files:
        raise ValueError(f"{path} holds no weight files ({', '.join(WEIGHT_SUFFIXES)})")
    stamp = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _digest(path, stamp)


@cache
def _digest(path: Path, stamp: tuple[tuple[str, int, int], ...]) -> str:
    # Hashing gigabytes takes seconds; the (name, size, mtime) stamp keys the cached digest.
    digest = hashlib.sha256()
    for name, _, _ in stamp:
        file = Path(name)
        digest.update(file.relative_to(path).as_posix().encode())
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:40]


def _factory_meta(spec: str) -> ModelMeta:
    module_name, _, attr = spec.partition(":")
    factory = _import_factory(module_name, attr)
    return ModelMeta(
        name=spec.replace(":", "."),
        revision=None,
        framework="custom",
        architecture=getattr(factory, "__qualname__", attr),
        modalities=("image", "text"),
        loader=None,
        loader_kwargs={"factory": spec},
    )


class FactoryImportError(ImportError):
    """A ``module:factory`` module was found but failed to import; the message holds the cause."""


def _import_factory(module_name: str, attr: str) -> Callable[..., Any]:
    # The current directory goes last: a factory module there is found, but a file there named
    # like an installed package (sklearn.py) never shadows that package.
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.append(str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name and not module_name.startswith(f"{err.name}."):
            raise FactoryImportError(f"model factory module {module_name!r} failed to import: {err}") from err
        raise UnknownNameError("model factory module", module_name, []) from err
    except Exception as err:  # the module exists but raises on import: show why
        raise FactoryImportError(
            f"model factory module {module_name!r} failed to import: {type(err).__name__}: {err}"
        ) from err
    factory = getattr(module, attr, None)
    if not callable(factory):
        names = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
        raise UnknownNameError(f"factory in {module_name}", attr, names)
    return factory


def load_model(
    spec: str | ModelMeta,
    *,
    device: str | None = None,
    precision: str | None = None,
    trust_remote_code: bool = False,
    revision: str | None = None,
) -> Encoder:
    """Load a model; the encoder's ``meta`` carries the pinned name and revision.

    ``precision=None`` uses the precision the reference implementation runs the model in;
    ``revision`` is the hub revision (``get_model_meta``).
    """
    meta = spec if isinstance(spec, ModelMeta) else get_model_meta(spec, revision)
    precision = precision or meta.reference_precision
    if meta.needs_remote_code and not trust_remote_code:
        raise RemoteCodeRefused(
            f"{meta.name} runs code from its repository (trust_remote_code). Pass --trust-remote-code to allow it."
        )
    if "factory" in meta.loader_kwargs:
        return _load_factory(meta, device=device, precision=precision)
    if meta.loader is None:
        raise ValueError(f"model {meta.name!r} has no loader")
    kwargs = {**meta.loader_kwargs, "device": device, "precision": precision, "trust_remote_code": trust_remote_code}
    return meta.loader(meta, **kwargs)


def _load_factory(meta: ModelMeta, **options: Any) -> Encoder:
    module_name, _, attr = meta.loader_kwargs["factory"].partition(":")
    factory = _import_factory(module_name, attr)
    accepted = inspect.signature(factory).parameters
    model = factory(**{k: v for k, v in options.items() if k in accepted})
    for method in ("encode_images", "encode_texts"):
        if not callable(getattr(model, method, None)) and not (
            method == "encode_texts" and _declared_modalities(model) == ("image",)
        ):
            raise TypeError(f"{meta.loader_kwargs['factory']} returned {type(model).__name__}, which lacks {method}()")
    if not isinstance(getattr(model, "meta", None), ModelMeta):
        model.meta = ModelMeta(
            name=meta.name,
            revision=getattr(model, "revision", None),
            framework="custom",
            architecture=type(model).__name__,
            modalities=_declared_modalities(model),
            embed_dim=getattr(model, "embed_dim", None),
        )
    if not model.meta.revision:
        model.meta = model.meta.with_revision(factory_revision(factory, model))
    return model


def factory_revision(factory: Callable[..., Any], model: Any) -> str:
    """A content hash of a factory's module source and of the model's weights.

    Weights are the tensors of a torch ``state_dict()`` when the model (or its ``model``
    attribute) has one, plus array-valued attributes of the model object.
    """
    digest = hashlib.sha256(b"factory-revision-1")
    module = inspect.getmodule(factory)
    source_file = inspect.getsourcefile(module) if module is not None else None
    if source_file:
        digest.update(Path(source_file).read_bytes())
    digest.update(getattr(factory, "__qualname__", "").encode())
    for name, value in _weights(model):
        digest.update(name.encode())
        digest.update(str(getattr(value, "dtype", "")).encode() + str(tuple(getattr(value, "shape", ()))).encode())
        digest.update(_array_bytes(value))
    return "code-" + digest.hexdigest()[:32]


def _weights(model: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for owner_name, owner in (("", model), ("model.", getattr(model, "model", None))):
        state_dict = getattr(owner, "state_dict", None)
        if callable(state_dict):
            with contextlib.suppress(Exception):
                found += [(owner_name + k, v) for k, v in state_dict().items()]
    attributes = vars(model) if hasattr(model, "__dict__") else {}
    found += [(f"attr.{k}", v) for k, v in sorted(attributes.items()) if _is_array(v)]
    return found


def _is_array(value: Any) -> bool:
    return (
        hasattr(value, "shape") and hasattr(value, "dtype") and (hasattr(value, "detach") or hasattr(value, "tobytes"))
    )


def _array_bytes(value: Any) -> bytes:
    import numpy as np

    if hasattr(value, "detach"):
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            value = value.float()
        value = value.numpy()
    return np.ascontiguousarray(value).tobytes()


def _declared_modalities(model: Any) -> tuple[str, ...]:
    declared = getattr(model, "modalities", None)
    if declared:
        return tuple(declared)
    return ("image", "text") if callable(getattr(model, "encode_texts", None)) else ("image",)
