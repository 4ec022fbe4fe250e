"""CPUWeigher: free vCPUs (VCPU capacity, ratio included, minus usage). > 0 spreads, < 0 packs."""

from __future__ import annotations

from collections.abc import Sequence

from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec
from stackling.scheduler.weighers.base import BaseHostWeigher, normalize


class CPUWeigher(BaseHostWeigher):
    def weigh(self, host: HostState, request: RequestSpec) -> float:
        return host.free_vcpus

    def weigh_all(self, hosts: Sequence[HostState], request: RequestSpec) -> list[float]:
        return normalize([host.free_vcpus for host in hosts])
