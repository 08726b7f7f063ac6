"""CI surfaces of a gated run: the GitHub Actions step summary (markdown) of results and verdicts.

The per-case junitxml properties (score, expected, tolerance, checked, gate) are recorded by the
case itself (``harness/plugin/cases.py``) as ``user_properties``, so ``--junitxml`` carries them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}"


def step_summary_markdown(rows: Iterable[dict], exitstatus: int) -> str:
    """A markdown section: verdict counts, then one table row per case (model, task, scores, gate)."""
    rows = sorted(rows, key=lambda r: (r["model"], r["type"], r["task"]))
    failed = [r for r in rows if r.get("outcome") == "failed"]
    counts = Counter(r.get("gate", "not checked") for r in rows)
    verdict = "FAILED" if exitstatus else "passed"
    lines = [
        f"## mieb: {verdict}",
        "",
        f"{len(rows)} cases: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) + ".",
        "",
    ]
    if failed:
        lines += ["**Failures**", ""] + [f"- `{r['model']}` {r['task']}: {r.get('reference', '')}" for r in failed]
        lines.append("")
    lines += [
        "| model | task | type | score | expected | tolerance | gate |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        tolerance = "" if r.get("tolerance") is None else f"{100 * r['tolerance']:.2f}"
        gate = r.get("gate", "")
        if r.get("outcome") == "failed":
            gate = f"**{gate or 'failed'}**"
        lines.append(
            f"| {r['model']} | {r['task']} | {r['type']} | {_pct(r.get('main_score'))} | "
            f"{_pct(r.get('expected'))} | {tolerance} | {gate} |"
        )
    return "\n".join(lines) + "\n\n"


def write_step_summary(rows: list[dict], exitstatus: int) -> Path | None:
    """Append the markdown to ``$GITHUB_STEP_SUMMARY`` when it is set; returns the path written."""
    target = os.environ.get(STEP_SUMMARY_ENV)
    if not target or not rows:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(step_summary_markdown(rows, exitstatus))
    return path
