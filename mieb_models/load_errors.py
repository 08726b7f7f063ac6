"""Why a model cannot load, said once: the model, the cause and the remedy.

``explain(model, error)`` turns whatever loading raised (huggingface_hub's errors, transformers'
``OSError`` wrappers around them, a refused ``trust_remote_code``, a missing offline asset, a model
with no wrapper) into a ``ModelUnavailable`` whose message is one short paragraph, no traceback.
"""

from __future__ import annotations

from collections.abc import Iterator

DOWNLOAD_HINT = "Run `mieb download -m {model}` on a machine that reaches the hub (same HF_HOME), then retry"


class RemoteCodeRefused(RuntimeError):
    """A model needs ``trust_remote_code`` and the user did not allow it."""


class ModelUnavailable(RuntimeError):
    """A model cannot be loaded; ``str()`` names the model, the cause and the remedy."""

    def __init__(self, model: str, cause: str, remedy: str, kind: str = "other"):
        super().__init__(f"model {model} cannot be loaded: {cause}. {remedy}")
        self.model, self.cause, self.remedy, self.kind = model, cause, remedy, kind


def hub_offline() -> bool:
    """The user's offline switch (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``)."""
    from huggingface_hub import constants

    return constants.is_offline_mode()


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def explain(model: str, error: BaseException, revision: str | None = None) -> ModelUnavailable | None:
    """The one-paragraph reason ``model`` did not load, or None when the error is not a known cause."""
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    from mieb_assets.locations import AssetMissing

    for err in _chain(error):
        if isinstance(err, ModelUnavailable):
            return err
        if isinstance(err, GatedRepoError):
            return ModelUnavailable(
                model,
                "its hub repository is gated (access must be granted)",
                f"Accept its terms at https://huggingface.co/{model} and log in (`hf auth login` or HF_TOKEN)",
                "gated",
            )
        if isinstance(err, RepositoryNotFoundError):
            return ModelUnavailable(
                model,
                "no such repository on the hub (or it is private)",
                "Check the name (`mieb list models`); for a private repository log in (`hf auth login` or HF_TOKEN)",
                "no-repository",
            )
        if isinstance(err, RevisionNotFoundError):
            return ModelUnavailable(
                model,
                f"its repository has no revision {revision!r}" if revision else "its repository lacks that revision",
                "Pass a branch, tag or commit the repository has (--model-revision)",
                "no-revision",
            )
        if isinstance(err, LocalEntryNotFoundError | OfflineModeIsEnabled):
            where = "the hub is switched off (HF_HUB_OFFLINE=1)" if hub_offline() else "the hub is not reachable"
            return ModelUnavailable(
                model,
                f"{where} and its files are not in the local HF cache",
                DOWNLOAD_HINT.format(model=model),
                "not-cached",
            )
        if isinstance(err, RemoteCodeRefused):
            return ModelUnavailable(model, "it runs code from its repository", "Pass --trust-remote-code to allow it")
        if isinstance(err, AssetMissing):
            return ModelUnavailable(model, "an offline asset is missing", str(err))
        if isinstance(err, NotImplementedError):
            return ModelUnavailable(model, "no wrapper in this version runs it", "Choose another model")
    if isinstance(error, OSError) and "connect" in str(error).lower():  # transformers' wording of a dead network
        return ModelUnavailable(
            model,
            "the hub is not reachable and its files are not in the local HF cache",
            DOWNLOAD_HINT.format(model=model),
        )
    return None
