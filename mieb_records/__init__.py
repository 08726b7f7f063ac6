"""The project's plain records: tasks, benchmarks, dataset references, each family's facts, model metadata, errors.

The bottom of the house: these modules import nothing of the project, so the catalogue
(``mieb_tasks``), the models (``mieb_models``) and the harness can all stand on them.
"""

from mieb_records.errors import UnknownNameError
from mieb_records.families import FamilyFacts
from mieb_records.models import ModelMeta
from mieb_records.tasks import Benchmark, DatasetRef, TaskSpec

__all__ = ["Benchmark", "DatasetRef", "FamilyFacts", "ModelMeta", "TaskSpec", "UnknownNameError"]
