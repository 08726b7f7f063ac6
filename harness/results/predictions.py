"""Per-item predictions saved beside a task result, and read back for intervals and paired tests.

Files, next to ``<Task>.json`` in ``<results>/<org>__<model>/<revision>/``:

* ``<Task>.predictions.npz`` (every family): per (split, subset) cell, the main metric's
  ``ItemOutcomes`` (item ids, values, reference) and the details of what each item got (predicted
  labels, top documents with scores). Plain arrays only, read with ``allow_pickle=False``; a JSON
  index names the cells, their main metric and the main score they were computed with. Written as
  a companion of the result, under its lock and before it (``harness.results.store``), merged
  cell by cell like the result.
* ``predictions/<Task>_predictions.json`` (retrieval, document and vision QA tasks): the same top
  documents in mteb 2.26.24's prediction-folder format, ``{"mteb_model_meta": {...}, subset:
  {split: {query_id: {doc_id: score}}}}``, so ``predictions/`` can be handed to mteb as a
  ``prediction_folder`` / ``top_ranked_path``. mteb keeps ``max(k_values)`` documents per query;
  we keep the first ``min(100, max(k_values))``.

A saved cell is served only while it belongs to the result beside it (same dataset revision, same
main score); a cell without one is reported as missing, never made up.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.files import atomic_write_bytes, read_regular_bytes
from harness.results.outcomes import ItemOutcomes
from harness.results.store import Transaction, read_result
from harness.results.task_result import TaskResult, safe_path_part

Cell = tuple[str, str]  # (split, hf_subset)
FORMAT_VERSION = 1
COMPANION_SUFFIX = ".predictions.npz"
MTEB_FOLDER = "predictions"
SCORE_MATCH = 1e-6  # result files keep 6 decimals


class PredictionsUnreadable(ValueError):
    """A predictions file that is not one this module wrote (damaged, or another format)."""


@dataclass(frozen=True)
class CellPredictions:
    """One cell's saved predictions: the main metric's outcomes, the details, and its main score."""

    outcomes: ItemOutcomes
    main_score: float
    details: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class SavedPredictions:
    """What is saved beside one result: the cells that belong to it, and those that have none."""

    cells: dict[Cell, CellPredictions]
    missing: list[Cell]  # cells of the result with no saved predictions
    stale: list[Cell]  # saved cells that do not belong to the result beside them (another run's)

    def describe(self) -> str:
        parts = [f"{len(self.cells)} cell(s) with per-item predictions"]
        if self.missing:
            parts.append(f"none saved for {_cells_text(self.missing)}")
        if self.stale:
            parts.append(f"ignored (from another run of the result) {_cells_text(self.stale)}")
        return "; ".join(parts)


def companion_name(task_name: str) -> str:
    """The file name of a task's predictions, beside ``<Task>.json``."""
    return f"{safe_path_part(task_name)}{COMPANION_SUFFIX}"


def companion_path(result_path: Path) -> Path:
    return Path(result_path).with_name(f"{Path(result_path).stem}{COMPANION_SUFFIX}")


def mteb_predictions_path(result_path: Path) -> Path:
    """``predictions/<Task>_predictions.json`` beside the result (mteb's prediction-folder layout)."""
    result_path = Path(result_path)
    return result_path.parent / MTEB_FOLDER / f"{result_path.stem}_predictions.json"


# --- writing ------------------------------------------------------------------------------------


def encode(task_name: str, dataset_revision: str, cells: Mapping[Cell, CellPredictions]) -> bytes:
    """The ``.predictions.npz`` bytes for ``cells`` (compressed, no pickled objects)."""
    arrays: dict[str, np.ndarray] = {}
    index = []
    for number, ((split, subset), cell) in enumerate(cells.items()):
        o = cell.outcomes
        prefix = f"c{number}"
        arrays[f"{prefix}.item_ids"] = _plain(o.item_ids)
        arrays[f"{prefix}.values"] = _plain(o.values)
        if o.reference is not None:
            arrays[f"{prefix}.reference"] = _plain(o.reference)
        for name, value in cell.details.items():
            arrays[f"{prefix}.detail.{name}"] = _plain(value)
        index.append(
            {
                "split": split,
                "subset": subset,
                "main_metric": o.main_metric,
                "kind": o.kind,
                "main_score": _finite_or_none(cell.main_score),
                "details": list(cell.details),
            }
        )
    header = {"format": FORMAT_VERSION, "task_name": task_name, "dataset_revision": dataset_revision, "cells": index}
    arrays["index"] = np.asarray(json.dumps(header))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def commit_with_predictions(
    tx: Transaction,
    result: TaskResult,
    computed: list[Cell],
    new: Mapping[Cell, CellPredictions],
    model: tuple[str, str | None],
) -> TaskResult:
    """Write ``result``'s ``computed`` cells with their predictions, inside the result's transaction.

    ``model``: (name, revision), named in the mteb-format JSON.

    The predictions file is merged cell by cell as the store merges the result: stored cells the run
    did not compute keep their predictions while they still belong to the stored result; a
    recomputed cell keeps only what this run saved for it (nothing when it saved none). The mteb-format
    JSON of retrieval cells is rewritten from the merged cells. Both go before the result.
    """
    name = companion_name(result.task_name)
    previous_bytes = tx.read_companion(name)
    kept: dict[Cell, CellPredictions] = {}
    if previous_bytes is not None and tx.previous is not None:
        revision, old = _decode(previous_bytes)
        if revision == result.dataset_revision == tx.previous.dataset_revision:
            kept = {c: p for c, p in verified(old, tx.previous).cells.items() if c not in computed}
    kept.update(new)
    if not kept and previous_bytes is None:
        return tx.commit(result, computed)
    mteb_path = mteb_predictions_path(tx.path)
    mteb_json = mteb_predictions(kept, *model)
    if mteb_json is not None:
        atomic_write_bytes(mteb_path, mteb_json)
    elif mteb_path.is_file():
        mteb_path.unlink()
    return tx.commit(result, computed, {name: encode(result.task_name, result.dataset_revision, kept)})


def mteb_predictions(cells: Mapping[Cell, CellPredictions], model_name: str, revision: str | None) -> bytes | None:
    """mteb 2.26.24's prediction-folder JSON of the cells that kept top documents; None when none did."""
    data: dict[str, object] = {"mteb_model_meta": {"model_name": model_name, "revision": revision}}
    found = False
    for (split, subset), cell in cells.items():
        top_docs = cell.details.get("top_docs")
        if top_docs is None:
            continue
        found = True
        doc_ids = cell.details["doc_ids"].tolist()
        scores = cell.details["top_scores"]
        ranked = {}
        for qid, rows, values in zip(cell.outcomes.item_ids.tolist(), top_docs, scores, strict=True):
            ranked[qid] = {doc_ids[j]: float(s) for j, s in zip(rows.tolist(), values.tolist(), strict=True) if j >= 0}
        data.setdefault(subset, {})[split] = ranked  # type: ignore[union-attr]
    return json.dumps(data).encode() if found else None


# --- reading ------------------------------------------------------------------------------------


def decode(data: bytes) -> dict[Cell, CellPredictions]:
    """The cells of a ``.predictions.npz`` (``allow_pickle=False``: no code runs from the file)."""
    return _decode(data)[1]


def _decode(data: bytes) -> tuple[str | None, dict[Cell, CellPredictions]]:
    """(dataset revision, cells) of a ``.predictions.npz``."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            header = json.loads(str(npz["index"]))
            if header.get("format") != FORMAT_VERSION:
                raise PredictionsUnreadable(f"predictions format {header.get('format')!r}, expected {FORMAT_VERSION}")
            cells = {}
            for number, entry in enumerate(header["cells"]):
                prefix = f"c{number}"
                reference = npz[f"{prefix}.reference"] if f"{prefix}.reference" in npz.files else None
                outcomes = ItemOutcomes(
                    entry["main_metric"], entry["kind"], npz[f"{prefix}.item_ids"], npz[f"{prefix}.values"], reference
                )
                details = {name: npz[f"{prefix}.detail.{name}"] for name in entry["details"]}
                score = math.nan if entry["main_score"] is None else float(entry["main_score"])
                cells[(entry["split"], entry["subset"])] = CellPredictions(outcomes, score, details)
            return header.get("dataset_revision"), cells
    except PredictionsUnreadable:
        raise
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise PredictionsUnreadable(f"not a predictions file this version can read: {err}") from err


def verified(cells: Mapping[Cell, CellPredictions], result: TaskResult) -> SavedPredictions:
    """The saved cells that belong to ``result`` (entry present, same main score), and the rest."""
    belong, stale = {}, []
    for cell, saved in cells.items():
        entry = result.entry(*cell)
        if entry is not None and _same_score(entry.get("main_score"), saved.main_score):
            belong[cell] = saved
        else:
            stale.append(cell)
    result_cells = [(split, e["hf_subset"]) for split, entries in result.scores.items() for e in entries]
    missing = [cell for cell in result_cells if cell not in belong]
    return SavedPredictions(belong, missing, stale)


def load_predictions(result_path: str | Path) -> SavedPredictions:
    """The predictions saved beside ``result_path`` that belong to that result.

    Raises ``FileNotFoundError`` when there is no readable result and ``PredictionsUnreadable`` for
    a damaged predictions file; a result without one has every cell ``missing``.
    """
    path = Path(result_path)
    result = read_result(path)
    if result is None:
        raise FileNotFoundError(f"{path}: no readable result file")
    companion = companion_path(path)
    if not companion.is_file():
        return verified({}, result)
    revision, cells = _decode(read_regular_bytes(companion))
    if revision != result.dataset_revision:
        return SavedPredictions({}, verified({}, result).missing, list(cells))
    return verified(cells, result)


def load_outcomes(result_path: str | Path) -> dict[Cell, ItemOutcomes] | None:
    """Each cell's main-metric outcomes saved with the result at ``result_path``; None when none are.

    Only cells that belong to that result are served (see :func:`load_predictions`); a cell with
    none is absent from the mapping, so callers report it rather than guess.
    """
    saved = load_predictions(result_path)
    return {cell: p.outcomes for cell, p in saved.cells.items()} or None


def _plain(array: np.ndarray) -> np.ndarray:
    """An array numpy can save without pickling: object arrays (labels, ids) become strings."""
    array = np.asarray(array)
    if array.dtype == object:
        array = array.astype(str)
    return array


def _finite_or_none(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _same_score(stored: object, saved: float) -> bool:
    if stored is None or (isinstance(stored, float) and math.isnan(stored)):
        return math.isnan(saved)
    return isinstance(stored, int | float) and abs(float(stored) - saved) <= SCORE_MATCH


def _cells_text(cells: list[Cell]) -> str:
    return ", ".join(f"{split}/{subset}" for split, subset in cells)
