"""A model that cannot load fails once per process, not once per case.

The first case of a model whose loading raises fails with one short message (model, cause, remedy:
``mieb_models.load_errors``); an error that has no known cause fails it with its own traceback. The
failure is remembered in the session (each xdist worker keeps its own), so the model is never loaded
again and its other cases are skipped with one identical reason, which pytest's summary folds into
one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mieb_models.load_errors import ModelUnavailable, explain


class ModelLoadFailed(Exception):
    """A remembered load failure; ``report()`` fails the first case that meets it and skips the others."""

    def __init__(self, model: str, error: BaseException):
        explained = explain(model, error)
        self.model, self.error, self.explained = model, error, explained
        self.message = str(explained) if explained else f"model {model} cannot be loaded: {_first_line(error)}"
        self.reported_in: str | None = None
        super().__init__(self.message)

    def report(self, nodeid: str) -> None:
        """Fail (first meeting) or skip (every later one) the case ``nodeid``; always raises."""
        if self.reported_in is None:
            self.reported_in = nodeid
            if self.explained is None:
                raise self.error  # an unknown cause: its traceback is the useful part, shown once
            raise pytest.fail.Exception(self.message, pytrace=False) from None  # the message is the whole story
        repeat = f"model {self.model} did not load (its first case failed with the reason)"
        raise pytest.skip.Exception(repeat) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300]}" if text else type(error).__name__


failures_key = pytest.StashKey[dict[tuple, ModelLoadFailed]]()


def load_once(config: pytest.Config, key: tuple, load: Callable[[], Any], model: str) -> Any:
    """``load()``, unless it already failed under ``key`` in this session: then that failure again."""
    failures = config.stash.setdefault(failures_key, {})
    if key in failures:
        raise failures[key]
    try:
        return load()
    except Exception as err:
        failures[key] = ModelLoadFailed(_full_name(model), err)
        raise failures[key] from err


def _full_name(spec: str) -> str:
    """A registry alias as the model's full name (what `mieb download -m` and the hub know)."""
    from mieb_models.registry import list_models

    return next((m.name for m in list_models() if spec in m.aliases), spec)


def meta_or_none(name: str, revision: str | None) -> Any:
    """The model's metadata; None when it cannot be resolved now (loading then reports why, once)."""
    from mieb_models.registry import get_model_meta

    try:
        return get_model_meta(name, revision)
    except ModelUnavailable:
        return None


__all__ = ["ModelLoadFailed", "load_once", "meta_or_none"]
