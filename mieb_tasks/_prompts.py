"""Prompt builders for zero-shot tasks: class names in, one prompt per class out."""

from __future__ import annotations

from collections.abc import Callable, Sequence

PromptFn = Callable[[Sequence[str]], list[str]]

EUROSAT_NAMES = (
    "annual crop land",
    "forest land",
    "brushland or shrubland",
    "highway or road",
    "industrial land",
    "pasture land",
    "permanent crop land",
    "residential land",
    "river",
    "sea or lake",
)


def template(text: str) -> PromptFn:
    """One prompt per dataset class name: ``text.format(name)``."""

    def build(names: Sequence[str]) -> list[str]:
        return [text.format(name) for name in names]

    build.__doc__ = f"Prompts {text!r} over the dataset's class names."
    return build


def fixed(text: str, names: Sequence[str]) -> PromptFn:
    """Prompts over a fixed class list that replaces the dataset's own names."""
    names = tuple(names)

    def build(_dataset_names: Sequence[str]) -> list[str]:
        return [text.format(name) for name in names]

    build.__doc__ = f"Prompts {text!r} over {len(names)} fixed class names."
    return build


def sun397_prompts(names: Sequence[str]) -> list[str]:
    """SUN397 names look like ``/c/church/outdoor``; the prompt uses ``church outdoor``."""
    return [f"a photo of a {' '.join(name.split('/')[2:]).replace('_', ' ')}." for name in names]
