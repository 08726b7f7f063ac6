"""MIEB(offline): tasks built from data that installs from packages (see harness.offline)."""

from harness.spec import TaskSpec

OFFLINE_TASKS: tuple[TaskSpec, ...] = ()
