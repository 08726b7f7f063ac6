"""The pytest door of the run options: the ``mieb`` option group and the ``Settings`` it makes.

The options themselves are declared once, in ``harness.run_options.OPTIONS``.
"""

from __future__ import annotations

import pytest

from harness.catalogue.subsets import SelectionError, SubsetSelection
from harness.run_options import Settings, add_arguments, settings_of

__all__ = ["Settings", "add_options", "selection_of", "settings_from"]


def add_options(parser: pytest.Parser) -> None:
    """The ``mieb`` option group (``pytest_addoption`` of ``harness.plugin.hooks``)."""
    group = parser.getgroup("mieb", "mieb: run MIEB tasks as test cases")
    add_arguments(group.addoption, cli=False)


def settings_from(option: object) -> Settings:
    """The run's ``Settings`` from pytest's parsed options; a bad selection is a usage error."""
    settings = settings_of(option)
    selection_of(settings)
    return settings


def selection_of(option: object) -> SubsetSelection:
    """``--languages`` / ``--subsets`` as a selection; a bad value is a usage error."""
    try:
        return SubsetSelection.of(option.languages, option.subsets)
    except SelectionError as err:
        raise pytest.UsageError(f"--languages: {err}") from None
