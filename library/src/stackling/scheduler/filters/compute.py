"""ComputeFilter: only hosts whose compute service is enabled."""

from __future__ import annotations

from collections.abc import Sequence

from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec


class ComputeFilter(BaseHostFilter):
    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        return bool(host.enabled)

    def filter_all(self, hosts: Sequence[HostState], request: RequestSpec) -> list[bool]:
        return [bool(host.enabled) for host in hosts]  # SQLite hands back 0/1
