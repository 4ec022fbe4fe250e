"""SameHostFilter: with the ``same_host`` hint, only hosts that hold one of the listed instances."""

from __future__ import annotations

from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import RequestSpec


class SameHostFilter(BaseHostFilter):
    def applies(self, request: RequestSpec) -> bool:
        return bool(request.same_host)

    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        return request.same_host_hosts is not None and host.uuid in request.same_host_hosts
