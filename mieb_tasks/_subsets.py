"""Helper for declaring per-language subsets of multilingual tasks."""

from collections.abc import Mapping
from types import MappingProxyType


def subsets(mapping: dict[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    """A read-only subset -> languages mapping (task records are frozen)."""
    return MappingProxyType(dict(mapping))
