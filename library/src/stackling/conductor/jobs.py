"""What the conductor is asked to run on a node, and what it reports back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from stackling.errors import ValidationError

# A playbook is named, never given as a path: the conductor only runs the collection's own.
_PLAYBOOK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class StepStatus(StrEnum):
    OK = "ok"
    CHANGED = "changed"
    SKIPPED = "skipped"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


class JobStatus(StrEnum):
    SUCCESSFUL = "successful"
    FAILED = "failed"  # a task failed or a host was unreachable
    TIMEOUT = "timeout"
    CANCELED = "canceled"


@dataclass(frozen=True)
class NodeJob:
    """Run node playbook ``playbook`` (``<playbook_dir>/<playbook>.yml``) on inventory host ``host``."""

    playbook: str
    host: str
    extravars: Mapping[str, Any] = field(default_factory=dict)
    timeout: int | None = None  # seconds; None: the conductor's default

    def __post_init__(self) -> None:
        if not _PLAYBOOK_NAME.match(self.playbook):
            raise ValidationError(
                "playbook: %r is not a node playbook name (lower-case letters, digits, _)" % (self.playbook,)
            )
        if not self.host or any(char in self.host for char in ":,!&*[] \t\n"):
            raise ValidationError("host: %r is not an inventory host name" % (self.host,))
        if self.timeout is not None and self.timeout < 1:
            raise ValidationError("timeout: expected seconds >= 1, got %r" % (self.timeout,))


@dataclass(frozen=True)
class StepOutcome:
    """One task on one host, as the playbook ran it. ``message`` is Ansible's ``msg`` for a failure."""

    task: str
    host: str
    status: StepStatus
    message: str = ""


@dataclass(frozen=True)
class JobResult:
    """``data``: what the playbook handed back with ``ansible.builtin.set_stats`` (``per_host: false``)."""

    job: NodeJob
    status: JobStatus
    rc: int
    steps: tuple[StepOutcome, ...]
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is JobStatus.SUCCESSFUL

    @property
    def changed(self) -> bool:
        return any(step.status is StepStatus.CHANGED for step in self.steps)

    @property
    def failure(self) -> str:
        """The first failed step as ``task: message`` (empty when the job succeeded)."""
        for step in self.steps:
            if step.status in (StepStatus.FAILED, StepStatus.UNREACHABLE):
                return "%s on %s: %s" % (step.task, step.host, step.message or step.status.value)
        return "" if self.ok else "playbook %s ended %s (rc %d)" % (self.job.playbook, self.status.value, self.rc)


class JobRunner(Protocol):
    """What runs a NodeJob: the PlaybookRunner, or a wrapper that records each result."""

    def run(self, job: NodeJob) -> JobResult: ...
