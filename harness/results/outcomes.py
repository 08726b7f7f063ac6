"""The per-item record of a scored (split, subset), under the results room's name.

The record itself lives in the leaf package (``mieb_records.outcomes``) so the evaluators, which
stand on the records alone, produce it; readers and the significance code keep this import.
"""

from mieb_records.outcomes import OUTCOME_KINDS, ItemOutcomes, OutcomeKind

__all__ = ["OUTCOME_KINDS", "ItemOutcomes", "OutcomeKind"]
