"""Write ``harness/reference_data/published_evaluation_times.tsv`` from a checkout of the public results.

Usage: ``python scripts/published_evaluation_times.py RESULTS_REPO [COMMIT]`` where RESULTS_REPO is a
git clone of embeddings-benchmark/results. The table holds, per MIEB task, the ``evaluation_time``
openai/clip-vit-base-patch16's published result reports: the Ray scheduler's expected cost of a task
(only the order matters, so one mid-size reference model is enough).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MODEL_FOLDER = "results/openai__clip-vit-base-patch16/57c216476eefef5ab752ec549e440a49ae4ae5f3"
TARGET = Path(__file__).resolve().parents[1] / "harness" / "reference_data" / "published_evaluation_times.tsv"


def main(repo: str, commit: str = "HEAD") -> None:
    from harness.catalogue.queries import all_tasks

    commit = subprocess.check_output(["git", "-C", repo, "rev-parse", commit], text=True).strip()
    rows = []
    for task in all_tasks():
        path = f"{MODEL_FOLDER}/{task.name}.json"
        show = subprocess.run(["git", "-C", repo, "show", f"{commit}:{path}"], capture_output=True, text=True)
        if show.returncode != 0:
            continue
        seconds = json.loads(show.stdout).get("evaluation_time")
        if seconds:
            rows.append(f"{task.name}\t{float(seconds):.1f}\tembeddings-benchmark/results@{commit[:12]}:{path}")
    header = "task_name\tevaluation_time_s\tsource"
    TARGET.write_text("\n".join([header, *rows]) + "\n")
    print(f"{len(rows)} tasks -> {TARGET}")


if __name__ == "__main__":
    main(*sys.argv[1:])
