"""MIEB(offline): small datasets in the real hub layouts, built from data that ships in packages.

``build_offline_datasets(target_dir)`` writes ``target_dir/mieb-offline/<name>`` for every dataset
the ``MIEB(offline)`` tasks read; pass ``target_dir`` as ``--datasets-dir``. The assets come from
``mieb setup``. The datasets' organisation and revision (``ORG``,
``BUILDER_VERSION``) are declared with the tasks, in ``mieb_tasks.offline``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mieb_tasks.offline import BUILDER_VERSION, ORG


def build_offline_datasets(target_dir: Any, *, progress: bool = True, scale: float = 1.0, only: Any = None) -> Path:
    """Build (or finish building) every offline dataset under ``target_dir``; see ``build``."""
    from harness.offline.build import build_offline_datasets as build

    return build(target_dir, progress=progress, scale=scale, only=only)


def default_offline_dir() -> Path:
    """``$MIEB_HOME/offline-datasets``: the default target of ``build_offline_datasets``."""
    from harness.offline.build import default_offline_dir as default

    return default()


__all__ = ["BUILDER_VERSION", "ORG", "build_offline_datasets", "default_offline_dir"]
