"""The MIEB benchmarks, derived from the tasks' declared membership (one source of truth)."""

from mieb_records.tasks import BENCHMARK_MARKERS, Benchmark
from mieb_tasks import ALL_TASKS

MIEB_CITATION = """@article{xiao2025mieb,
  title={MIEB: Massive Image Embedding Benchmark},
  author={Xiao, Chenghao and Chung, Isaac and Kerboua, Imene and Stirling, Jamie and Zhang, Xin and
          Kardos, M{\\'a}rton and Solomatin, Roman and Al Moubayed, Noura and Enevoldsen, Kenneth and
          Muennighoff, Niklas},
  journal={arXiv preprint arXiv:2504.10471},
  year={2025}
}"""

_DESCRIPTIONS = {
    "MIEB(Multilingual)": "The full MIEB: 130 tasks in 8 categories, 38 languages.",
    "MIEB(eng)": "The English part of MIEB: 125 tasks.",
    "MIEB(lite)": "A 51-task subset that keeps the model ranking of the full benchmark at a fraction of the cost.",
    "MIEB(Img)": "The image-only part of MIEB (49 tasks), for models without a text tower.",
    "MIEB(offline)": "A functional and regression check on data that ships in packages; not a substitute for MIEB.",
}

BENCHMARKS: tuple[Benchmark, ...] = tuple(
    Benchmark(
        name=name,
        tasks=tuple(t for t in ALL_TASKS if name in t.benchmarks),
        description=_DESCRIPTIONS[name],
        citation=MIEB_CITATION,
    )
    for name in BENCHMARK_MARKERS
)
