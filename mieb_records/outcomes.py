"""Per-item outcomes of one scored (split, subset): what each test item got, enough to recompute the
main score on any resample of the items (the input of intervals and paired tests).

The evaluators produce them in the same pass that computes the metrics; the results store keeps them
beside the task's result file; ``harness.gating.significance`` resamples them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

# How the main score is made from the items.
#   "mean":       score = values.mean(); values (n,) per item, or (n_experiments, n) for linear probes
#                 (each experiment scores the same n test items); resampling picks items (last axis).
#   "spearman":   score = Spearman correlation of values (n,) (a pair's similarity) with reference (n,) (gold).
#   "pearson":    likewise with Pearson's r.
#   "v_measure":  score = sklearn v_measure_score(reference (n,) true labels, values (n,) cluster ids).
#   "nmi":        score = sklearn normalized_mutual_info_score(reference, values).
OutcomeKind = Literal["mean", "spearman", "pearson", "v_measure", "nmi"]
OUTCOME_KINDS: tuple[str, ...] = ("mean", "spearman", "pearson", "v_measure", "nmi")


@dataclass(frozen=True)
class ItemOutcomes:
    """One (split, subset) of one task result, item by item.

    ``item_ids`` are the dataset's own ids (query ids, pair or row ids as strings) so two runs on the
    same data align item by item; ``values`` and ``reference`` follow ``kind`` (see above).
    """

    main_metric: str
    kind: OutcomeKind
    item_ids: np.ndarray  # (n,) str
    values: np.ndarray  # (n,) or (n_experiments, n)
    reference: np.ndarray | None = None  # (n,) gold scores or true labels, where the kind needs them

    def __post_init__(self) -> None:
        if self.kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown outcome kind {self.kind!r}; one of {OUTCOME_KINDS}")
        n = len(self.item_ids)
        if self.values.shape[-1] != n:
            raise ValueError(f"values have {self.values.shape[-1]} items, ids {n}")
        if self.reference is not None and len(self.reference) != n:
            raise ValueError(f"reference has {len(self.reference)} items, ids {n}")
        if self.kind != "mean" and self.reference is None:
            raise ValueError(f"outcome kind {self.kind!r} needs a reference")

    @property
    def n_items(self) -> int:
        return len(self.item_ids)
