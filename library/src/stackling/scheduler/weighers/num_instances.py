"""NumInstancesWeigher: how many consumers (instances) the host holds. Nova's default
multiplier is 0 (off); > 0 packs onto busy hosts, < 0 spreads by instance count."""

from __future__ import annotations

from stackling.scheduler.host_state import NUM_INSTANCES, HostState
from stackling.scheduler.request import RequestSpec
from stackling.scheduler.weighers.base import BaseHostWeigher


class NumInstancesWeigher(BaseHostWeigher):
    needs = frozenset({NUM_INSTANCES})

    def weigh(self, host: HostState, request: RequestSpec) -> float:
        return host.num_instances
