"""Building a server on the scheduler's choice, and on its alternates when a host fails the build.

The caller (the compute service) says which jobs build the server on a host, which job removes
what a failed build left there, and which host to try next (the scheduler moves the claim to an
alternate, or says there is none). The builder runs them and keeps the record of every attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stackling.conductor.jobs import JobResult, JobRunner, NodeJob

JobsFor = Callable[[str], Sequence[NodeJob]]
CleanupFor = Callable[[str], NodeJob]
NextHost = Callable[[str, str], str | None]  # (failed host, why) -> the next host, or None


@dataclass(frozen=True)
class HostAttempt:
    """One host's try: the job that failed (None if all succeeded) and the clean-up run after it."""

    host: str
    failed: JobResult | None
    cleanup: JobResult | None = None

    @property
    def reason(self) -> str:
        return self.failed.failure if self.failed is not None else ""


@dataclass(frozen=True)
class BuildOutcome:
    host: str | None  # where the server now runs; None when every host failed
    attempts: tuple[HostAttempt, ...]

    @property
    def ok(self) -> bool:
        return self.host is not None

    @property
    def fault(self) -> str:
        """Why the build failed, naming each host tried (empty on success)."""
        if self.ok:
            return ""
        return "; ".join("%s: %s" % (attempt.host, attempt.reason) for attempt in self.attempts) or "no host"

    @property
    def leftovers(self) -> tuple[str, ...]:
        """Hosts whose clean-up failed too: something of the build may remain there."""
        return tuple(a.host for a in self.attempts if a.cleanup is not None and not a.cleanup.ok)


class ServerBuilder:
    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    def build(self, first_host: str, jobs_for: JobsFor, cleanup_for: CleanupFor, next_host: NextHost) -> BuildOutcome:
        attempts: list[HostAttempt] = []
        host: str | None = first_host
        while host is not None:
            failed = self._run_in_order(jobs_for(host))
            if failed is None:
                attempts.append(HostAttempt(host, None))
                return BuildOutcome(host, tuple(attempts))
            cleanup = self.runner.run(cleanup_for(host))
            attempts.append(HostAttempt(host, failed, cleanup))
            host = next_host(host, failed.failure)
        return BuildOutcome(None, tuple(attempts))

    def _run_in_order(self, jobs: Sequence[NodeJob]) -> JobResult | None:
        """Run ``jobs`` one after the other; the first failed result, or None when all succeeded."""
        for job in jobs:
            result = self.runner.run(job)
            if not result.ok:
                return result
        return None
