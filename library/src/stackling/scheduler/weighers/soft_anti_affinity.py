"""ServerGroupSoftAntiAffinityWeigher: for a ``soft-anti-affinity`` group, favour hosts
holding fewer of the group's members (weight = -members, as in nova)."""

from __future__ import annotations

from stackling.scheduler.host_state import HostState
from stackling.scheduler.request import SOFT_ANTI_AFFINITY, RequestSpec
from stackling.scheduler.weighers.base import BaseHostWeigher


class ServerGroupSoftAntiAffinityWeigher(BaseHostWeigher):
    def applies(self, request: RequestSpec) -> bool:
        return request.group is not None and request.group.policy == SOFT_ANTI_AFFINITY

    def weigh(self, host: HostState, request: RequestSpec) -> float:
        assert request.group is not None
        return -request.group.hosts.get(host.uuid, 0)
