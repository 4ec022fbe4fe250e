"""ServerGroupAffinityFilter (hard affinity): once a member of the group is placed, the
others go only where members already are."""

from __future__ import annotations

from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import AFFINITY, RequestSpec


class ServerGroupAffinityFilter(BaseHostFilter):
    def applies(self, request: RequestSpec) -> bool:
        return request.group is not None and request.group.policy == AFFINITY and bool(request.group.hosts)

    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        assert request.group is not None
        return host.uuid in request.group.hosts
