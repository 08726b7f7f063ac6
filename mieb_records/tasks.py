"""Task and benchmark records: plain data, importing nothing of the project.

A task is a frozen record: everything that decides its score is a field, so nothing is inherited
implicitly. The catalogue (``mieb_tasks``) declares the records; ``harness.catalogue.queries`` queries them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mieb_records.errors import UnknownNameError
from mieb_records.families import FamilyFacts, check_layout, facts_of_type

# Benchmark name -> marker.
BENCHMARK_MARKERS: Mapping[str, str] = MappingProxyType(
    {
        "MIEB(lite)": "lite",
        "MIEB(eng)": "eng",
        "MIEB(Multilingual)": "multilingual",
        "MIEB(Img)": "img",
        "MIEB(offline)": "offline",
    }
)

DEFAULT_K_VALUES: tuple[int, ...] = (1, 3, 5, 10, 20, 100, 1000)

# The mteb 2.x release whose loaders and conventions ``reference_version`` names for the 2.x copies.
MTEB2_VERSION = "2.26.24"


@dataclass(frozen=True)
class DatasetRef:
    """A dataset on the hub (or in a local mirror laid out like it), pinned to a revision."""

    path: str
    revision: str


@dataclass(frozen=True)
class TaskSpec:
    """One MIEB task: its data, protocol knobs and scoring, as plain data.

    ``subsets`` maps each HF subset (config or language split) to its languages; monolingual
    tasks have the single subset ``"default"``. ``category`` is mteb's modality pair of query and
    document (``i2t``, ``t2i``, ``it2t`` ...); the paper's category is ``facts.paper_category``.
    ``layout`` names the dataset layout the data layer reads (``mieb_records.families.LAYOUTS``;
    empty: the family's), checked when the task is declared. ``prompts`` turns the dataset's class
    names into one prompt per class (zero-shot only).
    """

    name: str
    type: str
    category: str
    dataset: DatasetRef
    eval_splits: tuple[str, ...]
    main_score: str
    modalities: tuple[str, ...]
    benchmarks: tuple[str, ...]
    subsets: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({"default": ("eng-Latn",)}))
    layout: str = ""
    input_column: str = "image"
    label_column: str = "label"
    train_split: str = "train"
    samples_per_label: int | None = None
    n_experiments: int | None = None
    prompts: Callable[[Sequence[str]], list[str]] | None = None
    # mteb scores zero-shot by softmax(100 cos) only when a task lists its modalities as exactly
    # ["image", "text"]; tasks listing ["text", "image"] get "model": the model's own similarity
    # (cosine for every registry model). Only binary ap differs between the two for cosine.
    zero_shot_scoring: str = "softmax"
    label_names_file: str | None = None
    image_columns: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()
    skip_first_result: bool = False
    restrict_to_qrels: bool = False
    k_values: tuple[int, ...] = DEFAULT_K_VALUES
    min_score: float = 0.0
    max_score: float = 5.0
    aggregate_of: str | None = None
    drop_train_rows: tuple[int, ...] = ()
    description: str = ""
    # The copy of the dataset mteb 2.x loads (``mteb/...``), read under ``--dataset-source mteb2``;
    # None: that source reads ``dataset`` too.
    mteb2_dataset: DatasetRef | None = None
    # Set when the published scores were computed under another protocol than this task runs
    # (mteb 1.x vs 2.x); such references are reported, never asserted.
    published_protocol_differs: str = ""
    # The reference implementation whose loader (and conventions: qrels config, title prefixing,
    # modality columns, ...) this task follows: "1.39.7", "2.26.24", or the pre-release MIEB code.
    reference_version: str = "1.39.7"
    # Set when the dataset the published scores used cannot be read as the reference read it
    # (a loading script that datasets>=4 cannot run ...): why, and what is read instead. Such
    # references are reported, never asserted.
    source_differs: str = ""
    # A single-table dataset's config (``name=`` of ``load_dataset``), when it is not the default.
    dataset_config: str | None = None
    # The split the reference reads for an eval split when the dataset names it otherwise
    # (SugarCrepe: the reference serves split ``train`` as ``test``).
    split_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Field overrides for ``--dataset-source mteb2`` (the ``mteb/`` copies mteb 2.x loads, with its
    # loader conventions); the dataset itself is ``mteb2_dataset`` (or ``dataset``).
    mteb2: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not self.layout:
            object.__setattr__(self, "layout", facts_of_type(self.type).layout)
        check_layout(self.name, self.type, self.layout)
        fields = {f.name for f in dataclasses.fields(self)}
        if unknown := sorted(set(self.mteb2) - fields):
            raise UnknownNameError(f"task field (in {self.name}'s mteb2 overrides)", unknown[0], fields)
        if "layout" in self.mteb2:
            check_layout(self.name, self.mteb2.get("type", self.type), self.mteb2["layout"])

    @property
    def facts(self) -> FamilyFacts:
        """What this task's family holds for all its tasks (view, pipeline, fingerprint, tolerance ...)."""
        return facts_of_type(self.type)

    @property
    def follows_mteb1(self) -> bool:
        """Whether the loader conventions are mteb 1.x's (pre-release MIEB code included)."""
        return not self.reference_version.startswith("2.")

    @property
    def reference_not_comparable(self) -> str:
        """Why published references are reported rather than asserted (empty: they are asserted)."""
        return "; ".join(r for r in (self.source_differs, self.published_protocol_differs) if r)

    @property
    def family(self) -> str:
        return self.facts.name

    @property
    def is_multilingual(self) -> bool:
        return list(self.subsets) != ["default"]

    @property
    def markers(self) -> tuple[str, ...]:
        """pytest markers of this task: its family and the benchmarks it belongs to.

        Tasks of MIEB(offline) alone carry only ``offline``: the family markers select MIEB's own
        tasks, so ``-m retrieval`` means the 48 MIEB retrieval tasks whatever else is declared.
        """
        benchmark_markers = tuple(BENCHMARK_MARKERS[b] for b in self.benchmarks)
        if benchmark_markers == ("offline",):
            return benchmark_markers
        return (self.family, *benchmark_markers)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(lang for langs in self.subsets.values() for lang in langs))

    def query_modalities(self) -> tuple[str, ...]:
        """Modalities of the query side, from the category (``it2t`` -> image + text)."""
        return _side_modalities(self.category.split("2")[0])

    def document_modalities(self) -> tuple[str, ...]:
        """Modalities of the document side, from the category."""
        return _side_modalities(self.category.split("2")[1])


def _side_modalities(code: str) -> tuple[str, ...]:
    names = {"i": "image", "t": "text", "c": "label"}
    return tuple(names[c] for c in code)


@dataclass(frozen=True)
class Benchmark:
    """A named set of tasks, as in mteb (``MIEB(lite)`` ...)."""

    name: str
    tasks: tuple[TaskSpec, ...]
    description: str = ""
    citation: str = ""

    @property
    def marker(self) -> str:
        return BENCHMARK_MARKERS[self.name]
