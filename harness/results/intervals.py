"""The uncertainty of a main score, stored in the result entry and shown in the run table.

Each computed (split, subset) entry gets ``main_score_se``, ``main_score_ci_low`` and
``main_score_ci_high``: the bootstrap standard error and 95% percentile interval over its items
(``harness.gating.significance.bootstrap_interval``: items resampled, a linear probe's experiments
kept together; clustering and correlations recomputed on each resample). mteb's reader ignores
these extra keys. A task scored over several cells (subsets) is the mean of independent cells, so
its standard error is ``sqrt(sum se_i^2) / k`` and its interval the normal one around the mean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from harness.gating.significance import bootstrap_interval
from harness.results.outcomes import ItemOutcomes

SE, LOW, HIGH = "main_score_se", "main_score_ci_low", "main_score_ci_high"
_Z95 = 1.959963984540054


def interval_fields(outcomes: ItemOutcomes) -> dict[str, float]:
    """The interval keys of one entry, from the items of its main score (the one call site)."""
    interval = bootstrap_interval(outcomes)
    return {SE: interval.se, LOW: interval.low, HIGH: interval.high}


def task_interval(entries: Iterable[Mapping[str, Any]]) -> tuple[float, float] | None:
    """The 95% interval of a task's score (the mean of ``entries``); None when an entry has none."""
    entries = list(entries)
    if not entries or any(not _finite(e.get(SE)) for e in entries):
        return None
    if len(entries) == 1:
        low, high = entries[0].get(LOW), entries[0].get(HIGH)
        return (float(low), float(high)) if _finite(low) and _finite(high) else None
    mean = sum(float(e["main_score"]) for e in entries) / len(entries)
    se = math.sqrt(sum(float(e[SE]) ** 2 for e in entries)) / len(entries)
    return (mean - _Z95 * se, mean + _Z95 * se)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
