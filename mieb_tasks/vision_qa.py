"""VisionCentricQA: multiple choice as reranking of each query's own candidates (BLINK, CV-Bench)."""

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks.families import ENG_LITE, vision_qa

# CV-Bench: one task per sub-task of one dataset; the view keeps the rows of the sub-task the name ends in.
CV_BENCH = DatasetRef("nyu-visionx/CV-Bench", "22409a927ab5cf68e3655023d51694587455fc99")
cvbench = vision_qa.variant(
    benchmarks=ENG_LITE,
    layout="cvbench",
    mteb2_dataset=DatasetRef("mteb/CV-Bench", "9926abb226c15b55dd8cce8c91cac1abf2326a61"),
)

VISION_QA_TASKS: tuple[TaskSpec, ...] = (
    vision_qa(
        "BLINKIT2IMultiChoice",
        DatasetRef("JamieSJS/blink-it2i-multi", "a9f994925551c14503d00d86f1307bac6e2ead6a"),
        category="it2i",
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/blink-it2i-multi", "0418ecbea812ab97bda7eabe2c34065fdb81810f"),
    ),
    vision_qa(
        "BLINKIT2TMultiChoice",
        DatasetRef("JamieSJS/blink-it2t-multi", "bc8f4c7f62450a4ceb737c8339061cf87aea42d5"),
        mteb2_dataset=DatasetRef("mteb/blink-it2t-multi", "772e1c8461c0dff10b32f52326d55a67f0d3ca94"),
    ),
    cvbench("CVBenchCount", CV_BENCH),
    cvbench("CVBenchRelation", CV_BENCH),
    cvbench("CVBenchDepth", CV_BENCH),
    cvbench("CVBenchDistance", CV_BENCH),
)
