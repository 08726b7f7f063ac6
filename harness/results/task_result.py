"""Task results in the MTEB 2.x on-disk format (the record and its JSON; ``harness.results.store`` reads
and writes the files).

Layout: ``<results>/<org>__<model>/<revision>/<Task>.json`` plus ``model_meta.json``. Scores are
``scores[split] = [{hf_subset, languages, main_score, <metrics>}]`` with floats rounded to 6 places.
NaN and infinite values are written as ``null`` (strict JSON; mteb's readers accept it) and read
back as NaN.

``mteb_version`` is null: mteb did not write these files (mteb's reader accepts null there). What
wrote them is in the top-level ``mieb`` block, which mteb's reader ignores: the mieb version, the
mteb release whose protocol the scores follow, and each cell's settings (``provenance``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.files import atomic_write_bytes, package_version

# The mteb release whose protocol and result schema these files follow.
MTEB_FORMAT_VERSION = "2.26.24"
MIEB_BLOCK = "mieb"
NO_REVISION = "no_revision_available"
MODEL_META_FILE = "model_meta.json"  # the model's record beside its task results
PHASE_KEY = "mieb_phase_seconds"
SCORE_DIGITS = 6  # decimals a score is written with
_SAFE = re.compile(r"[^A-Za-z0-9._+-]")


@dataclass
class TaskResult:
    """One task's scores for one model, as mteb writes them."""

    task_name: str
    dataset_revision: str
    scores: dict[str, list[dict[str, Any]]]
    evaluation_time: float = 0.0
    date: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    # Seconds per phase (load, encode, evaluate; harness.runner.PHASES), in PHASE_KEY: mteb's readers ignore it.
    phase_seconds: dict[str, float] = field(default_factory=dict)
    # split -> subset -> the settings the cell was computed with (``store.Provenance``)
    provenance: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    mieb_version: str = ""  # of the run that wrote the file; "" = the running one

    def main_score(self) -> float:
        """The mean main score over every stored split and subset (mteb ``get_score``).

        What a run, report or compare shows is ``store.score_of`` over the task's selected cells.
        """
        values = [entry["main_score"] for entries in self.scores.values() for entry in entries]
        return float(sum(values) / len(values)) if values else math.nan

    def entry(self, split: str, subset: str) -> dict[str, Any] | None:
        return next((e for e in self.scores.get(split, []) if e["hf_subset"] == subset), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset_revision": self.dataset_revision,
            "task_name": self.task_name,
            "mteb_version": None,
            "scores": _round(self.scores),
            "evaluation_time": round(self.evaluation_time, 6),
            "kg_co2_emissions": None,
            "date": self.date,
            **({PHASE_KEY: _round(self.phase_seconds)} if self.phase_seconds else {}),
            MIEB_BLOCK: {
                "version": package_version(),
                "protocol": f"mteb {MTEB_FORMAT_VERSION}",
                "provenance": self.provenance,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskResult:
        scores = {
            split: [{k: math.nan if v is None else v for k, v in entry.items()} for entry in entries]
            for split, entries in data["scores"].items()
        }
        block = data.get(MIEB_BLOCK) if isinstance(data.get(MIEB_BLOCK), dict) else {}
        provenance = block.get("provenance") if isinstance(block.get("provenance"), dict) else {}
        return cls(
            task_name=data["task_name"],
            dataset_revision=data["dataset_revision"],
            scores=scores,
            evaluation_time=float(data.get("evaluation_time") or 0.0),
            date=data.get("date") or "",
            phase_seconds=_phase_seconds(data.get(PHASE_KEY)),
            provenance={s: dict(p) for s, p in provenance.items() if isinstance(p, dict)},
            mieb_version=str(block.get("version") or ""),
        )


def _phase_seconds(value: Any) -> dict[str, float]:
    """The phase timings of a file, or none where they are absent or malformed (they are informative only)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): float(v) for k, v in value.items() if isinstance(v, int | float) and math.isfinite(v)}


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, SCORE_DIGITS)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _round(value.item())
    return value


def safe_path_part(text: str) -> str:
    """A single path component that cannot escape its folder (no separators, no ``..``)."""
    cleaned = _SAFE.sub("_", text).lstrip(".")
    return cleaned or "_"


def model_folder(results_dir: str | Path, model_name: str, revision: str | None) -> Path:
    """``<results>/<org>__<model>/<revision>``; the name is sanitised so it stays inside ``results_dir``."""
    root = Path(results_dir).resolve()
    name = safe_path_part(model_name.replace("/", "__").replace(" ", "_"))
    folder = (root / name / safe_path_part(revision or NO_REVISION)).resolve()
    if root not in folder.parents:
        raise ValueError(f"model name {model_name!r} would leave the results folder")
    return folder


def result_path(results_dir: str | Path, model_name: str, revision: str | None, task_name: str) -> Path:
    return model_folder(results_dir, model_name, revision) / f"{safe_path_part(task_name)}.json"


def write_result(path: Path, result: TaskResult) -> None:
    """Write a whole file as it is (test fixtures, imports); runs merge through ``ResultStore``."""
    atomic_write_bytes(path, json.dumps(result.to_json(), indent=2, allow_nan=False).encode())


def write_model_meta(folder: Path, meta: dict[str, Any]) -> None:
    atomic_write_bytes(folder / MODEL_META_FILE, json.dumps(_round(meta), indent=2, allow_nan=False).encode())
