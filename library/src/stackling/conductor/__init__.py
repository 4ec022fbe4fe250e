"""The conductor: turns a cloud decision into node work by running the collection's node
playbooks through ansible-runner, and reports what each step did."""

from stackling.conductor.builds import BuildOutcome, HostAttempt, ServerBuilder
from stackling.conductor.jobs import JobResult, JobStatus, NodeJob, StepOutcome, StepStatus
from stackling.conductor.runner import ConductorSettings, PlaybookRunner

__all__ = [
    "BuildOutcome",
    "ConductorSettings",
    "HostAttempt",
    "JobResult",
    "JobStatus",
    "NodeJob",
    "PlaybookRunner",
    "ServerBuilder",
    "StepOutcome",
    "StepStatus",
]
