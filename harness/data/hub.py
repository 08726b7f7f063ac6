"""Where datasets come from: the hub at a pinned revision, or a local mirror laid out like it.

A local mirror (``--datasets-dir DIR`` or ``MIEB_DATASETS_DIR``) holds dataset ``<org>/<name>``
in ``DIR/<org>/<name>``, the folder ``huggingface_hub.snapshot_download(repo_id, repo_type=
"dataset", local_dir=...)`` writes: data files plus a README whose YAML ``configs:`` block names
each config's files per split. ``write_snapshot`` writes exactly that layout (tests and the
offline benchmark use it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.catalogue.queries import DatasetRef

DATASETS_DIR_ENV = "MIEB_DATASETS_DIR"


class DatasetUnavailable(RuntimeError):
    """A dataset could not be read; the message names it, its revision and the remedy."""


class SplitUnavailable(DatasetUnavailable):
    """The dataset is there but lacks a subset (config) or split; the message lists what exists."""


class DatasetInvalid(DatasetUnavailable):
    """The dataset reads but its content cannot be scored: an empty split, labels outside the label
    set, qrels naming ids that do not exist, images that do not decode. The message names the
    dataset, split and rows."""


@dataclass(frozen=True)
class DataSource:
    """Resolves dataset references against a local mirror first, then the hub."""

    datasets_dir: str | None = None
    # Which copy of each dataset tasks read (``harness.data.sources``): "published" or "mteb2".
    dataset_source: str = "published"
    # Whether tasks check their data against the reference's counts before encoding
    # (``harness.data.fingerprints``); None: as ``MIEB_VERIFY_DATA`` says (default yes).
    verify_data: bool | None = None

    @classmethod
    def from_env(
        cls,
        datasets_dir: str | os.PathLike[str] | None = None,
        dataset_source: str | None = None,
        verify_data: bool | None = None,
    ) -> DataSource:
        from harness.data.sources import resolve_source

        chosen = datasets_dir or os.environ.get(DATASETS_DIR_ENV)
        folder = str(Path(chosen).expanduser().resolve()) if chosen else None
        return cls(folder, resolve_source(dataset_source), verify_data)

    def local_path(self, ref: DatasetRef) -> Path | None:
        if self.datasets_dir is None:
            return None
        candidate = Path(self.datasets_dir, *ref.path.split("/"))
        return candidate if candidate.is_dir() else None

    def image_roots(self, ref: DatasetRef) -> tuple[str, ...]:
        """Where image cells that hold file paths may point: the local copy's folder (first: relative
        paths resolve there), else the hub and ``datasets`` caches that hold its downloaded files."""
        local = self.local_path(ref)
        if local is not None:
            return (str(local.resolve()),)
        import datasets
        from huggingface_hub import constants

        return (str(Path(constants.HF_HUB_CACHE).resolve()), str(Path(datasets.config.HF_DATASETS_CACHE).resolve()))

    def identity(self, ref: DatasetRef) -> str:
        """What the data is, for cache keys: hub path@revision, or a local mirror's content stamp."""
        local = self.local_path(ref)
        if local is None:
            return f"{ref.path}@{ref.revision}"
        return f"{ref.path}@local-{Path(_local_arrow_cache(local)).name}"

    def config_names(self, ref: DatasetRef) -> list[str]:
        """The dataset's configs (``corpus``, ``queries`` ... or language pairs)."""
        import datasets

        location, revision = self._location(ref)
        return self._guard(ref, lambda: datasets.get_dataset_config_names(location, revision=revision))

    def split_names(self, ref: DatasetRef, config: str | None = None) -> list[str]:
        import datasets

        location, revision = self._location(ref)
        return self._guard(ref, lambda: datasets.get_dataset_split_names(location, config, revision=revision))

    def load(self, ref: DatasetRef, split: str, config: str | None = None) -> Any:
        """One split of one config as a ``datasets.Dataset`` (images stay encoded until read)."""
        return _load_split(self, ref, split, config)

    def _location(self, ref: DatasetRef) -> tuple[str, str | None]:
        local = self.local_path(ref)
        if local is not None:
            return str(local), None
        return ref.path, ref.revision

    def _guard(self, ref: DatasetRef, action: Any) -> Any:
        try:
            return action()
        except (FileNotFoundError, ConnectionError, OSError, ValueError) as err:
            raise DatasetUnavailable(self.remedy(ref, err)) from err
        except Exception as err:  # datasets raises many hub error types; name the remedy for all
            if type(err).__name__ in {
                "DatasetNotFoundError",
                "HfHubHTTPError",
                "LocalEntryNotFoundError",
                "RepositoryNotFoundError",
                "RevisionNotFoundError",
            }:
                raise DatasetUnavailable(self.remedy(ref, err)) from err
            raise

    def remedy(self, ref: DatasetRef, err: BaseException | None = None) -> str:
        where = (
            f"not found under --datasets-dir {self.datasets_dir} (expected folder "
            f"{Path(self.datasets_dir, *ref.path.split('/'))})"
            if self.datasets_dir
            else "could not be read from the hub"
        )
        cause = f" ({type(err).__name__}: {str(err).splitlines()[0][:200]})" if err else ""
        return (
            f"Dataset {ref.path} at revision {ref.revision} {where}{cause}. "
            f"Pre-download it on a machine with hub access, e.g. `mieb download -t <Task>` or "
            f"`huggingface_hub.snapshot_download('{ref.path}', repo_type='dataset', revision='{ref.revision}', "
            f"local_dir='DIR/{ref.path}')`, then pass --datasets-dir DIR (or set {DATASETS_DIR_ENV})."
        )


@lru_cache(maxsize=32)
def _load_split(source: DataSource, ref: DatasetRef, split: str, config: str | None) -> Any:
    import datasets

    location, revision = source._location(ref)
    cache_dir = _local_arrow_cache(Path(location)) if revision is None else None
    try:
        return source._guard(
            ref, lambda: datasets.load_dataset(location, config, split=split, revision=revision, cache_dir=cache_dir)
        )
    except DatasetUnavailable as err:
        missing = _missing_part(source, ref, split, config)
        if missing:
            raise SplitUnavailable(missing) from err
        # datasets' words for a split that is declared but holds no rows
        if "corresponds to no data" in str(err.__cause__):
            where = f"Dataset {ref.path} at revision {ref.revision}" + (
                f" (local copy {location})" if revision is None else ""
            )
            subset = f"subset {config!r}" if config else "its default subset"
            raise DatasetInvalid(f"{where}: {subset} has an empty split {split!r}; nothing to score") from err
        raise


def _missing_part(source: DataSource, ref: DatasetRef, split: str, config: str | None) -> str | None:
    """Which subset or split of a readable dataset is missing, with what exists; None if it is all there."""
    import datasets

    location, revision = source._location(ref)
    where = f"Dataset {ref.path} at revision {ref.revision}" + (f" (local copy {location})" if revision is None else "")
    try:
        configs = datasets.get_dataset_config_names(location, revision=revision)
    except Exception:  # the dataset itself is unreachable: the caller's message says so
        return None
    if config is not None and config not in configs:
        return f"{where} has no subset (config) {config!r}; subsets there: {', '.join(sorted(configs))}"
    try:
        splits = datasets.get_dataset_split_names(location, config, revision=revision)
    except Exception:
        return None
    if split not in splits:
        subset = f"subset {config!r}" if config else "its default subset"
        return f"{where}: {subset} has no split {split!r}; splits there: {', '.join(splits)}"
    return None


def _local_arrow_cache(folder: Path) -> str:
    """A datasets cache folder private to one local snapshot and its current files.

    ``datasets`` keys the Arrow cache of a local folder by dataset name and config, not by the
    folder's path or content, so two mirrors of ``org/name`` would share (stale) cached data.
    """
    import hashlib

    import datasets

    digest = hashlib.sha256(str(folder.resolve()).encode())
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return str(Path(datasets.config.HF_DATASETS_CACHE) / "mieb-local" / digest.hexdigest()[:24])


def write_snapshot(directory: str | os.PathLike[str], configs: Mapping[str, Mapping[str, Any]]) -> Path:
    """Write ``{config: {split: datasets.Dataset}}`` as a hub-style snapshot folder.

    Parquet files go to ``<config>/<split>-00000-of-00001.parquet`` and the README's YAML
    ``configs:`` block lists them, which is how hub repositories declare their configs.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    yaml = ["---", "configs:"]
    for config, splits in configs.items():
        # Names quoted (JSON strings are YAML strings): a language split "no" would otherwise read as False.
        yaml += [f"- config_name: {json.dumps(config)}", "  data_files:"]
        for split, dataset in splits.items():
            relative = f"{config}/{split}-00000-of-00001.parquet"
            (directory / config).mkdir(parents=True, exist_ok=True)
            tmp = directory / (relative + ".tmp")
            dataset.to_parquet(str(tmp))
            os.replace(tmp, directory / relative)
            yaml += [f"  - split: {json.dumps(split)}", f"    path: {json.dumps(relative)}"]
    yaml += ["---", ""]
    (directory / "README.md").write_text("\n".join(yaml))
    return directory
