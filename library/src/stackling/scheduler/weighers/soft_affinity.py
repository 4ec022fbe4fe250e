"""ServerGroupSoftAffinityWeigher: for a ``soft-affinity`` group, favour hosts holding more
of the group's members (no host is ever excluded)."""

from __future__ import annotations

from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import SOFT_AFFINITY, RequestSpec
from stackling.scheduler.weighers.base import BaseHostWeigher


class ServerGroupSoftAffinityWeigher(BaseHostWeigher):
    def applies(self, request: RequestSpec) -> bool:
        return request.group is not None and request.group.policy == SOFT_AFFINITY

    def weigh(self, host: HostState, request: RequestSpec) -> float:
        assert request.group is not None
        return request.group.hosts.get(host.uuid, 0)
