"""No combination of --subsets, --languages, --overwrite, aggregate tasks and concurrent runs loses a
finished cell.

Seeded random sequences of runs against one results folder; after every step each cell stored
before is still stored, a cell the step did not select keeps its exact value, and every cell the
step selected is there.
"""

from __future__ import annotations

import multiprocessing
import random
from pathlib import Path

import pytest

from harness.catalogue.queries import get_task
from harness.catalogue.subsets import SubsetSelection
from harness.data.hub import DataSource
from harness.results.store import task_cells
from harness.runner import run_task
from tests.faults.store_support import STS17, engine, stored_cells, sts17_source

AGGREGATES = ("VisualSTS17Eng", "VisualSTS17Multilingual")
LANGUAGES = ("eng", "deu", "kor", "spa", "ara", "fra")
SEEDS = range(6)
STEPS = 7


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory):
    return sts17_source(tmp_path_factory.mktemp("sts17"))


def _run(results: str, datasets: str, task_name: str, subsets: list[str] | None, overwrite: bool) -> None:
    run_task(
        get_task(task_name), engine(), DataSource.from_env(datasets), results, subsets=subsets, overwrite=overwrite
    )


def _plain_choice(rng: random.Random) -> tuple[str, list[str] | None, bool]:
    task = get_task(STS17)
    if rng.random() < 0.5:
        subsets = rng.sample(sorted(task.subsets), rng.randint(1, 3))
    else:
        chosen = SubsetSelection.of(rng.sample(LANGUAGES, rng.randint(1, 2))).subsets_of(task)
        subsets = list(chosen)[:3] or None  # a few at most, to stay fast; none selected: the whole task
    return STS17, subsets, rng.random() < 0.4


def _selected(task_name: str, subsets: list[str] | None) -> set[tuple[str, str, str]]:
    task = get_task(task_name)
    cells = {(task_name, split, subset) for split, subset in task_cells(task, subsets)}
    if task.aggregate_of:  # an aggregate computes (or reuses) its raw task's subsets too
        cells |= {
            (task.aggregate_of, split, subset)
            for split, subset in task_cells(get_task(task.aggregate_of), task.subsets)
        }
    return cells


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sequences_of_runs_never_lose_a_finished_cell(tmp_path: Path, source, seed: int) -> None:
    rng = random.Random(seed)
    datasets = str(source.datasets_dir)
    before = {}
    context = multiprocessing.get_context("fork")
    for step in range(STEPS):
        kind = rng.choice(["plain", "plain", "aggregate", "concurrent"])
        if kind == "plain":
            runs = [_plain_choice(rng)]
        elif kind == "aggregate":
            runs = [(rng.choice(AGGREGATES), None, rng.random() < 0.5)]
        else:
            runs = [_plain_choice(rng), _plain_choice(rng)]
        if kind == "aggregate" and runs[0][0] == "VisualSTS17Multilingual" and step > 2:
            runs = [(STS17, ["nl-en"], True)]  # the ten-subset aggregate once at most, to stay fast
        if len(runs) == 1:
            _run(str(tmp_path), datasets, *runs[0])
        else:
            processes = [context.Process(target=_run, args=(str(tmp_path), datasets, *r)) for r in runs]
            for process in processes:
                process.start()
            for process in processes:
                process.join(120)
                assert process.exitcode == 0, f"seed {seed} step {step}: {runs}"
        after = stored_cells(tmp_path)
        selected = set().union(*(_selected(name, subsets) for name, subsets, _ in runs))
        where = f"seed {seed} step {step} ({kind}: {runs})"
        assert set(before) <= set(after), f"{where} lost {sorted(set(before) - set(after))}"
        assert selected <= set(after), f"{where} did not store {sorted(selected - set(after))}"
        changed = {c for c in before if c not in selected and after[c] != before[c]}
        assert not changed, f"{where} changed cells it did not select: {sorted(changed)}"
        before = after
    assert before  # the sequence stored something
