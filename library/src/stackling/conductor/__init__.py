"""The conductor: turns a cloud decision into node work by running the collection's node
playbooks through ansible-runner, and reports what each step did."""

from stackling.conductor.builds import BuildOutcome, HostAttempt, ServerBuilder
from stackling.conductor.inventory import Inventory, read_inventory
from stackling.conductor.jobs import JobResult, JobRunner, JobStatus, NodeJob, StepOutcome, StepStatus
from stackling.conductor.runner import ConductorSettings, PlaybookRunner

__all__ = [
    "BuildOutcome",
    "ConductorSettings",
    "HostAttempt",
    "Inventory",
    "JobResult",
    "JobRunner",
    "JobStatus",
    "NodeJob",
    "PlaybookRunner",
    "ServerBuilder",
    "StepOutcome",
    "StepStatus",
    "read_inventory",
]
