"""Uncertainty of a score and significance of a difference, from per-item outcomes (pure numpy/scipy).

- ``score_of``: the main score recomputed on a resample of the items, for every outcome kind.
- ``bootstrap_interval``: standard error and 95% **percentile** bootstrap interval of one score
  (items resampled with replacement; a linear probe's experiments are kept, each resampled item
  bringing its outcome in every experiment).
- ``compare_paired``: delta (candidate - base) on the same items, its paired-bootstrap percentile
  interval (one resample of items shared by both sides, Berg-Kirkpatrick et al. 2012) and a p-value:
  McNemar's exact test where both sides are 0/1 per item, a paired sign-flip permutation test of the
  mean difference for other per-item means, and the null-centred paired bootstrap for correlations and
  clustering scores (no per-item difference exists there).
- ``combine``: the comparison of a mean of scores (subsets of a task, tasks of a type) from the parts'
  bootstrap replicates (the parts are independent data).
- ``adjust_pvalues``: Holm or Benjamini-Hochberg across tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import stats

from harness.results.outcomes import ItemOutcomes

Correction = Literal["holm", "bh"]
CORRECTIONS: tuple[str, ...] = ("holm", "bh")
INTERVAL_METHOD = "percentile"
DEFAULT_RESAMPLES = 1000
# Resamples are drawn in chunks of about this many (resample, item) cells to bound memory
# (50,000 items x 1,000 resamples would otherwise be a 400 MB index matrix).
_CHUNK_CELLS = 4_000_000
# Up to this many items the sign-flip test enumerates all 2^n flips (exact p-value).
_EXACT_FLIP_MAX_ITEMS = 12


class OutcomesMismatchError(ValueError):
    """Two outcomes that cannot be compared item by item."""


@dataclass(frozen=True)
class ScoreInterval:
    """A score with its bootstrap standard error and interval."""

    score: float
    se: float
    low: float
    high: float
    n_items: int
    n_resamples: int
    confidence: float = 0.95
    method: str = INTERVAL_METHOD


@dataclass(frozen=True)
class PairedComparison:
    """Candidate minus base on the same items."""

    delta: float
    low: float
    high: float
    p_value: float
    test: str  # "mcnemar-exact", "sign-flip", "sign-flip-exact", "paired-bootstrap"
    n_items: int
    base_score: float
    candidate_score: float
    n_resamples: int
    confidence: float = 0.95
    replicates: np.ndarray = field(default=None, repr=False, compare=False)  # bootstrap deltas

    @property
    def ci(self) -> tuple[float, float]:
        return (self.low, self.high)


# --- the score on a resample ------------------------------------------------------------------


def _item_values(outcomes: ItemOutcomes) -> np.ndarray:
    """Per-item values on the last axis; a linear probe's experiments averaged per item.

    The mean over experiments of each experiment's mean over the same resampled items equals the mean
    over the resampled items of the per-item experiment average, so experiments stay paired with items.
    """
    values = np.asarray(outcomes.values, dtype=np.float64)
    if outcomes.kind == "mean" and values.ndim == 2:
        return values.mean(axis=0)
    return values


def _rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    denom = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (xc * yc).sum(axis=-1) / denom, np.nan)


def _entropy(counts: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Entropy (nats) of count vectors on the last axis."""
    p = counts / total[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis=-1)


def _clustering_scores(kind: str, truth: np.ndarray, assigned: np.ndarray, n: int) -> np.ndarray:
    """V-measure / NMI (arithmetic mean, scikit-learn's defaults) per row of coded label arrays.

    Contingency tables of all rows at once with one bincount (sklearn would loop once per resample).
    """
    rows = truth.shape[0]
    n_true, n_pred = int(truth.max()) + 1, int(assigned.max()) + 1
    cells = n_true * n_pred
    codes = truth * n_pred + assigned + (np.arange(rows) * cells)[:, None]
    table = np.bincount(codes.ravel(), minlength=rows * cells).reshape(rows, n_true, n_pred)
    table = table.astype(np.float64)
    total = np.full(rows, float(n))
    h_true = _entropy(table.sum(axis=2), total)
    h_pred = _entropy(table.sum(axis=1), total)
    h_joint = _entropy(table.reshape(rows, cells), total)
    mutual = np.maximum(h_true + h_pred - h_joint, 0.0)
    if kind == "nmi":
        mean_h = (h_true + h_pred) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            nmi = np.where(mean_h > 0, mutual / mean_h, 1.0)
        # scikit-learn: one cluster on both sides (or none) counts as a perfect match.
        return np.where((h_true == 0) & (h_pred == 0), 1.0, nmi)
    with np.errstate(invalid="ignore", divide="ignore"):
        homogeneity = np.where(h_true > 0, mutual / h_true, 1.0)
        completeness = np.where(h_pred > 0, mutual / h_pred, 1.0)
        total_hc = homogeneity + completeness
        return np.where(total_hc > 0, 2 * homogeneity * completeness / total_hc, 0.0)


def _resample_ranks(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank, as scipy's rankdata) within each resample row.

    Every resampled value is one of the n originals, so counting how often each distinct value was
    drawn gives the ranks without a sort per row (a rankdata of 1,000 x 10,000 takes seconds).
    """
    distinct, code = np.unique(values, return_inverse=True)
    rows, k = idx.shape[0], distinct.size
    drawn = code.reshape(-1)[idx]
    counts = np.bincount((drawn + (np.arange(rows) * k)[:, None]).ravel(), minlength=rows * k)
    counts = counts.reshape(rows, k).astype(np.float64)
    below = np.cumsum(counts, axis=1) - counts
    mean_rank = below + (counts + 1) / 2
    return np.take_along_axis(mean_rank, drawn, axis=1)


def _prepared(outcomes: ItemOutcomes) -> tuple[np.ndarray, np.ndarray | None]:
    """(values, reference) ready for resampling: clustering labels coded 0..k-1."""
    values = _item_values(outcomes)
    reference = outcomes.reference
    if outcomes.kind in ("v_measure", "nmi"):
        values = np.unique(values, return_inverse=True)[1].reshape(-1)
        reference = np.unique(reference, return_inverse=True)[1].reshape(-1)
    elif reference is not None:
        reference = np.asarray(reference, dtype=np.float64)
    return values, reference


def _scores(kind: str, values: np.ndarray, reference: np.ndarray | None, idx: np.ndarray) -> np.ndarray:
    """Scores of prepared outcomes for each row of ``idx`` (resamples x n)."""
    if kind == "mean":
        return values[idx].mean(axis=-1)
    if kind == "pearson":
        return _rowwise_pearson(values[idx], reference[idx])
    if kind == "spearman":
        return _rowwise_pearson(_resample_ranks(values, idx), _resample_ranks(reference, idx))
    return _clustering_scores(kind, reference[idx], values[idx], idx.shape[-1])


def score_of(outcomes: ItemOutcomes, idx: np.ndarray | None = None) -> float | np.ndarray:
    """The main score on the items ``idx`` (all items when None).

    ``idx`` (k,) gives one score; ``idx`` (resamples, k) one score per row.
    """
    values, reference = _prepared(outcomes)
    index = np.arange(outcomes.n_items) if idx is None else np.asarray(idx)
    rows = np.atleast_2d(index)
    scores = _scores(outcomes.kind, values, reference, rows)
    return float(scores[0]) if index.ndim == 1 else scores


def _resample_blocks(n: int, n_resamples: int, rng: np.random.Generator):
    """Yield index matrices (chunk, n) of bootstrap resamples, n_resamples rows in all."""
    per_chunk = max(1, _CHUNK_CELLS // max(n, 1))
    done = 0
    while done < n_resamples:
        rows = min(per_chunk, n_resamples - done)
        yield rng.integers(0, n, size=(rows, n), dtype=np.int32 if n < 2**31 else np.int64)
        done += rows


def _percentile_interval(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return float(low), float(high)


def bootstrap_replicates(
    outcomes: ItemOutcomes, n_resamples: int = DEFAULT_RESAMPLES, seed: int | None = 0
) -> np.ndarray:
    """The main score on ``n_resamples`` bootstrap resamples of the items."""
    _require_items(outcomes)
    rng = np.random.default_rng(seed)
    values, reference = _prepared(outcomes)
    blocks = _resample_blocks(outcomes.n_items, n_resamples, rng)
    return np.concatenate([_scores(outcomes.kind, values, reference, idx) for idx in blocks])


def bootstrap_interval(
    outcomes: ItemOutcomes,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> ScoreInterval:
    """Bootstrap standard error and percentile interval of the main score over items."""
    replicates = bootstrap_replicates(outcomes, n_resamples, seed)
    low, high = _percentile_interval(replicates, confidence)
    finite = replicates[np.isfinite(replicates)]
    se = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
    return ScoreInterval(float(score_of(outcomes)), se, low, high, outcomes.n_items, n_resamples, confidence)


# --- paired comparison ------------------------------------------------------------------------


def _require_items(outcomes: ItemOutcomes) -> None:
    if outcomes.n_items == 0:
        raise OutcomesMismatchError(f"{outcomes.main_metric}: no items to resample")


def align(base: ItemOutcomes, candidate: ItemOutcomes) -> ItemOutcomes:
    """The candidate's outcomes reordered to the base's items; raises when the items differ."""
    if base.kind != candidate.kind or base.main_metric != candidate.main_metric:
        raise OutcomesMismatchError(
            f"cannot compare {candidate.main_metric} ({candidate.kind}) with {base.main_metric} ({base.kind})"
        )
    base_ids = np.asarray(base.item_ids).astype(str)
    cand_ids = np.asarray(candidate.item_ids).astype(str)
    if len(np.unique(base_ids)) != len(base_ids) or len(np.unique(cand_ids)) != len(cand_ids):
        raise OutcomesMismatchError("item ids repeat within one side; outcomes cannot be paired")
    only_base = np.setdiff1d(base_ids, cand_ids)
    only_cand = np.setdiff1d(cand_ids, base_ids)
    if only_base.size or only_cand.size:
        raise OutcomesMismatchError(
            "the two runs scored different items: "
            f"{only_base.size} only in the base (e.g. {', '.join(only_base[:3])}), "
            f"{only_cand.size} only in the candidate (e.g. {', '.join(only_cand[:3])}); "
            "a paired comparison needs the same dataset revision, split and subset"
        )
    position = {item: i for i, item in enumerate(cand_ids)}
    order = np.fromiter((position[item] for item in base_ids), dtype=np.int64, count=len(base_ids))
    reference = None if candidate.reference is None else np.asarray(candidate.reference)[order]
    if base.reference is not None and not np.array_equal(np.asarray(base.reference), reference):
        raise OutcomesMismatchError("the two runs carry different gold references for the same items")
    return ItemOutcomes(
        candidate.main_metric,
        candidate.kind,
        base_ids,
        np.asarray(candidate.values)[..., order],
        reference,
    )


def _is_binary_per_item(outcomes: ItemOutcomes) -> bool:
    values = np.asarray(outcomes.values)
    return outcomes.kind == "mean" and values.ndim == 1 and bool(np.isin(values, (0, 1)).all())


def mcnemar_exact(base_correct: np.ndarray, candidate_correct: np.ndarray) -> float:
    """Two-sided exact McNemar p-value: a binomial test of the discordant pairs at 1/2."""
    base_only = int(np.sum((base_correct == 1) & (candidate_correct == 0)))
    cand_only = int(np.sum((base_correct == 0) & (candidate_correct == 1)))
    discordant = base_only + cand_only
    if discordant == 0:
        return 1.0
    return float(min(1.0, 2 * stats.binom.cdf(min(base_only, cand_only), discordant, 0.5)))


def sign_flip_pvalue(differences: np.ndarray, n_resamples: int = 10_000, seed: int | None = 0) -> tuple[float, bool]:
    """Two-sided paired permutation p-value of the mean difference; (p, exact).

    Under the null the two runs are exchangeable item by item, so each difference's sign is a coin
    flip. Exact enumeration up to 12 items, else Monte Carlo with the +1 correction
    (Phipson & Smyth 2010), so p is never 0.
    """
    d = np.asarray(differences, dtype=np.float64)
    n = d.size
    observed = abs(d.mean())
    # Float sums of the same values in another order differ in the last bits; a tie must count.
    slack = 1e-12 * max(1.0, float(np.abs(d).max(initial=0.0)))
    if n <= _EXACT_FLIP_MAX_ITEMS and 2**n <= n_resamples:
        signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        null = np.abs(signs @ d / n)
        return float(np.mean(null >= observed - slack)), True
    rng = np.random.default_rng(seed)
    hits = 0
    per_chunk = max(1, _CHUNK_CELLS // max(n, 1))
    done = 0
    while done < n_resamples:
        rows = min(per_chunk, n_resamples - done)
        signs = rng.integers(0, 2, size=(rows, n), dtype=np.int8) * 2 - 1
        hits += int(np.sum(np.abs(signs @ d / n) >= observed - slack))
        done += rows
    return (hits + 1) / (n_resamples + 1), False


def compare_paired(
    base: ItemOutcomes,
    candidate: ItemOutcomes,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    seed: int | None = 0,
    n_permutations: int = 10_000,
) -> PairedComparison:
    """Candidate minus base on the same items: delta, paired-bootstrap interval and p-value."""
    _require_items(base)
    candidate = align(base, candidate)
    kind, n = base.kind, base.n_items
    base_values, reference = _prepared(base)
    cand_values, cand_reference = _prepared(candidate)
    base_score = float(_scores(kind, base_values, reference, np.arange(n)[None])[0])
    cand_score = float(_scores(kind, cand_values, cand_reference, np.arange(n)[None])[0])
    delta = cand_score - base_score

    rng = np.random.default_rng(seed)
    parts = []
    for idx in _resample_blocks(n, n_resamples, rng):
        if kind == "mean":  # a mean is linear: resample the per-item differences once
            parts.append((cand_values - base_values)[idx].mean(axis=-1))
        else:
            parts.append(_scores(kind, cand_values, cand_reference, idx) - _scores(kind, base_values, reference, idx))
    replicates = np.concatenate(parts)
    low, high = _percentile_interval(replicates, confidence)

    if _is_binary_per_item(base) and _is_binary_per_item(candidate):
        p_value, test = mcnemar_exact(base_values, cand_values), "mcnemar-exact"
    elif kind == "mean":
        p_value, exact = sign_flip_pvalue(cand_values - base_values, n_permutations, seed)
        test = "sign-flip-exact" if exact else "sign-flip"
    else:
        p_value, test = centred_bootstrap_pvalue(delta, replicates), "paired-bootstrap"
    return PairedComparison(
        delta,
        low,
        high,
        p_value,
        test,
        n,
        base_score,
        cand_score,
        n_resamples,
        confidence,
        replicates,
    )


def centred_bootstrap_pvalue(delta: float, replicates: np.ndarray) -> float:
    """Two-sided p-value of delta = 0 from paired bootstrap deltas shifted to mean zero under the null.

    The bootstrap deltas spread around the observed delta as the observed delta spreads around the
    true one; p is the share of them at least |delta| away from delta (+1 corrected).
    """
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0 or not np.isfinite(delta):
        return float("nan")
    hits = int(np.sum(np.abs(finite - delta) >= abs(delta)))
    return (hits + 1) / (finite.size + 1)


def combine(parts: Sequence[PairedComparison], confidence: float = 0.95) -> PairedComparison:
    """The comparison of the unweighted mean of several scores (subsets of a task, tasks of a type).

    The parts are different data, so their bootstrap deltas are independent: the mean of the
    r-th replicate of each part is a replicate of the mean's delta. p-value: centred bootstrap.
    """
    if not parts:
        raise ValueError("nothing to combine")
    if len(parts) == 1:
        return parts[0]
    length = min(len(p.replicates) for p in parts)
    replicates = np.mean([p.replicates[:length] for p in parts], axis=0)
    delta = float(np.mean([p.delta for p in parts]))
    low, high = _percentile_interval(replicates, confidence)
    return PairedComparison(
        delta,
        low,
        high,
        centred_bootstrap_pvalue(delta, replicates),
        "paired-bootstrap",
        int(sum(p.n_items for p in parts)),
        float(np.mean([p.base_score for p in parts])),
        float(np.mean([p.candidate_score for p in parts])),
        length,
        confidence,
        replicates,
    )


# --- multiple testing -------------------------------------------------------------------------


def adjust_pvalues(p_values: Sequence[float], method: Correction = "holm") -> np.ndarray:
    """Adjusted p-values across tests: Holm's step-down (family-wise error) or
    Benjamini-Hochberg's step-up (false discovery rate). Reject where adjusted <= alpha.
    """
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction {method!r}; one of {CORRECTIONS}")
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p
    if np.isnan(p).any():
        raise ValueError("p-values contain NaN; leave untestable comparisons out of the correction")
    if method == "holm":
        order = np.argsort(p, kind="stable")
        stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    else:
        order = np.argsort(p, kind="stable")[::-1]
        stepped = np.minimum.accumulate(m / np.arange(m, 0, -1) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def significant(p_values: Sequence[float], alpha: float = 0.05, method: Correction = "holm") -> np.ndarray:
    """Which tests reject their null at ``alpha`` after the correction."""
    return adjust_pvalues(p_values, method) <= alpha
