"""DiskWeigher: free local disk (DISK_GB capacity minus usage). > 0 spreads, < 0 packs."""

from __future__ import annotations

from collections.abc import Sequence

from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec
from stackling.scheduler.weighers.base import BaseHostWeigher, normalize


class DiskWeigher(BaseHostWeigher):
    def weigh(self, host: HostState, request: RequestSpec) -> float:
        return host.free_disk_gb

    def weigh_all(self, hosts: Sequence[HostState], request: RequestSpec) -> list[float]:
        return normalize([host.free_disk_gb for host in hosts])
