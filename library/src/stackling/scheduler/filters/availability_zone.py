"""AvailabilityZoneFilter: the host's zone (from its aggregates' ``availability_zone``
metadata, else the configured default zone) must be the one requested."""

from __future__ import annotations

from stackling.scheduler.filters.base import BaseHostFilter
from stackling.scheduler.host_state import AVAILABILITY_ZONE, HostState
from stackling.scheduler.request import RequestSpec


class AvailabilityZoneFilter(BaseHostFilter):
    needs = frozenset({AVAILABILITY_ZONE})

    def applies(self, request: RequestSpec) -> bool:
        return bool(request.availability_zone)

    def host_passes(self, host: HostState, request: RequestSpec) -> bool:
        return host.availability_zone == request.availability_zone
