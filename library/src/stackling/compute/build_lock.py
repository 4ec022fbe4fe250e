"""Who is building a server, and whether that builder is gone (docs/servers.md, "Interrupted builds").

A build holds an exclusive ``flock`` on ``<conductor work_dir>/builds/<server id>.lock`` from the
moment its row exists until it ends. The kernel drops the lock when the process dies however it
dies (SIGKILL included), so on the same controller a lock file that can be locked again is proof
that its builder is gone. A builder on another controller leaves no file here: its build counts as
abandoned when the server row was not touched for a lease (every job start touches it, and every
job is bounded by the conductor's ``job_timeout``).
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

LEASE_GRACE = 120  # seconds beyond the longest job before a silent build counts as abandoned


class Builder(StrEnum):
    LIVE = "live"  # a process is building it (here, or another controller within the lease)
    GONE = "gone"  # its builder died: the server may be taken over


class BuildLock:
    """The flock of one server's build on this controller."""

    def __init__(self, work_dir: Path, server_id: str) -> None:
        self.path = work_dir / "builds" / (server_id + ".lock")
        self._fd: int | None = None

    def acquire(self) -> bool | None:
        """Lock it. True: a lock file was there (left by a builder that died); False: newly
        made; None: a live process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        existed = self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.write(fd, b"%d\n" % os.getpid())  # for the operator: which process builds it
        self._fd = fd
        return existed

    def release(self) -> None:
        """Unlock and remove the file (the build ended, one way or the other)."""
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def builder_state(left_by_dead: bool, updated_at: datetime, now: datetime, job_timeout: int) -> Builder:
    """Judge a BUILD server whose lock this process could take: ``left_by_dead`` says the lock
    file was there; without one, the builder (on another controller) is gone only once the row
    was untouched longer than the lease."""
    if left_by_dead:
        return Builder.GONE
    lease = timedelta(seconds=job_timeout + LEASE_GRACE)
    return Builder.GONE if now - updated_at > lease else Builder.LIVE
