"""DifferentHostFilter: with the ``different_host`` hint, no host that holds one of the listed instances."""

from __future__ import annotations

from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec


class DifferentHostFilter(BaseHostFilter):
    def applies(self, request: RequestSpec) -> bool:
        return bool(request.different_host)

    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        return host.uuid not in request.different_host_hosts
