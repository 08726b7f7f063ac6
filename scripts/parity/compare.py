"""Compare mieb's and mteb's score dicts metric by metric (stdlib only).

    python scripts/parity/compare.py MTEB.json MIEB.json [--tol 1e-6] [--verbose]

Prints one row per task (metrics compared, max |difference| and where), then every metric over
the tolerance and every key present on one side only. Exits 1 on any mismatch or missing key.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

# Bookkeeping, not scores: mteb stamps its version into every score entry.
IGNORED = {"mteb_version"}


def flatten(value, prefix=""):
    """Nested dicts/lists -> {dotted.key: leaf}."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out |= flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out |= flatten(v, f"{prefix}[{i}]")
        return out
    return {prefix: value}


def difference(a, b) -> float:
    """|a - b| for numbers; 0 for equal non-numbers (None, strings); inf otherwise."""
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isnan(a) and math.isnan(b):
            return 0.0
        return abs(float(a) - float(b))
    return 0.0 if a == b else math.inf


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mteb")
    parser.add_argument("mieb")
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--verbose", action="store_true", help="print every metric's difference")
    args = parser.parse_args()
    with open(args.mteb) as f_ref, open(args.mieb) as f_ours:
        ref, ours = json.load(f_ref), json.load(f_ours)
    problems: list[str] = []
    rows = []
    for task in sorted(set(ref) | set(ours)):
        if task not in ref or task not in ours:
            problems.append(f"{task}: only in {'mteb' if task in ref else 'mieb'}")
            continue
        a = {k: v for k, v in flatten(ref[task]).items() if k.rsplit(".", 1)[-1] not in IGNORED}
        b = {k: v for k, v in flatten(ours[task]).items() if k.rsplit(".", 1)[-1] not in IGNORED}
        worst, worst_key, per_metric = 0.0, "-", {}
        for key in sorted(set(a) | set(b)):
            if key not in b or key not in a:
                side = "mteb" if key in a else "mieb"
                problems.append(f"{task}: key {key} only in {side} (= {a.get(key, b.get(key))!r})")
                continue
            d = difference(a[key], b[key])
            metric = key.split(".", 2)[-1]  # split.subset.metric -> metric
            per_metric[metric] = max(per_metric.get(metric, 0.0), d)
            if d > args.tol:
                problems.append(f"{task}: {key}: mteb {a[key]!r} vs mieb {b[key]!r} (|diff| {d:.3g})")
            if d > worst:
                worst, worst_key = d, key
        common = len(set(a) & set(b))
        cells = sorted({".".join(k.split(".")[:2]) for k in set(a) | set(b)})
        rows.append((task, common, len(per_metric), ", ".join(cells), worst, worst_key))
        if args.verbose:
            for metric, d in sorted(per_metric.items()):
                print(f"  {task:26s} {metric:40s} {d:.3g}")
    print(f"{'task':26s} {'values':>6s} {'metrics':>7s}  {'split.subset':22s} {'max|diff|':>10s}  worst key")
    for task, common, n_metrics, cells, worst, key in rows:
        print(f"{task:26s} {common:6d} {n_metrics:7d}  {cells:22s} {worst:10.3g}  {key if worst else ''}")
    if problems:
        print(f"\n{len(problems)} problem(s) (tolerance {args.tol:g}):")
        for p in problems:
            print("  " + p)
        return 1
    print(f"(ignored keys: {', '.join(sorted(IGNORED))})")
    print(f"\nall {sum(r[1] for r in rows)} values of {len(rows)} tasks agree within {args.tol:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
