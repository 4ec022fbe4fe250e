"""The conductor: turns a cloud decision into node work by running the collection's node
playbooks through ansible-runner, and reports what each step did."""

from stackling.conductor.jobs import JobResult, JobStatus, NodeJob, StepOutcome, StepStatus
from stackling.conductor.runner import ConductorSettings, PlaybookRunner

__all__ = ["ConductorSettings", "JobResult", "JobStatus", "NodeJob", "PlaybookRunner", "StepOutcome", "StepStatus"]
