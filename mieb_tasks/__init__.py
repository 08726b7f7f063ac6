"""The MIEB task catalogue: one declaration per task, grouped by family, plus the benchmarks."""

from mieb_records.tasks import TaskSpec
from mieb_tasks.clustering import CLUSTERING_TASKS
from mieb_tasks.compositionality import COMPOSITIONALITY_TASKS
from mieb_tasks.document import DOCUMENT_TASKS
from mieb_tasks.linear_probe import LINEAR_PROBE_TASKS
from mieb_tasks.multilingual_retrieval import MULTILINGUAL_RETRIEVAL_TASKS
from mieb_tasks.offline import OFFLINE_TASKS
from mieb_tasks.retrieval import RETRIEVAL_TASKS
from mieb_tasks.vision_qa import VISION_QA_TASKS
from mieb_tasks.visual_sts import VISUAL_STS_TASKS
from mieb_tasks.zero_shot import ZERO_SHOT_TASKS

ALL_TASKS: tuple[TaskSpec, ...] = (
    *ZERO_SHOT_TASKS,
    *LINEAR_PROBE_TASKS,
    *CLUSTERING_TASKS,
    *RETRIEVAL_TASKS,
    *MULTILINGUAL_RETRIEVAL_TASKS,
    *DOCUMENT_TASKS,
    *VISUAL_STS_TASKS,
    *COMPOSITIONALITY_TASKS,
    *VISION_QA_TASKS,
    *OFFLINE_TASKS,
)
