"""Run one node playbook on one host with ansible-runner.

Each job gets a private data directory (mode 0700) that holds its extra variables —
they may carry secrets — and is removed when the job ends. Job events are kept in
memory only (the event handler tells ansible-runner not to write them to disk).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner  # type: ignore[import-untyped]  # ansible-runner 2.4 ships no type hints

from stackling.conductor.events import stats_from_event, step_from_event
from stackling.conductor.jobs import JobResult, JobStatus, NodeJob, StepOutcome
from stackling.errors import ConfigError

DEFAULT_TIMEOUT = 1800


@dataclass(frozen=True)
class ConductorSettings:
    """Where the conductor finds the cloud's hosts and the collection's node playbooks."""

    inventory: Path
    playbook_dir: Path
    private_key: Path | None = None
    # The pinned host keys of the cloud's hosts (written by the roles). None: ssh's own default
    # (~/.ssh/known_hosts). Host keys are always checked: a node whose key changed is refused.
    known_hosts: Path | None = None
    collections_path: Path | None = None  # where stackling.cloud is installed, if not on Ansible's default path
    work_dir: Path = Path("/var/lib/stackling/conductor")
    default_timeout: int = DEFAULT_TIMEOUT
    environment: Mapping[str, str] = field(default_factory=dict)


class PlaybookRunner:
    def __init__(self, settings: ConductorSettings) -> None:
        self.settings = settings

    def run(self, job: NodeJob) -> JobResult:
        """Run ``job`` to its end (success, failure or timeout) and report every step."""
        playbook = self._playbook_path(job.playbook)
        if not self.settings.inventory.is_file():
            raise ConfigError("conductor.inventory: %s does not exist" % self.settings.inventory)
        self.settings.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_dir = Path(tempfile.mkdtemp(prefix="job-", dir=self.settings.work_dir))
        steps: list[StepOutcome] = []
        data: dict[str, Any] = {}

        def on_event(event: Mapping[str, Any]) -> bool:
            step = step_from_event(event)
            if step is not None:
                steps.append(step)
            data.update(stats_from_event(event) or {})
            return False  # keep events (and any values in them) off the disk

        try:
            run = ansible_runner.run(
                private_data_dir=str(private_dir),
                playbook=str(playbook),
                inventory=str(self.settings.inventory),
                limit=job.host,
                extravars=dict(job.extravars),
                envvars=self._environment(),
                timeout=job.timeout or self.settings.default_timeout,
                event_handler=on_event,
                quiet=True,
            )
            status = JobStatus(run.status) if run.status in JobStatus.__members__.values() else JobStatus.FAILED
            return JobResult(job=job, status=status, rc=int(run.rc or 0), steps=tuple(steps), data=data)
        finally:
            shutil.rmtree(private_dir, ignore_errors=True)

    def _playbook_path(self, name: str) -> Path:
        path = self.settings.playbook_dir / (name + ".yml")
        if not path.is_file():
            raise ConfigError("conductor: node playbook %s not found in %s" % (name, self.settings.playbook_dir))
        return path

    def _environment(self) -> dict[str, str]:
        env = {
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            # ansible-playbook of this Python's environment (the controller venv) comes first.
            "PATH": os.pathsep.join([str(Path(sys.prefix) / "bin"), os.environ.get("PATH", os.defpath)]),
        }
        if self.settings.private_key is not None:
            env["ANSIBLE_PRIVATE_KEY_FILE"] = str(self.settings.private_key)
        if self.settings.known_hosts is not None:
            env["ANSIBLE_SSH_COMMON_ARGS"] = "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes" % self.settings.known_hosts
        if self.settings.collections_path is not None:
            env["ANSIBLE_COLLECTIONS_PATH"] = str(self.settings.collections_path)
        env.update(self.settings.environment)
        return env
