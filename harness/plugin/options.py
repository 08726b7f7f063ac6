"""The mieb command-line options of the pytest plugin and the ``Settings`` record they make."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from harness.catalogue.subsets import SelectionError, SubsetSelection
from harness.gating.references import MODES
from mieb_models.base import PRECISIONS


@dataclass(frozen=True)
class Settings:
    """The mieb options of one pytest run."""

    models: tuple[str, ...]
    datasets_dir: str | None
    results_dir: str
    dataset_source: str
    cache_dir: str | None
    batch_size: int
    device: str | None
    precision: str | None
    num_workers: int | None
    overwrite: bool
    reference: str
    tolerance: float | None
    baseline_dir: str | None
    baseline_model: str | None
    allow_missing_baseline: bool
    trust_remote_code: bool
    progress: bool
    fast_preprocess: bool = False
    selection: SubsetSelection = field(default_factory=SubsetSelection)
    batch_timeout: float | None = None
    ray: str | None = None
    ray_cpus: int | None = None
    # False: tasks run without checking their data against the reference's counts (--no-verify-data).
    verify_data: bool = True
    # False: no per-item predictions are saved beside the results (--no-predictions).
    predictions: bool = True
    gate: str = "tolerance"  # or "significance" (paired test on saved per-item outcomes, needs --baseline-dir)
    min_effect: float = 0.005
    gate_alpha: float = 0.05


def add_options(parser: pytest.Parser) -> None:
    """The ``mieb`` option group (``pytest_addoption`` of ``harness.plugin.hooks``)."""
    group = parser.getgroup("mieb", "mieb: run MIEB tasks as test cases")
    group.addoption(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="model to benchmark (repeatable): registry name, alias (clip), local checkpoint "
        "directory, or package.module:factory",
    )
    group.addoption(
        "--datasets-dir",
        default=os.environ.get("MIEB_DATASETS_DIR"),
        metavar="DIR",
        help="read dataset <hf path> from DIR/<hf path> (a hub snapshot) before the hub [env MIEB_DATASETS_DIR]",
    )
    group.addoption(
        "--dataset-source",
        choices=("published", "mteb2"),
        default=os.environ.get("MIEB_DATASET_SOURCE", "published"),
        help="published: the dataset revisions the published scores used (default); mteb2: the mteb/ copies "
        "mteb 2.x loads, with its loader conventions (published scores then reported, not asserted) "
        "[env MIEB_DATASET_SOURCE]",
    )
    group.addoption(
        "--no-verify-data",
        action="store_true",
        default=os.environ.get("MIEB_VERIFY_DATA", "1").strip().lower() in {"0", "false", "no", "off"},
        help="do not check each task's data against the counts the reference scored (runs then report "
        "'dataset content not verified') [env MIEB_VERIFY_DATA=0]",
    )
    group.addoption(
        "--results-dir", default="results", metavar="DIR", help="where result JSON files go (default: results)"
    )
    group.addoption(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="embedding cache [env MIEB_CACHE_DIR, default ~/.cache/mieb/embeddings]",
    )
    group.addoption("--batch-size", type=int, default=32, help="encode batch size (default 32)")
    group.addoption(
        "--device",
        default=None,
        help="torch device (default: cuda when present; worker N of xdist takes GPU N mod count)",
    )
    group.addoption(
        "--precision",
        choices=PRECISIONS,
        default=None,
        help="fp16/bf16 autocast on CUDA; CPU runs fp32 (default: the precision the reference runs the model in)",
    )
    group.addoption(
        "--num-workers", type=int, default=None, help="DataLoader decode workers (default: half the CPUs, capped)"
    )
    group.addoption("--overwrite", action="store_true", help="recompute tasks whose results already exist")
    group.addoption(
        "--no-predictions",
        action="store_true",
        help="do not save what each test item got beside the results (intervals and paired tests need them)",
    )
    group.addoption(
        "--reference",
        choices=MODES,
        default="regression",
        help="regression: fail below reference - tolerance; reproduce: fail outside +-tolerance; off",
    )
    group.addoption(
        "--tolerance", type=float, default=None, help="absolute tolerance on main scores (default per family)"
    )
    group.addoption(
        "--baseline-dir",
        default=None,
        metavar="DIR",
        help="results folder of a previous release (any model name and revision): every case is gated on it "
        "instead of the published scores; a case it has no value for fails",
    )
    group.addoption(
        "--baseline-model", default=None, metavar="NAME", help="the model to use where --baseline-dir holds several"
    )
    group.addoption(
        "--allow-missing-baseline",
        action="store_true",
        help="skip (instead of fail) cases that --baseline-dir has no value for",
    )
    group.addoption(
        "--gate",
        choices=("tolerance", "significance"),
        default="tolerance",
        help="tolerance: fail below reference - tolerance (default); significance (needs --baseline-dir): fail "
        "on a drop that a paired test on saved per-item outcomes finds significant and larger than --min-effect",
    )
    group.addoption(
        "--min-effect",
        type=float,
        default=0.005,
        metavar="DROP",
        help="--gate significance: smallest drop of the 0-1 main score that fails a case (default 0.005)",
    )
    group.addoption(
        "--gate-alpha",
        type=float,
        default=0.05,
        metavar="ALPHA",
        help="--gate significance: family-wise error over the session's cases (Bonferroni per case; default 0.05)",
    )
    group.addoption("--trust-remote-code", action="store_true", help="allow models that run code from their repository")
    group.addoption("--no-progress", action="store_true", help="hide encode progress bars")
    group.addoption(
        "--batch-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="fail a case whose model does not return one encode batch within SECONDS (default: no limit)",
    )
    group.addoption(
        "--fast-preprocess",
        action="store_true",
        help="decode and resize images as tensors on the model's device (faster; pixels differ slightly "
        "from the checkpoint's own PIL transform: measured score deltas in README)",
    )
    group.addoption(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run the cases' encode groups on a Ray cluster (auto, ray://host:port, host:port; alone: a local "
        "one), then gate here [needs mieb[ray]]",
    )
    group.addoption(
        "--ray-cpus", type=int, default=None, help="CPUs per encode group on Ray (default: 1; on GPUs the GPU's share)"
    )
    group.addoption(
        "--task",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this task (exact name, repeatable; unlike -k no substring matching)",
    )
    group.addoption(
        "--benchmark",
        action="append",
        default=[],
        metavar="NAME",
        help='run only tasks of this benchmark, e.g. "MIEB(lite)" (repeatable)',
    )
    group.addoption(
        "--task-type",
        action="append",
        default=[],
        metavar="TYPE",
        help="run only tasks of this mteb task type, e.g. ZeroShotClassification (repeatable)",
    )
    group.addoption(
        "--languages",
        action="extend",
        nargs="+",
        default=[],
        metavar="LANG",
        help="run only subsets in any of these languages, eng or eng-Latn (mteb's languages=; repeatable)",
    )
    group.addoption(
        "--subsets",
        action="extend",
        nargs="+",
        default=[],
        metavar="SUBSET",
        help="run only these HF subsets, e.g. en-de (mteb's hf_subsets=; repeatable)",
    )


def settings_from(option: object) -> Settings:
    """The run's ``Settings`` from pytest's parsed options."""
    return Settings(
        models=tuple(option.model),
        datasets_dir=option.datasets_dir,
        results_dir=option.results_dir,
        dataset_source=option.dataset_source,
        cache_dir=option.cache_dir,
        batch_size=option.batch_size,
        device=option.device,
        precision=option.precision,
        num_workers=option.num_workers,
        overwrite=option.overwrite,
        reference=option.reference,
        tolerance=option.tolerance,
        baseline_dir=option.baseline_dir,
        baseline_model=option.baseline_model,
        allow_missing_baseline=option.allow_missing_baseline,
        trust_remote_code=option.trust_remote_code,
        progress=not option.no_progress,
        fast_preprocess=option.fast_preprocess,
        selection=selection_of(option),
        batch_timeout=option.batch_timeout,
        ray=option.ray,
        ray_cpus=option.ray_cpus,
        verify_data=not option.no_verify_data,
        predictions=not option.no_predictions,
        gate=option.gate,
        min_effect=option.min_effect,
        gate_alpha=option.gate_alpha,
    )


def selection_of(option: object) -> SubsetSelection:
    """``--languages`` / ``--subsets`` as a selection; a bad value is a usage error."""
    try:
        return SubsetSelection.of(option.languages, option.subsets)
    except SelectionError as err:
        raise pytest.UsageError(f"--languages: {err}") from None
