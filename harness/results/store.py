"""The results store: the one way a task result file is read, validated, merged and written.

Every writer (the runner, the Ray driver) and every reader (resume, ``mieb report``, ``mieb
compare``, baselines) goes through this module, so they agree on what a file holds:

* **Cells.** A task stores one entry per (split, subset) cell: its eval splits x its subsets, or
  ``default`` for an aggregate task (``task_cells``, the one place that says so).
* **Validation on read** (``problems_of``): ``task_name`` is the file's task, required keys are
  there, one entry per cell, ``hf_subset`` a string, ``main_score`` a finite number or null (a
  bool is not a number). A file that fails is never used: resume moves it aside
  (``<Task>.json.invalid-<time>``) with an ``InvalidResultFile`` warning and recomputes; report and
  compare leave it out with the same warning. FIFOs and devices are refused, never opened.
* **Merge on write** (``ResultStore.commit``): under a per-file lock the file is read again and
  only the cells this run computed are replaced; every other cell stays, whatever the selection.
* **Provenance**: each cell records the settings that can change its score (``Provenance``) in the
  file's ``mieb`` block, which mteb's reader ignores; resume reuses a cell only when they match.
* **Companions**: files written with a result (per-item predictions) go through the same lock and
  are written before the result that refers to them::

      store = ResultStore(results_dir)
      path = store.path(model_name, revision, task_name)
      with store.transaction(path, task_name) as tx:   # the file's lock is held in here
          old = tx.previous                             # validated TaskResult or None
          old_npz = tx.read_companion(f"{task_name}.predictions.npz")
          tx.commit(result, computed_cells, companions={f"{task_name}.predictions.npz": data})

  or in one call: ``store.write(path, result, computed_cells, companions=...)``.
"""

from __future__ import annotations

import contextlib
import json
import math
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.files import (
    LockTimeout,
    NotARegularFile,
    atomic_write_bytes,
    file_lock,
    lock_timeout,
    read_regular_bytes,
    refuse_special,
    remove_stale_lock,
)
from harness.results.task_result import MODEL_META_FILE, TaskResult, result_path, safe_path_part, write_model_meta

Cell = tuple[str, str]  # (split, hf_subset)
REQUIRED_KEYS = ("dataset_revision", "task_name", "scores")
RESULT_LOCK_WAIT_S = 120.0  # a result's lock is held for one read-merge-write: seconds at most


class InvalidResultFile(UserWarning):
    """A result file failed validation; it is not used (and, on resume, moved aside and recomputed)."""


class ModelFolderCollision(OSError):
    """Two model names (or revisions) that sanitise to one results folder; the message names both."""


class ResultsLocked(OSError):
    """A result file's lock could not be taken; the message names the holder."""


def task_cells(task: Any, subsets: Iterable[str] | None = None, splits: Iterable[str] | None = None) -> list[Cell]:
    """The (split, subset) cells ``task`` stores, in order; ``subsets``/``splits`` narrow the selection.

    An aggregate task stores one ``default`` cell per split whatever subsets it averages.
    """
    chosen_splits = list(splits) if splits is not None else list(task.eval_splits)
    chosen_subsets = list(subsets) if subsets is not None else list(task.subsets)
    if task.aggregate_of:
        chosen_subsets = ["default"]
    return [(split, subset) for split in chosen_splits for subset in chosen_subsets]


def is_score(value: object) -> bool:
    """A finite number (a bool is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def problems_of(data: object, task_name: str | None = None) -> list[str]:
    """What makes ``data`` (a parsed result file) unusable; empty when it is a valid result."""
    if not isinstance(data, dict):
        return [f"not a JSON object ({type(data).__name__})"]
    problems = [f"no {key!r}" for key in REQUIRED_KEYS if key not in data]
    if problems:
        return problems
    if not isinstance(data["task_name"], str):
        problems.append("task_name is not a string")
    elif task_name is not None and data["task_name"] != task_name:
        problems.append(f"task_name is {data['task_name']!r}, not {task_name!r} (another task's file)")
    if not isinstance(data["dataset_revision"], str | None):
        problems.append("dataset_revision is not a string")
    scores = data["scores"]
    if not isinstance(scores, dict):
        return [*problems, "scores is not an object"]
    for split, entries in scores.items():
        if not isinstance(entries, list):
            problems.append(f"scores[{split!r}] is not a list")
            continue
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            where = f"scores[{split!r}][{i}]"
            if not isinstance(entry, dict):
                problems.append(f"{where} is not an object")
                continue
            subset = entry.get("hf_subset")
            if not isinstance(subset, str):
                problems.append(f"{where} has no hf_subset string (got {subset!r})")
                continue
            if subset in seen:
                problems.append(f"{split}/{subset} appears twice")
            seen.add(subset)
            if "main_score" not in entry:
                problems.append(f"{split}/{subset} has no main_score")
            elif entry["main_score"] is not None and not is_score(entry["main_score"]):
                problems.append(f"{split}/{subset} main_score is {entry['main_score']!r}, not a finite number")
    return problems


def load_json(path: Path, task_name: str | None = None) -> tuple[dict | None, list[str]]:
    """A result file's JSON and what is wrong with it; ``(None, [])`` when it does not exist.

    A FIFO, device or directory in its place is a problem, never opened.
    """
    try:
        text = read_regular_bytes(path)
    except FileNotFoundError:
        return None, []
    except NotARegularFile as err:
        return None, [str(err)]
    except OSError as err:
        return None, [f"unreadable ({err.strerror or err})"]
    try:
        data = json.loads(text)
    except ValueError as err:
        return None, [f"not JSON ({err})"]
    problems = problems_of(data, task_name)
    return (None if problems else data), problems


@dataclass(frozen=True)
class Provenance:
    """What a cell's score was computed with, beyond the model name and the dataset revision.

    ``model_revision`` is the folder's revision: for ``module:factory`` models the hash of the
    factory's code and weights (``code-...``), so an edited factory never matches. The mieb version
    is recorded in the file, not compared: a new release of the harness alone does not redo work.
    ``cache_dtype`` is the embedding cache's storage dtype (float16 rounds the embeddings).
    """

    dataset_source: str
    precision: str
    fast_preprocess: bool
    model_revision: str
    cache_dtype: str = "float32"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def differences(self, recorded: Mapping[str, Any] | None) -> list[str]:
        """The settings that differ from ``recorded`` (a cell's record), as ``name: was -> now``."""
        if not recorded:
            return ["no record of the settings it was computed with"]
        now = self.to_json()
        recorded = {**_BEFORE_RECORDED, **recorded}
        return [f"{k}: {recorded.get(k)!r} -> {v!r}" for k, v in now.items() if recorded.get(k) != v]


# Settings that cells written before they were recorded were computed with (no cache_dtype: float32).
_BEFORE_RECORDED = {"cache_dtype": "float32"}


class Transaction:
    """One result file's lock held: the validated previous result, companions, and the merged write."""

    def __init__(self, path: Path, task_name: str):
        self.path = path
        self.task_name = task_name
        self.previous = read_result(path, task_name, move_invalid=True)

    def read_companion(self, name: str) -> bytes | None:
        """A companion file's bytes (written with an earlier result), or None."""
        try:
            return read_regular_bytes(self._companion(name))
        except FileNotFoundError:
            return None

    def _companion(self, name: str) -> Path:
        if safe_path_part(name) != name or name.endswith(".json") or name == self.path.name:
            raise ValueError(f"companion file name {name!r} must be a plain file name not ending in .json")
        return self.path.parent / name

    def commit(
        self, result: TaskResult, cells: Iterable[Cell], companions: Mapping[str, bytes] | None = None
    ) -> TaskResult:
        """Write ``result``'s ``cells`` over the stored file, keeping every other stored cell.

        Companions are written first (each atomically), so a result never names predictions that
        are not there. Returns the merged result as written.
        """
        merged = merge(self.previous, result, cells)
        for name, data in (companions or {}).items():
            atomic_write_bytes(self._companion(name), data)
        refuse_special(self.path)
        atomic_write_bytes(self.path, json.dumps(merged.to_json(), indent=2, allow_nan=False).encode())
        self.previous = merged
        return merged


def merge(previous: TaskResult | None, new: TaskResult, cells: Iterable[Cell]) -> TaskResult:
    """``previous`` with ``cells`` taken from ``new`` (added, or replaced in place); the rest kept."""
    cells = list(cells)
    missing = [c for c in cells if new.entry(*c) is None]
    if missing:
        raise ValueError(f"{new.task_name}: result lacks the cells it claims to have computed: {missing}")
    if previous is None or previous.dataset_revision != new.dataset_revision:
        # a file on another dataset revision holds nothing that may be merged with these cells
        keep: dict[str, list[dict]] = {}
        kept_provenance: dict[str, dict[str, dict]] = {}
        elapsed = 0.0
    else:
        keep = {split: [dict(e) for e in entries] for split, entries in previous.scores.items()}
        kept_provenance = {split: dict(p) for split, p in previous.provenance.items()}
        elapsed = previous.evaluation_time
    for split, subset in cells:
        entry = dict(new.entry(split, subset))  # type: ignore[arg-type]
        entries = keep.setdefault(split, [])
        index = next((i for i, e in enumerate(entries) if e["hf_subset"] == subset), None)
        if index is None:
            entries.append(entry)
        else:
            entries[index] = entry
        recorded = new.provenance.get(split, {}).get(subset)
        if recorded is not None:
            kept_provenance.setdefault(split, {})[subset] = recorded
        else:
            kept_provenance.get(split, {}).pop(subset, None)
    same_data = previous is not None and previous.dataset_revision == new.dataset_revision
    before = previous.phase_seconds if same_data else {}
    keys = dict.fromkeys([*before, *new.phase_seconds])
    phases = {k: before.get(k, 0.0) + new.phase_seconds.get(k, 0.0) for k in keys}
    return TaskResult(
        new.task_name,
        new.dataset_revision,
        keep,
        elapsed + new.evaluation_time,  # seconds over every run that computed part of the result
        phase_seconds=phases,
        provenance=kept_provenance,
    )


def read_result(path: Path, task_name: str | None = None, *, move_invalid: bool = False) -> TaskResult | None:
    """The validated result at ``path``; None when absent or invalid (an ``InvalidResultFile`` warning
    says why; with ``move_invalid`` the file is moved aside so it is recomputed, never reused)."""
    data, problems = load_json(path, task_name)
    if problems:
        _reject(path, problems, move_invalid)
        return None
    return None if data is None else TaskResult.from_json(data)


def _reject(path: Path, problems: Sequence[str], move: bool) -> None:
    what = f"{path}: {'; '.join(problems[:5])}{' ...' if len(problems) > 5 else ''}"
    if move and path.is_file() and not path.is_symlink():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        aside = path.with_name(f"{path.name}.invalid-{stamp}")
        with contextlib.suppress(OSError):
            path.rename(aside)
            what += f"; moved aside to {aside.name} and recomputed"
    warnings.warn(InvalidResultFile(f"result file not used: {what}"), stacklevel=3)


class ResultStore:
    """A results folder: ``<root>/<org>__<model>/<revision>/<Task>.json``."""

    def __init__(self, root: str | Path, *, lock_wait_s: float | None = None):
        self.root = Path(root)
        self.lock_wait_s = lock_timeout(RESULT_LOCK_WAIT_S) if lock_wait_s is None else lock_wait_s

    def path(self, model_name: str, revision: str | None, task_name: str) -> Path:
        return result_path(self.root, model_name, revision, task_name)

    def claim_model_folder(self, folder: Path, meta: Mapping[str, Any]) -> None:
        """Write ``model_meta.json`` into ``folder``, refusing a folder another model's results hold.

        Folder names follow mteb (``/`` -> ``__``, unsafe characters -> ``_``), which maps different
        names to one folder (``org/a b``, ``org/a_b``); sharing it would mix two models' scores.
        """
        existing, _ = _model_meta(folder)
        for key in ("name", "revision"):
            if existing and existing.get(key) and (existing.get(key) or None) != (meta.get(key) or None):
                raise ModelFolderCollision(
                    f"results folder {folder} holds model {existing.get('name')!r} (revision "
                    f"{existing.get('revision')!r}); {meta.get('name')!r} (revision {meta.get('revision')!r}) maps "
                    "to the same folder name. Use another --results-dir for one of them"
                )
        write_model_meta(folder, dict(meta))

    def read(self, path: Path, task_name: str) -> TaskResult | None:
        """The stored result (validated; an invalid file is moved aside with a warning), or None.

        A lock file a killed writer left beside it is removed here (a finished task is read, not
        rewritten, by the run that resumes, so nothing else would remove it).
        """
        remove_stale_lock(self._lock(path))
        return read_result(path, task_name, move_invalid=True)

    @staticmethod
    def _lock(path: Path) -> Path:
        return path.with_name(f".{path.name}.lock")

    @contextlib.contextmanager
    def transaction(self, path: Path, task_name: str) -> Iterator[Transaction]:
        """Hold ``path``'s lock for a read-merge-write (see the module doc)."""
        try:
            with file_lock(self._lock(path), timeout=self.lock_wait_s, what="result file"):
                yield Transaction(path, task_name)
        except LockTimeout as err:
            raise ResultsLocked(str(err)) from err

    def write(
        self,
        path: Path,
        result: TaskResult,
        cells: Iterable[Cell],
        companions: Mapping[str, bytes] | None = None,
    ) -> TaskResult:
        """Lock, merge ``result``'s ``cells`` into the stored file, write; the merged result."""
        with self.transaction(path, result.task_name) as tx:
            return tx.commit(result, cells, companions)


def _model_meta(folder: Path) -> tuple[dict | None, str | None]:
    try:
        data = json.loads(read_regular_bytes(folder / MODEL_META_FILE))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as err:
        return None, str(err)
    return (data, None) if isinstance(data, dict) else (None, "not a JSON object")


def cell_scores(result: TaskResult | Any, cells: Iterable[Cell]) -> dict[Cell, float | None]:
    """Each cell's main score (None: absent, or stored as null) from a result of either reader."""
    out: dict[Cell, float | None] = {}
    for split, subset in cells:
        entry = result.entry(split, subset)
        value = None if entry is None else entry.get("main_score")
        out[(split, subset)] = float(value) if is_score(value) else None
    return out


def score_of(result: TaskResult | Any, cells: Sequence[Cell]) -> tuple[float | None, list[Cell]]:
    """The task's score over ``cells`` (mteb ``get_score``: the plain mean of their main scores) and the
    cells without a score; the score is None unless every cell has one. Run, report and compare use it."""
    scores = cell_scores(result, cells)
    missing = [c for c, v in scores.items() if v is None]
    if missing or not scores:
        return None, missing
    values = list(scores.values())
    return sum(values) / len(values), []  # type: ignore[arg-type]
