"""ServerGroupAntiAffinityFilter (hard anti-affinity): a host may hold at most
``max_server_per_host`` members of the group (nova's rule; default 1)."""

from __future__ import annotations

from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import ANTI_AFFINITY, RequestSpec


class ServerGroupAntiAffinityFilter(BaseHostFilter):
    def applies(self, request: RequestSpec) -> bool:
        return request.group is not None and request.group.policy == ANTI_AFFINITY and bool(request.group.hosts)

    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        assert request.group is not None
        return request.group.hosts.get(host.uuid, 0) < request.group.max_server_per_host
