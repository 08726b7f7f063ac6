"""Every run option, declared once: the table from which all doors are derived.

``OPTIONS`` is the one source. From it come the pytest options (``harness.plugin.options``), the
``mieb run`` parser and its ``--help``, the pytest arguments ``mieb run`` passes on
(``pytest_arguments``), the ``Settings`` record of a run, and the settings a Ray worker receives
(``harness.distributed.worker.JobSettings``, the rows with ``travels=True``).

**Adding an option is adding a row to ``OPTIONS``; no other code changes.** Give it a ``help`` text
and an ``example`` (command-line words giving it a non-default value), and name it in the options
table of ``docs/usage.md``; ``tests/test_run_options.py`` then proves it reaches every door: pytest,
``mieb run --help``, ``mieb run`` -> pytest, ``Settings``, Ray workers when it travels, and the page.
Code reads it as ``Settings.<name>`` (the plugin's ``mieb_settings`` fixture, ``settings_key``).

A value is parsed and checked by the row's ``type`` (a function raising ``argparse.ArgumentTypeError``),
so a bad value is one usage error before any case runs, whichever door it came through,
environment-variable defaults included.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, make_dataclass
from typing import Any, Literal

from harness.catalogue.subsets import SubsetSelection
from harness.data.fingerprints import VERIFY_ENV
from harness.data.sources import DATASET_SOURCE_ENV, DATASET_SOURCES, DEFAULT_SOURCE
from harness.files import env_flag
from harness.gating.references import MODES
from mieb_models.base import PRECISIONS

# value: one value; flag: store_true; off_switch: store_false (the flag turns a default-on setting off);
# append: repeat the flag for more values; extend: one flag, one or more values (repeatable too);
# optional: the flag alone means ``const``, ``--flag=VALUE`` a value.
Kind = Literal["value", "flag", "off_switch", "append", "extend", "optional"]
PROGRESS_MODES = ("auto", "lines", "off")
CACHE_DTYPES = ("float32", "float16")  # harness.encode.cache.STORAGE_DTYPES (a room above this one)


def _checked(check: Callable[[Any], bool], parse: Callable[[str], Any], requirement: str, name: str):
    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {requirement}") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {requirement}")
        return value

    convert.__name__ = name  # argparse names the type in its messages
    return convert


positive_int = _checked(lambda v: v >= 1, int, "a whole number >= 1", "positive_int")
non_negative_int = _checked(lambda v: v >= 0, int, "a whole number >= 0", "non_negative_int")
non_negative_float = _checked(lambda v: math.isfinite(v) and v >= 0, float, "a finite number >= 0", "tolerance")
probability = _checked(lambda v: 0 < v < 1, float, "a number between 0 and 1 (exclusive)", "alpha")
positive_seconds = _checked(lambda v: math.isfinite(v) and v > 0, float, "a finite number of seconds > 0", "seconds")


def device(text: str) -> str:
    """A torch device this machine has (``cpu``, ``cuda``, ``cuda:1``, ``mps``)."""
    import torch

    try:
        parsed = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a torch device (cpu, cuda, cuda:N, mps)") from None
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise argparse.ArgumentTypeError(f"{text!r}: this machine has no CUDA device; use --device cpu")
        if parsed.index is not None and parsed.index >= count:
            raise argparse.ArgumentTypeError(f"{text!r}: this machine has {count} CUDA device(s), cuda:0..{count - 1}")
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise argparse.ArgumentTypeError(f"{text!r}: MPS is not available here; use --device cpu")
    elif parsed.type not in {"cpu", "cuda", "mps"}:
        raise argparse.ArgumentTypeError(f"{text!r}: mieb runs models on cpu, cuda or mps")
    return text


@dataclass(frozen=True)
class RunOption:
    """One row of the table: a run option and everything each door needs to know about it.

    ``travels``: Ray workers receive it (it decides what or how a worker computes).
    ``changes_scores``: it can change a stored score, so a result records it and is reused only under it.
    ``path``: a folder, made absolute before it travels (a worker's working directory is not the driver's).
    ``cli_aliases``: other spellings ``mieb run`` accepts (mteb's ``-m``, ``-t``, ``--output-folder``).
    ``switches``: extra flags that set a fixed value (``--no-progress`` = ``--progress off``).
    """

    name: str
    flag: str
    help: str
    example: tuple[str, ...]
    kind: Kind = "value"
    type: Callable[[str], Any] = str
    default: Any = None
    env: str | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    const: str | None = None
    travels: bool = False
    changes_scores: bool = False
    path: bool = False
    cli_aliases: tuple[str, ...] = ()
    switches: Mapping[str, Any] = field(default_factory=dict)

    @property
    def many(self) -> bool:
        return self.kind in ("append", "extend")

    def initial(self) -> Any:
        """The default, taken from the environment variable where it is set (parsed by ``type`` later)."""
        raw = os.environ.get(self.env) if self.env else None
        if raw is None:
            return list(self.default or ()) if self.many else self.default
        if self.kind in ("flag", "off_switch"):  # a boolean setting: 0/false/no/off turn it off
            return env_flag(self.env)
        return raw

    def help_text(self) -> str:
        if not self.env:
            return self.help
        setting = {"off_switch": "=0", "flag": "=1"}.get(self.kind, "")
        return f"{self.help} [env {self.env}{setting}]"

    def argparse_kwargs(self, *, cli: bool) -> dict[str, Any]:
        """``add_argument`` keywords: for pytest (defaults filled in) or for ``mieb run`` (given values only)."""
        kwargs: dict[str, Any] = {"dest": self.name, "help": self.help_text()}
        if self.kind == "flag":
            kwargs["action"] = "store_true"
        elif self.kind == "off_switch":
            kwargs["action"] = "store_false"
        else:
            kwargs["type"] = self.type
            if self.choices:
                kwargs["choices"] = self.choices
            if self.metavar:
                kwargs["metavar"] = self.metavar
        if self.kind == "optional":
            kwargs.update(nargs="?", const=self.const)
        if self.many:  # mieb run takes `-t A B` and `-t A -t B` alike (mteb's style)
            kwargs["action"] = "extend" if cli else self.kind
            if self.kind == "extend" or cli:
                kwargs["nargs"] = "+"
        kwargs["default"] = argparse.SUPPRESS if cli else self.initial()
        return kwargs

    def arguments(self, value: Any) -> list[str]:
        """The pytest words that give this option ``value`` (as parsed by either door)."""
        if self.kind == "flag":
            return [self.flag] if value else []
        if self.kind == "off_switch":
            return [] if value else [self.flag]
        if self.many:
            return [f"{self.flag}={v}" for v in value]
        return [] if value is None else [f"{self.flag}={value}"]

    def setting(self, value: Any) -> Any:
        """The value as ``Settings`` holds it (lists become tuples: the record is frozen)."""
        return tuple(value or ()) if self.many else value


OPTIONS: tuple[RunOption, ...] = (
    RunOption(
        "models",
        "--model",
        "model to benchmark (repeatable): registry name, alias (clip), any hub id (myorg/my-clip, recognised "
        "by its files), local checkpoint directory, or package.module:factory",
        example=("--model", "clip", "--model", "siglip"),
        kind="append",
        metavar="NAME",
        cli_aliases=("-m",),
    ),
    RunOption(
        "model_revision",
        "--model-revision",
        "hub branch, tag or commit of the --model(s), resolved to the commit that keys results "
        "(default: the registry's pin, else the main branch)",
        example=("--model-revision", "v2"),
        metavar="REV",
        travels=True,
    ),
    RunOption(
        "task",
        "--task",
        "run only this task (exact name, repeatable; unlike -k no substring matching)",
        example=("--task", "CIFAR10ZeroShot"),
        kind="append",
        metavar="NAME",
        cli_aliases=("-t", "--tasks"),
    ),
    RunOption(
        "benchmark",
        "--benchmark",
        'run only tasks of this benchmark, e.g. "MIEB(lite)" (repeatable)',
        example=("--benchmark", "MIEB(lite)"),
        kind="append",
        metavar="NAME",
        cli_aliases=("-b",),
    ),
    RunOption(
        "task_type",
        "--task-type",
        "run only tasks of this mteb task type, e.g. ZeroShotClassification (repeatable)",
        example=("--task-type", "ZeroShotClassification"),
        kind="append",
        metavar="TYPE",
        cli_aliases=("--task-types",),
    ),
    RunOption(
        "languages",
        "--languages",
        "run only subsets in any of these languages, eng or eng-Latn (mteb's languages=; repeatable)",
        example=("--languages", "deu"),
        kind="extend",
        metavar="LANG",
        travels=True,
    ),
    RunOption(
        "subsets",
        "--subsets",
        "run only these HF subsets, e.g. en-de (mteb's hf_subsets=; repeatable)",
        example=("--subsets", "en-de"),
        kind="extend",
        metavar="SUBSET",
        travels=True,
    ),
    RunOption(
        "results_dir",
        "--results-dir",
        "where result JSON files go (default: results)",
        example=("--results-dir", "elsewhere"),
        default="results",
        metavar="DIR",
        cli_aliases=("--output-folder",),
    ),
    RunOption(
        "datasets_dir",
        "--datasets-dir",
        "read dataset <hf path> from DIR/<hf path> (a hub snapshot) before the hub",
        example=("--datasets-dir", "datasets"),
        env="MIEB_DATASETS_DIR",
        metavar="DIR",
        travels=True,
        path=True,
    ),
    RunOption(
        "dataset_source",
        "--dataset-source",
        "published: the dataset revisions the published scores used (default); mteb2: the mteb/ copies "
        "mteb 2.x loads, with its loader conventions (published scores then reported, not asserted)",
        example=("--dataset-source", "mteb2"),
        default=DEFAULT_SOURCE,
        env=DATASET_SOURCE_ENV,
        choices=DATASET_SOURCES,
        travels=True,
        changes_scores=True,
    ),
    RunOption(
        "verify_data",
        "--no-verify-data",
        "do not check each task's data against the counts the reference scored (runs then report "
        "'dataset content not verified')",
        example=("--no-verify-data",),
        kind="off_switch",
        default=True,
        env=VERIFY_ENV,
        travels=True,
    ),
    RunOption(
        "cache_dir",
        "--cache-dir",
        "embedding cache (default: $MIEB_CACHE_DIR, else ~/.cache/mieb/embeddings; on Ray each node's own)",
        example=("--cache-dir", "cache"),
        metavar="DIR",
        travels=True,
        path=True,
    ),
    RunOption(
        "batch_size",
        "--batch-size",
        "encode batch size, >= 1 (default 32)",
        example=("--batch-size", "7"),
        type=positive_int,
        default=32,
        metavar="N",
        travels=True,
    ),
    RunOption(
        "device",
        "--device",
        "torch device: cpu, cuda, cuda:N, mps; checked to exist (default: cuda when present; xdist worker N "
        "takes GPU N mod count)",
        example=("--device", "cpu"),
        type=device,
        travels=True,
    ),
    RunOption(
        "precision",
        "--precision",
        "fp16/bf16 autocast on CUDA; CPU runs fp32 (default: the precision the reference runs the model in)",
        example=("--precision", "bf16"),
        choices=PRECISIONS,
        travels=True,
        changes_scores=True,
    ),
    RunOption(
        "num_workers",
        "--num-workers",
        "DataLoader decode workers, >= 0 (0: decode in the main process; default: half the CPUs, capped)",
        example=("--num-workers", "3"),
        type=non_negative_int,
        metavar="N",
        travels=True,
    ),
    RunOption(
        "fast_preprocess",
        "--fast-preprocess",
        "decode and resize images as tensors on the model's device (faster; pixels differ slightly from the "
        "checkpoint's own PIL transform: measured score deltas in docs/measured.md)",
        example=("--fast-preprocess",),
        kind="flag",
        default=False,
        travels=True,
        changes_scores=True,
    ),
    RunOption(
        "cache_dtype",
        "--cache-dtype",
        "how embeddings are stored in the cache: float32 (as computed; default) or float16 (half the disk, values "
        "rounded to float16: measured score deltas in docs/measured.md)",
        example=("--cache-dtype", "float16"),
        default="float32",
        env="MIEB_CACHE_DTYPE",
        choices=CACHE_DTYPES,
        travels=True,
        changes_scores=True,
    ),
    RunOption(
        "batch_timeout",
        "--batch-timeout",
        "fail a case whose model does not return one encode batch within SECONDS, > 0 (default: no limit)",
        example=("--batch-timeout", "12.5"),
        type=positive_seconds,
        metavar="SECONDS",
        travels=True,
    ),
    RunOption(
        "overwrite",
        "--overwrite",
        "recompute tasks whose results already exist",
        example=("--overwrite",),
        kind="flag",
        default=False,
        travels=True,
    ),
    RunOption(
        "trust_remote_code",
        "--trust-remote-code",
        "allow models that run code from their repository",
        example=("--trust-remote-code",),
        kind="flag",
        default=False,
        travels=True,
    ),
    RunOption(
        "reference",
        "--reference",
        "regression: fail below reference - tolerance (default); reproduce: fail outside +-tolerance; off",
        example=("--reference", "off"),
        default="regression",
        choices=MODES,
    ),
    RunOption(
        "tolerance",
        "--tolerance",
        "absolute tolerance on main scores, finite and >= 0 (default: per task family)",
        example=("--tolerance", "0.5"),
        type=non_negative_float,
        metavar="ABS",
    ),
    RunOption(
        "baseline_dir",
        "--baseline-dir",
        "results folder of a previous release (any model name and revision): every case is gated on it "
        "instead of the published scores; a case it has no value for fails",
        example=("--baseline-dir", "previous"),
        metavar="DIR",
    ),
    RunOption(
        "baseline_model",
        "--baseline-model",
        "the model to use where --baseline-dir holds several",
        example=("--baseline-model", "org/model"),
        metavar="NAME",
    ),
    RunOption(
        "allow_missing_baseline",
        "--allow-missing-baseline",
        "skip (instead of fail) cases that --baseline-dir has no value for",
        example=("--allow-missing-baseline",),
        kind="flag",
        default=False,
    ),
    RunOption(
        "gate",
        "--gate",
        "tolerance: fail below reference - tolerance (default); significance (needs --baseline-dir): fail on a "
        "drop that a paired test on saved per-item outcomes finds significant and larger than --min-effect",
        example=("--gate", "significance"),
        default="tolerance",
        choices=("tolerance", "significance"),
    ),
    RunOption(
        "min_effect",
        "--min-effect",
        "--gate significance: smallest drop of the 0-1 main score that fails a case, finite and >= 0 (default 0.005)",
        example=("--min-effect", "0.01"),
        type=non_negative_float,
        default=0.005,
        metavar="DROP",
    ),
    RunOption(
        "gate_alpha",
        "--gate-alpha",
        "--gate significance: family-wise error over the session's cases, Bonferroni per case (default 0.05)",
        example=("--gate-alpha", "0.01"),
        type=probability,
        default=0.05,
        metavar="ALPHA",
    ),
    RunOption(
        "predictions",
        "--no-predictions",
        "do not save what each test item got beside the results (intervals are still stored; paired tests "
        "and --gate significance need the saved items)",
        example=("--no-predictions",),
        kind="off_switch",
        default=True,
    ),
    RunOption(
        "allow_all_skipped",
        "--allow-all-skipped",
        "exit 0 when every selected case is skipped (default: such a run checked nothing and fails)",
        example=("--allow-all-skipped",),
        kind="flag",
        default=False,
    ),
    RunOption(
        "progress",
        "--progress",
        "auto: a line per task as it starts and ends, a session ETA, and live encode bars on a terminal "
        "(default); lines: the lines without bars (CI logs); off: neither",
        example=("--progress", "lines"),
        default="auto",
        env="MIEB_PROGRESS",
        choices=PROGRESS_MODES,
        switches={"--no-progress": "off"},
    ),
    RunOption(
        "ray",
        "--ray",
        "run the cases' encode groups on a Ray cluster (auto, ray://host:port, host:port; alone: a local "
        "one), then gate here [needs mieb[ray]]",
        example=("--ray=auto",),
        kind="optional",
        const="local",
        metavar="ADDRESS",
    ),
    RunOption(
        "ray_cpus",
        "--ray-cpus",
        "CPUs per encode group on Ray, >= 1 (default: 1; on GPUs the GPU's share)",
        example=("--ray-cpus", "2"),
        type=positive_int,
        metavar="N",
    ),
)
BY_NAME: dict[str, RunOption] = {row.name: row for row in OPTIONS}


def add_arguments(add: Callable[..., Any], *, cli: bool) -> None:
    """Declare every option through ``add`` (pytest's ``group.addoption`` or argparse's ``add_argument``)."""
    for row in OPTIONS:
        short = tuple(a for a in row.cli_aliases if not a.startswith("--"))
        long = tuple(a for a in row.cli_aliases if a.startswith("--"))
        flags = (*short, row.flag, *long) if cli else (row.flag,)
        add(*flags, **row.argparse_kwargs(cli=cli))
        for switch, value in row.switches.items():
            add(
                switch,
                dest=row.name,
                action="store_const",
                const=value,
                default=argparse.SUPPRESS,
                help=f"the same as {row.flag} {value}",
            )


def pytest_arguments(given: object) -> list[str]:
    """The pytest words for the options present on ``given`` (``mieb run``'s namespace: given ones only)."""
    words: list[str] = []
    for row in OPTIONS:
        if hasattr(given, row.name):
            words += row.arguments(getattr(given, row.name))
    return words


def _selection(self: Any) -> SubsetSelection:
    """``--languages`` / ``--subsets`` as one selection (raises ``SelectionError`` on a bad value)."""
    return SubsetSelection.of(self.languages, self.subsets)


def record_class(
    name: str,
    rows: Sequence[RunOption],
    *,
    module: str,
    doc: str,
    first: Sequence[tuple[str, type]] = (),
    namespace: Mapping[str, Any] | None = None,
) -> type:
    """A frozen dataclass with one field per row (plus ``first``, required), defined as ``module.name``
    so that it pickles (Ray sends it to workers)."""
    fields = [*first, *((row.name, Any, field(default=row.setting(row.default))) for row in rows)]
    cls = make_dataclass(name, fields, frozen=True, namespace={"__doc__": doc, **(namespace or {})})
    cls.__module__ = module
    return cls


Settings = record_class(
    "Settings",
    OPTIONS,
    module=__name__,
    doc="The mieb options of one run, one field per row of ``OPTIONS``.",
    namespace={"selection": property(_selection)},
)


def settings_of(parsed: object) -> Any:
    """``Settings`` from a namespace holding every option (pytest's parsed options)."""
    return Settings(**{row.name: row.setting(getattr(parsed, row.name)) for row in OPTIONS})
