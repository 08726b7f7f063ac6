"""What an evaluator answers: its metrics and, from the same pass, what each test item got.

Evaluators know items by position; the pipeline that feeds them knows the dataset's own ids and
puts them in with :meth:`Scored.with_ids`, so two runs on the same data align item by item.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ParamSpec

import numpy as np

from mieb_records.outcomes import ItemOutcomes


def row_ids(n: int) -> np.ndarray:
    """Item ids for data without ids of its own: the row numbers ``"0" .. "n-1"``."""
    return np.arange(n).astype(str)


@dataclass(frozen=True)
class Scored:
    """Metrics plus per-item outcomes of the metrics the items determine.

    ``outcomes`` maps a metric name (as in ``metrics``) to the items that make it; ``details``
    holds what each item got beyond that (predicted labels, top-k documents) in item order, and
    the vocabularies those index into (``doc_ids``, multilabel ``labels``).
    """

    metrics: dict[str, Any]
    outcomes: dict[str, ItemOutcomes] = field(default_factory=dict)
    details: dict[str, np.ndarray] = field(default_factory=dict)

    def outcome(self, metric: str) -> ItemOutcomes:
        if metric not in self.outcomes:
            known = ", ".join(sorted(self.outcomes)) or "none"
            raise KeyError(f"no per-item outcomes for {metric!r} (this evaluator gives them for: {known})")
        return self.outcomes[metric]

    def with_ids(self, ids: Sequence[Any] | np.ndarray) -> Scored:
        """The same answer with the dataset's ids in place of row numbers."""
        item_ids = np.asarray([str(i) for i in ids], dtype=str)
        return replace(self, outcomes={name: replace(o, item_ids=item_ids) for name, o in self.outcomes.items()})


P = ParamSpec("P")


def metrics_only(scored: Callable[P, Scored], name: str) -> Callable[P, dict[str, Any]]:
    """The metrics-only form of an evaluator (``zero_shot`` from ``zero_shot_scored``): same arguments."""

    @functools.wraps(scored)
    def metrics(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        return scored(*args, **kwargs).metrics

    metrics.__name__ = metrics.__qualname__ = name
    metrics.__doc__ = f"The metrics of :func:`{scored.__name__}`."
    return metrics


def mean_outcomes(names: Mapping[str, np.ndarray], n: int) -> dict[str, ItemOutcomes]:
    """``kind="mean"`` outcomes for metrics that are the mean of per-item values (row ids for now)."""
    ids = row_ids(n)
    return {name: ItemOutcomes(name, "mean", ids, np.asarray(v, dtype=np.float64)) for name, v in names.items()}
